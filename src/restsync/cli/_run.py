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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.markup import escape

from restsync._errors import ConfigError, SyncFailed
from restsync._secrets import known_secrets
from restsync.cli import _options as opts
from restsync.cli._app import app, console, err, exit_now, settings
from restsync.cli._duckdb_file import HeldDestination
from restsync.cli._failures import ExitCode, Terminated, explain, print_failure, redact_text
from restsync.cli._options import SourceArg
from restsync.cli._preflight import dataset_findings, destination_findings, duckdb_findings
from restsync.cli._progress import print_summary, wait_with_progress
from restsync.cli._report import RunRecord
from restsync.cli._scrub import scrubbed_logs

if TYPE_CHECKING:
    from restsync._load import SourceRuntime
    from restsync._plan import SourcePlan

__all__ = ["in_worker", "make_pipeline", "run", "sync_with_progress"]


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
    timeout: float | None = None  # --timeout: the plan's max_run_seconds


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
    timeout: opts.Timeout = None,
) -> None:
    """Sync SOURCE into the destination and print a per-resource summary."""
    options = RunOptions(
        source, base_url, destination, duckdb_path, dataset, resources, full_refresh,
        pipeline_name, pipelines_dir, progress_every,
        page_format.value if page_format else None, loader_file_format, config, timeout,
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
    source = _source_for_run(options, wanted)
    runtime = source.runtime
    record.secrets = known_secrets(runtime.plan)
    source.check_wanted(wanted)
    names = (options.pipeline_name or source.name, options.dataset or source.name)
    _refuse_what_cannot_load(options, *names, runtime.plan)
    held = HeldDestination(_duckdb_file(options, names[0]), names[0])
    try:
        if held.opened:
            # the requests run while dlt is imported, makes its pipeline and prepares the
            # extract (docs/benchmarks.md, "Requests before dlt is imported"); into another
            # destination they start when dlt reads
            runtime.start_early(source.selected(wanted))
        failures, pending = in_worker(
            lambda: _load(options, record, source, wanted, held, names),
            runtime,
            record,
            options.progress_every,
            on_no_start=held.close,
        )
    finally:
        _end_early_start(runtime, record)
    print_summary(console, record.engine_report, pending_loads=pending)
    for failure in failures:
        shown = escape(redact_text(str(failure), record.secrets))
        err.print(f"[red]failed:[/red] {shown}", highlight=False)
    return ExitCode.RESOURCE_FAILED if failures else ExitCode.OK


def _load(
    options: RunOptions,
    record: RunRecord,
    source: _RunSource,
    wanted: list[str],
    held: HeldDestination,
    names: tuple[str, str],
) -> tuple[list[Any], int]:
    """The dlt side of a run, in the pipeline's thread: the dlt source (dlt is imported here,
    while the requests run), the pipeline, what an interrupted run left loaded, then the sync;
    the failed resources and how many pending loads were loaded. The held file is closed in
    this thread, before it ends: the file is whole once the run returns."""
    try:
        dlt_source = _select(source.dlt_source(), wanted)
        record.selected = [
            r for r in dlt_source.selected_resources if not r.startswith("_restsync")
        ]
        pipeline = make_pipeline(
            names[0], options.destination, options.duckdb_path, names[1], options.pipelines_dir
        )
        record.pipeline, record.dataset = pipeline.pipeline_name, pipeline.dataset_name
        pending = _load_pending(pipeline, record, held.run_kwargs)
        failures = _sync(
            pipeline,
            dlt_source,
            record,
            held,
            full_refresh=options.full_refresh,
            loader_file_format=options.loader_file_format,
        )
        return failures, pending
    finally:
        held.close()


def _end_early_start(runtime: SourceRuntime, record: RunRecord) -> None:
    """Whatever ended the run: the early-started resources dlt did not take up stop, and the
    report knows every resource that started (an interrupt may come before dlt reads)."""
    runtime.stop_early()
    record.engine_report = runtime.last_report


def _refuse_what_cannot_load(
    options: RunOptions, pipeline_name: str, dataset: str, plan: SourcePlan
) -> None:
    """Fail before any request on what the destination will refuse; warn on what it will not do
    as asked. The same checks as ``restsync check --destination``."""
    destination = options.destination
    findings = dataset_findings(destination, dataset)
    findings += destination_findings(destination, plan)
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
    duckdb_file: Path | None = None,
) -> list[Any]:
    """``restsync.sync`` in a worker thread, into ``duckdb_file`` (the pipeline's DuckDB file)
    through one held connection; the failed resources, or raises what sync raised."""
    from restsync._api import runtime_of

    def work() -> list[Any]:
        held = HeldDestination(duckdb_file, pipeline.pipeline_name)
        try:
            return _sync(pipeline, source, record, held, full_refresh=full_refresh)
        finally:
            held.close()  # in this thread, before it ends: the file is whole once it returns

    failures: list[Any] = in_worker(work, runtime_of(source), record, progress_every)
    return failures


