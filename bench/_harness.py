"""Run one tool against a simulator, in a child process, and measure it from the outside.

The simulator runs in this process (its own thread and event loop); the tool runs in
``python -m bench._child``. Requests are counted by the simulator. Their arrival times are recorded
too, by wrapping the simulator's counter: its public ``requests_by_second`` buckets by wall-clock
second, which cannot show the busiest 1 s window of a rate-limited run (see ``RequestClock``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import restsync
from bench.dlt_configs import to_dlt_config
from restsync.simulator import Simulator, SimulatorOptions, serve_in_thread

__all__ = ["RequestClock", "ToolRun", "max_in_window", "run_tool", "simulator"]

REPO = Path(__file__).resolve().parent.parent


class RequestClock:
    """Arrival time (``time.time()``) of every API request the simulator counts.

    The simulator exposes no per-request timestamps, so this wraps its (private) counter's
    ``enter``; if that ever moves, ``available`` is False and only the per-second buckets remain.
    """

    def __init__(self, sim: Simulator) -> None:
        self._lock = threading.Lock()
        self._times: list[float] = []
        counters = getattr(sim, "_counters", None)
        enter = getattr(counters, "enter", None)
        self.available = enter is not None
        if enter is not None:

            def timed_enter() -> int:
                with self._lock:
                    self._times.append(time.time())
                return enter()

            counters.enter = timed_enter  # type: ignore[union-attr]

    def reset(self) -> None:
        with self._lock:
            self._times.clear()

    def times(self) -> list[float]:
        with self._lock:
            return sorted(self._times)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most arrivals in any half-open window ``[t, t + window)``."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass
class ToolRun:
    case: str
    tool: str
    wall_seconds: float | None = None
    import_seconds: float | None = None
    requests: int = 0
    peak_concurrency: int = 0
    status: dict[str, int] = field(default_factory=dict)
    rows: int = 0  # rows of the resources' own tables
    rows_by_table: dict[str, int | None] = field(default_factory=dict)
    all_rows: int = 0  # every table of the dataset, nested child tables included
    peak_rss_mb: float = 0.0
    rss_after_import_mb: float = 0.0
    to_first_request: float | None = None  # source built -> first request arrives
    fetch_seconds: float | None = None  # first request -> last request arrives
    tail_seconds: float | None = None  # last request -> load finished (normalize + load)
    requests_by_second: dict[str, int] = field(default_factory=dict)
    max_1s_window: int | None = None
    engine: dict[str, Any] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # extract / normalize / load seconds
    peak_rss_by_phase_mb: dict[str, float] = field(default_factory=dict)  # VmHWM after a step
    error: str | None = None
    capped: bool = False
    started: float | None = None  # epoch seconds in the child: source build starts
    finished: float | None = None  # the load returned

    @property
    def rows_per_second(self) -> float | None:
        if not self.wall_seconds or self.error or self.capped:
            return None
        return self.rows / self.wall_seconds

    @property
    def achieved_rate(self) -> float | None:
        """Requests per second between the first and the last request."""
        if not self.fetch_seconds or self.requests < 2:
            return None
        return (self.requests - 1) / self.fetch_seconds


@contextmanager
def simulator(
    plan: Any, options: SimulatorOptions, fields: Mapping[str, Any] | None = None
) -> Iterator[tuple[Simulator, RequestClock]]:
    with serve_in_thread(plan, options, fields=fields) as sim:
        yield sim, RequestClock(sim)


def tool_config(tool: str, config: Mapping[str, Any], name: str, base_url: str) -> dict[str, Any]:
    """The config the tool runs: restsync's as given, dlt's converted; both at ``base_url``."""
    if tool.startswith("restsync"):
        out = json.loads(json.dumps(config))
        out["client"]["base_url"] = base_url
        return out
    plan = restsync.plan_config(config, name=name, base_url=base_url)
    return to_dlt_config(plan, parallelized=tool.startswith("dlt_parallel"))


def run_tool(
    sim: Simulator,
    clock: RequestClock,
    *,
    case: str,
    tool: str,
    config: Mapping[str, Any],
    source_name: str,
    tables: list[str],
    timeout: float,
    file_format: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ToolRun:
    """Reset the simulator's counters, run ``tool`` in a child process, collect the numbers."""
    sim.reset_counters()
    clock.reset()
    result = ToolRun(case=case, tool=tool)
    with tempfile.TemporaryDirectory(prefix=f"restsync-bench-{tool}-") as tmp:
        spec = {
            "tool": tool,
            "name": source_name,
            "config": tool_config(tool, config, source_name, sim.base_url),
            "tables": tables,
            "file_format": file_format,
            "workdir": str(Path(tmp) / "work"),
        }
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(spec))
        env = {
            **os.environ,
            "RUNTIME__LOG_LEVEL": "WARNING",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            **(env or {}),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "bench._child", str(spec_path), str(out_path)],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:  # subprocess.run kills the child it started
            result.capped = True
            result.error = f"capped: not finished after {timeout:.0f} s"
            result.wall_seconds = timeout
        else:
            if proc.returncode != 0 or not out_path.exists():
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                result.error = f"child exited {proc.returncode}: " + " | ".join(tail)[:400]
            else:
                _fill(result, json.loads(out_path.read_text()))
    counters = sim.counters()
    result.requests = counters["total_requests"]
    result.peak_concurrency = counters["peak_concurrency"]
    result.status = dict(counters["status"])
    result.requests_by_second = dict(counters["requests_by_second"])
    times = clock.times()
    if times and clock.available:
        result.max_1s_window = max_in_window(times)
        result.fetch_seconds = times[-1] - times[0]
        if result.started is not None and result.finished is not None:
            result.to_first_request = times[0] - result.started
            result.tail_seconds = result.finished - times[-1]
    return result


def _fill(result: ToolRun, child: dict[str, Any]) -> None:
    result.wall_seconds = child["wall_seconds"]
    result.import_seconds = child["import_seconds"]
    result.peak_rss_mb = child["peak_rss_mb"]
    result.rss_after_import_mb = child["rss_after_import_mb"]
    result.rows_by_table = child["rows"]
    result.rows = sum(v or 0 for v in child["rows"].values())
    result.all_rows = child["all_rows"]
    result.engine = child["engine"]
    result.phases = child["phases"]
    result.peak_rss_by_phase_mb = child["peak_rss_by_phase_mb"]
    result.error = child["error"]
    result.started = child["started"]
    result.finished = child["finished"]
