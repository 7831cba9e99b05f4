"""``python -m bench.small_run``: where a small fan-out sync's time goes, phase by phase.

    .venv/bin/python -m bench.small_run [--pairs 7] [--latency-ms 20] [--baseline-src DIR]

The fan-out of ``python -m bench.airbyte`` (bench/manifests/fanout.yaml: 200 projects on 2 pages,
then 2 cursor pages of 50 tasks per project; 403 requests, 20,200 records) through
``restsync.sync`` into a DuckDB file, each run in a fresh process. Each phase is stamped with
the wall clock and the process's CPU time (user + system, every thread): the imports, the source
build (the manifest reader, the engine and aiohttp are imported there), the pipeline, then dlt's
extract, normalize and load steps. The mock API (its own process) logs when each request arrived
and was answered, so the extract's request span can be set against its bound: the two serial
project pages, then 400 task requests at ``max_concurrency`` (16) in flight, and the mean
number in flight over the span says how busy the engine kept its 16 slots.

``--baseline-src DIR`` alternates runs of another ``src`` folder (``git archive main src | tar -x
-C DIR``, then ``DIR/src``) with this checkout's, and prints both medians: on a shared machine
only medians of alternating runs, and CPU times rather than wall times, compare two versions.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import _mock_api
from bench._manifest_sync import child_result, cpu_seconds, sync_manifest

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "bench" / "manifests" / "fanout.yaml"
CONCURRENCY = 16  # restsync's default: the manifest sets no concurrency_level


def _child(port: int) -> None:
    """One sync, stamped (run in a fresh process, the ``src`` under test first on the path)."""

    def mark(name: str) -> None:
        marks[name] = (time.time(), cpu_seconds())

    marks: dict[str, tuple[float, float]] = {}
    mark("start")
    engine_cpu: list[float] = []
    thread_run = threading.Thread.run

    def timed_run(self: threading.Thread) -> None:
        try:
            thread_run(self)
        finally:
            if self.name == "restsync-engine":
                engine_cpu.append(time.thread_time())

    threading.Thread.run = timed_run  # type: ignore[method-assign]
    from dlt.pipeline.pipeline import Pipeline

    importlib.import_module("restsync")  # its root only: the rest is imported when first used
    mark("imports")
    for step in ("extract", "normalize", "load"):
        original = getattr(Pipeline, step)

        def stamped(self: Any, *args: Any, _original: Any = original, _step: str = step, **kw: Any):  # type: ignore[no-untyped-def]
            mark(f"{_step} begins")
            try:
                return _original(self, *args, **kw)
            finally:
                mark(f"{_step} ends")

        setattr(Pipeline, step, stamped)
    config = {"base_url": f"http://127.0.0.1:{port}", "token": "t"}
    rows = sync_manifest(MANIFEST, config, "small_run", mark=mark)
    result = {"marks": marks, "rows": rows, "engine_cpu": sum(engine_cpu)}
    print("@@small_run@@" + json.dumps(result))


def _one(src: Path, port: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, "-m", "bench.small_run", "--child", str(port)]
    result = json.loads(child_result(command, "@@small_run@@", env=env, cwd=ROOT, timeout=600))
    log = _mock_api.request_log(port)
    m = {k: tuple(v) for k, v in result["marks"].items()}
    first, last = min(a for a, _, _ in log), max(b for _, b, _ in log)
    projects = sorted((a, b) for a, b, p in log if p == "/projects")
    # the two serial project pages, then every task request at the concurrency limit
    mean = statistics.median(b - a for a, b, _ in log)
    bound = 2 * mean + (len(log) - len(projects)) / CONCURRENCY * mean
    return {
        "wall s, imports (dlt, restsync's root)": m["imports"][0] - m["start"][0],
        "wall s, source built (the engine imported)": m["source built"][0] - m["imports"][0],
        "wall s, pipeline made": m["pipeline made"][0] - m["source built"][0],
        "wall s, sync call to dlt's extract": m["extract begins"][0] - m["pipeline made"][0],
        "wall s, sync call to first request": first - m["pipeline made"][0],
        "wall s, request span": last - first,
        "wall s, request span's bound": bound,
        "requests in flight, mean over the span": _mean_in_flight(log),
        "wall s, last answer to extract's end": m["extract ends"][0] - last,
        "wall s, normalize + load": m["load ends"][0] - m["normalize begins"][0],
        "wall s, sync (whole)": m["synced"][0] - m["pipeline made"][0],
        "wall s, after the imports to the end": m["synced"][0] - m["imports"][0],
        "CPU s, imports": m["imports"][1] - m["start"][1],
        "CPU s, source built": m["source built"][1] - m["imports"][1],
        "CPU s, sync": m["synced"][1] - m["pipeline made"][1],
        "CPU s, after the imports to the end": m["synced"][1] - m["imports"][1],
        "CPU s, process until synced": m["synced"][1],
        "CPU s, engine thread": result["engine_cpu"],
        "requests": float(len(log)),
        "records": float(result["rows"]),
    }


def _mean_in_flight(log: list[tuple[float, float, str]]) -> float:
    """How many requests the mock API held at once, on average from the first arrival to the
    last answer (``CONCURRENCY`` at most: below it, the engine was not keeping its slots busy)."""
    changes = sorted([(arrived, 1) for arrived, _, _ in log] + [(done, -1) for _, done, _ in log])
    held, area, since = 0, 0.0, changes[0][0]
    for when, change in changes:
        area += held * (when - since)
        held, since = held + change, when
    return area / (changes[-1][0] - changes[0][0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=18771)
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return 0
    versions = {"this checkout": ROOT / "src"}
    if args.baseline_src:
        versions = {"baseline": args.baseline_src.resolve(), **versions}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in versions}
    loads = [os.getloadavg()[0]]
    with _mock_api.running(args.port, args.latency_ms, log_requests=True):
        for pair in range(args.pairs):
            order = list(versions) if pair % 2 == 0 else list(reversed(versions))
            for name in order:
                runs[name].append(_one(versions[name], args.port))
            loads.append(os.getloadavg()[0])
    print(
        f"fan-out, {args.latency_ms:g} ms per request, medians of {args.pairs} run(s) per "
        f"version, alternating; load average {min(loads):.1f}-{max(loads):.1f}"
    )
    print("| measure | " + " | ".join(versions) + " |")
    print("|---|" + "---|" * len(versions))
    for key in runs[next(iter(versions))][0]:
        values = [statistics.median(r[key] for r in runs[name]) for name in versions]
        shown = [f"{v:,.0f}" if key in ("requests", "records") else f"{v:.3f}" for v in values]
        print(f"| {key} | " + " | ".join(shown) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
