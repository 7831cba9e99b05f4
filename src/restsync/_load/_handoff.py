"""Pages on their way from the engine's event loop to the thread dlt extracts in.

One ``Handoff`` per run holds a bounded queue per resource (in pages and in records; a page always
gets in when its queue is empty, so a page larger than the record bound still moves). The engine
side awaits space; the dlt side never blocks for long: ``take`` returns at once when another
resource has a page ready (so dlt can serve that one), and otherwise waits briefly for any page.

Nothing crosses between the two threads but items under one lock and, when the engine waits for
space, a wake-up scheduled on the engine's own loop. No future of one loop is ever awaited in
the other, so either side can go away first: a reader that leaves (``add_limit``, an error in a
later step, an interrupt) makes the engine drop what it would have put there.

A batching reader's lane can gather: it is ready for the reader only once it holds
``gather_records`` records, is full, has its end queued, or its oldest page has waited
``gather_seconds``. Each item costs dlt's extractor and the Arrow layout a fixed few
milliseconds of the GIL the engine needs too, so small pages (a child's, per parent) are worth
joining into fewer items (docs/benchmarks.md, phase 6).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Handoff"]


@dataclass
class _Lane:
    items: deque[tuple[Any, int]] = field(default_factory=deque)
    records: int = 0
    closed: bool = False  # the reader left: nothing more is kept for it
    gathers: bool = False  # its reader takes batches: it waits for enough to join
    since: float = 0.0  # when the oldest queued item arrived
    # the puts waiting for room (several chains of a child feed one lane) await this event; it
    # is set on the engine loop when the reader takes a page, and replaced by the next waiter
    space: asyncio.Event | None = None


class Handoff:
    def __init__(
        self,
        max_pages: int,
        max_records: int,
        *,
        gather_records: int = 0,
        gather_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_pages = max_pages
        self._max_records = max_records
        self._gather_records = min(gather_records, max_records)
        self._gather_seconds = gather_seconds
        self._clock = clock
        self._lanes: dict[str, _Lane] = {}
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self, name: str) -> None:
        with self._changed:
            self._lanes[name] = _Lane()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The engine's loop: where a waiting ``put`` is woken."""
        self._loop = loop

    # --- the reader's side (dlt's threads) -------------------------------------------------

    def take(self, name: str, wait: float, *, batch: bool = False) -> Any:
        """The next item for ``name``, or ``None`` if none is ready (after waiting up to ``wait``
        seconds, unless another resource already has one for dlt to read meanwhile).

        ``batch``: the pages queued behind the first come with it, as one list. A reader slower
        than the engine then pays its fixed cost per item (dlt's extractor, the Arrow layout)
        once per queue-full instead of once per page, so its queue stops holding the engine up;
        a reader that keeps up still gets every page as soon as it is there."""
        with self._changed:
            lane = self._lanes[name]
            lane.gathers = batch
            now = self._clock()
            if not self._ready(lane, now) and not self._any_ready(now):
                self._changed.wait(min(wait, self._until_ready(lane, now)))
            if not self._ready(lane, self._clock()):
                return None
            item, size = lane.items.popleft()
            lane.records -= size
            if batch and isinstance(item, list):
                item = self._join_queued(lane, item)
            lane.since = self._clock()  # what is left (little: it joined) starts its wait now
            self._wake(lane)
            return item

    @staticmethod
    def _join_queued(lane: _Lane, first: list[Any]) -> list[Any]:
        if not lane.items or not isinstance(lane.items[0][0], list):
            return first
        joined = list(first)  # a new list: the engine may still hold the pages it queued
        while lane.items and isinstance(lane.items[0][0], list):
            page, size = lane.items.popleft()
            joined.extend(page)
            lane.records -= size
        return joined

    def leave(self, name: str, *, ignore: str = "") -> bool:
        """The reader of ``name`` is gone; True when this made the last reader leave (a reader
        of ``ignore`` does not count)."""
        with self._changed:
            lane = self._lanes[name]
            if lane.closed:
                return False
            lane.closed = True
            lane.items.clear()
            lane.records = 0
            self._wake(lane)
            return all(other.closed for key, other in self._lanes.items() if key != ignore)

    def _any_ready(self, now: float) -> bool:
        return any(self._ready(lane, now) for lane in self._lanes.values() if not lane.closed)

    def _ready(self, lane: _Lane, now: float) -> bool:
        if not lane.items:
            return False
        if not lane.gathers:
            return True
        return (
            lane.records >= self._gather_records
            or len(lane.items) >= self._max_pages
            or not isinstance(lane.items[-1][0], list)  # its end (or an error) is queued
            or now - lane.since >= self._gather_seconds
        )

    def _until_ready(self, lane: _Lane, now: float) -> float:
        """How long ``lane`` may still gather (infinite when it is empty: then a put wakes)."""
        if not lane.items:
            return float("inf")
        return max(0.0, lane.since + self._gather_seconds - now)

    def _wake(self, lane: _Lane) -> None:
        space, lane.space = lane.space, None
        if space is None or self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(space.set)
        except RuntimeError:  # the engine's loop is already closed: nobody waits any more
            pass

    # --- the engine's side -----------------------------------------------------------------

    async def put(self, name: str, item: Any, size: int) -> None:
        """Queue ``item`` for ``name``, waiting while its queue is full; dropped if the reader
        left."""
        while True:
            with self._changed:
                lane = self._lanes[name]
                if lane.closed:
                    return
                fits = len(lane.items) < self._max_pages and (
                    lane.records + size <= self._max_records
                )
                if not lane.items or fits:
                    if not lane.items:
                        lane.since = self._clock()
                    lane.items.append((item, size))
                    lane.records += size
                    self._changed.notify_all()
                    return
                # every put waiting on this lane shares one event: a take wakes them all
                if lane.space is None:
                    lane.space = asyncio.Event()
                space = lane.space
            await space.wait()

    def end(self, name: str, marker: Any) -> None:
        """Queue the end marker for ``name``; it never waits for space."""
        with self._changed:
            lane = self._lanes[name]
            if not lane.closed:
                lane.items.append((marker, 0))
                self._changed.notify_all()
