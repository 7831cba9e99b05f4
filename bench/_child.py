"""One tool, one load, in its own process: ``python -m bench._child SPEC.json RESULT.json``.

Running every tool in a fresh interpreter keeps peak RSS per tool (``VmHWM`` is read here, right
after the load) and keeps one tool's imports, caches and threads out of the next one's numbers.

The spec names the tool (``restsync``, ``restsync_dicts``, ``dlt``, ``dlt_parallel`` or
``dlt_parallel_all``), the
config to run (already in that tool's dialect, pointed at the simulator), the tables to count, the
loader file format (``None``: dlt's default) and a working directory that holds the DuckDB file and
dlt's ``pipelines_dir``.
"""

from __future__ import annotations

import time

_PROCESS_START = time.time()

import json  # noqa: E402 - the clock above must start before the heavy imports
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

__all__ = ["main"]


def proc_status_mb(key: str) -> float:
    """A ``/proc/self/status`` memory line (``VmHWM``, ``VmRSS``) in MiB; 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(spec: dict[str, Any]) -> dict[str, Any]:
    workdir = Path(spec["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)  # no stray .dlt/ config from the caller's directory
    tool = spec["tool"]

    import dlt

    if tool.startswith("restsync"):
        import functools

        import restsync
        from restsync._api import load_file_format

        build = restsync.rest_api_source
        if tool == "restsync_dicts":
            build = functools.partial(build, page_format="dicts")
    else:
        from dlt.sources.rest_api import rest_api_source

        build = rest_api_source
    imported = time.time()
    rss_after_import = proc_status_mb("VmRSS")

    db_path = workdir / f"{tool}.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{tool}",
        destination=dlt.destinations.duckdb(str(db_path)),
        dataset_name="bench",
        pipelines_dir=str(workdir / "pipelines"),
    )
    started = time.time()
    kwargs = {"parallelized": True} if tool == "dlt_parallel_all" else {}
    source = build(spec["config"], name=spec["name"], **kwargs)
    phases: dict[str, float] = {}
    peaks: dict[str, float] = {}
    error = None
    try:
        # pipeline.run's three steps, one by one, so each gets its own time and memory peak
        file_format = spec.get("file_format")
        if tool.startswith("restsync") and file_format:
            # staged as `restsync run` stages: Parquet for Arrow pages (jsonl would undo them)
            file_format = load_file_format(pipeline, source) or file_format
        _steps(pipeline, source, file_format, phases, peaks)
        if tool.startswith("restsync"):
            report = restsync.runtime_of(source).last_report
            if report is not None and report.failures():
                raise restsync.SyncFailed(report.failures())
    except Exception as exc:  # reported, not raised: the bench prints every tool's outcome
        first_line = (str(exc).strip().splitlines() or [""])[0]
        error = f"{type(exc).__name__}: {first_line[:300]}"
    finished = time.time()
    peak_rss = proc_status_mb("VmHWM")

    engine: dict[str, Any] = {}
    if tool.startswith("restsync"):
        report = restsync.runtime_of(source).last_report
        if report is not None:
            engine = {
                name: {"pages": s.pages, "records": s.records, "retries": s.retries}
                for name, s in report.resources.items()
            }
    return {
        "tool": tool,
        "process_start": _PROCESS_START,
        "imported": imported,
        "started": started,
        "finished": finished,
        "import_seconds": imported - _PROCESS_START,
        "wall_seconds": finished - started,
        "rss_after_import_mb": rss_after_import,
        "peak_rss_mb": peak_rss,
        "rows": _count_rows(db_path, spec["tables"]),
        "all_rows": _count_all_rows(db_path),
        "engine": engine,
        "phases": phases,
        "peak_rss_by_phase_mb": peaks,
        "error": error,
    }


def _steps(
    pipeline: Any,
    source: Any,
    file_format: str | None,
    phases: dict[str, float],
    peaks: dict[str, float],
) -> None:
    mark = time.time()
    if file_format:
        pipeline.extract(source, loader_file_format=file_format)
    else:
        pipeline.extract(source)
    phases["extract"], mark = time.time() - mark, time.time()
    peaks["extract"] = proc_status_mb("VmHWM")
    pipeline.normalize()
    phases["normalize"], mark = time.time() - mark, time.time()
    peaks["normalize"] = proc_status_mb("VmHWM")
    pipeline.load()
    phases["load"] = time.time() - mark


def _count_rows(db_path: Path, tables: list[str]) -> dict[str, int | None]:
    import duckdb

    out: dict[str, int | None] = {}
    if not db_path.exists():
        return {t: None for t in tables}
    with duckdb.connect(str(db_path), read_only=True) as db:
        for table in tables:
            try:
                row = db.sql(f'select count(*) from bench."{table}"').fetchone()
                out[table] = int(row[0]) if row else 0
            except duckdb.Error:
                out[table] = None
    return out


def _count_all_rows(db_path: Path) -> int:
    """Rows in every table of the dataset (nested child tables too), dlt's own tables excepted."""
    import duckdb

    if not db_path.exists():
        return 0
    total = 0
    with duckdb.connect(str(db_path), read_only=True) as db:
        names = db.sql(
            "select table_name from information_schema.tables "
            "where table_schema = 'bench' and table_name not like '\\_dlt%' escape '\\'"
        ).fetchall()
        for (name,) in names:
            row = db.sql(f'select count(*) from bench."{name}"').fetchone()
            total += int(row[0]) if row else 0
    return total


def main(argv: list[str]) -> int:
    spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text())
    result = run(spec)
    Path(result_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
