"""Python's cyclic garbage collector held off while a response body is parsed.

``orjson.loads`` makes a page's objects in one call that holds the GIL: ~15,000 dicts for a
page of 5,000 records. Each 700 of them started a collection, and every few of those walked the
pages still in flight as well, though nothing orjson makes can be part of a cycle. On the 1M-record
bench the collector took ~1.4 s of the run's CPU, ~1.3 s of it in the engine's thread, against
~0.7 s with the parse paused (docs/benchmarks.md "Session 11: fast"). The pause sets the first
generation's threshold to 0 (no automatic collection), not ``gc.disable()``, so a program's own
``gc.isenabled()`` checks see no change; the first allocation after it collects as usual.
Concurrent parses (two engines in one process) share one pause: the first saves the threshold,
the last puts it back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_lock = threading.Lock()
_pauses = 0
_saved = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pauses, _saved
    with _lock:
        if _pauses == 0:
            _saved = gc.get_threshold()[0]
            gc.set_threshold(0)
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0:
                gc.set_threshold(_saved)
