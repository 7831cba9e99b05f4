"""``restsync run``: build the source, sync it through ``restsync.sync``, report, exit.

The pipeline runs in a worker thread so the main thread can show progress and take Ctrl-C.
Every outcome ends in one exit code (docs/report.md#exit-codes), and with ``--report`` in a JSON
file written whatever happened.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from restsync._errors import ConfigError, SyncFailed
from restsync.cli import _options as opts
from restsync.cli._app import app, console, err, exit_now, settings
from restsync.cli._duckdb_file import HeldDestination
from restsync.cli._failures import ExitCode, Terminated, explain, print_failure, redact_text
from restsync.cli._options import SourceArg
from restsync.cli._preflight import dataset_findings, destination_findings, duckdb_findings
from restsync.cli._progress import print_summary, wait_with_progress
from restsync.cli._report import RunRecord
from restsync.cli._scrub import scrubbed_logs

__all__ = ["build_source", "make_pipeline", "run", "sync_with_progress"]


@dataclass(frozen=True)
class RunOptions:
    source: str
    base_url: str | None
    destination: str
    duckdb_path: Path | None
    dataset: str | None
    resources: str | None
    full_refresh: bool
    pipeline_name: str | None
    pipelines_dir: Path | None
    progress_every: float
    page_format: str | None
    loader_file_format: str | None
    manifest_config: Path | None = None  # an Airbyte manifest's connector config


@app.command()
def run(
    source: SourceArg,
    base_url: opts.BaseUrl = None,
    destination: opts.Destination = "duckdb",
    duckdb_path: opts.DuckdbPath = None,
    dataset: opts.Dataset = None,
    resources: opts.Resources = None,
    full_refresh: opts.FullRefresh = False,
    pipeline_name: opts.PipelineName = None,
    pipelines_dir: opts.PipelinesDir = None,
    progress_every: opts.ProgressEvery = 10.0,
    page_format: opts.PageFormatOption = None,
    loader_file_format: opts.LoaderFileFormat = None,
    report: opts.Report = None,
    verbose: opts.Verbose = False,
    config: opts.ManifestConfig = None,
) -> None:
    """Sync SOURCE into the destination and print a per-resource summary."""
    options = RunOptions(
        source, base_url, destination, duckdb_path, dataset, resources, full_refresh,
        pipeline_name, pipelines_dir, progress_every,
        page_format.value if page_format else None, loader_file_format, config,
    )  # fmt: skip
    code = _run_and_report(options, report, verbose or settings.verbose)
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        # dlt may still be working in its threads: leave now, as a kill would (dlt's packages
        # are built to survive that; the next run loads what was extracted)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    if settings.own_process:  # the report is written, the DuckDB file closed: nothing is left
        exit_now(int(code))
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


def _run_and_report(options: RunOptions, report: Path | None, verbose: bool) -> ExitCode:
    """The boundary: every outcome becomes an exit code, and the report is written whatever
    happened (SIGTERM included: it is turned into an exception while the run is on)."""
    record = RunRecord(options.source, destination=options.destination, secrets=known_secrets())
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with scrubbed_logs(lambda: record.secrets):
            record.exit_code = _execute(options, record)
    except BaseException as exc:
        if isinstance(exc, typer.Exit | SystemExit):
            raise
        failure = explain(exc, record.secrets)
        record.exit_code, record.error = failure.code, failure.message
        print_failure(err, failure, exc, verbose=verbose, secrets=record.secrets)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if report is not None:
            record.write(report)
    return record.exit_code


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _execute(options: RunOptions, record: RunRecord) -> ExitCode:
    wanted = [r.strip() for r in (options.resources or "").split(",") if r.strip()]
    dlt_source, name = build_source(
        options.source, options.base_url, options.page_format, options.manifest_config, wanted
    )
    record.secrets = known_secrets(dlt_source)
    dlt_source = _select(dlt_source, wanted)
    record.selected = [r for r in dlt_source.selected_resources if not r.startswith("_restsync")]
    pipeline_name, dataset = options.pipeline_name or name, options.dataset or name
    _refuse_what_cannot_load(options, pipeline_name, dataset, dlt_source)
    held = HeldDestination(_duckdb_file(options, pipeline_name))
    pipeline, pending = _prepare(options, record, dlt_source, held, (pipeline_name, dataset))
    try:
        failures = sync_with_progress(
            pipeline,
            dlt_source,
            record,
            full_refresh=options.full_refresh,
            progress_every=options.progress_every,
            loader_file_format=options.loader_file_format,
            held=held,
        )
    finally:
        _end_early_start(dlt_source, record)
    print_summary(console, record.engine_report, pending_loads=pending)
    for failure in failures:
        shown = escape(redact_text(str(failure), record.secrets))
        err.print(f"[red]failed:[/red] {shown}", highlight=False)
    return ExitCode.RESOURCE_FAILED if failures else ExitCode.OK


def _prepare(
    options: RunOptions,
    record: RunRecord,
    dlt_source: Any,
    held: HeldDestination,
    names: tuple[str, str],
) -> tuple[Any, int]:
    """The pipeline, with what an interrupted run left loaded. The DuckDB file is open by now, so
    the requests start first: they run while dlt makes the pipeline and prepares its extract
    (docs/benchmarks.md, "Start-up"). Into another destination they start when dlt reads."""
    from restsync._api import runtime_of

    if held.opened:
        runtime_of(dlt_source).start_early(list(dlt_source.selected_resources))
    try:
        pipeline = make_pipeline(
            names[0], options.destination, options.duckdb_path, names[1], options.pipelines_dir
        )
        record.pipeline, record.dataset = pipeline.pipeline_name, pipeline.dataset_name
        return pipeline, _load_pending(pipeline, record, held.run_kwargs)
    except BaseException:
        _end_early_start(dlt_source, record)
        held.close()
        raise


def _end_early_start(dlt_source: Any, record: RunRecord) -> None:
    """Whatever ended the run: the early-started resources dlt did not take up stop, and the
    report knows every resource that started (an interrupt may come before dlt reads)."""
    from restsync._api import runtime_of

    runtime = runtime_of(dlt_source)
    runtime.stop_early()
    record.engine_report = runtime.last_report


def _refuse_what_cannot_load(
    options: RunOptions, pipeline_name: str, dataset: str, dlt_source: Any
) -> None:
    """Fail before any request on what the destination will refuse; warn on what it will not do
    as asked. The same checks as ``restsync check --destination``."""
    from restsync._api import runtime_of

    destination = options.destination
    findings = dataset_findings(destination, dataset)
    findings += destination_findings(destination, runtime_of(dlt_source).plan)
    if destination == "duckdb":
        path = options.duckdb_path or default_duckdb_path(pipeline_name)
        findings += duckdb_findings(path, dataset)
    for finding in findings:
        if finding.severity == "error":
            raise ConfigError("--dataset", finding.message)
        err.print(f"[yellow]warning:[/yellow] {finding.message}", highlight=False)


def _duckdb_file(options: RunOptions, pipeline_name: str) -> Path | None:
    if options.destination != "duckdb":
        return None
    return options.duckdb_path or default_duckdb_path(pipeline_name)


def _load_pending(pipeline: Any, record: RunRecord, destination: dict[str, Any]) -> int:
    """Load what an interrupted run left (``restsync.sync`` would too; here it is reported)."""
    from restsync._api import load_pending

    info = load_pending(pipeline, **destination)
    record.add_load(info, pending=True)
    return len(getattr(info, "loads_ids", None) or [])


def sync_with_progress(
    pipeline: Any,
    source: Any,
    record: RunRecord,
    *,
    full_refresh: bool,
    progress_every: float = 10.0,
    loader_file_format: str | None = None,
    duckdb_file: Path | None = None,
    held: HeldDestination | None = None,
) -> list[Any]:
    """``restsync.sync`` in a worker thread; the failed resources, or raises what sync raised.
    Into ``duckdb_file`` (the pipeline's DuckDB file) through one held connection, or through
    ``held``, opened already (the worker closes it)."""
    from restsync._api import runtime_of, sync

    runtime = runtime_of(source)
    outcome: dict[str, Any] = {}
    run_kwargs: dict[str, Any] = {"refresh": "drop_sources" if full_refresh else None}
    if loader_file_format:
        run_kwargs["loader_file_format"] = loader_file_format

    def work() -> None:
        try:
            # closed in this thread, before it ends: the file is whole once the run returns
            destination = held or HeldDestination(duckdb_file)
            try:
                outcome["info"] = sync(pipeline, source, **run_kwargs, **destination.run_kwargs)
            finally:
                destination.close()
        except BaseException as exc:
            outcome["error"] = exc

    # a daemon: on Ctrl-C the process exits without waiting for dlt (the next run resumes)
    thread = threading.Thread(target=work, name="restsync-pipeline", daemon=True)
    thread.start()
    try:
        wait_with_progress(thread, lambda: runtime.last_report, console, err, progress_every)
    finally:
        record.engine_report = runtime.last_report
    record.add_load(outcome.get("info"))
    error = outcome.get("error")
    if isinstance(error, SyncFailed):  # raised after the healthy resources were loaded
        trace = pipeline.last_trace
        record.add_load(trace.last_load_info if trace is not None else None)
        return list(error.failures)
    if error is not None:
        raise error
    return []


def build_source(
    source: str,
    base_url: str | None,
    page_format: str | None = None,
    manifest_config: Path | None = None,
    streams: list[str] | None = None,
) -> tuple[Any, str]:
    from restsync._api import overrides, rest_api_source
    from restsync._config_files import load_config, manifest_name, run_python_source
    from restsync.airbyte import manifest_file

    manifest = manifest_file(source)
    if manifest is not None:
        from restsync.airbyte import airbyte_source

        name = manifest_name(manifest)
        built = airbyte_source(
            manifest, manifest_config, name=name, streams=streams or None, base_url=base_url,
            page_format=page_format,
        )  # fmt: skip
        return built, name
    path = Path(source)
    if path.suffix == ".py" and path.exists():
        built = run_python_source(path, base_url=base_url, page_format=page_format)
        return built, built.name
    loaded = load_config(source)
    with overrides(base_url=base_url, page_format=page_format):
        built = rest_api_source(loaded.config, name=loaded.name)
    return built, loaded.name


def _select(dlt_source: Any, wanted: list[str]) -> Any:
    if not wanted:
        return dlt_source
    unknown = [r for r in wanted if r not in dlt_source.resources]
    if unknown:
        raise ConfigError(
            "--resources",
            f"unknown resource '{unknown[0]}'; available: {', '.join(dlt_source.resources)}",
        )
    return dlt_source.with_resources(*wanted, "_restsync_rejects")


def make_pipeline(
    name: str, destination: str, duckdb_path: Path | None, dataset: str, pipelines_dir: Path | None
) -> Any:
    import dlt

    target: Any = destination
    if destination == "duckdb":
        target = dlt.destinations.duckdb(str(duckdb_path or default_duckdb_path(name)))
    if pipelines_dir is None:
        return dlt.pipeline(pipeline_name=name, destination=target, dataset_name=dataset)
    return dlt.pipeline(
        pipeline_name=name,
        destination=target,
        dataset_name=dataset,
        pipelines_dir=str(pipelines_dir),
    )


def default_duckdb_path(pipeline_name: str) -> Path:
    # not <pipeline>.duckdb: the dataset is named after the source too, and DuckDB cannot tell a
    # catalog (the file's stem) from a schema of the same name
    return Path(f"{pipeline_name}_data.duckdb")


def known_secrets(dlt_source: Any = None) -> tuple[str, ...]:
    """Values that must never be printed: the library's own set (``restsync._secrets``), with
    the source's credentials once it is built."""
    from restsync._api import runtime_of
    from restsync._secrets import known_secrets as library_secrets

    return library_secrets(runtime_of(dlt_source).plan if dlt_source is not None else None)
