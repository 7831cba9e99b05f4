"""``python -m bench.tail SRC [SRC...]``: where a ``restsync run`` spends the time after its last
request, per step, for versions of restsync in turn.

    python -m bench.tail /tmp/main/src src --rounds 4
    python -m bench.tail src --case video_rooms

Each round runs the seed (5x data, 50 ms latency, a fresh simulator per run) once with each
source tree, labelled by the directory above it, the way ``bench.targets`` runs restsync (the
console script on a JSON config). bench/_tail_probe/sitecustomize.py in the child timestamps the
steps of the run's end; the simulator gives the first and last request. Printed per run and as
medians per version: spawn to the first request, to the last, the requests span, then the tail
split into dlt's extract end, normalize, load (of it the schema update and the package's
completion), the DuckDB file's close (its checkpoint), the summary, and the exit, and the
child's CPU seconds. For A/B checks of the tail (issue 11); out of the test suite.
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
from bench._targets import _command, _workdir, child_env
from bench._workloads import seed_config
from restsync.simulator import SimulatorOptions

_PROBE = Path(__file__).with_name("_tail_probe")
_COLUMNS = (
    "first", "last", "span", "extract end", "normalize", "load", "schema update",
    "package completion", "file close", "summary", "exit", "tail", "total", "cpu",
)  # fmt: skip


def _span(marks: dict[str, float], step: str) -> float:
    start, end = marks.get(f"{step} starts"), marks.get(f"{step} ends")
    return end - start if start is not None and end is not None else float("nan")


def one(name: str, src: Path) -> dict[str, float]:
    """One run of seed ``name`` with the source tree ``src``: the columns above, in seconds."""
    config = seed_config(name)
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=1, scale=5, latency_ms=50)
    with simulator(plan, options) as (sim, clock), _workdir() as work:
        argv, _ = _command("restsync", name, config, sim.base_url, work, work / "load.duckdb")
        out = work / "tail.json"
        env = child_env(work, PYTHONPATH=f"{_PROBE}{os.pathsep}{src}", TAIL_PROBE_OUT=str(out))
        run = run_process(argv, env=env, cwd=work, timeout=600)
        if run.returncode != 0:
            raise SystemExit(f"{name} with {src} failed: {run.output_tail}")
        times = clock.times()
        found = json.loads(out.read_text())["marks"] if out.exists() else []
    # the last of each mark: dlt extracts the source, then its state, as a second extract
    marks = {label: at - run.started for at, label in found}
    last = times[-1] - run.started
    return {
        "first": times[0] - run.started,
        "last": last,
        "span": times[-1] - times[0],
        "extract end": marks.get("extract ends", float("nan")) - last,
        "normalize": _span(marks, "normalize"),
        "load": _span(marks, "load"),
        "schema update": _span(marks, "schema update"),
        "package completion": _span(marks, "package completion"),
        "file close": _span(marks, "file close"),
        "summary": _span(marks, "summary"),
        "exit": run.seconds - marks.get("exit starts", float("nan")),
        "tail": run.seconds - last,
        "total": run.seconds,
        "cpu": run.cpu_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tail")
    parser.add_argument("trees", type=Path, nargs="+", help="src directories")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--case", default="webhook_service")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, float]]] = {}
    for round_ in range(args.rounds):
        for src in args.trees:
            label = src.resolve().parent.name
            row = one(args.case, src)
            results.setdefault(label, []).append(row)
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            shown = "  ".join(f"{k} {v:.2f}" for k, v in row.items())
            print(f"{round_} {label:<8} {shown}  load {load}", flush=True)
    print(f"\n{args.case}, medians in seconds (tail: last request to exit)\n")
    print("| version | " + " | ".join(_COLUMNS) + " |")
    print("|---|" + "---|" * len(_COLUMNS))
    for label, rows in results.items():
        cells = [f"{statistics.median(r[c] for r in rows):.2f}" for c in _COLUMNS]
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
