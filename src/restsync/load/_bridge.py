"""The load bridge: a ``SourcePlan`` becomes an ordinary dlt source.

Each config resource is a dlt resource whose data is an async iterator of pages. When dlt starts an
extraction it calls every selected resource function first (that is when dlt binds incremental
state), then reads them; restsync registers each resource at the call and starts one engine run, on
its own event loop in a worker thread, at the first read. Pages cross threads through bounded
queues, so the engine never runs further ahead of the loader than a few pages (and at most about
``_RECORDS_AHEAD`` records) per resource, however large the pages are.

dlt polls async iterators without blocking (a resource with no page ready yields its turn), so a
slow resource never stalls the others.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.extract.source import DltSource

from restsync._errors import ExtractionError
from restsync.engine import Engine, RunReport
from restsync.engine._records import Reject
from restsync.load._arrow import ArrowPages
from restsync.plan import IncrementalPlan, ResourcePlan, SourcePlan

__all__ = ["REJECTS_TABLE", "RestSyncSource", "SourceRuntime", "build_source"]

log = logging.getLogger("restsync")

REJECTS_TABLE = "_restsync_rejects"
_PAGES_AHEAD = 8
_RECORDS_AHEAD = 10_000  # 8 pages of 5,000 records held ~90 MB more than dlt (bench/)


@dataclass(frozen=True)
class _End:
    error: ExtractionError | None


class _PageQueue:
    """Pages on their way to dlt, bounded in pages and in records: a page always gets in when
    the queue is empty, so a page larger than the record bound still moves."""

    def __init__(self, max_pages: int = _PAGES_AHEAD, max_records: int = _RECORDS_AHEAD) -> None:
        self._items: deque[tuple[Any, int]] = deque()
        self._records = 0
        self._max_pages = max_pages
        self._max_records = max_records
        self._changed = asyncio.Condition()

    async def put(self, item: Any) -> None:
        size = _size(item)
        async with self._changed:
            await self._changed.wait_for(
                lambda: not self._items
                or (
                    len(self._items) < self._max_pages
                    and self._records + size <= self._max_records
                )
            )
            self._items.append((item, size))
            self._records += size
            self._changed.notify_all()

    async def get(self) -> Any:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._items))
            item, size = self._items.popleft()
            self._records -= size
            self._changed.notify_all()
            return item


def _size(item: Any) -> int:
    if isinstance(item, list):
        return len(item)
    return int(getattr(item, "num_rows", 0))  # an Arrow table; an end marker counts 0


class SourceRuntime:
    """What a restsync source remembers across runs: its plan and the report of the last run."""

    def __init__(self, plan: SourcePlan) -> None:
        self.plan = plan
        self.last_report: RunReport | None = None
        self._run: _Run | None = None
        self._lock = threading.Lock()
        self.progress: Callable[[RunReport], None] | None = None

    def stream(self, name: str, incremental: Any) -> _PageStream:
        with self._lock:
            if self._run is None or self._run.started:
                self._run = _Run(self)
            return self._run.register(name, incremental)


class _Run:
    def __init__(self, runtime: SourceRuntime) -> None:
        self.runtime = runtime
        self.plan = runtime.plan
        self.started = False
        self.registered: dict[str, Any] = {}
        self.queues: dict[str, _PageQueue] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._task: asyncio.Task[Any] | None = None
        self._open: set[str] = set()
        self.start_values: dict[str, Any] = {}
        self._all_read: asyncio.Event | None = None

    def register(self, name: str, incremental: Any) -> _PageStream:
        self.registered[name] = incremental
        self._open.add(name)
        stream = _PageStream(self, name)
        weakref.finalize(stream, self._detach, name)
        return stream

    def ensure_started(self) -> None:
        with self._lock:
            if not self.started:
                self.started = True
                # dlt binds incrementals to the pipeline state after calling the resource
                # functions and reads them in its own threads: read the saved cursors here
                self.start_values = {
                    name: _start_value(inc, self.plan.resources[name].incremental)
                    for name, inc in self.registered.items()
                    if inc is not None
                }
                thread = threading.Thread(target=self._main, name="restsync-engine", daemon=True)
                thread.start()
        self._ready.wait()

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        for name in self.registered:
            self.queues[name] = _PageQueue()
        deliver = {n for n in self.registered if n != REJECTS_TABLE}
        engine = Engine(
            self.plan, _QueueSink(self), deliver=deliver, start_values=self.start_values
        )
        self.runtime.last_report = engine.report
        self._all_read = asyncio.Event()
        self._task = asyncio.create_task(engine.run())
        self._ready.set()
        try:
            report = await self._task
        except asyncio.CancelledError:
            return
        except Exception as exc:  # an engine bug must end every stream, not hang dlt
            log.exception("restsync engine stopped unexpectedly")
            error = ExtractionError("*", f"the engine stopped unexpectedly: {exc}")
            for queue in self.queues.values():
                await queue.put(_End(error))
        else:
            if REJECTS_TABLE in self.queues:
                await self.queues[REJECTS_TABLE].put(_End(None))
            for failure in report.failures():
                log.error("%s", failure)
        # keep the loop alive until every stream has read its end marker
        await self._all_read.wait()

    async def get(self, name: str) -> Any:
        item = await self.queues[name].get()
        if isinstance(item, _End):
            self._closed(name)
        return item

    def _closed(self, name: str) -> None:
        self._open.discard(name)
        if not self._open and self._all_read is not None:
            self._all_read.set()

    def _detach(self, name: str) -> None:
        # the stream object is gone; if it had not ended, dlt aborted the extraction
        if name not in self._open or self.loop is None:
            return
        try:
            if self._task is not None:
                self.loop.call_soon_threadsafe(self._task.cancel)
            self.loop.call_soon_threadsafe(self._closed, name)
        except RuntimeError:  # the loop has already closed
            pass


class _QueueSink:
    def __init__(self, run: _Run) -> None:
        self.run = run
        self._arrow = {
            name: ArrowPages(name, plan.hints.get("columns"), plan.primary_key)
            for name, plan in run.plan.resources.items()
            if plan.page_format == "arrow" and name in run.registered
        }

    async def records(self, resource: str, records: list[Any]) -> list[Reject]:
        arrow = self._arrow.get(resource)
        if arrow is None:
            await self.run.queues[resource].put(records)
            return []
        table, refused = arrow.convert(records)
        if table is not None:
            await self.run.queues[resource].put(table)
        return refused

    async def rejects(self, rejects: list[Reject]) -> None:
        queue = self.run.queues.get(REJECTS_TABLE)
        if queue is not None:
            await queue.put([r.row() for r in rejects])

    async def finished(self, resource: str, error: ExtractionError | None) -> None:
        await self.run.queues[resource].put(_End(error))


class _PageStream:
    """The async iterator dlt reads one resource's pages from."""

    def __init__(self, run: _Run, name: str) -> None:
        self.run = run
        self.name = name
        self._done = False

    def __aiter__(self) -> _PageStream:
        return self

    async def __anext__(self) -> list[Any]:
        if self._done:
            raise StopAsyncIteration
        self.run.ensure_started()
        assert self.run.loop is not None
        future = asyncio.run_coroutine_threadsafe(self.run.get(self.name), self.run.loop)
        item = await asyncio.wrap_future(future)
        if isinstance(item, _End):
            self._done = True
            raise StopAsyncIteration
        return item


