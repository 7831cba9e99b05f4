"""Differential test: each test manifest through Airbyte's CDK and through restsync, against the
same local API, records compared per stream.

    make airbyte-reference       # once: creates .venv-airbyte with airbyte-cdk (isolated)
    make airbyte-diff            # runs this script with restsync's .venv

The CDK runs in its own environment as a subprocess (scripts/airbyte_reference.py); restsync
runs in this process. Each case starts a routed API on 127.0.0.1 (tests/airbyte/apis.py), so both
see the same server. Prints one line per stream and a closing "N passed, N failed".
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.airbyte import apis, dynamic_api  # noqa: E402
from tests.conftest import RoutedServer  # noqa: E402

MANIFESTS = ROOT / "tests" / "airbyte" / "manifests"
REFERENCE_PYTHON = ROOT / ".venv-airbyte" / "bin" / "python"
_MARK = "@@reference@@ "
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Case:
    manifest: str
    serve: Callable[[RoutedServer], object]
    config: Callable[[str], dict[str, Any]]


CASES = [
    Case(
        "core.yaml",
        apis.serve_core,
        lambda url: {"base_url": url, "api_key": "k-123", "status": "open"},
    ),
    Case("errors.yaml", apis.serve_errors, lambda url: {"base_url": url}),
    Case(
        "session.yaml",
        apis.serve_session,
        lambda url: {"base_url": url, "username": "u", "password": "p"},
    ),
    Case("filters.yaml", apis.serve_filters, lambda url: {"base_url": url}),
    Case(
        "client_side.yaml",
        apis.serve_client_side,
        lambda url: {"base_url": url, "start_date": "2024-01-02", "end_date": "2024-01-05"},
    ),
    Case(
        "forms.yaml",
        apis.serve_forms,
        lambda url: {
            "base_url": url,
            "query": "a b&c",
            "start_date": "2024-01-01",
            "end_date": "2024-01-03",
        },
    ),
    Case(
        "transforms.yaml", apis.serve_transforms, lambda url: {"base_url": url, "query": "active"}
    ),
    Case(
        "feed.yaml",
        apis.serve_feed,
        lambda url: {
            "base_url": url,
            "user": "u",
            "password": "p",
            "start_date": "05/01/2024 00:00",
            "end_date": "01/02/2024 00:00",
        },
    ),
    Case(
        "fanout.yaml",
        apis.serve_fanout,
        lambda url: {
            "base_url": url,
            "token": "t-1",
            "regions": ["eu", "us"],
            "start_date": "2024-01-01",
            "end_date": "2024-01-05",
        },
    ),
    Case("product.yaml", apis.serve_product, lambda url: {"base_url": url}),
    Case("dynamic.yaml", dynamic_api.serve_dynamic, dynamic_api.config),
    Case(
        "cursors.yaml",
        apis.serve_cursors,
        lambda url: {"base_url": url, "start_date": "2024-01-01", "end_date": "2024-01-05"},
    ),
]


def reference_records(
    manifest: Path,
    config: dict[str, Any],
    streams: list[str] | None = None,
    timeout: float = 600,
    cwd: Path | None = None,
) -> tuple[dict[str, list[Any]], list[str]]:
    """The CDK's records per stream, and the errors it reported.

    ``timeout`` is each stream's own budget: a run is stopped once ``timeout`` seconds pass
    without a stream ending (each ending restarts the clock), and the streams it had not ended
    run again, each on its own in a fresh CDK; so one stream that never ends holds up no other.
    A stream that does not end on its own either keeps no records and has the error
    ``"<stream>: airbyte-cdk did not finish within N s"``."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    records: dict[str, list[Any]] = {}
    errors: list[str] = []
    try:
        groups = [list(streams or [])]
        # the first run, then at most one run a stream on its own
        for _ in range(len(groups[0]) + 1):
            if not groups:
                break
            group = groups.pop(0)
            run = _reference_run(manifest, Path(handle.name), group, timeout, cwd)
            errors += run.errors
            for stream, rows in run.records.items():
                if run.stopped is None or stream in run.ended:
                    records.setdefault(stream, []).extend(rows)
            if run.stopped is None:
                continue
            if not streams:  # the whole catalog: nothing to run again by name
                errors.append(f"airbyte-cdk did not finish within {timeout:.0f} s")
                break
            unfinished = [s for s in group if s not in run.ended]
            if len(group) > 1:
                # which one held the others up is not known (cin7's leads waited behind 2,500
                # purchases partitions): each runs again on its own, with its own budget
                groups += [[s] for s in unfinished]
            else:
                errors += [f"{s}: airbyte-cdk did not finish within {timeout:.0f} s" for s in group]
    finally:
        Path(handle.name).unlink()
    return records, errors


