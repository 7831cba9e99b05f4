"""Give the memory an extraction freed back to the system before dlt's load step.

The pages of a large extraction go through Python's heap (parsed JSON, in the engine's thread)
and pyarrow's pool (the Arrow layout). Both keep what was freed for reuse: on the 1M-record bench
the process stood at ~300 MB when the extraction ended, of which ~50 MB was free memory that
pyarrow's pool (mimalloc) and glibc's arenas had not returned. The load step's memory (DuckDB's
insert) comes from another allocator, so it could not reuse it and came on top: returning it
lowered the peak by about as much (docs/benchmarks.md, phase 5).

While an extraction lays out Arrow pages, pyarrow allocates from the system's allocator instead
of its default pool (mimalloc), which kept ~20 MB more of what the pages had freed through the
extraction and after its release (docs/benchmarks.md, phase 6). The default pool is pyarrow's
process-wide setting: restsync changes it only while one of its extractions runs and puts back
what it found when the last one ends. A buffer is freed by the pool it came from, so switching
pools between allocations is safe.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["FrozenHeap", "SystemArrowPool", "release_free_memory"]


class _Held:
    """A process-wide setting changed while at least one extraction holds it, and put back when
    the last holder lets go (holders may overlap: several syncs in threads)."""

    _lock = threading.Lock()
    _holders = 0

    @classmethod
    def _apply(cls) -> None:
        raise NotImplementedError

    @classmethod
    def _restore(cls) -> None:
        raise NotImplementedError

    @classmethod
    def hold(cls) -> None:
        with cls._lock:
            if cls._holders == 0:
                cls._apply()
            cls._holders += 1

    @classmethod
    def let_go(cls) -> None:
        with cls._lock:
            if cls._holders == 0:
                return
            cls._holders -= 1
            if cls._holders == 0:
                cls._restore()

    @classmethod
    @contextlib.contextmanager
    def held(cls) -> Iterator[None]:
        cls.hold()
        try:
            yield
        finally:
            cls.let_go()


class SystemArrowPool(_Held):
    """pyarrow's default memory pool is the system allocator while at least one extraction holds
    this; the pool it replaced comes back when the last holder lets go."""

    _lock = threading.Lock()
    _holders = 0
    _replaced: Any = None

    @classmethod
    def _apply(cls) -> None:
        import pyarrow

        cls._replaced = pyarrow.default_memory_pool()
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())

    @classmethod
    def _restore(cls) -> None:
        import pyarrow

        pyarrow.set_memory_pool(cls._replaced)
        cls._replaced = None


class FrozenHeap(_Held):
    """Python's cyclic garbage collector leaves the objects that existed when the first
    ``restsync.sync`` started alone until the last one returns (``gc.freeze``, undone by
    ``gc.unfreeze``, on every exit path: a ``try``/``finally`` around the sync, not the engine's
    lifetime, since an iterator dropped in a reference cycle could not be collected, and so
    could not stop its engine, while its older objects were frozen).

    Why: an extraction allocates two containers per record or more (the parsed page's dicts), so
    the collector runs every few hundred records, and its older generations walked the whole
    heap of dlt, pyarrow and DuckDB's modules each time they ran: on 1M records ~40 % of the
    CPU ``orjson.loads`` took in the engine's thread (docs/benchmarks.md, phase 7). The pages'
    own objects are still collected as before. Left alone if the program froze objects itself
    (a pre-fork server does): unfreezing would undo its choice, or if it turned the collector
    off."""

    _lock = threading.Lock()
    _holders = 0
    _froze = False

    @classmethod
    def _apply(cls) -> None:
        cls._froze = gc.isenabled() and gc.get_freeze_count() == 0
        if cls._froze:
            gc.freeze()

    @classmethod
    def _restore(cls) -> None:
        if cls._froze:
            gc.unfreeze()  # back into the oldest generation: collectable again
            cls._froze = False


def release_free_memory() -> None:
    """Return the free memory pyarrow's pool and the C heap hold to the system (best effort:
    nothing happens where the calls do not exist)."""
    pyarrow = sys.modules.get("pyarrow")  # only if the run laid out Arrow pages
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (every arena, free pages in the middle of the heap included)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: the C library it runs on
        trim: Callable[[int], int] = libc.malloc_trim
        return trim
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return None
