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
import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._manifest_sync import cpu_seconds, sync_manifest, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = Path(__file__).resolve().parent / "manifests"
REFERENCE_PYTHON = ROOT / ".venv-airbyte" / "bin" / "python"


# --- the mock API (its own process) ----------------------------------------------------------


def serve(port: int, latency_ms: float, projects: int, days: int) -> None:
    from aiohttp import web

    delay = latency_ms / 1000

    async def project_list(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        page, size = int(request.query["page"]), int(request.query["per_page"])
        ids = range((page - 1) * size + 1, min(page * size, projects) + 1)
        return web.json_response({"data": [{"id": i, "name": f"p{i}"} for i in ids]})

    async def tasks(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        project = int(request.match_info["project"])
        second = request.query.get("cursor") == "2"
        rows = [
            {"id": project * 1000 + (50 if second else 0) + t, "done": t % 2 == 0}
            for t in range(50)
        ]
        return web.json_response({"data": rows, "next": None if second else "2"})

    async def events(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        day, offset = request.query["since"][:10], int(request.query.get("offset", "0"))
        count = 150 - offset if offset < 150 else 0
        rows = [
            {"id": f"{day}-{offset + i}", "updated_at": f"{day}T12:00:00Z"}
            for i in range(min(100, count))
        ]
        return web.json_response({"data": rows})

    app = web.Application()
    app.router.add_get("/projects", project_list)
    app.router.add_get("/projects/{project}/tasks", tasks)
    app.router.add_get("/events", events)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


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
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.airbyte",
            "--restsync",
            str(manifest),
            json.dumps(config),
            page_format,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("@@restsync@@")), None)
    if line is None:
        raise RuntimeError(f"restsync failed: {done.stderr.strip()[-500:]}")
    _, seconds, rows, cpu, process_cpu = line.split()
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
    done = subprocess.run(
        [str(REFERENCE_PYTHON), "-c", _CDK_READ, str(manifest), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("@@cdk@@")), None)
    if line is None:
        raise RuntimeError(f"airbyte-cdk failed: {done.stderr.strip()[-500:]}")
    _, seconds, records, errors, cpu, process_cpu = line.split()
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
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--restsync", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.restsync:
        _restsync_child(*args.restsync)
        return 0
    if args.serve:
        serve(args.port, args.latency_ms, args.projects, args.days)
        return 0
    if not REFERENCE_PYTHON.exists():
        print("no reference environment: run 'make airbyte-reference' first")
        return 2
    mock = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.airbyte",
            "--serve",
            f"--port={args.port}",
            f"--latency-ms={args.latency_ms}",
            f"--projects={args.projects}",
            f"--days={args.days}",
        ],
        cwd=ROOT,
    )
    try:
        wait_for_port(args.port)
        base = f"http://127.0.0.1:{args.port}"
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
    finally:
        mock.terminate()
        mock.wait(10)
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
