"""``python -m bench.overlap [ROUNDS]``: would loading finished resources during extraction pay?

Issue 11.3 asks whether several load packages (one per finished resource, loaded while the
others still extract) beat one package for the whole run. This measures the most it could save,
in process, without building it: for webhook_service and video_rooms (5x data, 50 ms latency, a
fresh simulator and DuckDB file per run), ``restsync.sync`` of

* ``all``: the whole source, one package (what runs today);
* ``last``: only the resource that finished extracting last in ``all`` (its parents are fetched,
  not loaded): the normalize + load that a per-resource package scheme would still leave after
  the last request;
* ``rest``: every other resource: what would have to be normalized and loaded while ``last``
  still extracts, in the window between the others' end and the last one's.

The bound on the gain is ``all``'s normalize + load minus ``last``'s, and only if ``rest``'s fits
in the window (on 2 shared cores it competes with the extraction for CPU). Alternately, 3 rounds;
dlt's trace gives the step times, the engine's report the resources' end times.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from typing import Any

import dlt

import restsync
from bench._harness import simulator
from bench._targets import _workdir
from bench._workloads import seed_config
from restsync.simulator import SimulatorOptions

CASES = ("webhook_service", "video_rooms")


def _sync(name: str, config: dict[str, Any], resources: list[str] | None) -> dict[str, Any]:
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=1, scale=5, latency_ms=50)
    with simulator(plan, options) as (sim, _clock), _workdir() as work:
        ours = json.loads(json.dumps(config))
        ours["client"]["base_url"] = sim.base_url
        source = restsync.rest_api_source(ours, name=name)
        if resources is not None:
            source = source.with_resources(*resources)
        pipeline = dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(work / "load.duckdb")),
            dataset_name="bench",
            pipelines_dir=str(work / "pipelines"),
        )
        restsync.sync(pipeline, source)
        steps = {
            s.step: (s.finished_at - s.started_at).total_seconds()
            for s in pipeline.last_trace.steps
        }
        report = restsync.runtime_of(source).last_report
        ends = {n: s.finished for n, s in report.resources.items() if s.delivered and s.finished}
    return {"tail": steps["normalize"] + steps["load"], "extract": steps["extract"], "ends": ends}


def _case(name: str, rounds: int) -> dict[str, list[float]]:
    """``rounds`` rounds of all, last and rest; the tails and windows of each round."""
    config = seed_config(name)
    out: dict[str, list[float]] = {}
    for round_ in range(rounds):
        whole = _sync(name, config, None)
        ends = whole["ends"]
        last = max(ends, key=ends.get)
        window = ends[last] - max(t for n, t in ends.items() if n != last)
        only = _sync(name, config, [last])
        rest = _sync(name, config, [n for n in ends if n != last])
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        before = sorted(ends[last] - t for n, t in ends.items() if n != last)
        print(f"  ended before the last, s: {' '.join(f'{x:.2f}' for x in before)}", flush=True)
        print(
            f"{round_} {name:<16} last={last:<14} all tail {whole['tail']:.2f} s  last tail "
            f"{only['tail']:.2f} s  rest tail {rest['tail']:.2f} s  window {window:.2f} s  "
            f"load {load}",
            flush=True,
        )
        for key, value in (("all", whole["tail"]), ("last", only["tail"]),
                           ("rest", rest["tail"]), ("window", window)):  # fmt: skip
            out.setdefault(key, []).append(value)
    return out


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = ["| seed | all: normalize + load, s | last resource alone | the others | window | "
            "bound on the gain, s |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name in CASES:
        med = {k: statistics.median(v) for k, v in _case(name, rounds).items()}
        rows.append(
            f"| {name} | {med['all']:.2f} | {med['last']:.2f} | {med['rest']:.2f} "
            f"| {med['window']:.2f} | {med['all'] - med['last']:.2f} |"
        )
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