def _sync(
    pipeline: Any,
    source: Any,
    record: RunRecord,
    held: HeldDestination,
    *,
    full_refresh: bool,
    loader_file_format: str | None = None,
) -> list[Any]:
    """``restsync.sync`` through ``held``; the failed resources (loaded around), or raises."""
    from restsync._api import sync

    run_kwargs: dict[str, Any] = {"refresh": "drop_sources" if full_refresh else None}
    if loader_file_format:
        run_kwargs["loader_file_format"] = loader_file_format
    try:
        record.add_load(sync(pipeline, source, **run_kwargs, **held.run_kwargs))
    except SyncFailed as error:  # raised after the healthy resources were loaded
        trace = pipeline.last_trace
        record.add_load(trace.last_load_info if trace is not None else None)
        return list(error.failures)
    return []


_T = TypeVar("_T")


def in_worker(
    work: Callable[[], _T],
    runtime: SourceRuntime,
    record: RunRecord,
    progress_every: float,
    *,
    on_no_start: Callable[[], None] | None = None,
) -> _T:
    """``work``'s result, computed in a worker thread while this (the main) thread shows the
    engine's progress and takes Ctrl-C and SIGTERM; what ``work`` raised is raised here.
    ``on_no_start``: what to undo if the thread cannot be started."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:
            outcome["error"] = exc

    # a daemon: on Ctrl-C the process exits without waiting for dlt (the next run resumes)
    thread = threading.Thread(target=target, name="restsync-pipeline", daemon=True)
    try:
        thread.start()
    except BaseException:
        if on_no_start is not None:
            on_no_start()
        raise
    try:
        wait_with_progress(thread, lambda: runtime.last_report, console, err, progress_every)
    finally:
        record.engine_report = runtime.last_report
    if "error" in outcome:
        raise outcome["error"]
    value: _T = outcome["value"]
    return value


@dataclass(frozen=True)
class _RunSource:
    """What ``run`` syncs: the runtime that runs its plan, made before dlt is imported for a
    config file or a manifest, and the dlt source around it, made on demand (after the engine
    has started, when the DuckDB file is open). A Python file builds its dlt source itself, so
    that comes first for it."""

    name: str
    runtime: SourceRuntime
    resources: tuple[str, ...]  # the dlt source's resources, in its order
    make: Callable[[], Any]
    built: Any = None  # the dlt source a Python file built

    def dlt_source(self) -> Any:
        return self.built if self.built is not None else self.make()

    def check_wanted(self, wanted: list[str]) -> None:
        unknown = [r for r in wanted if r not in self.resources]
        if unknown:
            raise ConfigError(
                "--resources",
                f"unknown resource '{unknown[0]}'; available: {', '.join(self.resources)}",
            )

    def selected(self, wanted: list[str]) -> list[str]:
        """The resources dlt will extract: ``wanted`` (and the rejects table, as ``_select``
        keeps it), or those the plan selects."""
        from restsync._load import REJECTS_TABLE

        if self.built is not None:  # the file may have selected resources itself
            return list(_select(self.built, wanted).selected_resources)
        if wanted:
            return [*wanted, REJECTS_TABLE]
        plans = self.runtime.plan.resources
        return [n for n in self.resources if n not in plans or plans[n].selected]


def _source_for_run(options: RunOptions, wanted: list[str]) -> _RunSource:
    from restsync._api import overrides, planned, runtime_of, source_of
    from restsync._config_files import load_config, manifest_name, run_python_source
    from restsync._load import REJECTS_TABLE, SourceRuntime
    from restsync.airbyte import manifest_file

    base_url, page_format = options.base_url, options.page_format
    manifest = manifest_file(options.source)
    path = Path(options.source)
    if manifest is None and path.suffix == ".py" and path.exists():
        with overrides(max_run_seconds=options.timeout):
            built = run_python_source(path, base_url=base_url, page_format=page_format)
        made = tuple(built.resources)
        return _RunSource(built.name, runtime_of(built), made, lambda: built, built)
    extra: list[Any] = []
    if manifest is not None:
        from restsync.airbyte import plan_manifest

        name = manifest_name(manifest)
        plan = plan_manifest(
            manifest, options.manifest_config, name=name, streams=wanted or None,
            base_url=base_url, page_format=page_format, resolve_requests=True,
        )  # fmt: skip
    else:
        loaded = load_config(options.source)
        name = loaded.name
        with overrides(base_url=base_url, page_format=page_format):
            plan, extra = planned(loaded.config, name=name)
    if options.timeout is not None:
        plan = replace(plan, max_run_seconds=options.timeout)
    runtime = SourceRuntime(plan)
    joining = [r.name for r in extra]  # in the order ``_load.build_source`` adds them
    order = [n for n in plan.resources if n not in joining] + [REJECTS_TABLE, *joining]

    def make() -> Any:
        return source_of(plan, runtime=runtime, extra=extra)

    return _RunSource(name, runtime, tuple(order), make)


def _select(dlt_source: Any, wanted: list[str]) -> Any:
    if not wanted:
        return dlt_source
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
