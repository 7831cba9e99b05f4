"""``python -m bench.targets``: issue 11's targets, whole processes against dlt parallelized.

    python -m bench.targets               # 3 rounds; prints the markdown tables
    python -m bench.targets --repeats 1 --quick

The tables go to stdout (docs/benchmarks.md#issue-11-targets holds the last full run, pasted with
the command and the load averages); progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from bench._bounds import Bound
from bench._targets import TargetCase, run_targets

TARGETS = {"webhook_service": 3.0, "video_rooms": 2.2}


def _seconds(case: TargetCase, tool: str) -> str:
    return " / ".join(f"{t.seconds:.2f}" for t in case.of(tool)) or "failed"


def _header(*cells: str) -> list[str]:
    """A markdown table's header row and the separator row under it."""
    return ["| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]


def _peak_rss(case: TargetCase, tool: str) -> float:
    return max((t.peak_rss_mb for t in case.of(tool)), default=0)


def _speed_table(cases: list[TargetCase]) -> list[str]:
    lines = _header(
        "seed",
        "restsync run, s (each round)",
        "dlt parallelized, s",
        "speedup (medians)",
        "target",
        "restsync peak RSS",
        "load avg after",
    )
    for case in cases:
        if case.name not in TARGETS:
            continue
        ours, theirs = case.median("restsync"), case.median("dlt_parallel")
        ratio = f"{theirs / ours:.2f}x" if ours and theirs else "-"
        rss = _peak_rss(case, "restsync")
        lines.append(
            f"| {case.name} | {_seconds(case, 'restsync')} | {_seconds(case, 'dlt_parallel')} "
            f"| {ratio} | >= {TARGETS[case.name]}x | {rss:.0f} MB | {_load(case)} |"
        )
    return lines


def _big_table(cases: list[TargetCase]) -> list[str]:
    lines = _header(
        "records",
        "tool",
        "seconds (each round)",
        "rows/s (median)",
        "peak RSS",
        "ratio",
        "identical",
    )
    for case in cases:
        if not case.name.endswith("records"):
            continue
        rows = sum(case.served.values())
        rates = {}
        for tool in ("restsync", "dlt_parallel"):
            median = case.median(tool)
            rates[tool] = rows / median if median else 0.0
        ratio = rates["restsync"] / rates["dlt_parallel"] if rates["dlt_parallel"] else 0.0
        for tool in ("restsync", "dlt_parallel"):
            rss = _peak_rss(case, tool)
            shown = f"{ratio:.2f}x" if tool == "restsync" else ""
            lines.append(
                f"| {rows:,} | {tool} | {_seconds(case, tool)} | {rates[tool]:,.0f} "
                f"| {rss:.0f} MB | {shown} | {case.identical if tool == 'restsync' else ''} |"
            )
    return lines


def _bound_table(cases: list[TargetCase]) -> list[str]:
    lines = _header(
        "seed",
        "requests (model)",
        "requests span, s (fastest run)",
        "request bound, s",
        "span / bound",
        "critical path: requests, s",
        "span / critical path",
    )
    for case in cases:
        runs = [t for t in case.of("restsync") if t.first_request is not None]
        if case.bound is None or not runs:
            continue
        best = min(runs, key=lambda t: (t.last_request or 0) - (t.first_request or 0))
        span = (best.last_request or 0) - (best.first_request or 0)
        lines.append(
            f"| {case.name} | {best.requests} ({_model(case.bound)}) | {span:.2f} "
            f"| {case.bound.seconds:.2f} "
            f"| {span / case.bound.seconds:.2f}x "
            f"| {case.bound.critical_path}, {case.bound.latency_term:.2f} "
            f"| {span / case.bound.latency_term:.2f}x |"
        )
    return lines


def _model(bound: Bound) -> str:
    """The model's request count: without guesses past a chain's end, and with all of them."""
    if bound.requests_upper == bound.requests:
        return str(bound.requests)
    return f"{bound.requests}-{bound.requests_upper}"


def _load(case: TargetCase) -> str:
    return " ".join(f"{x:.1f}" for x in case.loadavg) if case.loadavg else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.targets")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="scale 1 and 50k records")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "-m", "bench.targets", *(argv or sys.argv[1:])])
    before = os.getloadavg()
    cases = run_targets(args.repeats, quick=args.quick)
    out = [f"`{command}`; load average before {' '.join(f'{x:.1f}' for x in before)}", ""]
    out += _speed_table(cases) + [""] + _big_table(cases) + [""] + _bound_table(cases)
    print("\n".join(out))
    errors = [t.error for c in cases for t in c.trials if t.error]
    for error in errors:
        print(f"failed: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
