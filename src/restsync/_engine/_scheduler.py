"""The async scheduler: every resource at once, children fanned out as parent pages arrive.

    roots ──pages──> sink (loader)                 one task per root resource
      └─records──> bounded queue ──> N workers ──> one page chain per parent record ──> sink
                                                   └─records──> grandchildren, the same way

Memory stays bounded: each child queue holds a few hundred parent records at most and the sink
applies backpressure (a full loader queue pauses the chain that feeds it). A resource that fails
stops alone; its children are reported as not fetched; everything else goes on.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from restsync._engine._before import BeforeSteps
from restsync._engine._gc_pause import collector_relaxed
from restsync._engine._http import Abandoned, HttpClient, Response
from restsync._engine._paginate import PaginationLoop, PagingError, make_traversal
from restsync._engine._prefetch import FetchAhead, ahead_limit
from restsync._engine._records import RecordProcessor, Reject
from restsync._engine._request import Page, Request, redact
from restsync._engine._shape import ShapeCheck
from restsync._engine._stats import ResourceStats, RunReport
from restsync._engine._templates import first_request
from restsync._errors import ExtractionError, PaginationLoopError, ResponseFormatError
from restsync._expressions import ConditionError
from restsync._plan import ResourcePlan, SourcePlan
from restsync._selectors import compile_selector, detect_records_path, field_value

__all__ = ["Engine", "Sink"]

_DONE = object()
log = logging.getLogger("restsync")


class Sink(Protocol):
    async def records(self, resource: str, records: list[Any]) -> list[Reject]:
        """Take a page of records; return those it could not take (in the load format)."""
        ...

    async def rejects(self, rejects: list[Reject]) -> None: ...
    async def finished(self, resource: str, error: ExtractionError | None) -> None: ...


class Engine:
    def __init__(
        self,
        plan: SourcePlan,
        sink: Sink,
        *,
        deliver: set[str],
        start_values: Mapping[str, Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.plan = plan
        self.sink = sink
        self.deliver = deliver
        self.start_values = dict(start_values or {})
        self.needed = _with_ancestors(plan, deliver)
        self.report = RunReport(
            {
                n: ResourceStats(n, delivered=n in deliver)
                for n in plan.resources
                if n in self.needed
            }
        )
        self._sleep = sleep
        self._queues: dict[str, asyncio.Queue[Any]] = {}
        # no data_selector: each chain detects one on its first page (``_detect``)
        self._selectors = {
            n: compile_selector(plan.resources[n].data_selector)
            for n in self.needed
            if plan.resources[n].data_selector is not None
        }
        self._processors = {n: RecordProcessor(plan.resources[n]) for n in self.needed}
        self._shapes = {n: ShapeCheck(n, plan.resources[n].data_selector) for n in self.needed}
        self._abandoned: set[asyncio.Future[Any]] = set()  # fetched-ahead pages nobody needs
        self._computed: dict[str, set[Any]] = {}  # the keys of computed records, by resource
        # the records of every resource some child is fetched over a product of, kept in full
        self._gathered: dict[str, list[Any]] = {
            other: []
            for n in self.needed
            if (link := plan.resources[n].parent) is not None
            for other in link.product
        }
        self._gathered_done = {name: asyncio.Event() for name in self._gathered}
        self._before = BeforeSteps(self._hook_fetch, sleep)

    async def run(self) -> RunReport:
        with collector_relaxed():  # pages in flight: _gc_pause.py says why
            return await self._run()

    async def _run(self) -> RunReport:
        async with HttpClient(self.plan, sleep=self._sleep) as http:
            self._http = http
            tasks = []
            for name in self.needed:
                resource = self.plan.resources[name]
                if resource.parent is None:
                    tasks.append(asyncio.create_task(self._run_root(resource)))
                else:
                    size = resource.max_concurrency or self.plan.max_concurrency
                    # a product child waits for its other parents: its queue must not stall
                    # the parent that may feed them
                    bound = 0 if resource.parent.product else max(64, 4 * size)
                    self._queues[name] = asyncio.Queue(maxsize=bound)
                    tasks.append(asyncio.create_task(self._run_child(resource, size)))
            await asyncio.gather(*tasks)
            # requests already on the wire finish before the session closes under them
            await asyncio.gather(*self._abandoned, return_exceptions=True)
        return self.report

    # --- roots and children ---------------------------------------------------------------

    async def _run_root(self, resource: ResourcePlan) -> None:
        stats = self._start(resource.name)
        try:
            await self._walk(resource, None)
        except Exception as exc:
            stats.error = self._failure(resource.name, exc)
        await self._finish(resource)

    async def _run_child(self, resource: ResourcePlan, workers: int) -> None:
        stats = self._start(resource.name)
        queue = self._queues[resource.name]

        async def worker() -> None:
            while True:
                parent_record = await queue.get()
                if parent_record is _DONE:
                    return
                if stats.error is not None:
                    continue  # drain, so the parent never blocks on a failed child
                try:
                    for combination in await self._combinations(resource, parent_record):
                        await self._walk(resource, combination)
                except Exception as exc:
                    stats.error = self._failure(resource.name, exc)

        await asyncio.gather(*(worker() for _ in range(workers)))
        await self._finish(resource)

    async def _combinations(self, resource: ResourcePlan, parent_record: Any) -> list[Any]:
        """The parent records one record of the parent stands for: itself, or for a product
        child every ``(record, *others)`` once the other parents have finished."""
        link = resource.parent
        if link is None or not link.product:
            return [parent_record]
        for other in link.product:
            await self._gathered_done[other].wait()
            error = self.report.resources[other].error
            if error is not None:
                raise ExtractionError(
                    resource.name,
                    f"not fetched because its parent '{other}' failed ({error.message})",
                )
        others = [self._gathered[other] for other in link.product]
        return [(parent_record, *rest) for rest in itertools.product(*others)]

    def _failure(self, resource: str, exc: Exception) -> ExtractionError:
        """What the report says of ``exc``, without a secret: a step's or a selector's error can
        quote a record, and a record can echo a credential."""
        error = _as_extraction_error(resource, exc)
        error.mask(self._http.secrets())
        return error

    def _start(self, name: str) -> ResourceStats:
        stats = self.report.resources[name]
        stats.started = time.monotonic()
        return stats

    async def _finish(self, resource: ResourcePlan) -> None:
        stats = self.report.resources[resource.name]
        stats.finished = time.monotonic()
        if resource.name in self._gathered_done:
            self._gathered_done[resource.name].set()
        for child in self.plan.children(resource.name):
            if child.name not in self.needed:
                continue
            if stats.error is not None and self.report.resources[child.name].error is None:
                self.report.resources[child.name].error = ExtractionError(
                    child.name,
                    f"not fetched because its parent '{resource.name}' failed "
                    f"({stats.error.message})",
                )
            queue = self._queues[child.name]
            workers = child.max_concurrency or self.plan.max_concurrency
            for _ in range(workers):
                await queue.put(_DONE)
        if resource.name in self.deliver:
            await self.sink.finished(resource.name, stats.error)

    def _first_seen(self, name: str, key: Callable[[Any], Any], records: list[Any]) -> list[Any]:
        """The records of one parent record whose key no earlier parent record's had (records
        of one call may share a key: a partition's time windows)."""
        seen = self._computed.setdefault(name, set())
        keys = [key(record) for record in records]
        fresh = [record for record, k in zip(records, keys, strict=True) if k not in seen]
        seen.update(keys)
        return fresh

    # --- one chain of pages -----------------------------------------------------------------

    async def _walk(self, resource: ResourcePlan, parent_record: Any) -> None:
        stats = self.report.resources[resource.name]
        if not await self._addressable(resource, parent_record):
            return
        resource = await self._before.ready(resource)
        if resource.compute is not None:
            records = resource.compute(parent_record, self.start_values)
            if resource.compute_key is not None:
                records = self._first_seen(resource.name, resource.compute_key, records)
            stats.pages += 1
            await self._hand_on(resource, records, parent_record)
            return
        if resource.produce is not None:  # a resource that runs its own requests (report jobs)
            pages = resource.produce(parent_record, self._hook_fetch(resource), self._sleep)
            async for records in pages:
                stats.pages += 1
                await self._hand_on(resource, records, parent_record)
            return
        traversal = make_traversal(resource.paginator, resource.stop_condition, parent_record)
        request: Request | None = traversal.first(self._first_request(resource, parent_record))
        depth = resource.prefetch_pages
        if depth is None:
            depth = self.plan.prefetch_pages
        if resource.incremental is not None and resource.incremental.row_order:
            depth = 0  # any page may end the chain (_ends_range): fetch nothing ahead of it
        ahead = FetchAhead(self._counted_fetch(resource), self._abandoned)
        number = 0
        page_size = 0
        select = self._chain_selector(resource)
        try:
            while request is not None and stats.error is None:
                limit = ahead_limit(depth, page_size)
                following = traversal.ahead(request, limit, guess=resource.speculate)
                response = await ahead.get(request, following)
                number += 1
                stats.pages += 1
                if response.ignored:
                    return
                selected = await self._take(resource, request, response, parent_record, select)
                page_size = len(selected)
                page = Page(
                    request, response.status, response.headers, response.body, selected, number
                )
                request = self._next_request(resource, traversal, page)
                if request is not None and self._ends_range(resource, selected):
                    request = None
        finally:
            ahead.close()

    def _ends_range(self, resource: ResourcePlan, records: list[Any]) -> bool:
        """A page with a record past the cursor range, on data in ``row_order``, is the last."""
        inc = resource.incremental
        if inc is None or not inc.row_order:
            return False
        start = inc.start_from(self.start_values.get(resource.name))
        cursor = inc.read_cursor
        return any(inc.ends_chain(cursor(r), start) for r in records if isinstance(r, dict))

    def _chain_selector(self, resource: ResourcePlan) -> Callable[[Response, Any], list[Any]]:
        """How one chain of pages picks its records: the resource's select hook, else its
        data_selector, else (none configured) the path dlt would detect, found on the chain's
        first page and kept for the rest of it."""
        hook = resource.select
        if hook is not None:
            return lambda response, parent: hook(response.body, response.headers, parent)
        chosen = self._selectors.get(resource.name)

        def select(response: Response, parent: Any) -> list[Any]:
            nonlocal chosen
            if chosen is None:
                chosen = compile_selector(detect_records_path(response.body))
            return chosen(response.body)

        return select

    def _next_request(self, resource: ResourcePlan, traversal: Any, page: Page) -> Request | None:
        """The chain's next request after ``page``; paging errors become the resource's."""
        url = redact(page.request.url)
        try:
            request: Request | None = traversal.next(page.request, page)
        except PaginationLoop as exc:
            raise PaginationLoopError(resource.name, str(exc), url) from exc
        except ConditionError as exc:
            raise ExtractionError(resource.name, str(exc), url) from exc
        except PagingError as exc:
            raise ResponseFormatError(resource.name, str(exc), url) from exc
        if request is not None and page.number >= resource.max_pages:
            raise _page_cap_error(resource, page.request)
        return request

    async def _addressable(self, resource: ResourcePlan, parent_record: Any) -> bool:
        """Whether the parent record carries every field the child's requests need. A field
        the config names must be there (dlt fails too); a record without an implied parent's
        key is rejected and the others go on (the seeds')."""
        link = resource.parent
        if parent_record is None or link is None:
            return True
        missing = [f for f in link.bindings.values() if field_value(parent_record, f) is None]
        if not missing:
            return True
        if not link.implied:
            present = sorted(parent_record) if isinstance(parent_record, dict) else []
            raise ExtractionError(
                resource.name,
                f"a record of parent '{link.resource}' has no '{missing[0]}' to fill the "
                f"child's request (fields present: {', '.join(present[:12]) or 'none'}); "
                "fix the field name in the placeholder or resolve param",
            )
        reason = f"parent '{link.resource}' record has no '{missing[0]}'"
        self.report.resources[resource.name].rejects += 1
        await self.sink.rejects([Reject(resource.name, reason, parent_record)])
        return False

    def _hook_fetch(self, resource: ResourcePlan) -> Callable[..., Awaitable[Response]]:
        """The fetch a hook (``produce``, a ``before`` step) sends its requests with:
        ``fetch(request, sender=None)`` sends as ``sender`` (its retries and response actions;
        its auth and origin, one of the resources ``produce.senders`` names or ``resource``
        itself), else as ``resource``; every request counted as ``resource``'s."""

        def fetch(request: Request, sender: ResourcePlan | None = None) -> Awaitable[Response]:
            return self._counted_fetch(resource, sender)(request, None)

        return fetch

    def _counted_fetch(
        self, resource: ResourcePlan, sender: ResourcePlan | None = None
    ) -> Callable[[Request, Callable[[], bool] | None], Awaitable[Response]]:
        """``HttpClient.fetch`` for ``resource`` (sent as ``sender``, if given), counting the
        requests that reach the wire."""
        stats = self.report.resources[resource.name]

        def count_retry() -> None:
            stats.retries += 1
            stats.requests += 1  # the attempt that failed; the last attempt is noted below

        async def fetch(request: Request, gone: Callable[[], bool] | None) -> Response:
            sent_at = time.time()
            try:
                response = await self._http.fetch(sender or resource, request, count_retry, gone)
            except Abandoned:
                raise  # a fetched-ahead request dropped before it was sent
            except Exception:
                stats.note_request(sent_at, time.time())
                raise
            stats.note_request(sent_at, time.time())
            return response

        return fetch

    async def _take(
        self,
        resource: ResourcePlan,
        request: Request,
        response: Response,
        parent_record: Any,
        select: Callable[[Response, Any], list[Any]],
    ) -> list[Any]:
        """Select, check and hand on one page's records; returns the selected records."""
        try:
            selected = select(response, parent_record)
        except ExtractionError:
            raise
        except Exception as exc:
            raise ResponseFormatError(
                resource.name, f"data_selector failed on the response: {exc}", redact(request.url)
            ) from exc
        self._shapes[resource.name].check(
            response.body, empty_body=response.empty, selected=selected, url=redact(request.url)
        )
        await self._hand_on(resource, selected, parent_record)
        return selected

    async def _hand_on(
        self, resource: ResourcePlan, selected: list[Any], parent_record: Any
    ) -> None:
        """Process one page's records, deliver them and queue them for the children."""
        stats = self.report.resources[resource.name]
        try:
            records, rejects = self._processors[resource.name].process(selected, parent_record)
        except ExtractionError:
            raise
        except Exception as exc:  # a user processing step failed: this resource only
            raise ExtractionError(
                resource.name, f"a processing step failed: {type(exc).__name__}: {exc}"
            ) from exc
        if records and resource.name in self.deliver:
            refused = await self.sink.records(resource.name, records)
            stats.records += len(records) - len(refused)
            rejects = rejects + refused
        else:
            stats.records += len(records)
        if resource.name in self._gathered:
            self._gathered[resource.name].extend(records)
        if rejects:
            stats.rejects += len(rejects)
            await self.sink.rejects(rejects)
        for child in self.plan.children(resource.name):
            if child.name in self.needed:
                queue = self._queues[child.name]
                for record in _parents_for(child, records, rejects):
                    await queue.put(record)

    def _first_request(self, resource: ResourcePlan, parent_record: Any) -> Request:
        inc = resource.incremental
        start = inc.start_from(self.start_values.get(resource.name)) if inc else None
        return first_request(self.plan.base_url, resource, parent_record, start)


