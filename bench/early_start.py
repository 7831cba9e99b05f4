"""``python -m bench.early_start OLD_SRC NEW_SRC``: two versions of ``restsync run``, alternately.

Each round runs webhook_service and video_rooms (5x data, 50 ms latency, a fresh simulator per
run) once with each source tree (``PYTHONPATH`` points the venv's interpreter at it, e.g. a
``git archive main src`` unpacked under /tmp against the work tree's ``src``), and prints per run:
spawn to the first request the simulator sees, spawn to exit, and the child's CPU time (user +
system, all threads), which a loaded machine changes less than wall time, and the first request
against the start of dlt's extract step (dlt's tracking hook, in a config file that wraps the
JSON config): negative when the requests began before dlt was ready, a same-process difference
that the machine's load stretches less than the whole run. The medians per case close the output,
with the load average. For A/B checks of start-up changes (issue 11).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import restsync
from bench._harness import simulator
from bench._process import run_process
from bench._targets import _workdir
from bench._workloads import seed_config
from restsync.simulator import SimulatorOptions

CASES = ("webhook_service", "video_rooms")

# the JSON config as a Python config file, with a dlt tracking module noting when extract begins
_WRAPPER = """
import json, time, types
from dlt.pipeline import trace
import restsync

def _mark(trace_, step, pipeline):
    if step == "extract":
        open({mark!r}, "w").write(repr(time.time()))

trace.TRACKING_MODULES.append(types.SimpleNamespace(
    on_start_trace=lambda *a: None, on_start_trace_step=_mark,
    on_end_trace_step=lambda *a: None, on_end_trace=lambda *a: None,
))
source = restsync.rest_api_source(json.load(open({config!r})), name={name!r})
"""


def _one(name: str, src: Path) -> tuple[float, float, float, float]:
    config = seed_config(name)
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=1, scale=5, latency_ms=50)
    with simulator(plan, options) as (sim, clock), _workdir() as work:
        out = json.loads(json.dumps(config))
        out["client"]["base_url"] = sim.base_url
        path = work / f"{name}.json"
        path.write_text(json.dumps(out))
        mark, script = work / "extract_began", work / f"{name}_source.py"
        script.write_text(_WRAPPER.format(mark=str(mark), config=str(path), name=name))
        argv = [sys.executable, "-m", "restsync", "run", str(script)]
        argv += ["--duckdb-path", str(work / "load.duckdb"), "--dataset", "bench"]
        argv += ["--pipelines-dir", str(work / "pipelines"), "--progress-every", "0"]
        env = {**os.environ, "PYTHONPATH": str(src), "RUNTIME__DLTHUB_TELEMETRY": "false"}
        run = run_process(argv, env=env, cwd=work, timeout=600)
        if run.returncode != 0:
            raise SystemExit(f"{name} with {src} failed: {run.output_tail}")
        first = clock.times()[0] - run.started
        lead = clock.times()[0] - float(mark.read_text())
    return first, run.seconds, run.cpu_seconds, lead


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.early_start")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    for round_ in range(args.rounds):
        for name in CASES:
            for label, src in (("old", args.old), ("new", args.new)):
                first, total, cpu, lead = _one(name, src)
                results.setdefault((name, label), []).append((first, total, cpu, lead))
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"{round_} {name:<16} {label} first request {first:5.2f} s  "
                      f"(extract {lead:+5.2f} s)  exit {total:6.2f} s  cpu {cpu:6.2f} s  "
                      f"load {load}", flush=True)  # fmt: skip
    print(
        "| seed | version | spawn -> first request, s (median) | spawn -> exit, s | CPU, s "
        "| first request - dlt's extract start, s |"
    )
    print("|---|---|---|---|---|---|")
    for (name, label), runs in results.items():
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        print(f"| {name} | {label} | {med[0]:.2f} | {med[1]:.2f} | {med[2]:.2f} | {med[3]:+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
