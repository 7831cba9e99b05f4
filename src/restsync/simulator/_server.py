"""The aiohttp application around the compiled plan: routing, faults, latency, counters, lifecycle.

Order of work per API request: count it (middleware), pick its endpoint, decide its fault, wait the
configured latency, then answer (or misbehave). Faults never touch paging state: the page is a pure
function of the request, so a retried request gets the same page.

Control endpoints (no auth, not counted, no faults): ``GET /_simulator/counters``,
``POST /_simulator/add?resource=NAME&n=N``, ``POST /_simulator/reset``; served at the root and
under the base URL's path, so ``base_url + "/_simulator/counters"`` works either way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from restsync._plan import SourcePlan
from restsync.simulator._auth import Issuer
from restsync.simulator._compile import FieldHints, compile_plan
from restsync.simulator._counters import Counters
from restsync.simulator._endpoints import Endpoint, Incoming, Outgoing, Router, error
from restsync.simulator._faults import Fault, FaultInjector, parse_faults
from restsync.simulator._options import SimulatorError, SimulatorOptions
from restsync.simulator._store import Store

__all__ = ["Simulator", "serve_in_thread"]

log = logging.getLogger("restsync.simulator")

_CONTROL = "/_simulator/"
_HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream service is temporarily unavailable.</p>"
    b"</body></html>"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# per-request notes the middleware and the dispatcher share
_NUMBER = web.RequestKey("restsync_sim_number", int)
_TEMPLATE = web.RequestKey("restsync_sim_template", str)
_STATUS = web.RequestKey("restsync_sim_status", str)


class Simulator:
    """Serves a ``SourcePlan`` as a local HTTP API with deterministic records."""

    def __init__(
        self,
        plan: SourcePlan,
        options: SimulatorOptions = SimulatorOptions(),  # noqa: B008 - frozen, so safe to share
        *,
        fields: FieldHints | None = None,
        break_records: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.options = options
        compiled = compile_plan(plan, options, fields, break_records)
        self._prefix = compiled.prefix
        self._credentials = compiled.credentials
        self._store = Store(compiled.tables, options.seed)
        self._router = Router(compiled.endpoints, compiled.tokens)
        self._faults = FaultInjector(parse_faults(options.faults), options.seed)
        self._fault_counts: dict[str, int] = {}
        self._fault_lock = threading.Lock()
        self._counters = Counters(clock)
        self.credential: dict[str, str] = (
            compiled.source_credential.as_dict() if compiled.source_credential else {}
        )
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving; returns the base URL (with the plan's base path, if it has one)."""
        if self._runner is not None:
            raise SimulatorError("the simulator is already running; stop() it first")
        self._closing = asyncio.Event()
        app = web.Application(middlewares=[self._count])
        for root in self._control_roots():
            app.router.add_get(root + "counters", self._control_counters)
            app.router.add_post(root + "add", self._control_add)
            app.router.add_post(root + "reset", self._control_reset)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # access_log=None: an access log would print query strings, and an API key may be one
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        family, kind, proto, _, address = socket.getaddrinfo(
            self.options.host, self.options.port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.bind(address)
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}{self._prefix}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is None:
            return
        assert self._closing is not None
        self._closing.set()  # wakes slow faults and latency waits, so shutdown is quick
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- sync API, safe from any thread --------------------------------------------------------

    def dataset(self) -> dict[str, list[dict[str, Any]]]:
        """Every record the API serves now, per resource (children over all parents)."""
        return self._store.snapshot()

    def add_records(self, resource: str, n: int) -> None:
        """Append ``n`` records, newer than all existing ones (children spread over parents)."""
        self._store.add(resource, n)

    def counters(self) -> dict[str, Any]:
        snapshot = self._counters.snapshot()
        with self._fault_lock:
            snapshot["faults"] = dict(self._fault_counts)
        return snapshot

    def reset_counters(self) -> None:
        """Zero the counters and restart fault request numbering; the records stay as they are."""
        self._counters.reset()
        self._faults.reset()
        with self._fault_lock:
            self._fault_counts.clear()

    def credential_for(self, resource: str) -> dict[str, str]:
        """What a client must send for ``resource`` (its own auth, else the source's)."""
        credential = self._credentials[resource]
        return credential.as_dict() if credential else {}

    # --- request handling ----------------------------------------------------------------------

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(self._control_roots()):
            return await handler(request)
        request[_NUMBER] = self._counters.enter()
        status = "error"
        try:
            response = await handler(request)
            status = request.get(_STATUS) or str(response.status)
            return response
        finally:
            self._counters.leave(request.get(_TEMPLATE, "<unmatched>"), status)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        match = None
        routed = request.query_string.partition("&")[0]
        if routed.startswith("/"):
            # a route in the query's first key ('index.php?/api/v2/get_plans/7&offset=0')
            match = self._router.match(request.method, f"{request.path}?{routed}")
        if not isinstance(match, tuple):
            match = self._router.match(request.method, request.path)
        endpoint, path_values = match if isinstance(match, tuple) else (None, {})
        token = None
        if endpoint is None:
            token = self._router.token_endpoint(request.path)
            token = token if token is not None and token.method == request.method else None
        names = {request.path, self._relative(request.path)}
        if endpoint is not None:
            request[_TEMPLATE] = endpoint.template
            names |= {endpoint.template, endpoint.relative}
        elif token is not None:
            request[_TEMPLATE] = token.path
        fault = self._faults.decide(request[_NUMBER], names)
        if fault is not None:
            with self._fault_lock:
                self._fault_counts[fault.kind] = self._fault_counts.get(fault.kind, 0) + 1
        await self._pause(self.options.latency_ms / 1000)
        if fault is not None and fault.kind == "slow":
            await self._pause(fault.slow_seconds)  # then answer normally, if the client still waits
        elif fault is not None and fault.kind != "truncated":
            return self._misbehave(request, fault)

        if endpoint is not None:
            outgoing = await self._resource(request, endpoint, path_values)
        elif token is not None:
            outgoing = await self._token(request, token)
        elif match == "method":
            outgoing = error(405, "method not allowed")
        else:
            outgoing = error(404, "not found")
        body = orjson.dumps(outgoing.body)
        content_type = "application/json"
        encode = endpoint.resource.encode_body if endpoint is not None else None
        if encode is not None and outgoing.status < 300:
            # an Airbyte decoder's format (XML, CSV, ...): the page written as its client reads it
            body, content_type = encode(orjson.loads(body))
        if fault is not None and fault.kind == "truncated":
            body = body[: max(1, len(body) // 2)]  # a 200 whose JSON stops mid-way
        return web.Response(
            status=outgoing.status,
            body=body,
            headers=dict(outgoing.headers),
            content_type=content_type,
        )

    async def _resource(
        self, request: web.Request, endpoint: Endpoint, path_values: dict[str, str]
    ) -> Outgoing:
        body: Any = None
        if request.body_exists and request.content_type == "application/x-www-form-urlencoded":
            # form fields (an Airbyte manifest's body_data) are read as a flat JSON object
            body = dict(parse_qsl((await request.read()).decode(errors="replace")))
        elif request.body_exists:
            raw = await request.read()
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body = _json_prefix(raw)
                if body is None:
                    return error(400, "the request body is not JSON")
        incoming = Incoming(
            method=request.method,
            path=request.path,
            url=request.url,
            query=dict(request.query),
            headers=request.headers,
            cookies=request.cookies,
            body=body,
        )
        try:
            return endpoint.respond(incoming, path_values, self._store, self.options.cursor_style)
        except Exception as exc:  # a simulator bug must surface as a 500, not a dropped connection
            log.exception("simulator failed serving resource '%s'", endpoint.resource.name)
            return error(500, f"simulator failed: {type(exc).__name__}")

    async def _token(self, request: web.Request, token: Issuer) -> Outgoing:
        raw = await request.read()
        form: dict[str, Any]
        try:
            parsed = orjson.loads(raw) if raw.strip().startswith(b"{") else None
        except orjson.JSONDecodeError:
            parsed = None
        form = parsed if isinstance(parsed, dict) else dict(parse_qsl(raw.decode(errors="replace")))
        if not token.accepts_client(request.headers, form):
            return error(401, "invalid_client")
        return Outgoing(200, token.response())

    def _misbehave(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "reset":
            request[_STATUS] = "reset"
            if request.transport is not None:
                # no response at all: the client sees a dropped connection
                request.transport.abort()
            return web.Response(status=500)
        if fault.kind == "html":
            return web.Response(status=200, body=_HTML_ERROR, content_type="text/html")
        headers = {}
        if fault.status == 429:
            retry = fault.retry_after
            headers["Retry-After"] = str(int(retry)) if float(retry).is_integer() else str(retry)
        message = "rate limited" if fault.status == 429 else "server error"
        return web.Response(
            status=fault.status or 500,
            body=orjson.dumps({"error": message}),
            headers=headers,
            content_type="application/json",
        )

    async def _pause(self, seconds: float) -> None:
        if seconds <= 0 or self._closing is None:
            return
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    def _control_roots(self) -> tuple[str, ...]:
        return (_CONTROL, self._prefix + _CONTROL) if self._prefix else (_CONTROL,)

    def _relative(self, path: str) -> str:
        if self._prefix and path.startswith(self._prefix + "/"):
            return path[len(self._prefix) :]
        return path

    # --- control endpoints ---------------------------------------------------------------------

    async def _control_counters(self, request: web.Request) -> web.Response:
        return _json(200, self.counters())

    async def _control_add(self, request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        try:
            n = int(request.query.get("n", "1"))
            total = self._store.add(resource, n)
        except ValueError as exc:  # SimulatorError is a ValueError
            return _json(400, {"error": str(exc)})
        return _json(200, {"resource": resource, "added": n, "total": total})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset_counters()
        return _json(200, {"reset": True})


def _json_prefix(raw: bytes) -> Any:
    """The JSON value a body starts with, when only a few characters that are not JSON follow it
    (senseforce's manifest sends ``[...]/`` as application/json, and its API reads it), else None.
    """
    try:
        value, end = json.JSONDecoder().raw_decode(raw.decode().lstrip())
    except (UnicodeDecodeError, ValueError):
        return None
    rest = raw.decode().lstrip()[end:].strip()
    return value if len(rest) <= _TRAILING_LIMIT else None


_TRAILING_LIMIT = 8  # characters after the JSON value: a stray '/' or ';', not a second document


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


@contextmanager
def serve_in_thread(
    plan: SourcePlan,
    options: SimulatorOptions = SimulatorOptions(),  # noqa: B008 - frozen, so safe to share
    **kwargs: Any,
) -> Iterator[Simulator]:
    """Run a simulator on its own event loop in a daemon thread for the ``with`` block."""
    simulator = Simulator(plan, options, **kwargs)
    loop = asyncio.new_event_loop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="restsync-simulator", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(timeout=30)
        yield simulator
    finally:
        try:
            asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
