"""Concurrency slots handed out by priority: requests that unlock more work go first.

With a first-come semaphore, a parent's next page waits behind every child request queued from
its previous page. The parent chain then runs at the pace of its children, its children run out
of parents between pages, and slots sit idle while the chain crawls (measured on the bench's
webhook_service: 13-page root chains took 3-4 s instead of 0.65 s, 10-13 of 16 slots busy;
docs/benchmarks.md, "Extraction span"). Serving waiters by their resource's height in the plan
(how many levels of children still hang below it) keeps the chains that feed the others moving,
and the child queues full.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from restsync._plan import SourcePlan

__all__ = ["PrioritySlots", "unlock_heights"]


class PrioritySlots:
    """A counting semaphore whose waiters are served highest priority first, then in arrival
    order. A freed slot passes straight to the waiter it is for, so a newcomer never takes it
    from under a waiter of higher priority."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, future in self._waiters if not future.done())

    async def acquire(self, priority: int = 0) -> None:
        if self._free > 0 and not self.waiting:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (-priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the slot was handed over just as the waiter was cancelled
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():  # a cancelled waiter's future is done: skip it
                future.set_result(None)
                return
        self._free += 1

    @asynccontextmanager
    async def slot(self, priority: int = 0) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()


def unlock_heights(plan: SourcePlan) -> Mapping[str, int]:
    """Each resource's height: 0 for a leaf, else 1 + its highest child's. A request of a
    higher resource unlocks requests on more levels below it."""
    heights: dict[str, int] = {}

    def height(name: str) -> int:
        if name not in heights:
            heights[name] = max((1 + height(c.name) for c in plan.children(name)), default=0)
        return heights[name]

    for name in plan.resources:
        height(name)
    return heights
