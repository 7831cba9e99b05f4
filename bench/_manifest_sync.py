"""One Airbyte manifest synced by restsync into a DuckDB file, stamped phase by phase.

What ``bench.airbyte`` and ``bench.small_run`` both time in their child process: the source
built from the manifest, a dlt pipeline into a DuckDB file in a temporary folder, ``restsync.sync``,
and the records the sync delivered. Each phase's end is handed to ``mark`` (the caller stamps
it with its clocks). Also what both read: this process's CPU seconds, and the result line a
child process prints.
"""

from __future__ import annotations

import resource
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["child_result", "cpu_seconds", "sync_manifest"]


def cpu_seconds() -> float:
    """This process's CPU seconds so far (user + system, every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sync_manifest(
    manifest: str | Path,
    config: Mapping[str, Any],
    pipeline_name: str,
    page_format: str | None = None,
    mark: Callable[[str], None] = lambda phase: None,
) -> int:
    """Sync ``manifest`` with ``config`` into a fresh DuckDB file; the records delivered.

    ``mark`` is called with ``"source built"``, ``"pipeline made"`` and ``"synced"`` as each
    phase ends (before the report is read and the folder removed). ``page_format``: restsync's
    default when ``None``."""
    import dlt

    import restsync

    options = {} if page_format is None else {"page_format": page_format}
    with tempfile.TemporaryDirectory() as folder:
        source = restsync.airbyte_source(str(manifest), dict(config), **options)
        mark("source built")
        pipeline = dlt.pipeline(
            pipeline_name,
            destination=dlt.destinations.duckdb(f"{folder}/b.duckdb"),
            dataset_name="data",
            pipelines_dir=folder,
        )
        mark("pipeline made")
        restsync.sync(pipeline, source)
        mark("synced")
        report = restsync.runtime_of(source).last_report
        assert report is not None
        return sum(s.records for s in report.resources.values() if s.delivered)


def child_result(
    command: Sequence[str],
    tag: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
) -> str:
    """Run ``command`` and return what follows ``tag`` on the line of its output that starts
    with it (the child's result); a RuntimeError with the end of its stderr when none does."""
    done = subprocess.run(
        list(command), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(tag)), None)
    if line is None:
        raise RuntimeError(f"{command[0]} {command[1]} failed: {done.stderr.strip()[-800:]}")
    return line.removeprefix(tag)
