"""The interpreter's thread switch interval, shortened while the engine runs.

The engine's event loop shares the GIL with dlt's extract thread, which lays out and writes the
pages the engine hands it (pure Python and Arrow, milliseconds at a time). Every system call the
loop makes (``send`` of a request, ``epoll_wait``) lets the GIL go; to take it back from a thread
that is computing, the loop waits until that thread is made to drop it, which CPython does only
after ``sys.getswitchinterval()`` (5 ms by default). A request's turn costs the loop a few such
waits, and while the extract thread is busy every request in flight is held up by them: in the
20 ms fan-out of ``bench.small_run`` the loop spent most of its wall time in ``socket.send``
(0.7-0.9 s for 403 sends that took 0.011 s of CPU, docs/benchmarks.md "Session 14 (fast)").

While an engine runs, ``switching_often`` lowers the interval to ``SWITCH_SECONDS`` (never raises
it: a program that set a shorter one keeps it). Holds from several engines in one process share
one saved value, put back when the last one ends (an interval the program sets meanwhile is
overwritten then). A thread that computes alone is not interrupted more often: the interval
only matters while another thread waits for the GIL.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SWITCH_SECONDS", "switching_often"]

SWITCH_SECONDS = 0.0005

_lock = threading.Lock()
_holds = 0
_saved: float | None = None  # the program's interval while restsync holds it


@contextmanager
def switching_often() -> Iterator[None]:
    global _holds, _saved
    with _lock:
        if _holds == 0 and sys.getswitchinterval() > SWITCH_SECONDS:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_SECONDS)
        _holds += 1
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            if _holds == 0 and _saved is not None:
                sys.setswitchinterval(_saved)
                _saved = None
