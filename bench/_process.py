"""Run a whole program and measure it from the outside: wall time from spawn to exit, peak RSS.

Issue 11's targets time what a user times: the whole ``restsync run`` process (interpreter start
and imports included) against a whole process running dlt. The peak RSS is the child's own
``VmHWM`` (the high-water mark of the memory its program mapped after ``exec``), read from
``/proc/<pid>/status`` every 20 ms while it runs; the last reading before the exit is
the peak but for the final 20 ms (memory is freed then, not taken). Not ``ru_maxrss``
from ``wait4``: Linux keeps the high-water mark of the address space a child had before ``exec``,
which after ``fork``/``vfork`` is the parent's, so a ``python -c 'print(1)'`` spawned by a bench
process holding a 1M-record simulator "peaked" at 3.2 GB, and every tool's peak was at least
the bench process's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessRun", "read_status_kb", "run_process"]


@dataclass
class ProcessRun:
    started: float  # epoch seconds, just before the spawn
    seconds: float  # spawn to exit
    peak_rss_mb: float
    returncode: int
    output_tail: str  # the last lines of stdout and stderr, for failures
    capped: bool = False
    cpu_seconds: float = 0.0  # user + system time of the child (its threads included)


def run_process(
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    on_poll: Callable[[int, float], None] | None = None,
) -> ProcessRun:
    """``argv`` run to its end (killed after ``timeout`` seconds); ``on_poll(pid, seconds since
    the spawn)`` is called at each reading of the peak, for a caller that samples more."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.time()
        proc = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        waited: dict[str, object] = {}

        def wait() -> None:
            _, status, usage = os.wait4(proc.pid, 0)
            waited.update(end=time.time(), status=status, cpu=usage.ru_utime + usage.ru_stime)

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        peak_kb = _watch_peak(proc.pid, waiter, deadline=started + timeout, on_poll=on_poll)
        capped = waiter.is_alive()
        if capped:
            proc.send_signal(signal.SIGKILL)
            waiter.join(30)
        proc.returncode = 0  # reaped by wait4 above: keep Popen from waiting again
        out.seek(0)
        tail = "\n".join(out.read().strip().splitlines()[-8:])
    status = int(waited.get("status", 0))  # type: ignore[call-overload]
    return ProcessRun(
        started=started,
        seconds=float(waited.get("end", time.time())) - started,  # type: ignore[arg-type]
        peak_rss_mb=peak_kb / 1024,
        returncode=os.waitstatus_to_exitcode(status) if "status" in waited else -9,
        output_tail=tail,
        capped=capped,
        cpu_seconds=float(waited.get("cpu", 0.0)),  # type: ignore[arg-type]
    )


def _watch_peak(
    pid: int,
    waiter: threading.Thread,
    *,
    deadline: float,
    on_poll: Callable[[int, float], None] | None,
) -> int:
    """The child's ``VmHWM`` in KiB, read until it exits (or the deadline passes)."""
    peak, started = 0, time.time()
    while waiter.is_alive() and time.time() < deadline:
        peak = max(peak, read_status_kb(pid, "VmHWM"))
        if on_poll is not None:
            on_poll(pid, time.time() - started)
        waiter.join(_POLL_SECONDS)
    return peak


def read_status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (``VmHWM``, ``VmRSS``...), 0 once it exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):  # exited meanwhile: a zombie has no memory to report
        pass
    return 0


_POLL_SECONDS = 0.02