@dataclass
class _Run:
    records: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    stopped: str | None = None  # why the run was stopped, None when it ended by itself


def _reference_run(
    manifest: Path, config: Path, streams: list[str], timeout: float, cwd: Path | None
) -> _Run:
    """One CDK process over ``streams``, its lines read as they come; stopped (killed) when
    ``timeout`` seconds pass without a stream ending."""
    script = ROOT / "scripts" / "airbyte_reference.py"
    run = _Run()
    with tempfile.TemporaryFile("w+") as stderr:
        ours, theirs = os.pipe()  # the records' own channel: the CDK logs on stdout
        env = {**os.environ, "REFERENCE_OUT_FD": str(theirs)}
        if cwd:  # a JsonFileSchemaLoader reads ./<package>/schemas/ as that package's data
            env["PYTHONPATH"] = str(cwd)
        process = subprocess.Popen(
            [str(REFERENCE_PYTHON), str(script), str(manifest), str(config), *streams],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            cwd=cwd,
            env=env,
            pass_fds=(theirs,),
        )
        os.close(theirs)  # the child's copy stays open: our end sees EOF when the child exits
        lines: queue.Queue[str | None] = queue.Queue()
        channel = os.fdopen(ours, "r")
        reader = threading.Thread(target=_read_lines, args=(channel, lines), daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                run.stopped = f"no stream ended within {timeout:.0f} s"
                process.kill()
                break
            if line is None:
                break
            # (a mark may follow a log text another thread of the CDK began on the same line)
            if (at := line.find(_MARK)) < 0:
                continue
            item, _ = _DECODER.raw_decode(line, at + len(_MARK))
            if "ended" in item:
                run.ended.add(item["ended"])
                deadline = time.monotonic() + timeout
            elif "errors" in item:
                # an error the CDK tied to a stream is keyed by it; the rest stay whole-run
                by_stream = item.get("stream_errors") or {}
                run.errors = [e for e in item["errors"] if e not in by_stream.values()]
                run.errors += [f"{stream}: {message}" for stream, message in by_stream.items()]
            else:
                run.records.setdefault(item["stream"], []).append(item["data"])
        try:
            process.wait(timeout=60)  # killed, or its output ended: it exits
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=60)
        channel.close()
        stderr.seek(0)
        tail = stderr.read().strip()
    if process.returncode != 0 and run.stopped is None and not run.errors:
        run.errors = [tail.splitlines()[-1] if tail else "failed"]
    return run


def _read_lines(channel: Any, lines: queue.Queue[str | None]) -> None:
    for line in channel:
        lines.put(line)
    lines.put(None)


def restsync_records(manifest: Path, config: dict[str, Any]) -> dict[str, list[Any]]:
    import restsync
    from restsync.airbyte import plan_manifest

    plan = plan_manifest(manifest, config, resolve_requests=True)  # an API lists some streams
    streams = [r.name for r in plan.resources.values() if r.selected]
    records: dict[str, list[Any]] = {}
    for stream in streams:
        source = restsync.airbyte_source(manifest, config, streams=[stream])
        records[stream] = [dict(r) for r in source.resources[stream]]
    return records


def canonical(records: list[Any]) -> list[str]:
    """Records as sorted JSON texts. A null value and an absent key count as the same: the
    CDK's record messages leave out null values, and a loaded table has NULL for both."""
    return sorted(json.dumps(_without_nulls(r), sort_keys=True, default=str) for r in records)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def run_case(case: Case) -> tuple[int, int]:
    server = RoutedServer()
    case.serve(server)
    server.start()
    passed = failed = 0
    try:
        config = case.config(server.base_url)
        manifest = MANIFESTS / case.manifest
        expected, errors = reference_records(manifest, config)
        got = restsync_records(manifest, config)
    finally:
        server.stop()
    if errors:
        print(f"{case.manifest}: airbyte-cdk reported errors: {errors}")
        failed += 1
    for stream in sorted(set(expected) | set(got)):
        same = canonical(expected.get(stream, [])) == canonical(got.get(stream, []))
        counts = f"{len(expected.get(stream, []))} cdk / {len(got.get(stream, []))} restsync"
        print(f"{case.manifest} {stream}: {'same' if same else 'DIFFERENT'} ({counts})")
        if same:
            passed += 1
        else:
            failed += 1
            print("  cdk:     ", canonical(expected.get(stream, []))[:3])
            print("  restsync:", canonical(got.get(stream, []))[:3])
    return passed, failed


def main() -> int:
    if not REFERENCE_PYTHON.exists():
        print("no reference environment: run 'make airbyte-reference' first")
        return 2
    passed = failed = 0
    for case in CASES:
        p, f = run_case(case)
        passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
