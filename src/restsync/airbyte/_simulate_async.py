"""The simulator's side of an AsyncRetriever stream: the report-job contract, offline.

The simulator serves tables at paths; a job stream asks for something else (a POST that
creates a job, polls that answer a status, a download at an address the poll gives). So the
simulator serves the stream's records as an ordinary table at ``/_restsync_jobs/<stream>``
(``served_jobs``, the hook in ``_simulate.simulator_plan``), and a small front (``serve_jobs``)
on 127.0.0.1 speaks the job contract in front of it:

    creation request (the creation_requester's method and path)   -> {<id field>: "job-N"}
    polling request (its path, the job id where creation_response is read)
        first poll  -> {<status path>: <the first 'running' status>}
        later polls -> {<status path>: <the first 'completed' status>,
                        <download_target_extractor path>: <the download URL>}
    abort / delete requests                                         -> {}
    the download URL                                                -> the table's records,
        encoded as the stream's download_decoder reads them (JSON, gzip, CSV)
    anything else                                                   -> passed to the simulator

Clients point at the front's address (the simulator's own path prefix kept). Every job of a
stream downloads the same records (the simulator's table for the stream), whatever its slice.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiohttp import web

from restsync._plan import ResourcePlan, SinglePaging, SourcePlan
from restsync._selectors import set_field
from restsync.airbyte._async import JobRunner
from restsync.airbyte._jinja import Slice, TemplateError
from restsync.airbyte._requests import StreamRequests
from restsync.simulator import SimulatorError
from restsync.simulator._placement import selector_text

__all__ = ["JOBS_ROOT", "has_jobs", "serve_jobs", "served_jobs"]

JOBS_ROOT = "_restsync_jobs"
_WILD = "RSWILDRS"  # a partition value in a rendered path
_JOB = "RSJOBRS"  # the job id in a rendered path
_TIMEOUT = aiohttp.ClientTimeout(total=30)


def has_jobs(plan: SourcePlan) -> bool:
    return any(isinstance(r.produce, JobRunner) for r in plan.resources.values())


def served_jobs(resource: ResourcePlan) -> ResourcePlan:
    """What the simulator serves for a job stream: its records as one page of a table at
    ``/_restsync_jobs/<stream>``, at the download extractor's path, without auth (the front
    fetches them; the clients' credentials are checked on nothing else either)."""
    runner = resource.produce
    assert isinstance(runner, JobRunner)
    contract = _contract(resource.name, runner)  # one the front cannot serve fails, by name
    method, path_served = contract.table
    path = runner.extract.path()
    return replace(
        resource,
        method=method,
        path=path_served,
        params={},
        headers={},
        json_body=None,
        paginator=SinglePaging(),
        data_selector=selector_text(path) or "$",
        stop_condition=None,
        auth=None,
        parent=None,
        incremental=None,
        select=None,
        response_actions=(),
        produce=None,
        base_url="",
    )


@dataclass
class _Contract:
    """One job stream's routes and answers, read from its requesters and extractors."""

    stream: str
    create: tuple[str, re.Pattern[str]]
    poll: tuple[str, re.Pattern[str]]
    id_field: str
    job_param: str | None  # the query parameter that carries the job id, else the path does
    others: list[tuple[str, re.Pattern[str]]]  # abort, delete
    status_path: list[str]
    running: str | None
    completed: str
    target_path: list[str] | None
    records_path: list[str]
    encoding: tuple[str, ...]  # the download_decoder's types, outermost first
    # where the simulator serves the stream's table: at the creation request's route when that
    # is fixed, so that two job streams there that ask for other reports (amazon-ads' POST
    # /reporting/reports) are served one at a time, as any two streams at one route are
    table: tuple[str, str]
    polls: dict[str, int] = field(default_factory=dict)


class _Wild(Slice):
    """A slice whose every value (at any depth) renders as a mark the routes match anything
    at; its ``creation_response`` renders the job id's mark and notes the field read."""

    def __missing__(self, key: Any) -> Any:
        return _Wild()

    def __str__(self) -> str:
        return _WILD


