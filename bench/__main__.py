"""``python -m bench``: restsync against dlt's rest_api on the same simulated APIs (issue 5).

    python -m bench                  # all three workloads; updates docs/benchmarks.md
    python -m bench --quick          # a small smoke run (about a minute); no doc update
    python -m bench --workload 2     # one workload (repeatable)

Every tool runs in its own process against a simulator serving identical data; the tables are
printed and, on a full run, written between the markers of docs/benchmarks.md. The exit code is 1
when a tool fails or loads other row counts than the simulator serves.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

import restsync
from bench._bounds import lower_bound
from bench._harness import RequestClock, ToolRun, run_tool, simulator
from bench._report import TOOL_LABELS, CaseResult, machine, render, update_doc
from bench._workloads import SEEDS, Case, big_case, rate_case, seed_case
from restsync.simulator import Simulator

ALL_DLT = ("dlt", "dlt_parallel", "dlt_parallel_all")
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
RATE = 20.0


def plan_cases(quick: bool, workloads: set[int]) -> list[Case]:
    cases: list[Case] = []
    if 1 in workloads:
        seeds = ("webhook_service", "video_rooms") if quick else SEEDS
        tools = ("restsync", "restsync_dicts", *ALL_DLT)
        cases += [
            seed_case(name, scale=1 if quick else 5, latency_ms=50, tools=tools) for name in seeds
        ]
        if not quick:
            # the two seeds with the 3x target again, every tool staged as `restsync run` stages
            shipped = ("restsync", "restsync_dicts", "dlt_parallel", "dlt_parallel_all")
            cases += [
                seed_case(name, scale=5, latency_ms=50, tools=shipped, staged_as_shipped=True)
                for name in ("webhook_service", "video_rooms")
            ]
    if 2 in workloads:
        pair = ("restsync", "dlt")
        trio = ("restsync", "restsync_dicts", "dlt")
        if quick:
            cases.append(big_case(20_000, page_size=1000, tools=trio))
        else:
            cases += [
                big_case(
                    100_000,
                    page_size=5000,
                    tools=("restsync", "restsync_dicts", "dlt", "dlt_parallel"),
                ),
                big_case(100_000, page_size=5000, tools=pair, file_format=None),
                big_case(100_000, page_size=5000, tools=pair, compress=False),
                big_case(1_000_000, page_size=5000, tools=trio),
                # DuckDB's load step capped harder than restsync's own settings (a user's choice)
                big_case(100_000, page_size=5000, tools=("restsync",), cap_duckdb=True),
                big_case(1_000_000, page_size=5000, tools=("restsync",), cap_duckdb=True),
            ]
    if 3 in workloads:
        scale = 0.5 if quick else 2
        cases.append(rate_case("webhook_service", scale=scale, latency_ms=50, rps=RATE))
    return cases


def run_case(case: Case, timeout: float) -> CaseResult:
    plan = restsync.plan_config(case.config, name=case.source_name)
    tables = [r.table_name for r in plan.resources.values() if r.selected]
    runs: list[ToolRun] = []
    served: dict[str, int] = {}

    def one(sim: Simulator, clock: RequestClock, tool: str) -> None:
        started = time.time()
        run = run_tool(
            sim,
            clock,
            case=case.name,
            tool=tool,
            config=case.config,
            source_name=case.source_name,
            tables=tables,
            timeout=timeout,
            file_format=case.file_format,
            env=case.env,
        )
        runs.append(run)
        state = run.error or "ok"
        print(
            f"  [{time.time() - started:6.1f} s] {case.name:<26} {TOOL_LABELS[tool]:<31} "
            f"wall {run.wall_seconds or 0:7.2f} s  {run.requests:5d} req  {run.rows:8,d} rows  "
            f"{run.peak_rss_mb:5.0f} MB  {state}",
            file=sys.stderr,
            flush=True,
        )

    if case.workload == 2:
        # generating 1M records takes a minute: one simulator, counters reset between tools
        with simulator(plan, case.options, case.fields) as (sim, clock):
            served = {"events": case.options.records_per_resource or 0}
            for tool in case.tools:
                one(sim, clock, tool)
    else:
        for tool in case.tools:  # a fresh simulator per tool, same options and seed
            with simulator(plan, case.options, case.fields) as (sim, clock):
                served = {name: len(records) for name, records in sim.dataset().items()}
                one(sim, clock, tool)

    result = CaseResult(
        case.workload, case.name, runs, served, pipeline_settings=case.pipeline_settings
    )
    base = result.run("restsync")
    if case.workload in (1, 3) and base is not None:
        result.bound = lower_bound(plan, case.options, served, measured_requests=base.requests)
    return result


def checks_for(results: list[CaseResult]) -> list[str]:
    """Failures and row-count mismatches (these fail the run) and request-count notes."""
    problems: list[str] = []
    for c in results:
        expected = c.served
        for r in c.runs:
            label = f"{c.case} / {TOOL_LABELS[r.tool]}"
            if r.error:
                problems.append(f"**{label}: {r.error}**")
                continue
            wrong = {
                t: (n, expected.get(t)) for t, n in r.rows_by_table.items() if n != expected.get(t)
            }
            if wrong:
                problems.append(f"**{label}: rows (loaded, served) differ: {wrong}**")
        base = c.run("restsync")
        for r in c.runs:
            if base and r is not base and not r.error and r.all_rows != base.all_rows:
                problems.append(
                    f"**{c.case} / {TOOL_LABELS[r.tool]}: {r.all_rows:,} rows in all tables "
                    f"(nested included), restsync {base.all_rows:,}**"
                )
        bound = c.bound
        if bound is not None and base is not None:
            if not bound.requests <= base.requests <= bound.requests_upper:
                problems.append(
                    f"{c.case}: restsync made {base.requests} requests, the paging model "
                    f"expects {bound.requests}-{bound.requests_upper}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run; no doc update")
    parser.add_argument(
        "--workload", type=int, choices=(1, 2, 3), action="append", help="run only this workload"
    )
    parser.add_argument(
        "--cap", type=float, default=300.0, help="seconds one tool may take on one case"
    )
    parser.add_argument(
        "--doc", type=Path, default=None, help=f"update this file (full runs: {DOC})"
    )
    parser.add_argument("--no-doc", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = parser.parse_args(argv)

    workloads = set(args.workload or (1, 2, 3))
    command = " ".join(["python -m bench", shlex.join(sys.argv[1:] if argv is None else argv)])
    command = command.strip()
    started_at = dt.datetime.now(dt.UTC)
    started = time.time()
    machine_info = machine()
    cases = plan_cases(args.quick, workloads)
    print(f"bench: {len(cases)} cases, workloads {sorted(workloads)}", file=sys.stderr)
    results = [run_case(case, args.cap) for case in cases]
    machine_end = machine()

    settings = [
        "Each tool runs in its own child process (`python -m bench._child`); wall time is "
        "source construction + extract + normalize + load, imports excluded. Peak RSS is the "
        "child's `VmHWM`. Requests and concurrency are counted by the simulator, which runs in "
        "the parent process and shares the machine's CPUs with the tool.",
        "Workloads 1 and 3: a fresh simulator per tool with identical options (seed 1). "
        "Workload 2: one simulator per size, its counters reset between tools.",
        "dlt configs are generated from restsync's plan by `bench/dlt_configs.py`. "
        "'dlt parallelized' sets `parallelized: True` on every resource; "
        "'+ source flag' also passes `rest_api_source(..., parallelized=True)`.",
        'Workload 2 loads with `loader_file_format="jsonl"` for every tool unless the table '
        "says otherwise: dlt's duckdb default, `insert_values`, and jsonl with dlt's intermediate "
        "file compression off (`DATA_WRITER__DISABLE_COMPRESSION=true`) are shown at 100k.",
        "One run per tool and case: expect a few percent of noise, more when other processes "
        "use the CPUs (see the load averages).",
    ]
    budgets = {c.case: RATE for c in results if c.workload == 3}
    checks = checks_for(results)
    report = render(
        results,
        command=command,
        started=started_at,
        seconds=time.time() - started,
        machine_info=machine_info,
        machine_end=machine_end,
        budgets=budgets,
        checks=checks,
        settings=settings,
    )
    print(report)
    doc = args.doc or (None if args.quick or args.no_doc else DOC)
    if doc is not None and not args.no_doc:
        update_doc(doc, report)
        print(f"bench: results written to {doc}", file=sys.stderr)
    if args.json is not None:
        raw = [asdict(c) for c in results]
        args.json.write_text(json.dumps({"machine": machine_info, "results": raw}, indent=1))
    failed = [c for c in checks if c.startswith("**")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
