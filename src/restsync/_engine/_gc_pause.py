"""Python's cyclic garbage collector, run less often while the engine fetches records.

A page of 5,000 records is ~15,000 new dicts, and the collector starts a collection every 700
net new container objects (CPython 3.11's first-generation threshold): ~20 collections per
page, every few of them walking the pages still in flight as well, though parsed JSON holds no
cycles. On the 1M-record bench that was ~0.9-1.4 s of the run's CPU, most of it in the engine's
thread, on the path the engine and dlt's thread share through the GIL (docs/benchmarks.md
"Session 11: fast"). Two holds, both on the first generation's threshold:

* while the engine runs (``collector_relaxed``), ``RELAXED_THRESHOLD``: the net count (objects
  made minus objects freed) reaches it only when the heap grows by that many containers, so a
  stream of pages that are freed once dlt has them triggers few collections; cyclic garbage is
  still collected, later (17 collections in the 1M run instead of ~520, peak RSS unchanged);
* while ``orjson.loads`` parses a body (``collector_paused``), 0: no automatic collection in a
  call that makes only acyclic objects; the first allocation after it collects as usual.

Not ``gc.disable()``: a program's ``gc.isenabled()`` checks see no change, and a program that set
the threshold to 0 itself (no automatic collection) keeps it. Holds from several engines in one
process share one saved threshold, put back when the last one ends (a threshold the program
sets meanwhile is overwritten then).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RELAXED_THRESHOLD", "collector_paused", "collector_relaxed"]

RELAXED_THRESHOLD = 20_000  # ~1.3 pages of the bench's 5,000 records; 100,000 saved no more

_lock = threading.Lock()
_holds = {"paused": 0, "relaxed": 0}
_saved: int | None = None  # the program's threshold while restsync holds it


@contextmanager
def collector_paused() -> Iterator[None]:
    with _held("paused"):
        yield


@contextmanager
def collector_relaxed() -> Iterator[None]:
    with _held("relaxed"):
        yield


@contextmanager
def _held(kind: str) -> Iterator[None]:
    with _lock:
        _holds[kind] += 1
        _apply()
    try:
        yield
    finally:
        with _lock:
            _holds[kind] -= 1
            _apply()


def _apply() -> None:
    global _saved
    if not (_holds["paused"] or _holds["relaxed"]):
        if _saved is not None:
            gc.set_threshold(_saved)
            _saved = None
        return
    if _saved is None:
        _saved = gc.get_threshold()[0]
    if _saved == 0:
        return  # the program turned automatic collection off: it stays off
    gc.set_threshold(0 if _holds["paused"] else max(_saved, RELAXED_THRESHOLD))
