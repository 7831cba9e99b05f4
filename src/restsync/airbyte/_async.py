"""An AsyncRetriever stream: report jobs the API runs on its side (create, poll, download).

One job per slice (a partition, a time window, or none), run where the engine runs a chain of
pages, so the slices' jobs are in flight at once, as many as the source's job slots allow:

    create (creation_requester, the slice in its templates)
      -> poll (polling_requester, ``creation_response`` in its templates) until the status that
         ``status_extractor`` reads maps to completed / failed / timeout (or skipped)
      -> the download targets (``download_target_extractor`` on the polling response, or on
         the response of ``download_target_requester``)
      -> download each target (download_requester, ``download_paginator`` pages), decode the
         bytes (``download_decoder``), extract (``download_extractor``), then filter and
         transform the records (the stream's ``record_selector``, as airbyte-cdk does)
      -> delete_requester, if any

Every wait is bounded. Polls are spaced 1, 2, 4 then 5 s (airbyte-cdk waits 5 s between
status updates); a job still running once the waits add up to ``polling_job_timeout``
(minutes, 60 by default as in airbyte-cdk) has timed out: ``abort_requester`` is sent and the
job is created again. A failed or timed-out job is tried 3 times in all (airbyte-cdk's default),
a failed one after ``failed_retry_wait_time_in_seconds`` if the manifest sets it; then the
stream fails with one sentence naming the stream, the job and its last status. A creation
request that fails (an HTTP error once the error handler's retries are spent) is a failed
attempt too, tried again at once, as airbyte-cdk's job orchestrator keeps it as a failed job;
only a refused credential (HTTP 401/403, airbyte-cdk's config error) fails the stream at once.
At most ``max_concurrent_async_job_count`` jobs (the manifest's, 1 unset) run at once across the
source (``JobSlots``, airbyte-cdk's JobTracker).

Credentials: each requester is a resource the engine sends its requests as (``senders``): its
own authenticator (none if it declares none, as in airbyte-cdk), error handler and origin. A
credential goes only to its requester's origin, by the engine's origin rule; the download
requester's origin is the stream's when its url_base is the download target, so a download
URL on another host (a presigned storage URL) gets no credential, whatever it declares.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, overload

from restsync._engine._request import Page, Request, redact
from restsync._errors import ConfigError, ExtractionError, HTTPStatusError, ResponseFormatError
from restsync._plan import IncrementalPlan, ResourcePlan
from restsync.airbyte._auth import body_key, build_auth
from restsync.airbyte._cursor import incremental_plan
from restsync.airbyte._decoders import Decoder, decoder_for
from restsync.airbyte._errors import build_retry
from restsync.airbyte._jinja import Interpolator, Slice, TemplateError
from restsync.airbyte._parts import Unsupported, _checked, _expect, build_paginator
from restsync.airbyte._records import RecordPipeline
from restsync.airbyte._requests import ManifestTraversal, StreamRequests

__all__ = [
    "JobInterpolator",
    "JobRunner",
    "JobSlots",
    "async_stream",
    "download_decoder",
    "job_slots",
    "jobs_on",
]

FIRST_WAIT = 1.0  # seconds before the second poll of a job
LONGEST_WAIT = 5.0  # airbyte-cdk's fixed wait between status updates
ATTEMPTS = 3  # tries of one slice's job (airbyte-cdk's default job_max_retry)
DEFAULT_TIMEOUT_MINUTES = 60  # airbyte-cdk's default polling_job_timeout
LONGEST_FAILED_WAIT = 3600.0  # seconds: failed_retry_wait_time_in_seconds is capped here
STATUSES = ("running", "completed", "failed", "timeout", "skipped")

# fetch(request, sender): a requester's request, sent as its sender (its auth, origin and
# retries; the stream's own resource, the creation requester's, when None)
Fetch = Callable[[Request, ResourcePlan | None], Awaitable[Any]]
Sleep = Callable[[float], Awaitable[None]]


class JobInterpolator(Interpolator):
    """airbyte-cdk puts a slice's ``extra_fields`` among a requester's template variables:
    ``creation_response``, ``polling_response`` and ``download_target`` are read bare."""

    def with_parameters(self, parameters: Mapping[str, Any] | None) -> JobInterpolator:
        return JobInterpolator(self.config, parameters)

    def _scope(self, context: Mapping[str, Any]) -> dict[str, Any]:
        scope = super()._scope(context)
        stream_slice = context.get("stream_slice")
        if isinstance(stream_slice, Slice):
            for key, value in stream_slice.extra_fields.items():
                scope.setdefault(key, value)
        return scope


def download_decoder(spec: Mapping[str, Any] | None, where: str) -> Decoder:
    """The stream's ``download_decoder`` (``_decoders``: JSON, JSONL, CSV, XML, gzip, zip);
    none is JsonDecoder, as in airbyte-cdk."""
    try:
        return decoder_for(spec, where)
    except ConfigError as exc:  # DecoderUnsupported: its component and reason
        kind = getattr(exc, "component", None) or (
            str(spec.get("type")) if isinstance(spec, Mapping) else "decoder"
        )
        raise Unsupported(exc.path or where, kind, getattr(exc, "reason", exc.message)) from None


class JobSlots:
    """How many report jobs run at once, across every job stream of a source: airbyte-cdk's
    JobTracker, its limit the manifest's ``max_concurrent_async_job_count`` (1 when unset).

    A slice takes a slot before its first creation request and holds it until its job ends
    (completed, skipped, or failed for good), through the retries and their waits; the
    download runs once the slot is free again, as in airbyte-cdk. One semaphore per event
    loop: a plan may be run more than once, each run on a loop of its own."""

    def __init__(self, limit: int = 1) -> None:
        self.limit = max(limit, 1)
        self._by_loop: weakref.WeakKeyDictionary[Any, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> JobSlots:
        return self  # shared by the source's job streams: a copy of the plan shares it too

    @asynccontextmanager
    async def taken(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(self.limit)
        async with semaphore:
            yield


class _CreationFailed(Exception):
    """A job's creation request failed with an HTTP error; the attempt counts as failed."""

    def __init__(self, message: str, url: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url


@dataclass(frozen=True)
class JobRunner:
    """One AsyncRetriever's requests and extractors; called once per slice (``produce``)."""

    stream: str
    create: StreamRequests
    poll: StreamRequests
    download: StreamRequests
    status: RecordPipeline
    status_map: Mapping[str, str]
    targets: RecordPipeline | None
    target_request: StreamRequests | None
    extract: RecordPipeline  # download_extractor
    select: RecordPipeline  # the stream's record_selector, its extractor left out
    decoder: Decoder = field(default_factory=lambda: decoder_for(None, ""))
    decoder_spec: Any = None  # the manifest's download_decoder (the simulator encodes by it)
    abort: StreamRequests | None = None
    delete: StreamRequests | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_MINUTES * 60
    failed_wait: float = 0.0  # failed_retry_wait_time_in_seconds: before a failed job's retry
    # each other requester as a resource of its own, by role (poll, download, target, abort,
    # delete): the engine sends its requests with its own authenticator, to its own origin
    senders: Mapping[str, ResourcePlan] = field(default_factory=dict)
    slots: JobSlots = field(default_factory=JobSlots)
    max_pages: int = 100_000

    async def __call__(self, parent: Any, fetch: Fetch, sleep: Sleep) -> AsyncIterator[list[Any]]:
        base = parent if isinstance(parent, Slice) else Slice(parent or {})
        async with self.slots.taken():
            job_slice, polled, status, where = await self._final(base, fetch, sleep)
        if status == "completed":
            async for records in self._download(job_slice, polled, fetch, base):
                yield records
            if self.delete is not None:
                await self._send(fetch, _built(self.delete, job_slice), "delete")
            return
        if status == "skipped":  # the API says the job has nothing to report
            return
        if status == "uncreated":  # ``where`` is the last creation error, ``polled`` its URL
            raise ExtractionError(
                self.stream,
                f"the report job could not be created on any of {ATTEMPTS} attempts; the last "
                f"creation request failed: {where}",
                polled,
            )
        raise ExtractionError(
            self.stream,
            f"the report job ({where}) ended '{status}' on each of {ATTEMPTS} attempts; "
            "check the report's parameters (the slice's dates, the account), or the API's "
            "status page",
        )

    async def _send(self, fetch: Fetch, request: Request, role: str) -> Any:
        """``request`` sent as the requester of ``role``; its failure is the stream's, the
        requester named in the sentence (the engine names the sender it was sent as)."""
        sender = self.senders.get(role)
        try:
            return await fetch(request, sender)
        except ExtractionError as exc:
            if sender is None or exc.resource != sender.name:
                raise
            # renamed in place: its kind and its other fields (an HTTP status) kept
            key = ROLES.get(role, "download_requester")
            ExtractionError.__init__(exc, self.stream, f"{exc.message} (its {key})", exc.url)
            raise

    async def _final(self, base: Slice, fetch: Fetch, sleep: Sleep) -> tuple[Slice, Any, str, str]:
        """The slice's job tried up to ``ATTEMPTS`` times, to its first completed or skipped
        status: a timed-out job is aborted and created again; a failed one is created again
        after ``failed_wait`` (airbyte-cdk defers only a failed job's retry, not a timed-out
        one's, and does not wait after the last attempt). A creation that fails is a failed
        attempt with no wait ("uncreated" once every attempt failed so)."""
        for attempt in range(ATTEMPTS):
            try:
                job_slice, polled, status, where = await self._run_job(base, fetch, sleep)
            except _CreationFailed as failed:
                job_slice, polled, status, where = base, failed.url, "uncreated", failed.message
                continue
            if status in ("completed", "skipped"):
                break
            if status == "timeout" and self.abort is not None:
                await self._send(fetch, _built(self.abort, job_slice), "abort")
            if status == "failed" and self.failed_wait and attempt < ATTEMPTS - 1:
                await sleep(self.failed_wait)
        return job_slice, polled, status, where

    async def _run_job(
        self, base: Slice, fetch: Fetch, sleep: Sleep
    ) -> tuple[Slice, Any, str, str]:
        """Create a job and poll it to a final status: (the job's slice, the last polling
        response, the status, the polling URL that names the job)."""
        request = _built(self.create, base)
        try:
            created = await fetch(request, None)
        except HTTPStatusError as exc:
            if exc.status in (401, 403):  # airbyte-cdk's config error: no job is tried again
                raise
            raise _CreationFailed(exc.message, exc.url) from exc
        context = _context(created, request)
        job_slice = Slice(
            base.partition, base.cursor_slice, {**base.extra_fields, "creation_response": context}
        )
        polling = _built(self.poll, job_slice)
        where = redact(polling.full_url())
        waited, wait = 0.0, FIRST_WAIT
        cap = int(self.timeout_seconds / FIRST_WAIT) + 2  # no more polls than the waits allow
        for _ in range(cap):
            response = await self._send(fetch, polling, "poll")
            status = self._status(response.body, where)
            if status != "running":
                return job_slice, (response, polling), status, where
            if waited >= self.timeout_seconds:
                break
            wait = min(wait, self.timeout_seconds - waited) or FIRST_WAIT
            await sleep(wait)
            waited += wait
            wait = min(wait * 2, LONGEST_WAIT)
        return job_slice, None, "timeout", where

    def _status(self, body: Any, where: str) -> str:
        found = self.status.extract(body)
        value = found[0] if found else None
        status = self.status_map.get(str(value))
        if status is None:
            raise ExtractionError(
                self.stream,
                f"the report job ({where}) has status {str(value)!r}, which status_mapping does "
                f"not list (it lists {', '.join(map(repr, self.status_map)) or 'none'}); add it "
                "to the stream's status_mapping",
            )
        return status

    async def _download(
        self, job_slice: Slice, polled: Any, fetch: Fetch, base: Slice
    ) -> AsyncIterator[list[Any]]:
        response, polling = polled
        context = _context(response, polling)
        extra = {**job_slice.extra_fields, "polling_response": context}
        for target in await self._targets(response, context, fetch):
            download_slice = Slice(
                base.partition, base.cursor_slice, {**extra, "download_target": target}
            )
            traversal = ManifestTraversal(self.download, None)
            traversal.parent = download_slice
            request: Request | None = replace(traversal.first(Request("GET", "")), raw=True)
            number = 0
            while request is not None:
                number += 1
                got = await self._send(fetch, request, "download")
                items = self._decoded(got, request)
                records = [r for item in items for r in self.extract.extract(item)]
                selected = self.select(records, got.headers, base) if records else []
                yield selected
                body = items[0] if len(items) == 1 else items
                page = Page(request, got.status, got.headers, body, records, number)
                following = traversal.next(request, page)
                if following is not None and number >= self.max_pages:
                    raise ExtractionError(
                        self.stream,
                        f"the download of one report reached {self.max_pages:,} pages and the "
                        "API still offers another; check the download_paginator",
                        redact(request.full_url()),
                    )
                request = replace(following, raw=True) if following is not None else None

    def _decoded(self, got: Any, request: Request) -> list[Any]:
        """The download's items, as its decoder reads them; bytes it cannot read fail the
        stream in one sentence (a report in another format than the manifest says)."""
        try:
            return list(self.decoder.records(got.body or b"", got.headers))
        except Exception as exc:  # any decoder's failure: a bad body, not a bug of ours
            kind = self.decoder_spec.get("type") if isinstance(self.decoder_spec, Mapping) else ""
            raise ResponseFormatError(
                self.stream,
                f"the report's download could not be read as the download_decoder "
                f"({kind or 'JsonDecoder'}) says: {type(exc).__name__}: {str(exc)[:200]}",
                redact(request.full_url()),
            ) from exc

    async def _targets(self, polled: Any, context: Any, fetch: Fetch) -> list[Any]:
        """The download targets (URLs, ids); one empty target without an extractor."""
        if self.targets is None:
            return [""]
        body = polled.body
        if self.target_request is not None:
            target_slice = Slice({}, {}, {"polling_response": context})
            target = _built(self.target_request, target_slice)
            body = (await self._send(fetch, target, "target")).body
        return [str(t) if not isinstance(t, str) else t for t in self.targets.extract(body)]


def jobs_on(resources: Mapping[str, ResourcePlan], base_url: str) -> dict[str, ResourcePlan]:
    """The resources with each job stream's requesters moved to ``base_url`` (``--base-url``,
    the simulator), as ``url_on`` moves a stream's own: polls, aborts and deletes must not
    reach the real API either. The download requester stays: its address is the job's."""
    moved = dict(resources)
    for name, resource in resources.items():
        runner = resource.produce
        if isinstance(runner, JobRunner):
            shifted = replace(
                runner,
                create=_moved(runner.create, base_url),
                poll=_moved(runner.poll, base_url),
                target_request=_moved(runner.target_request, base_url),
                abort=_moved(runner.abort, base_url),
                delete=_moved(runner.delete, base_url),
            )
            requests = {
                "poll": shifted.poll,
                "target": shifted.target_request,
                "abort": shifted.abort,
                "delete": shifted.delete,
                "download": shifted.download,
            }
            # every sender now on base_url's origin (its credentials go there, and only there)
            senders = {
                role: replace(sender, paginator=requests[role] or sender.paginator, base_url="")
                for role, sender in runner.senders.items()
            }
            moved[name] = replace(resource, produce=replace(shifted, senders=senders))
    return moved


@overload
def _moved(requests: StreamRequests, base_url: str) -> StreamRequests: ...
@overload
def _moved(requests: None, base_url: str) -> None: ...
@overload
def _moved(requests: StreamRequests | None, base_url: str) -> StreamRequests | None: ...
def _moved(requests: StreamRequests | None, base_url: str) -> StreamRequests | None:
    if requests is None:
        return None
    if requests.url and not requests.url_base:
        found = _ORIGIN.match(base_url)
        return replace(requests, url_origin=found.group(0) if found else base_url.rstrip("/"))
    return replace(requests, base_override=base_url)


_ORIGIN = re.compile(r"^https?://[^/?#]+")


def _built(requests: StreamRequests, stream_slice: Slice) -> Request:
    traversal = ManifestTraversal(requests, None)
    traversal.parent = stream_slice
    return traversal.first(Request(requests.method, ""))


def _context(response: Any, request: Request) -> dict[str, Any]:
    """A response as airbyte-cdk's ``creation_response`` / ``polling_response`` shows it: its
    JSON fields, with ``headers`` and ``request`` added unless the body has its own."""
    body = response.body
    context: dict[str, Any] = dict(body) if isinstance(body, Mapping) else {}
    context.setdefault("headers", dict(response.headers))
    context.setdefault(
        "request",
        {"headers": dict(request.headers), "url": request.full_url(), "method": request.method},
    )
    return context


# --- translation ------------------------------------------------------------------------------


def async_stream(
    translator: Any, spec: Mapping[str, Any], where: str, name: str, sel: bool
) -> None:
    """Add an AsyncRetriever stream's resources to ``translator`` (a ``Translator``): its
    slices' resource, as for any stream, and the stream's resource that runs one job per slice."""
    at = f"{where}.retriever"
    retriever = spec["retriever"]
    ai = JobInterpolator(translator.config, spec.get("$parameters"))
    for needed in ("creation_requester", "polling_requester", "download_requester"):
        if not isinstance(retriever.get(needed), Mapping):
            raise Unsupported(f"{at}.{needed}", "AsyncRetriever", f"no {needed}")
    create, auth, retry, actions, home = _translated(
        translator, retriever, "creation_requester", ai, at, name
    )
    read = {
        role: _translated(translator, retriever, key, ai, at, name)
        for role, key in ROLES.items()
        if isinstance(retriever.get(key), Mapping)
    }
    download = _download_requests(retriever, ai, at, name)
    read["download"] = (download, *_download_access(retriever, ai, at, home))
    slicer, _options, parts = translator._slicer(spec, retriever, ai, where, name)
    schema, records = translator._records(spec, retriever, ai, where)
    if not isinstance(schema, Mapping | None):  # a DynamicSchemaLoader's, read at run time
        raise Unsupported(f"{where}.schema_loader", "DynamicSchemaLoader", "on an AsyncRetriever")
    incremental: IncrementalPlan | None = incremental_plan(
        spec.get("incremental_sync"), ai, f"{where}.incremental_sync"
    )
    runner = JobRunner(
        stream=name,
        create=create,
        poll=read["poll"][0],
        download=download,
        status=_extractor(retriever.get("status_extractor"), ai, f"{at}.status_extractor"),
        status_map=_status_map(retriever.get("status_mapping"), ai, f"{at}.status_mapping"),
        targets=(
            _extractor(
                retriever["download_target_extractor"], ai, f"{at}.download_target_extractor"
            )
            if retriever.get("download_target_extractor")
            else None
        ),
        target_request=read["target"][0] if "target" in read else None,
        extract=_extractor(retriever.get("download_extractor"), ai, f"{at}.download_extractor"),
        select=replace(records, field_path=()),
        decoder=download_decoder(retriever.get("download_decoder"), f"{at}.download_decoder"),
        decoder_spec=retriever.get("download_decoder"),
        abort=read["abort"][0] if "abort" in read else None,
        delete=read["delete"][0] if "delete" in read else None,
        timeout_seconds=_timeout(retriever.get("polling_job_timeout"), ai, at),
        failed_wait=_failed_wait(retriever.get("failed_retry_wait_time_in_seconds"), ai, at),
    )
    if retriever.get("download_target_requester") and runner.targets is None:
        raise ConfigError(
            f"{at}.download_target_extractor",
            f"stream '{name}': a download_target_requester needs a download_target_extractor "
            "to read the targets from its response; add one",
        )
    translator.add_resource(
        spec,
        where,
        name,
        (create, auth, retry, actions, home),
        (slicer, parts),
        (schema, incremental),
        sel,
        (
            f"AsyncRetriever: one report job per slice ({create.method} to create, polled every "
            f"{FIRST_WAIT:g}-{LONGEST_WAIT:g} s for up to {runner.timeout_seconds / 60:g} min, "
            f"{ATTEMPTS} attempts{_waits(runner.failed_wait)})",
        ),
        produce=runner,
    )
    stream = translator.resources[name]
    senders = {role: _sender(stream, role, at, requested) for role, requested in read.items()}
    translator.resources[name] = replace(stream, produce=replace(runner, senders=senders))


# the requesters other than the creation one, by their role in ``JobRunner.senders``
ROLES = {
    "poll": "polling_requester",
    "target": "download_target_requester",
    "abort": "abort_requester",
    "delete": "delete_requester",
}


def _sender(stream: ResourcePlan, role: str, at: str, requested: Any) -> ResourcePlan:
    """One requester as a resource the engine sends its requests as: its own authenticator
    (none if it declares none, as in airbyte-cdk), error handler and origin."""
    requests, auth, retry, actions, home = requested
    key = ROLES.get(role, "download_requester")
    return replace(
        stream,
        name=f"{stream.name} ({key})",
        config_path=f"{at}.{key}",
        method=requests.method,
        paginator=requests,
        auth=auth,
        retry=retry,
        response_actions=actions,
        base_url=home,
        parent=None,
        incremental=None,
        selected=False,
        produce=None,
        notes=(),
    )


def _download_access(
    retriever: Mapping[str, Any], ai: Any, at: str, home: str
) -> tuple[Any, Any, Any, str]:
    """The download requester's authenticator, retry policy and response actions, and its
    origin: its url_base's when the config alone gives one, else the stream's (a url_base of
    ``{{ download_target }}`` is known only once the job completes: its credential goes to the
    API's origin only, never to a presigned storage URL on another host)."""
    spec = retriever["download_requester"]
    where = f"{at}.download_requester"
    if body_key(spec.get("authenticator"), ai, f"{where}.authenticator") is not None:
        raise Unsupported(f"{where}.authenticator", "ApiKeyAuthenticator", "a key in a body")
    auth = build_auth(spec.get("authenticator"), ai, f"{where}.authenticator")
    retry, actions = build_retry(spec.get("error_handler"), f"{where}.error_handler", ai)
    template = spec.get("url_base") or spec.get("url") or ""
    try:
        rendered = ai.text(template, stream_slice=Slice(), next_page_token=None).strip()
    except TemplateError:
        rendered = ""
    found = _ORIGIN.match(rendered) if isinstance(rendered, str) else None
    return auth, retry, actions, found.group(0) if found else home


def _translated(
    translator: Any, retriever: Mapping[str, Any], key: str, ai: Any, at: str, name: str
) -> Any:
    """One requester as the translator reads a SimpleRetriever's, its errors at its own
    config path (``...retriever.polling_requester``, not ``...retriever.requester``)."""
    try:
        return translator._requests({"requester": retriever[key]}, ai, at, name)
    except Unsupported as problem:
        problem.where = problem.where.replace(f"{at}.requester", f"{at}.{key}", 1)
        raise
    except ConfigError as exc:
        raise ConfigError(
            exc.path.replace(f"{at}.requester", f"{at}.{key}", 1), exc.message
        ) from None


def _download_requests(retriever: Mapping[str, Any], ai: Any, at: str, name: str) -> StreamRequests:
    """The download requester: its URL is most often the download target itself, unknown until
    the job completes, so its url_base is kept as a template rather than checked now."""
    spec = retriever["download_requester"]
    where = f"{at}.download_requester"
    _expect(spec, where, ("HttpRequester",), "HttpRequester")
    strategy, token_option, size_option = build_paginator(
        retriever.get("download_paginator"), ai, f"{at}.download_paginator"
    )
    return StreamRequests(
        stream=name,
        interpolator=ai.with_parameters(spec.get("$parameters")),
        url_base=_checked(spec.get("url_base") or "", where),
        url=_checked(spec.get("url"), where),
        path=_checked(spec.get("path"), where),
        method=str(spec.get("http_method") or "GET").upper(),
        params=_checked(spec.get("request_parameters"), where),
        headers=_checked(spec.get("request_headers"), where),
        strategy=strategy,
        page_token_option=token_option,
        page_size_option=size_option,
    )


def _extractor(spec: Any, ai: Interpolator, where: str) -> RecordPipeline:
    """A DpathExtractor (none: the whole body) as the records it extracts."""
    if not spec:
        return RecordPipeline(interpolator=ai)
    _expect(spec, where, ("DpathExtractor",), "DpathExtractor")
    path = _checked(spec.get("field_path") or [], where)
    return RecordPipeline(
        interpolator=ai.with_parameters(spec.get("$parameters")), field_path=tuple(path)
    )


def _status_map(spec: Any, ai: Interpolator, where: str) -> dict[str, str]:
    """The API's statuses, each to one of airbyte-cdk's (running, completed, failed, timeout,
    skipped); a status listed twice is a config error, as in airbyte-cdk."""
    if not isinstance(spec, Mapping):
        raise ConfigError(where, "an AsyncRetriever needs a status_mapping; add one")
    mapped: dict[str, str] = {}
    for status in STATUSES:
        for value in spec.get(status) or []:
            if str(value) in mapped:
                raise ConfigError(
                    where,
                    f"the API status {value!r} is listed under both '{mapped[str(value)]}' and "
                    f"'{status}'; list it once",
                )
            mapped[str(value)] = status
    return mapped


def _timeout(value: Any, ai: Interpolator, at: str) -> float:
    if value in (None, ""):
        return DEFAULT_TIMEOUT_MINUTES * 60.0
    try:
        minutes = float(ai.eval(str(value)))
    except (TypeError, ValueError, TemplateError):
        raise ConfigError(
            f"{at}.polling_job_timeout",
            f"the polling_job_timeout {value!r} is not a number of minutes with this config; "
            "give a whole number",
        ) from None
    return max(minutes, 0.0) * 60.0 or DEFAULT_TIMEOUT_MINUTES * 60.0


def _waits(seconds: float) -> str:
    return f", {seconds:g} s before a failed job's retry" if seconds else ""


def _failed_wait(value: Any, ai: Interpolator, at: str) -> float:
    """``failed_retry_wait_time_in_seconds``: none (or 0, as airbyte-cdk reads a false value)
    is no wait; a number below 1 is refused, as airbyte-cdk refuses it; capped at an hour."""
    if value in (None, "", 0, False):
        return 0.0
    where = f"{at}.failed_retry_wait_time_in_seconds"
    try:
        seconds = int(str(ai.eval(str(value))))
    except (TypeError, ValueError, TemplateError):
        raise ConfigError(
            where,
            f"the failed_retry_wait_time_in_seconds {value!r} is not a whole number of seconds "
            "with this config; give one, 1 or more",
        ) from None
    if seconds < 1:
        raise ConfigError(
            where,
            f"the failed_retry_wait_time_in_seconds is {seconds}; give 1 or more seconds, or "
            "leave it out to retry a failed job at once",
        )
    return min(float(seconds), LONGEST_FAILED_WAIT)


def job_slots(
    resources: Mapping[str, ResourcePlan], manifest: Mapping[str, Any]
) -> dict[str, ResourcePlan]:
    """The resources with every job stream's runner sharing one ``JobSlots``: the manifest's
    ``max_concurrent_async_job_count`` jobs at once across the source. As airbyte-cdk 7.39.1
    reads it: a template is rendered without the config (its JobTracker is given none, so
    ``{{ config.get('n', 2) }}`` is 2 whatever the config says), and a value that is unset,
    unreadable or below 1 is 1."""
    value = manifest.get("max_concurrent_async_job_count")
    limit = 1
    if value not in (None, ""):
        try:
            limit = int(str(Interpolator({}, None).eval(str(value))))
        except (TypeError, ValueError, TemplateError):
            limit = 1
    slots = JobSlots(limit)
    shared = dict(resources)
    for name, resource in resources.items():
        if isinstance(resource.produce, JobRunner):
            note = f"at most {slots.limit} report job(s) at once across the source"
            shared[name] = replace(
                resource,
                produce=replace(resource.produce, slots=slots),
                notes=(*resource.notes, note),
            )
    return shared