class _JobMark(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def __missing__(self, key: str) -> str:
        self.read.append(key)
        return _JOB


def _contract(stream: str, runner: JobRunner) -> _Contract:
    if runner.target_request is not None:
        raise SimulatorError(
            f"stream '{stream}': the simulator does not serve a download_target_requester"
        )
    completed = [api for api, ours in runner.status_map.items() if ours == "completed"]
    running = [api for api, ours in runner.status_map.items() if ours == "running"]
    if not completed:
        raise SimulatorError(f"stream '{stream}': its status_mapping lists no completed status")
    mark = _JobMark()
    poll_route = _route(stream, runner.poll, mark)
    job_param = None
    if "(?P<job>" not in poll_route[1].pattern:
        job_param = _param_with_job(runner.poll, mark)
        if job_param is None:
            raise SimulatorError(
                f"stream '{stream}': its polling request carries the job id neither in its "
                "path nor in a query parameter; the simulator cannot tell its jobs apart"
            )
    others = [_route(stream, r, _JobMark()) for r in (runner.abort, runner.delete) if r]
    created = _path(runner.create, _JobMark())
    table = (runner.create.method, created)
    if _WILD in created or _JOB in created or not created:
        table = ("GET", f"{JOBS_ROOT}/{stream}")
    return _Contract(
        stream=stream,
        create=_route(stream, runner.create, _JobMark()),
        poll=poll_route,
        id_field=mark.read[0] if mark.read else "id",
        job_param=job_param,
        others=others,
        status_path=runner.status.path(),
        running=running[0] if running else None,
        completed=completed[0],
        target_path=runner.targets.path() if runner.targets is not None else None,
        records_path=runner.extract.path(),
        encoding=_encoding(runner.decoder_spec),
        table=table,
    )


def _render(requests: StreamRequests, template: Any, mark: _JobMark) -> str:
    stream_slice = _Wild({}, {}, {"creation_response": mark})
    try:
        return requests.interpolator.text(template, stream_slice=stream_slice, next_page_token=None)
    except TemplateError as exc:
        raise SimulatorError(f"stream '{requests.stream}': {exc}") from None


def _path(requests: StreamRequests, mark: _JobMark) -> str:
    """The request's path (what follows the base URL), its marks in it."""
    path = _render(requests, requests.path, mark) if requests.path else ""
    if requests.url and not requests.url_base:
        path = urlsplit(_render(requests, requests.url, mark)).path + "/" + path
    return path.partition("?")[0].strip("/")


def _route(stream: str, requests: StreamRequests, mark: _JobMark) -> tuple[str, re.Pattern[str]]:
    """The request's method and a pattern of its path."""
    path = _path(requests, mark)
    pattern = re.escape(path).replace(_WILD, "[^/]*").replace(_JOB, "(?P<job>[^/]+)")
    return requests.method, re.compile(f"(?:^|/){pattern}/?$")


def _param_with_job(requests: StreamRequests, mark: _JobMark) -> str | None:
    for name, template in (requests.params or {}).items():
        if _JOB in _render(requests, template, mark):
            return str(name)
    return None


def _encoding(spec: Any) -> tuple[str, ...]:
    kinds: list[str] = []
    while isinstance(spec, Mapping):
        kinds.append(str(spec.get("type")))
        spec = spec.get("decoder") or spec.get("parser")
    return tuple(kinds) or ("JsonDecoder",)


# --- the front --------------------------------------------------------------------------------


@dataclass
class _Front:
    contracts: list[_Contract]
    simulator: str  # the simulator's base URL, its prefix included
    base: str = ""  # the front's base URL, the same prefix
    jobs: int = 0
    session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        for contract in self.contracts:
            if path.rstrip("/").endswith(f"/{JOBS_ROOT}/{contract.stream}/download"):
                return await self._download(contract)
            if _matches(contract.create, request):
                self.jobs += 1
                return web.json_response({contract.id_field: f"job-{self.jobs}"})
            if _matches(contract.poll, request):
                return self._poll(contract, request)
            if any(_matches(route, request) for route in contract.others):
                return web.json_response({})
        return await self._passed(request)

    def _poll(self, contract: _Contract, request: web.Request) -> web.Response:
        found = contract.poll[1].search(request.path.rstrip("/"))
        job = found.group("job") if found and "job" in found.groupdict() else ""
        if contract.job_param:
            job = request.query.get(contract.job_param, "")
        count = contract.polls[job] = contract.polls.get(job, 0) + 1
        body: dict[str, Any] = {}
        if count == 1 and contract.running is not None:
            set_field(body, ".".join(contract.status_path), contract.running)
            return web.json_response(body)
        set_field(body, ".".join(contract.status_path), contract.completed)
        if contract.target_path:
            url = f"{self.base}/{JOBS_ROOT}/{contract.stream}/download"
            set_field(body, ".".join(contract.target_path), url)
        return web.json_response(body)

    async def _download(self, contract: _Contract) -> web.Response:
        assert self.session is not None
        method, path = contract.table
        async with self.session.request(method, f"{self.simulator}/{path}") as answer:
            raw = await answer.read()
            if answer.status != 200:
                return web.Response(status=answer.status, body=raw)
        kinds = contract.encoding
        if "CsvDecoder" in kinds:
            raw = _csv(_at(orjson.loads(raw), contract.records_path))
        elif "JsonlDecoder" in kinds:
            items = _at(orjson.loads(raw), contract.records_path)
            raw = b"".join(orjson.dumps(item) + b"\n" for item in items)
        if "GzipDecoder" in kinds:
            raw = gzip.compress(raw)
        return web.Response(body=raw, content_type="application/octet-stream")

    async def _passed(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        prefix = urlsplit(self.base).path.rstrip("/")
        tail = (
            request.path_qs[len(prefix) :] if request.path.startswith(prefix) else request.path_qs
        )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self.session.request(
            request.method,
            self.simulator.rstrip("/") + tail,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
        # the simulator's next-page links name its own address: the clients stay on the
        # front's (a link to another origin would go without the credentials)
        theirs, ours = _origin(self.simulator), _origin(self.base)
        body = body.replace(theirs.encode(), ours.encode())
        kept = {k: v.replace(theirs, ours) for k, v in kept.items()}
        return web.Response(status=answer.status, body=body, headers=kept)


_HOP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _matches(route: tuple[str, re.Pattern[str]], request: web.Request) -> bool:
    method, pattern = route
    return request.method == method and pattern.search(request.path.rstrip("/")) is not None


def _at(body: Any, path: list[str]) -> list[Any]:
    for key in path:
        body = body.get(key) if isinstance(body, Mapping) else None
    return body if isinstance(body, list) else [body] if body else []


def _csv(records: list[Any]) -> bytes:
    columns: list[str] = []
    for record in records:
        for key in record if isinstance(record, Mapping) else ():
            if key not in columns:
                columns.append(key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        if isinstance(record, Mapping):
            writer.writerow({k: _cell(record.get(k)) for k in columns})
    return out.getvalue().encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


@contextmanager
def serve_jobs(plan: SourcePlan, simulator_url: str) -> Iterator[str]:
    """The job contract of ``plan``'s AsyncRetriever streams (the client's plan, as
    ``plan_manifest`` makes it) served in front of the simulator at ``simulator_url``, on
    127.0.0.1 in a daemon thread for the ``with`` block; yields the base URL clients use."""
    contracts = [
        _contract(r.name, r.produce)
        for r in plan.resources.values()
        if isinstance(r.produce, JobRunner)
    ]
    front = _Front(contracts, simulator_url.rstrip("/"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="restsync-jobs", daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        front.session = aiohttp.ClientSession(timeout=_TIMEOUT, auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", front.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        front.base = f"http://127.0.0.1:{port}{urlsplit(simulator_url).path.rstrip('/')}"
        return runner

    async def stop(runner: web.AppRunner) -> None:
        await runner.cleanup()
        if front.session is not None:
            await front.session.close()

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield front.base
    finally:
        try:
            asyncio.run_coroutine_threadsafe(stop(runner), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
