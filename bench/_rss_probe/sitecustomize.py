"""Loaded by ``python -m bench.rss_1m --probe`` (this folder first on the child's PYTHONPATH).

Inside the measured ``restsync run``: when each of dlt's steps (extract, normalize, load) starts
and ends, and the CPU time of every Python thread by name (Python 3.11 does not name the OS
threads, so ``/proc`` alone cannot tell the engine's thread from dlt's), written as JSON to
``$RSS_PROBE_OUT`` when the process exits. Nothing happens without that variable.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import threading
import time

_OUT = os.environ.get("RSS_PROBE_OUT")


def _install(out: str) -> None:
    started = time.time()
    marks: list[tuple[float, str]] = []
    cpu: dict[str, float] = {}
    memory: list[tuple[float, float, float]] = []  # seconds, anonymous MB, file-backed MB
    tick = os.sysconf("SC_CLK_TCK")
    patched = False

    def patch_dlt() -> bool:
        module = sys.modules.get("dlt.pipeline.pipeline")
        if module is None or not hasattr(module, "Pipeline"):  # not (fully) imported yet
            return False
        for step in ("extract", "normalize", "load"):
            original = getattr(module.Pipeline, step)

            @functools.wraps(original)
            def timed(self: object, *a: object, _o=original, _s=step, **k: object) -> object:
                marks.append((time.time() - started, f"{_s} starts"))
                try:
                    return _o(self, *a, **k)
                finally:
                    marks.append((time.time() - started, f"{_s} ends"))

            setattr(module.Pipeline, step, timed)
        return True

    def watch() -> None:
        nonlocal patched
        while True:
            try:
                patched = patched or patch_dlt()
            except Exception:  # a probe must not stop the program it watches
                patched = True
            for thread in threading.enumerate():
                if thread.native_id is None or thread is threading.current_thread():
                    continue
                try:
                    with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                        text = stat.read()
                except OSError:
                    continue
                fields = text[text.rindex(")") + 2 :].split()
                cpu[thread.name] = (int(fields[11]) + int(fields[12])) / tick
            memory.append((time.time() - started, *_rss_split()))
            time.sleep(0.05)

    def dump() -> None:
        with open(out, "w") as f:
            json.dump({"marks": marks, "thread_cpu": cpu, "memory": memory}, f)

    threading.Thread(target=watch, name="rss-probe", daemon=True).start()
    atexit.register(dump)


def _rss_split() -> tuple[float, float]:
    """This process's anonymous and file-backed resident memory, in MB."""
    found = {"RssAnon:": 0.0, "RssFile:": 0.0}
    with open("/proc/self/status") as status:
        for line in status:
            key = line.split(maxsplit=1)[0]
            if key in found:
                found[key] = int(line.split()[1]) / 1024
    return found["RssAnon:"], found["RssFile:"]


if _OUT:
    _install(_OUT)