def _page_cap_error(resource: ResourcePlan, last: Request) -> ExtractionError:
    return ExtractionError(
        resource.name,
        f"paging reached max_pages ({resource.max_pages:,}) and the API still offers a next "
        "page; if it really has more, raise max_pages for this resource "
        f"({resource.config_path}.max_pages) or for every resource (client.max_pages)",
        redact(last.url),
    )


def _parents_for(child: ResourcePlan, records: list[Any], rejects: list[Reject]) -> list[Any]:
    """The parent records a child is fetched for: every loaded one, and rejected ones that still
    carry the fields the child's requests need (a parent missing an optional field must not
    hide its children)."""
    if not rejects or child.parent is None:
        return records
    fields = list(child.parent.bindings.values())
    usable = [
        r.record
        for r in rejects
        if isinstance(r.record, dict) and all(field_value(r.record, f) is not None for f in fields)
    ]
    return records + usable


def _as_extraction_error(resource: str, exc: Exception) -> ExtractionError:
    if isinstance(exc, ExtractionError):
        return exc
    if isinstance(exc, ConditionError):
        # a user's expression or template failed (a manifest's template at run time): the
        # message names it and the reason; a traceback would say nothing more
        return ExtractionError(resource, str(exc))
    # a bug, not the API's fault: keep the traceback in the log, fail this resource only
    log.error("unexpected error in resource '%s'", resource, exc_info=exc)
    error = ExtractionError(resource, f"unexpected error {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _with_ancestors(plan: SourcePlan, names: set[str]) -> set[str]:
    needed: set[str] = set()
    for name in names:
        needed.update(plan.needs(name))
    return needed
