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

DuckDB allocates with its own copy of jemalloc, which keeps freed pages for a second before it
gives them back. Through one insert of a 1M-row file that is tens of MB: each row group's buffers
are freed once it is written, and the next one's come from fresh pages. While ``restsync run``
holds its DuckDB file, the allocator gives freed pages back at once (docs/benchmarks.md,
"Session 11: memory").
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

__all__ = ["DuckDBFreedPages", "FrozenHeap", "SystemArrowPool", "release_free_memory"]


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


class DuckDBFreedPages(_Held):
    """DuckDB's allocator returns the pages it frees at once while at least one holder holds
    this (jemalloc's ``dirty_decay_ms`` and ``muzzy_decay_ms`` at 0 for its arenas and for the
    ones it makes), and its own settings come back when the last holder lets go.

    Why: with jemalloc's decay (DuckDB sets one second) the insert of the 1M-record bench's one
    Parquet file ended ~30 MB higher, the buffers of the row groups already written still
    resident; at 0 it peaked 7-11 MB lower, for 0.2-0.3 s more CPU in the insert (pages faulted
    in afresh). Best effort: nothing happens if DuckDB's module has no jemalloc (its builds for
    other systems) or the control call is not there."""

    _lock = threading.Lock()
    _holders = 0
    _saved: ClassVar[dict[bytes, int]] = {}  # what _apply changed, put back by _restore

    @classmethod
    def _apply(cls) -> None:
        control = _JemallocControl.of_duckdb()
        if control is None:
            return
        saved: dict[bytes, int] = {}
        for name in control.decay_settings():
            old = control.read(name)
            if old is not None and old != 0 and control.write(name, 0):
                saved[name] = old
        cls._saved = saved

    @classmethod
    def _restore(cls) -> None:
        control = _JemallocControl.of_duckdb()
        saved, cls._saved = cls._saved, {}
        if control is None or not saved:
            return
        for name in control.decay_settings():  # the arenas made meanwhile get the defaults back
            old = saved.get(name, saved.get(b"arenas." + name.rsplit(b".", 1)[-1]))
            if old is not None:
                control.write(name, old)


_MAX_ARENAS = 1024  # jemalloc makes a few per core; the loop over them stays bounded


class _JemallocControl:
    """``mallctl`` of the jemalloc DuckDB's Python module carries (its symbols are prefixed
    ``duckdb_je_``); reads and writes of ``ssize_t`` settings."""

    _DECAYS = (b"dirty_decay_ms", b"muzzy_decay_ms")

    def __init__(self, mallctl: Any) -> None:
        self._mallctl = mallctl

    @classmethod
    def of_duckdb(cls) -> _JemallocControl | None:
        module = sys.modules.get("_duckdb") or sys.modules.get("duckdb.duckdb")
        path = getattr(module, "__file__", None)
        if not path:
            return None
        try:
            mallctl = ctypes.CDLL(path).duckdb_je_mallctl  # the loaded module: not loaded again
        except (OSError, AttributeError):
            return None
        mallctl.restype = ctypes.c_int
        mallctl.argtypes = [
            ctypes.c_char_p,
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_size_t),
            ctypes.c_void_p,
            ctypes.c_size_t,
        ]
        return cls(mallctl)

    def decay_settings(self) -> list[bytes]:
        """The decay settings of the arenas to come, then those of every arena in use."""
        count = ctypes.c_uint(0)
        size = ctypes.c_size_t(ctypes.sizeof(count))
        if self._mallctl(b"arenas.narenas", ctypes.byref(count), ctypes.byref(size), None, 0):
            count.value = 0
        # the defaults first: an arena made while the others are set starts with the new ones
        arenas = [b"arenas.", *(b"arena.%d." % i for i in range(min(count.value, _MAX_ARENAS)))]
        return [arena + decay for arena in arenas for decay in self._DECAYS]

    def read(self, name: bytes) -> int | None:
        value = ctypes.c_ssize_t(0)
        size = ctypes.c_size_t(ctypes.sizeof(value))
        if self._mallctl(name, ctypes.byref(value), ctypes.byref(size), None, 0):
            return None  # an arena index not in use
        return value.value

    def write(self, name: bytes, value: int) -> bool:
        new = ctypes.c_ssize_t(value)
        status: int = self._mallctl(name, None, None, ctypes.byref(new), ctypes.sizeof(new))
        return status == 0


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
