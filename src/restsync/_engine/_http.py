"""Send one request and return parsed JSON: concurrency slots, the rate budget, redirects followed
hop by hop under the origin rule (``_origin``: a resource's credentials only for its declared
origin), and the one retry loop (``_retry.call_with_retries``).

The concurrency slot and the rate token are held only while a request is on the wire, never while
sleeping before a retry, so a backing-off resource does not starve the others.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from restsync._engine._actions import Answer, apply_response_actions
from restsync._engine._auth import Authenticator, AuthError, Credentials, make_authenticator
from restsync._engine._body import read_capped
from restsync._engine._gc_pause import collector_paused
from restsync._engine._origin import OriginGuard
from restsync._engine._ratelimit import make_limiter
from restsync._engine._redirect import MAX_REDIRECTS, RedirectRefused, follow_redirect
from restsync._engine._request import Request, form_body, header, query_string, redact
from restsync._engine._retry import (
    Decision,
    RetryRequested,
    Tried,
    call_with_retries,
    describe_error,
)
from restsync._errors import ExtractionError, HTTPStatusError, ResponseFormatError
from restsync._plan import ResourcePlan, SourcePlan
from restsync._secrets import known_secrets

__all__ = ["Abandoned", "HttpClient", "Response"]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: Any
    ignored: bool = False  # a response_action said to skip it
    empty: bool = False  # no body at all (HTTP 204, or a 200 with nothing in it)


class Abandoned(Exception):
    """A request nobody needs any more (a page fetched ahead past the end), dropped unsent."""


class _BadBody(aiohttp.ClientPayloadError):
    """A 2xx response whose body is not JSON; treated like a broken transfer, so it is retried."""


class HttpClient:
    def __init__(
        self,
        plan: SourcePlan,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.plan = plan
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(plan.max_concurrency)
        self._resource_slots = {
            r.name: asyncio.Semaphore(r.max_concurrency)
            for r in plan.resources.values()
            if r.max_concurrency
        }
        self._limiter = make_limiter(plan.rate_limit)
        self._guard = OriginGuard(plan)
        self._auth = make_authenticator(plan.auth, plan.base_url)
        self._endpoint_auth = {
            r.name: make_authenticator(r.auth, r.base_url or plan.base_url)
            for r in plan.senders()
            if r.auth
        }
        self._no_auth = make_authenticator(None)
        self._session: aiohttp.ClientSession | None = None
        self._secrets = known_secrets(plan)
        self._deadline: float | None = None  # the event loop's time the run's requests end by

    async def __aenter__(self) -> HttpClient:
        if self.plan.max_run_seconds is not None:
            self._deadline = asyncio.get_running_loop().time() + self.plan.max_run_seconds
        connector = aiohttp.TCPConnector(limit=self.plan.max_concurrency, ssl=self.plan.verify_tls)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.plan.timeout_seconds),
            headers={"Accept": "application/json", "User-Agent": "restsync"},
            # cookies are kept per origin by the OriginGuard, not per host by aiohttp
            cookie_jar=aiohttp.DummyCookieJar(),
            json_serialize=lambda value: orjson.dumps(value).decode(),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(
        self,
        resource: ResourcePlan,
        request: Request,
        count_retry: Callable[[], None],
        abandoned: Callable[[], bool] | None = None,
    ) -> Response:
        """The response to ``request``, retried as the resource's policy says.

        ``abandoned`` is asked before each attempt is sent: once it says yes, the request is
        dropped with ``Abandoned``. A request already on the wire is never cut off: it keeps its
        concurrency slot until the answer arrives, so the API never sees more requests in
        flight than ``max_concurrency``.
        """
        abandoned = abandoned or _still_wanted

        def before_retry(decision: Decision) -> None:
            if abandoned():
                raise Abandoned(str(request))  # not worth a retry any more
            count_retry()

        bound = asyncio.timeout_at(self._deadline)
        try:
            # the whole-run bound covers everything a request waits for: a concurrency slot, the
            # rate budget, a token, the wire, the waits between retries
            async with bound:
                tried = await call_with_retries(
                    lambda: self._send_once(resource, request, abandoned),
                    resource.retry,
                    sleep=self._sleep,
                    clock=self._clock,
                    rng=self._rng,
                    accept=lambda response: response.ignored,
                    before_retry=before_retry,
                )
        except TimeoutError as exc:
            if not bound.expired():
                raise
            raise self._out_of_time(resource, request) from exc
        except ExtractionError as exc:
            # a failure can quote the server (a response action, a manifest's error message),
            # and a server can echo a credential or the token it handed out: never shown
            exc.mask(self.secrets())
            raise
        response = tried.response
        if response is not None and (response.ignored or 200 <= response.status < 300):
            return response
        raise self._final_error(resource, request, tried) from tried.error

    def secrets(self) -> set[str]:
        """What no error may show: the values ``known_secrets`` names, and the tokens this run's
        authenticators got from a server (OAuth2, session logins)."""
        values = set(self._secrets) | set(self._auth.obtained_tokens())
        for auth in self._endpoint_auth.values():
            values.update(auth.obtained_tokens())
        return values

    async def _send_once(
        self, resource: ResourcePlan, request: Request, abandoned: Callable[[], bool]
    ) -> Response:
        per_resource = self._resource_slots.get(resource.name)
        async with self._slots:
            if per_resource is not None:
                await per_resource.acquire()
            try:
                if abandoned():
                    raise Abandoned(str(request))
                status, response_headers, raw = await self._follow(resource, request, abandoned)
            finally:
                if per_resource is not None:
                    per_resource.release()
        if resource.response_actions:
            answer = apply_response_actions(
                resource.response_actions,
                Answer(status, response_headers, raw),
                request.method,
                request.full_url(),
                resource.name,
            )
            status, response_headers, raw = answer.status, answer.headers, answer.raw
            if answer.ignored:
                return Response(status, response_headers, None, ignored=True)
        if not 200 <= status < 300:
            return Response(status, response_headers, None)
        if request.raw:  # a download its caller decodes (CSV, gzip): the bytes as they came
            return Response(status, response_headers, raw, empty=not raw)
        if resource.decode is None:
            body = _parse(raw, response_headers)
        else:
            body = self._decoded(resource, request, raw, response_headers)
        return Response(status, response_headers, body, empty=not raw.strip())

    def _decoded(
        self, resource: ResourcePlan, request: Request, raw: bytes, headers: dict[str, str]
    ) -> Any:
        """The page the resource's own decoder makes of a body; a body it cannot decode fails
        the resource now (another try would get the same body)."""
        assert resource.decode is not None
        try:
            return resource.decode(raw, headers)
        except ValueError as exc:
            raise ExtractionError(resource.name, str(exc), self._url(request, resource)) from exc

    async def _follow(
        self, resource: ResourcePlan, request: Request, abandoned: Callable[[], bool]
    ) -> tuple[int, dict[str, str], bytes]:
        """Send ``request`` and follow its redirects, each hop under the origin rule."""
        hop = request
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, raw = await self._send_hop(resource, hop, abandoned)
            try:
                following = follow_redirect(hop, status, header(headers, "Location"))
            except RedirectRefused as exc:
                raise ExtractionError(
                    resource.name, f"{exc}; check base_url", self._url(hop, resource)
                ) from exc
            if following is None:
                return status, headers, raw
            hop = following
        raise ExtractionError(
            resource.name,
            f"the API redirected more than {MAX_REDIRECTS} times (a redirect loop); "
            "check base_url and the endpoint path",
            self._url(request, resource),
        )

    async def _send_hop(
        self, resource: ResourcePlan, request: Request, abandoned: Callable[[], bool]
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None, "use HttpClient as an async context manager"
        guard = self._guard
        credentials = Credentials()
        if guard.trusts(request.url, resource):
            credentials = await self._credentials(resource)
        # the rate token is taken last, right before sending: a token taken while waiting for a
        # slot (or a token endpoint) would let requests bunch up past the budget
        await self._limiter.acquire()
        if abandoned():
            raise Abandoned(str(request))
        headers = guard.headers(
            request.url, resource, self.plan.headers, request.headers, credentials.headers
        )
        cookies = {**guard.cookies(request.url, resource), **credentials.cookies}
        data, content_type = form_body(request.data)
        sent = {k: str(v) for k, v in headers.items()}
        if content_type and not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = content_type
        url: Any = request.url
        params = list(request.params) + credentials.params
        if any(not v and k.startswith("/") for k, v in params):
            # a route in the query (TestRail's 'index.php?/api/v2/get_runs/7&offset=0'): aiohttp
            # would send it as '%2Fapi%2Fv2%2Fget_runs%2F7='
            url = URL(f"{URL(request.url)}?{query_string(tuple(params))}", encoded=True)
            params = []
        async with self._session.request(
            request.method,
            url,
            params=params,
            headers=sent,
            cookies=cookies or None,
            # as requests does: a body in ``data`` wins over ``json``
            json=request.json if data is None else None,
            data=data,
            # a raw body goes without a Content-Type unless the config sets one, as requests
            # sends it (aiohttp would call it application/octet-stream)
            skip_auto_headers=("Content-Type",) if data is not None else None,
            allow_redirects=False,
        ) as response:
            self._limiter.on_status(response.status)
            raw = await read_capped(response, self.plan.max_response_bytes)
            if raw is None:  # another try would get the same body: the resource fails now
                raise self._too_large(resource, request)
            guard.remember(request.url, resource, response.cookies)
            return response.status, dict(response.headers), raw

    def _out_of_time(self, resource: ResourcePlan, request: Request) -> ExtractionError:
        return ExtractionError(
            resource.name,
            f"the run reached client.max_run_seconds ({self.plan.max_run_seconds:g} s) before "
            "this resource finished, so it was cut; raise max_run_seconds (restsync run "
            "--timeout), or run fewer resources at a time",
            self._url(request, resource),
        )

    def _too_large(self, resource: ResourcePlan, request: Request) -> ExtractionError:
        return ExtractionError(
            resource.name,
            f"the response is larger than client.max_response_bytes "
            f"({self.plan.max_response_bytes:,} bytes); ask for smaller pages, or raise "
            "client.max_response_bytes if the API does send pages this large",
            self._url(request, resource),
        )

    async def _credentials(self, resource: ResourcePlan) -> Credentials:
        assert self._session is not None
        try:
            return await self._auth_for(resource).apply(self._session)
        except AuthError as exc:
            # reported against the resource that needed the token, not a pseudo-resource
            raise ExtractionError(resource.name, exc.message, exc.url) from exc

    def _auth_for(self, resource: ResourcePlan) -> Authenticator[Any]:
        """The resource's own auth, else the source's when the resource is on its origin."""
        own = self._endpoint_auth.get(resource.name)
        if own is not None:
            return own
        return self._auth if self._guard.inherits(resource) else self._no_auth

    def _url(self, request: Request, resource: ResourcePlan | None = None) -> str:
        auth = self._auth if resource is None else self._auth_for(resource)
        return redact(request.full_url(), auth.secret_param_names())

    def _final_error(
        self, resource: ResourcePlan, request: Request, tried: Tried[Response]
    ) -> Exception:
        url = self._url(request, resource)
        tries = f" after {tried.attempts} attempts" if tried.attempts > 1 else ""
        error = tried.error
        if isinstance(error, _BadBody):
            return ResponseFormatError(resource.name, f"{error.args[0]}{tries}", url)
        if isinstance(error, RetryRequested):
            return ExtractionError(resource.name, f"{error}{tries}", url)
        if error is not None:
            return ExtractionError(resource.name, _transport_message(error, tries), url)
        assert tried.response is not None
        status = tried.response.status
        return HTTPStatusError(resource.name, url, status, _status_message(status, tries))


def _transport_message(error: BaseException, tries: str) -> str:
    if isinstance(error, TimeoutError):
        return f"the request timed out{tries}; check that the API is reachable"
    what = describe_error(error)
    if isinstance(error, aiohttp.ClientSSLError):
        hint = (
            "the server's TLS certificate did not verify; fix it, or for a host you trust "
            "set client.verify_tls: false"
        )
    else:
        hint = "check that the API is reachable"
    return f"the request failed ({what}){tries}; {hint}"


def _still_wanted() -> bool:
    return False


def _status_message(status: int, tries: str) -> str:
    hints = {
        401: "check the credential (token or API key)",
        403: "the credential lacks permission for this endpoint",
        404: "check the endpoint path and its placeholders",
        429: "the API kept rate-limiting; set client.rate_limit to stay under its budget",
    }
    hint = hints.get(
        status, "the API reported an error" if status >= 500 else "the request was rejected"
    )
    return f"the API answered HTTP {status}{tries}; {hint}"


def _parse(raw: bytes, headers: dict[str, str]) -> Any:
    if not raw.strip():
        return None
    try:
        with collector_paused():  # orjson makes no cycles: _gc_pause.py says why
            return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        kind = headers.get("Content-Type", headers.get("content-type", "unknown type"))
        raise _BadBody(f"the response is not valid JSON ({kind}, {len(raw)} bytes)") from exc
