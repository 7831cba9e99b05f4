"""The load bridge: a ``SourcePlan`` becomes an ordinary dlt source.

Each config resource is a dlt resource whose data is a generator of pages. When dlt starts an
extraction it calls every selected resource function first (that is when dlt binds incremental
state), then reads them; restsync registers each resource at the call and starts one engine run, on
its own event loop in a worker thread, at the first read. Pages cross threads through a bounded
``Handoff``, so the engine never runs further ahead of the loader than a few pages (and at most
about ``_RECORDS_AHEAD`` records) per resource, however large the pages are.

A generator that has no page ready yields ``None``, which dlt takes as "nothing yet" and serves the
other resources meanwhile. When dlt closes a generator early (``add_limit``, a failing step, an
interrupt) its reader leaves the handoff; when the last one has left, the engine is cancelled and
its thread joined, so no run outlives the extraction.

``restsync run`` may start the run before dlt exists (``start_early``): the engine runs for the
resources dlt will ask for, their pages wait in the same handoff, and dlt's calls take them up
(``claim``); any it does not call leave at its first read, or at ``stop_early``.

Failures: by default a failed resource raises ``ResourcesFailed`` from its generator once the
engine has finished (so the error names every failure), and dlt fails the extract step as it does
for its own rest_api. With ``partial_load`` the failed resources end quietly, dlt loads the healthy
ones, and the caller (``restsync.sync``, the CLI) raises from ``last_report``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from restsync._engine import Engine, RunReport
from restsync._engine._records import Reject
from restsync._errors import ExtractionError, ResourcesFailed
from restsync._load._handoff import Handoff
from restsync._load._release import release_free_memory
from restsync._plan import IncrementalPlan, SourcePlan

if TYPE_CHECKING:  # dlt's: the runtime exists before dlt is imported (``restsync run``)
    from restsync._load._arrow import ArrowPages

__all__ = ["REJECTS_TABLE", "SourceRuntime"]

log = logging.getLogger("restsync")

REJECTS_TABLE = "_restsync_rejects"
# the record bound is what bounds memory (5,000 records ahead instead of 10,000: the 1M-record
# bench's extraction plateau 30-40 MB lower, docs/benchmarks.md phase 5); the page bound only
# keeps a count of tiny pages finite: ``restsync run`` starts the engine while dlt is imported,
# ~1.5 s before dlt reads, and 64 pages (a child's, 12 records each) stalled webhook_service's
# children within a few tenths of a second (docs/benchmarks.md, "Requests before dlt is
# imported"). Small pages queue up and reach the Arrow step as a few large batches.
_PAGES_AHEAD = 1024
_RECORDS_AHEAD = 5_000
# a batching reader's lane gathers up to this many records, for at most this long, before dlt
# takes it: each item costs dlt's extractor and the Arrow layout a few ms of the GIL; joined,
# webhook_service's dlt thread used ~half the CPU (docs/benchmarks.md, phase 6)
_GATHER_RECORDS = 2_000
_GATHER_SECONDS = 0.03
# how long a read waits for a page when no resource has one ready (dlt itself then sleeps 10 ms)
_WAIT_SECONDS = 0.05
_JOIN_SECONDS = 30.0


@dataclass(frozen=True)
class _End:
    error: Exception | None


class SourceRuntime:
    """What a restsync source remembers across runs: its plan, how it treats failed resources,
    and the report of the last run."""

    def __init__(self, plan: SourcePlan, *, partial_load: bool = False) -> None:
        self.plan = plan
        # False: a failed resource makes the extraction raise (dlt's way; nothing is loaded).
        # True: failed resources end quietly, so dlt loads the healthy ones (restsync.sync).
        self.partial_load = partial_load
        self.last_report: RunReport | None = None
        self._run: _Run | None = None
        self._lock = threading.Lock()
        self.progress: Callable[[RunReport], None] | None = None
        self.arrow_steps: dict[str, ArrowPages] = {}  # page_format arrow: the resources' steps

    def pages_done(self, name: str, flush: bool) -> None:
        """A resource's generator has ended: its Arrow step closes its nested tables' files."""
        step = self.arrow_steps.get(name)
        if step is not None:
            step.finish(flush)

    def joins_pages(self, name: str) -> bool:
        """Whether the pages queued for ``name`` may reach dlt as one item: with Arrow pages,
        unless the resource counts its items (``add_limit`` counts pages)."""
        step = self.arrow_steps.get(name)
        return step is not None and step.takes_batches()

    @contextlib.contextmanager
    def partial_loading(self) -> Iterator[None]:
        """Within the block, runs load the healthy resources and do not raise for failed ones;
        the caller reads ``last_report`` afterwards (``restsync.sync`` and the CLI do)."""
        before, self.partial_load = self.partial_load, True
        try:
            yield
        finally:
            self.partial_load = before

    def stream(self, name: str, incremental: Any) -> Iterator[Any]:
        with self._lock:
            if self._run is not None and name in self._run.unclaimed:
                return self._run.claim(name)
            if self._run is None or self._run.started:
                self._run = _Run(self)
            return self._run.register(name, incremental)

    def start_early(self, names: Collection[str]) -> bool:
        """Start the engine for the resources ``names`` now, before dlt asks for them, so that
        the requests run while dlt makes its pipeline and prepares the extract (``restsync
        run``). Their pages wait in the bounded handoff. The run loads partially. Not when one of
        them has an incremental cursor: its start is dlt's state, known when dlt calls the
        resource. A name dlt does not ask for is dropped at dlt's first read; ``stop_early``
        ends the run if dlt never reads (the pipeline could not be made). False when nothing
        was started. Called again before dlt has read, it keeps the run it started."""
        plans = self.plan.resources
        # a dlt resource given in the config is dlt's to run, not the engine's
        names = [n for n in names if n in plans or n == REJECTS_TABLE]
        if not names or any(plans[n].incremental is not None for n in names if n in plans):
            return False
        with self._lock:
            if self._run is not None and self._run.unclaimed:
                return True  # started early already (``restsync run``, then its sync): not twice
            self._run = _Run(self)
            self._run.start_early(names)
        return True

    def stop_early(self) -> None:
        """End what ``start_early`` started and dlt has not taken up: the resources leave the
        handoff, and when none is left the engine is cancelled and its thread joined."""
        with self._lock:
            run = self._run
        if run is not None:
            run.drop_unclaimed()


class _Run:
    """One extraction: the resources dlt asked for, one engine thread, one handoff."""

    def __init__(self, runtime: SourceRuntime) -> None:
        self.runtime = runtime
        self.plan = runtime.plan
        self.started = False
        self.registered: dict[str, Any] = {}
        self.handoff = Handoff(
            _PAGES_AHEAD,
            _RECORDS_AHEAD,
            gather_records=_GATHER_RECORDS,
            gather_seconds=_GATHER_SECONDS,
        )
        self.start_values: dict[str, Any] = {}
        self._partial = runtime.partial_load
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._stopping = False
        self.unclaimed: set[str] = set()  # started early, not (yet) asked for by dlt

    def register(self, name: str, incremental: Any) -> Iterator[Any]:
        self.registered[name] = incremental
        self.handoff.open(name)
        return self._primed(name)

    def _primed(self, name: str) -> Iterator[Any]:
        pages = self._pages(name)
        # primed: a generator closed before its first read would otherwise skip its ``finally``
        next(pages)
        return pages

    def start_early(self, names: Collection[str]) -> None:
        with self._lock:
            self.unclaimed = set(names)
        for name in names:
            self.registered[name] = None
            self.handoff.open(name)
        self._ensure_started(partial=True)

    def claim(self, name: str) -> Iterator[Any]:
        """The pages of ``name``, started early, now that dlt asks for them."""
        with self._lock:
            self.unclaimed.discard(name)
        return self._primed(name)

    def drop_unclaimed(self) -> None:
        """The resources started early that dlt has not asked for leave: dlt calls every
        resource it extracts before it reads any, so they will not be read in this run."""
        with self._lock:
            dropped, self.unclaimed = self.unclaimed, set()
        for name in dropped:
            self._leave(name)

    def _pages(self, name: str) -> Iterator[Any]:
        """What dlt reads: pages, ``None`` while none is ready (dlt then serves other resources),
        and at the end either nothing or the error that fails the extraction."""
        flush = False  # whether what the resource's pages made so far is to be loaded
        try:
            yield  # where ``register`` parks the generator until dlt first reads it
            self.drop_unclaimed()
            self._ensure_started()
            while True:
                batch = self.runtime.joins_pages(name)
                item = self.handoff.take(name, _WAIT_SECONDS, batch=batch)
                if isinstance(item, _End):
                    if item.error is not None:
                        raise item.error
                    flush = True
                    return
                yield item
        except GeneratorExit:  # dlt closed the resource early (add_limit): keep what it read
            flush = True
            raise
        finally:
            self.runtime.pages_done(name, flush)
            self._leave(name)

    def _leave(self, name: str) -> None:
        # the rejects table alone does not keep the engine going: it only follows the others
        if self.handoff.leave(name, ignore=REJECTS_TABLE):
            self._stop()

    def _ensure_started(self, partial: bool | None = None) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
            self._partial = self.runtime.partial_load if partial is None else partial
            # dlt binds incrementals to the pipeline state after calling the resource
            # functions and reads them in its own threads: read the saved cursors here
            self.start_values = {
                name: _start_value(inc, self.plan.resources[name].incremental)
                for name, inc in self.registered.items()
                if inc is not None
            }
            self._thread = threading.Thread(
                target=asyncio.run, args=(self._serve(),), name="restsync-engine", daemon=True
            )
            self._thread.start()

    def _stop(self) -> None:
        """Every reader has gone: cancel the engine if it still runs and wait for its thread."""
        with self._lock:
            self._stopping = True
            loop, task, thread = self._loop, self._task, self._thread
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop has closed: the engine is done
                pass
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_SECONDS)
            if thread.is_alive():
                log.warning("restsync engine thread did not stop within %ss", _JOIN_SECONDS)
        # the pages are gone: what they took goes back before dlt's load step needs memory
        release_free_memory()

    async def _serve(self) -> None:
        deliver = {n for n in self.registered if n != REJECTS_TABLE}
        sink = _QueueSink(self)
        try:
            engine = Engine(self.plan, sink, deliver=deliver, start_values=self.start_values)
        except Exception as exc:  # an engine that cannot start must end every stream too
            log.exception("restsync engine could not start")
            for name in self.registered:
                cut_off = [n for n in self.plan.resources if n in deliver]
                self.handoff.end(name, _End(_engine_crash(name, cut_off, exc)))
            return
        self.runtime.last_report = engine.report
        with self._lock:
            if self._stopping:  # every reader left before the engine got going
                return
            self._loop = asyncio.get_running_loop()
            self.handoff.bind(self._loop)
            self._task = asyncio.create_task(engine.run())
        try:
            report = await self._task
        except asyncio.CancelledError:
            # every reader of data left (with partial loads, the last failed resource's stream
            # ends at once, which can be before the engine returns): the failures so far are
            # still logged; a reader still open (the rejects table) just ends
            _log_failures(engine.report.failures())
            for name in self.registered:
                self.handoff.end(name, _End(None))
            return
        except Exception as exc:  # an engine bug must end every stream, not hang dlt
            log.exception("restsync engine stopped unexpectedly")
            unfinished = _unfinished(engine.report)
            for name in self.registered:
                self.handoff.end(name, _End(_engine_crash(name, unfinished, exc)))
            return
        failures = report.failures()
        _log_failures(failures)
        for name in sink.failed:
            self.handoff.end(name, _End(ResourcesFailed(failures)))
        if REJECTS_TABLE in self.registered:
            self.handoff.end(REJECTS_TABLE, _End(None))


class _QueueSink:
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.failed: list[str] = []  # resources whose end waits for the whole run (raise mode)

    async def records(self, resource: str, records: list[Any]) -> list[Reject]:
        # pages cross as dicts; with page_format arrow the resource's ArrowPages step lays them
        # out in dlt's thread, after dlt's incremental has seen them (_load/_arrow.py)
        await self.run.handoff.put(resource, records, len(records))
        return []

    async def rejects(self, rejects: list[Reject]) -> None:
        if REJECTS_TABLE in self.run.registered:
            rows = [r.row() for r in rejects]
            await self.run.handoff.put(REJECTS_TABLE, rows, len(rows))

    async def finished(self, resource: str, error: ExtractionError | None) -> None:
        if error is None or self.run._partial:
            self.run.handoff.end(resource, _End(None))
        else:
            # raised only once the engine is done, so the error can name every failure
            self.failed.append(resource)


def _log_failures(failures: list[ExtractionError]) -> None:
    for failure in failures:
        log.error("%s", failure)


def _unfinished(report: RunReport) -> list[str]:
    return [s.name for s in report.resources.values() if s.delivered and s.finished is None]


def _engine_crash(resource: str, unfinished: list[str], exc: Exception) -> ExtractionError:
    """What ends a resource's stream when the engine itself failed (a bug, not the API): the
    resource, and every resource the crash cut off."""
    cut_off = ", ".join(f"'{name}'" for name in unfinished) or "none"
    error = ExtractionError(
        resource,
        f"the engine stopped unexpectedly ({type(exc).__name__}: {exc}); "
        f"resources not finished: {cut_off}",
    )
    error.__cause__ = exc
    return error


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
