"""Loaded by ``python -m bench.tail`` (this folder first on the child's PYTHONPATH).

Inside the measured ``restsync run``: when each step of the run's end starts and ends (dlt's
extract, normalize and load, inside the load the schema update and the package's completion,
then restsync's close of the DuckDB file, its summary and its exit), as epoch seconds, written as
JSON to ``$TAIL_PROBE_OUT`` at exit. The functions are wrapped once their modules are imported (a
watcher thread looks every few milliseconds), so only steps after the start-up are timed.
Nothing happens without that variable.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import threading
import time
from typing import Any

_OUT = os.environ.get("TAIL_PROBE_OUT")

# (module, class or None, function, label); a module function is replaced where it is called
# from (the module that imported it by name), which is the module given here
_STEPS = (
    ("dlt.pipeline.pipeline", "Pipeline", "extract", "extract"),
    ("dlt.pipeline.pipeline", "Pipeline", "normalize", "normalize"),
    ("dlt.pipeline.pipeline", "Pipeline", "load", "load"),
    ("dlt.load.load", None, "init_client", "schema update"),
    ("dlt.load.load", "Load", "complete_package", "package completion"),
    ("restsync.cli._duckdb_file", "HeldDestination", "close", "file close"),
    ("restsync.cli._run", None, "print_summary", "summary"),
    ("restsync.cli._run", None, "exit_now", "exit"),
)


def _install(out: str) -> None:
    marks: list[tuple[float, str]] = []
    done: set[str] = set()

    def wrap(original: Any, label: str) -> Any:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            marks.append((time.time(), f"{label} starts"))
            try:
                return original(*args, **kwargs)
            finally:
                marks.append((time.time(), f"{label} ends"))

        return timed

    def patch() -> None:
        for module_name, cls, function, label in _STEPS:
            module = sys.modules.get(module_name)
            owner = getattr(module, cls, None) if cls else module
            if label in done or owner is None or not hasattr(owner, function):
                continue
            setattr(owner, function, wrap(getattr(owner, function), label))
            done.add(label)

    def watch() -> None:
        while len(done) < len(_STEPS):
            try:
                patch()
            except Exception:  # a probe must not stop the program it watches
                return
            time.sleep(0.005)

    def dump() -> None:
        with open(out, "w") as f:
            json.dump({"marks": marks}, f)

    threading.Thread(target=watch, name="tail-probe", daemon=True).start()
    atexit.register(dump)


if _OUT:
    _install(_OUT)