def _start_value(incremental: Any, plan: IncrementalPlan | None) -> Any:
    """The cursor value a run starts from: the saved value, or the initial value on a first run.

    dlt has bound the incremental to the pipeline state by now. Its ``start_value`` already has
    ``lag`` applied; a seed ``lookback_window`` is applied by the engine instead (it also shifts
    the first run's start), so for those the raw saved value is taken.
    """
    if plan is not None and plan.lookback is not None:
        try:
            raw = incremental.get_state().get("last_value")
        except Exception:  # unbound (resource iterated outside a pipeline): no saved value
            raw = None
        if raw is not None:
            return raw
    value = getattr(incremental, "start_value", None)
    return value if value is not None else getattr(incremental, "initial_value", None)


# --- building the dlt source ------------------------------------------------------------------


def build_source(plan: SourcePlan) -> DltSource:
    runtime = SourceRuntime(plan)
    resources = [_resource(runtime, r) for r in plan.resources.values()]
    resources.append(_rejects_resource(runtime))

    def restsync_source() -> Any:
        return resources

    built = dlt.source(restsync_source, name=plan.name, section=plan.name)()
    return RestSyncSource(built.schema, built.section, list(built.resources.values()), runtime)


class RestSyncSource(DltSource):
    """A dlt source that remembers its restsync runtime, also through ``with_resources`` clones."""

    def __init__(
        self, schema: Any, section: str, resources: list[Any], runtime: SourceRuntime
    ) -> None:
        super().__init__(schema, section, resources)
        self.restsync = runtime

    def clone(self, with_name: str | None = None) -> RestSyncSource:
        return RestSyncSource(
            self.schema.clone(with_name=with_name) if with_name else self.schema.clone(),
            self.section,
            list(self._resources.values()),
            self.restsync,
        )


def _resource(runtime: SourceRuntime, plan: ResourcePlan) -> Any:
    incremental = _dlt_incremental(plan.incremental) if plan.incremental else None
    name = plan.name
    if incremental is None:

        def fetch() -> _PageStream:
            return runtime.stream(name, None)

    else:

        def fetch(incremental: Any = incremental) -> _PageStream:  # type: ignore[misc]
            return runtime.stream(name, incremental)

    fetch.__name__ = name
    hints: dict[str, Any] = dict(plan.hints)  # the plan keeps only dlt table hints
    if plan.primary_key:
        hints["primary_key"] = list(plan.primary_key)
    return dlt.resource(
        fetch,
        name=name,
        table_name=plan.table_name,
        write_disposition=plan.write_disposition,
        selected=plan.selected,
        **hints,
    )


def _rejects_resource(runtime: SourceRuntime) -> Any:
    def rejects() -> _PageStream:
        return runtime.stream(REJECTS_TABLE, None)

    return dlt.resource(
        rejects,
        name=REJECTS_TABLE,
        write_disposition="append",
        columns={
            "resource": {"data_type": "text", "nullable": False},
            "reason": {"data_type": "text", "nullable": False},
            "record": {"data_type": "text"},
            "rejected_at": {"data_type": "timestamp", "nullable": False},
        },
    )


def _dlt_incremental(inc: IncrementalPlan) -> Any:
    kwargs: dict[str, Any] = {
        "initial_value": inc.initial_value,
        "end_value": inc.end_value,
        "last_value_func": inc.last_value_func
        if callable(inc.last_value_func)
        else (max if inc.last_value_func == "max" else min),
        "on_cursor_value_missing": inc.on_cursor_value_missing,
    }
    if inc.row_order:
        kwargs["row_order"] = inc.row_order
    if inc.lag:
        kwargs["lag"] = inc.lag
    if inc.range_start:
        kwargs["range_start"] = inc.range_start
    if inc.range_end:
        kwargs["range_end"] = inc.range_end
    return dlt.sources.incremental(inc.cursor_path, **kwargs)
