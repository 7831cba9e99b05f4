"""``python -m bench.merge_big``: the 1M-record case of bench.targets as a *merge* load.

    python -m bench.merge_big                  # 1M records, restsync and dlt parallelized
    python -m bench.merge_big --records 100000

bench/_targets.py's ``_big`` with ``write_disposition: merge`` on the primary key ``id``: each
tool (whole processes, alternately, as in bench.targets) loads the records twice into the same
DuckDB file: a first run into an empty dataset, then a second run of the same records, which
merges every row (dlt's delete-insert: every key matches). Printed per run: seconds, rows/s,
peak RSS; then whether both tools' tables came out identical (columns, types, rows but dlt's
ids). The bench stays out of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import restsync
from bench._harness import simulator
from bench._targets import TOOLS, Trial, _same_tables, _trial, _workdir
from bench._workloads import big_case


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.merge_big")
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    big = big_case(args.records, page_size=5000, tools=TOOLS)
    big.config["resources"][0]["write_disposition"] = "merge"
    plan = restsync.plan_config(big.config, name="events")
    print("| tool | run | seconds | rows/s | peak RSS | rows | load avg |")
    print("|---|---|---|---|---|---|---|")
    with simulator(plan, big.options, big.fields) as (sim, clock), _workdir() as keep:
        for tool in TOOLS:
            with _workdir() as work:
                for run in ("first", "merge"):
                    trial = _trial(sim, clock, tool, "events", big.config, plan, work)
                    _row(tool, run, trial, args.records)
                shutil.copy(work / "load.duckdb", keep / f"{tool}.duckdb")
        same = _same_tables(keep / "restsync.duckdb", keep / "dlt_parallel.duckdb")
        print(f"\nidentical: {same}")


def _row(tool: str, run: str, trial: Trial, records: int) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    state = f" ({trial.error})" if trial.error else ""
    print(
        f"| {tool} | {run} | {trial.seconds:.1f} | {records / trial.seconds:,.0f} "
        f"| {trial.peak_rss_mb:.0f} MB | {trial.all_rows:,d}{state} | {load} |",
        flush=True,
    )
    print(f"  {tool} {run} done", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
