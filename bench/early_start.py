"""``python -m bench.early_start OLD_SRC NEW_SRC [MORE_SRC...]``: versions of ``restsync run``, in
turn.

Each round runs webhook_service and video_rooms (5x data, 50 ms latency, a fresh simulator per
run) once with each source tree, labelled by the directory above it (``PYTHONPATH`` points the
venv's interpreter at it, e.g. a ``git archive main src`` unpacked under /tmp/old against the
work tree's ``src``), the way ``bench.targets`` runs restsync: the console script on a JSON
config. It prints per run: spawn to the first and to the last request the simulator sees, spawn
to exit, and the child's CPU time (user + system, all threads), which a loaded machine changes
less than wall time. The medians per case close the output, with the load average. For A/B
checks of start-up changes (issue 11).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import restsync
from bench._harness import simulator
from bench._process import run_process
from bench._targets import _command, _workdir, child_env
from bench._workloads import seed_config
from restsync.simulator import SimulatorOptions

CASES = ("webhook_service", "video_rooms")


def _one(name: str, src: Path) -> tuple[float, float, float, float]:
    config = seed_config(name)
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=1, scale=5, latency_ms=50)
    with simulator(plan, options) as (sim, clock), _workdir() as work:
        argv, _ = _command("restsync", name, config, sim.base_url, work, work / "load.duckdb")
        env = child_env(work, PYTHONPATH=str(src))
        run = run_process(argv, env=env, cwd=work, timeout=600)
        if run.returncode != 0:
            raise SystemExit(f"{name} with {src} failed: {run.output_tail}")
        times = clock.times()
    return times[0] - run.started, times[-1] - run.started, run.seconds, run.cpu_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.early_start")
    parser.add_argument("trees", type=Path, nargs="+", help="src directories, two or more")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--case", action="append", choices=CASES, help="default: both")
    args = parser.parse_args(argv)
    results: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    for round_ in range(args.rounds):
        for name in args.case or CASES:
            for src in args.trees:
                label = src.resolve().parent.name
                runs = results.setdefault((name, label), [])
                runs.append(_one(name, src))
                first, last, total, cpu = runs[-1]
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"{round_} {name:<16} {label:<8} first request {first:5.2f} s  last "
                      f"{last:5.2f} s  exit {total:6.2f} s  cpu {cpu:6.2f} s  load {load}",
                      flush=True)  # fmt: skip
    print(
        "| seed | version | spawn -> first request, s (median) | spawn -> last request, s "
        "| spawn -> exit, s | CPU, s |"
    )
    print("|---|---|---|---|---|---|")
    for (name, label), runs in results.items():
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        print(f"| {name} | {label} | {med[0]:.2f} | {med[1]:.2f} | {med[2]:.2f} | {med[3]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
