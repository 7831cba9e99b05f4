"""Give the memory an extraction freed back to the system before dlt's load step.

The pages of a large extraction go through Python's heap (parsed JSON, in the engine's thread)
and pyarrow's pool (the Arrow layout). Both keep what was freed for reuse: on the 1M-record bench
the process stood at ~300 MB when the extraction ended, of which ~50 MB was free memory that
pyarrow's pool (mimalloc) and glibc's arenas had not returned. The load step's memory (DuckDB's
insert) comes from another allocator, so it could not reuse it and came on top: returning it
lowered the peak by about as much (docs/benchmarks.md, phase 5).
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

__all__ = ["release_free_memory"]


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
