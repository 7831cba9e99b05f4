"""dlt paginator and auth objects whose own code restsync runs: subclasses of dlt's classes and
classes registered with dlt's ``register_paginator`` / ``register_auth``.

Those objects work on ``requests`` values. For each page, the request and the response are copied
into ``requests`` objects, the paginator's ``init_request`` / ``update_state`` /
``update_request`` run on the copies as in dlt's ``RESTClient.paginate``, and the request they
leave is read back, as ``requests`` would send it (``prepare``), into a restsync ``Request``.

An auth object signs a throwaway request to the API's base URL; only what it added (headers,
query parameters) becomes the ``Credentials``, which the origin guard sends to that origin alone,
as for every other auth. Auth objects may block (an OAuth2 subclass fetches its token with
``requests``), so they run in a worker thread, one call at a time; what one of dlt's own
``__call__`` signs is reused while the object says it is valid (``DltSigner``).
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import TYPE_CHECKING, Any

from restsync._engine._actions import Answer, as_requests_response
from restsync._engine._paginate import PagingError, Traversal, register_traversal
from restsync._engine._request import Page, Request, split_url
from restsync._expressions import Condition
from restsync._plan import DltPaging

if TYPE_CHECKING:  # imported where used: only a dlt object needs it, and start-up is costly
    import requests

__all__ = ["DltPaginated", "DltSigner"]


class DltPaginated(Traversal[DltPaging]):
    def __init__(self, config: DltPaging, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        # dlt's paginators keep their position: every chain of pages gets its own copy
        self._paginator = copy.deepcopy(config.instance)
        self._name = type(config.instance).__name__

    def first(self, request: Request) -> Request:
        shaped = _as_requests(request)
        self._run("init_request", shaped)
        return _from_requests(shaped, request)

    def _advance(self, request: Request, page: Page) -> Request | None:
        shaped = _as_requests(request)
        self._run("update_state", _as_response(page), page.records)
        if not self._paginator.has_next_page:
            return None
        self._run("update_request", shaped)
        return _from_requests(shaped, request)

    def _run(self, method: str, *args: Any) -> None:
        try:
            getattr(self._paginator, method)(*args)
        except Exception as exc:  # the user's paginator code: its failure is the resource's
            raise PagingError(f"{self._name}.{method} failed: {type(exc).__name__}: {exc}") from exc


register_traversal(DltPaging, DltPaginated)


def _as_requests(request: Request) -> requests.Request:
    import requests

    return requests.Request(
        method=request.method,
        url=request.url,
        params=_as_dict(request.params),
        headers=dict(request.headers),
        # a paginator may change the body in place: never the plan's own object
        json=copy.deepcopy(request.json),
        data=copy.deepcopy(request.data),
    )


def _as_dict(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Params as dlt hands them to a paginator: a dict (a repeated name as a list)."""
    params: dict[str, Any] = {}
    for name, value in pairs:
        if name not in params:
            params[name] = value
        elif isinstance(params[name], list):
            params[name].append(value)
        else:
            params[name] = [params[name], value]
    return params


def _from_requests(shaped: requests.Request, before: Request) -> Request:
    import requests

    """The request ``shaped`` describes, with its URL and params merged as ``requests`` sends
    them; the body is kept as a value (restsync encodes it when sending)."""
    merged = requests.Request(method=shaped.method, url=shaped.url, params=shaped.params)
    prepared = merged.prepare()
    url, query = split_url(prepared.url or before.url)
    return Request(
        method=(shaped.method or before.method).upper(),
        url=url,
        params=tuple(query),
        headers={str(k): str(v) for k, v in (shaped.headers or {}).items()},
        json=shaped.json,
        data=shaped.data or None,
    )


def _as_response(page: Page) -> requests.Response:
    body = page.body
    if isinstance(body, bytes | str):
        raw = body if isinstance(body, bytes) else body.encode()
    else:  # parsed JSON: back to the bytes the paginator's response.json() reads
        raw = json.dumps(body).encode()
    answer = Answer(page.status, dict(page.headers), raw)
    response: requests.Response = as_requests_response(
        answer, page.request.method, page.request.full_url()
    )
    return response


class DltSigner:
    """The credentials a dlt auth object adds to a request to ``base_url``.

    dlt (``requests``) calls the object on every request. An object whose ``__call__`` is one of
    dlt's own writes a header or param from its fields alone, so restsync signs once and reuses
    that while the object's own ``is_token_expired()`` (dlt's OAuth2 and JWT classes) says the
    token holds, or for the signer's life (one run) if it has no expiry: the same as dlt sends,
    without a worker thread per request. An object with its own ``__call__`` may sign each
    request differently (a timestamp, a nonce): it is called for every request, as in dlt.
    """

    def __init__(self, instance: Any, base_url: str) -> None:
        self._auth = instance
        self._base_url = base_url
        self._lock = asyncio.Lock()
        self._reusable = type(instance).__call__ in _dlt_own_calls()
        self._signed: tuple[dict[str, str], list[tuple[str, str]]] | None = None
        self.signings = 0  # calls of the object (each one a worker-thread hop)

    async def credentials(self) -> tuple[dict[str, str], list[tuple[str, str]]]:
        async with self._lock:
            if self._signed is None or not self._still_valid():
                self._signed = await asyncio.to_thread(self._sign)
                self.signings += 1
            headers, params = self._signed
            return dict(headers), list(params)

    def _still_valid(self) -> bool:
        if not self._reusable:
            return False
        expired = getattr(self._auth, "is_token_expired", None)
        return not (callable(expired) and expired())

    def _sign(self) -> tuple[dict[str, str], list[tuple[str, str]]]:
        import requests

        blank = requests.Request("GET", self._base_url).prepare()
        before_headers = dict(blank.headers)
        _, before_query = split_url(blank.url or self._base_url)
        signed = self._auth(blank)
        _, query = split_url(signed.url or self._base_url)
        headers = {str(k): str(v) for k, v in signed.headers.items() if before_headers.get(k) != v}
        params = [pair for pair in query if pair not in before_query]
        return headers, params


def _dlt_own_calls() -> set[Any]:
    """The ``__call__`` of dlt's auth classes: each writes the request from the object's fields
    (and, for OAuth2 and JWT, fetches a token when ``is_token_expired()``)."""
    from dlt.sources.helpers.rest_client import auth as dlt_auth

    classes = (
        dlt_auth.BearerTokenAuth,
        dlt_auth.APIKeyAuth,
        dlt_auth.HttpBasicAuth,
        dlt_auth.OAuth2AuthBase,
        dlt_auth.OAuth2ClientCredentials,
        dlt_auth.OAuthJWTAuth,
    )
    return {cls.__call__ for cls in classes}
