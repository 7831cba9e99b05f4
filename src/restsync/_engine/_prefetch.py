"""Fetching ahead within one chain of pages: which predicted requests to start, and the
requests already on the wire while the current page is processed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from restsync._engine._http import Response
from restsync._engine._request import Request

__all__ = ["FetchAhead", "ahead_limit"]

# records a chain may hold in pages fetched ahead: one page of 5,000, two of 2,500. A page fetched
# ahead waits parsed (~7 MB of dicts per 5,000 flat records); the loader, not the API, bounds the
# 1M-record bench, so a second big page ahead only raised the peak RSS (~9 MB, docs/benchmarks.md,
# "Peak RSS and CPU on 1M records, phase 7")
_PREFETCH_RECORDS = 5_000


def ahead_limit(depth: int, page_size: int) -> int:
    """How many requests a chain may have on the wire beyond the current one: ``depth``
    (``prefetch_pages``), fewer for large pages, since pages fetched ahead wait parsed in memory."""
    if not depth:
        return 0
    budget = _PREFETCH_RECORDS // page_size if page_size else depth
    return min(depth, max(1, budget))


class FetchAhead:
    """Requests a chain will probably need next, already on the wire while a page is processed.

    ``get`` returns the response to ``request`` (started earlier if it was predicted) and makes
    sure the predicted ``following`` requests are under way. A prediction the chain no longer
    makes is abandoned: dropped if it has not been sent yet, otherwise left to finish with its
    answer ignored (cutting it off would free its concurrency slot while the API still works
    on it). Its errors surface only if the chain actually reaches it.
    """

    def __init__(
        self,
        fetch: Callable[[Request, Callable[[], bool] | None], Awaitable[Response]],
        abandoned: set[asyncio.Future[Any]],
    ) -> None:
        self._fetch = fetch
        self._abandoned = abandoned  # the engine's: it waits for them before closing the session
        self._pending: dict[str, tuple[asyncio.Future[Response], asyncio.Event]] = {}

    async def get(self, request: Request, following: list[Request]) -> Response:
        entry = self._pending.pop(request.identity(), None)
        if entry is None and not following and not self._pending:
            return await self._fetch(request, None)  # nothing to overlap: no task needed
        task = entry[0] if entry else asyncio.ensure_future(self._fetch(request, None))
        wanted = {r.identity(): r for r in following}
        for key in [k for k in self._pending if k not in wanted]:
            self._abandon(*self._pending.pop(key))
        for key, predicted in wanted.items():
            if key not in self._pending:
                gone = asyncio.Event()
                fetch = asyncio.ensure_future(self._fetch(predicted, gone.is_set))
                self._pending[key] = (fetch, gone)
        return await task

    def close(self) -> None:
        for task, gone in self._pending.values():
            self._abandon(task, gone)
        self._pending.clear()

    def _abandon(self, task: asyncio.Future[Response], gone: asyncio.Event) -> None:
        gone.set()
        self._abandoned.add(task)
        task.add_done_callback(self._collect)

    def _collect(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.discard(task)
        # the outcome is not wanted, but must be retrieved: asyncio reports unretrieved errors
        if not task.cancelled():
            task.exception()
