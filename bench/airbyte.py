"""``python -m bench.airbyte``: restsync against airbyte-cdk on the same manifest and mock API.

    make airbyte-reference           # once: the isolated airbyte-cdk environment
    .venv/bin/python -m bench.airbyte [--latency-ms 20] [--projects 200] [--days 60]

Two manifests (bench/manifests/): ``fanout`` (projects -> tasks through a
SubstreamPartitionRouter, two pages of tasks per project) and ``slices`` (a DatetimeBasedCursor
with daily windows, two pages per window). The mock API runs in its own process with a fixed
latency per request. restsync runs end to end (extract and load into DuckDB); airbyte-cdk reads
the records (no destination). Each tool runs in its own process; times are wall seconds and
CPU seconds (user + system, every thread) from after the imports (restsync's manifest reader and
engine included, as the CDK's script imports its source class) to the end of the run, and the
whole process's CPU seconds. ``--repeat N`` runs each tool N times, alternating the order, and
prints medians: on a shared machine the wall seconds of a single run vary by tens of percent.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import _mock_api
from bench._manifest_sync import child_result, cpu_seconds, sync_manifest

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = Path(__file__).resolve().parent / "manifests"
REFERENCE_PYTHON = ROOT / ".venv-airbyte" / "bin" / "python"


# --- the two tools --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """One tool's run: wall seconds and CPU seconds (user + system) from after its imports,
    the records it read, and its whole process's CPU seconds (interpreter start, imports)."""

    seconds: float
    records: int
    cpu: float
    process_cpu: float


def run_restsync(manifest: Path, config: dict[str, Any], page_format: str = "dicts") -> Timed:
    """restsync in its own process, timed from after its imports, like the CDK below."""
    command = [sys.executable, "-m", "bench.airbyte", "--restsync", str(manifest)]
    result = child_result([*command, json.dumps(config), page_format], "@@restsync@@", cwd=ROOT)
    seconds, rows, cpu, process_cpu = result.split()
    return Timed(float(seconds), int(rows), float(cpu), float(process_cpu))


def _restsync_child(manifest: str, config_json: str, page_format: str) -> None:
    import restsync

    importlib.import_module("dlt")  # before the timer too

    # imported before the timer, as the CDK's script imports its source class: the manifest
    # reader, the engine and aiohttp (``restsync`` itself imports them when first used)
    assert restsync.airbyte_source is not None
    ends: dict[str, tuple[float, float]] = {}

    def mark(phase: str) -> None:
        ends[phase] = (time.perf_counter(), cpu_seconds())

    started, cpu_started = time.perf_counter(), cpu_seconds()
    rows = sync_manifest(manifest, json.loads(config_json), "bench_airbyte", page_format, mark)
    seconds, cpu = ends["synced"][0] - started, ends["synced"][1] - cpu_started
    print("@@restsync@@", seconds, rows, cpu, cpu_seconds())


_CDK_READ = """
import json, resource, sys, time, yaml
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative import concurrent_declarative_source as cds
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
manifest = yaml.safe_load(open(sys.argv[1]))
manifest.setdefault("spec", {"type": "Spec", "connection_specification": {"type": "object"}})
config = json.loads(sys.argv[2])
builder = CatalogBuilder()
for s in manifest["streams"]:
    name = s.get("name") or s.get("$ref", "").rsplit("/", 1)[-1]
    stream = ConfiguredAirbyteStreamBuilder().with_name(name)
    builder.with_stream(stream.with_sync_mode(SyncMode.full_refresh))
catalog = builder.build()
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started, cpu_started = time.perf_counter(), cpu()
source = cds.ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=catalog)
output = read(source, config, catalog)
seconds, used = time.perf_counter() - started, cpu() - cpu_started
print("@@cdk@@", seconds, len(output.records), len(output.errors), used, cpu())
"""


def run_cdk(manifest: Path, config: dict[str, Any]) -> Timed:
    command = [str(REFERENCE_PYTHON), "-c", _CDK_READ, str(manifest), json.dumps(config)]
    seconds, records, errors, cpu, process_cpu = child_result(command, "@@cdk@@").split()
    if int(errors):
        raise RuntimeError(f"airbyte-cdk reported {errors} errors")
    return Timed(float(seconds), int(records), float(cpu), float(process_cpu))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool (medians)")
    parser.add_argument("--restsync", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.restsync:
        _restsync_child(*args.restsync)
        return 0
    if not REFERENCE_PYTHON.exists():
        print("no reference environment: run 'make airbyte-reference' first")
        return 2
    with _mock_api.running(args.port, args.latency_ms, args.projects) as base:
        cases = {
            "fanout": {"base_url": base, "token": "t"},
            "slices": {
                "base_url": base,
                "token": "t",
                "start_date": "2024-01-01T00:00:00Z",
                "end_date": _day(args.days),
            },
        }
        print(
            f"latency {args.latency_ms:g} ms per request, {args.projects} projects, "
            f"{args.days} days; medians of {args.repeat} run(s) per tool, the tools' order "
            f"alternating; load average {_load()} at the start"
        )
        print(
            "| manifest | tool | wall s | CPU s | process CPU s | records | wall vs restsync "
            "| CPU vs restsync |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, config in cases.items():
            manifest = MANIFESTS / f"{name}.yaml"
            runs: dict[str, list[Timed]] = {tool: [] for tool in _TOOLS}
            for round_ in range(args.repeat):
                order = list(_TOOLS) if round_ % 2 == 0 else list(reversed(_TOOLS))
                for tool in order:
                    runs[tool].append(_TOOLS[tool](manifest, config))
            ours = _median(runs["restsync"])
            for tool, timed in runs.items():
                m = _median(timed)
                print(
                    f"| {name} | {tool} | {m.seconds:.2f} | {m.cpu:.2f} | {m.process_cpu:.2f} "
                    f"| {m.records:,} | {m.seconds / ours.seconds:.2f}x "
                    f"| {m.cpu / ours.cpu:.2f}x |"
                )
        print(f"load average {_load()} at the end")
    return 0


_TOOLS: dict[str, Callable[[Path, dict[str, Any]], Timed]] = {
    "restsync": run_restsync,
    "restsync, page_format arrow": lambda manifest, config: run_restsync(manifest, config, "arrow"),
    "airbyte-cdk": run_cdk,
}


def _median(runs: list[Timed]) -> Timed:
    """Each measure's median over the runs (records: the first run's; all runs read the same)."""

    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Timed(
        mid([r.seconds for r in runs]),
        runs[0].records,
        mid([r.cpu for r in runs]),
        mid([r.process_cpu for r in runs]),
    )


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _day(days: int) -> str:
    import datetime as dt

    return (dt.datetime(2024, 1, 1) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    sys.exit(main())
