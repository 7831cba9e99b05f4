"""Run a whole program and measure it from the outside: wall time from spawn to exit, peak RSS.

Issue 11's targets time what a user times: the whole ``restsync run`` process (interpreter start
and imports included) against a whole process running dlt. The peak RSS is the child's own
``ru_maxrss``, from ``wait4`` on its pid (not the maximum over all children so far).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessRun", "run_process"]


@dataclass
class ProcessRun:
    started: float  # epoch seconds, just before the spawn
    seconds: float  # spawn to exit
    peak_rss_mb: float
    returncode: int
    output_tail: str  # the last lines of stdout and stderr, for failures
    capped: bool = False


def run_process(
    argv: list[str], *, env: Mapping[str, str], cwd: Path, timeout: float
) -> ProcessRun:
    with tempfile.TemporaryFile("w+") as out:
        started = time.time()
        proc = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        waited: dict[str, object] = {}

        def wait() -> None:
            _, status, usage = os.wait4(proc.pid, 0)
            waited.update(end=time.time(), status=status, usage=usage)

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        waiter.join(timeout)
        capped = waiter.is_alive()
        if capped:
            proc.send_signal(signal.SIGKILL)
            waiter.join(30)
        proc.returncode = 0  # reaped by wait4 above: keep Popen from waiting again
        out.seek(0)
        tail = "\n".join(out.read().strip().splitlines()[-8:])
    status = int(waited.get("status", 0))  # type: ignore[call-overload]
    usage = waited.get("usage")
    return ProcessRun(
        started=started,
        seconds=float(waited.get("end", time.time())) - started,  # type: ignore[arg-type]
        peak_rss_mb=(usage.ru_maxrss / 1024) if usage is not None else 0.0,  # type: ignore[attr-defined]
        returncode=os.waitstatus_to_exitcode(status) if "status" in waited else -9,
        output_tail=tail,
        capped=capped,
    )
