"""The ``restsync`` command line: run, check, plan, simulate, demo, connectors.

Every expected failure (a bad config, a missing secret, a failed resource) ends with one clear
sentence and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from restsync._errors import ConfigError, RestSyncError
from restsync.engine import RunReport

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Sync REST APIs described in dlt's rest_api dialect into DuckDB (or any dlt destination).",
)
console = Console()
err = Console(stderr=True)

class PageFormat(enum.StrEnum):
    dicts = "dicts"
    arrow = "arrow"


SourceArg = Annotated[
    str, typer.Argument(help="A bundled connector name, or a .yaml/.json/.py config file.")
]


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # dlt gzips its intermediate files by default; for a local load that costs more than it saves
    # (the whole run was 1.17x faster without it at 100k rows, see docs/benchmarks.md).
    # An explicit setting in the environment or .dlt/config.toml still wins.
    os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
    try:
        app()
    except RestSyncError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


# --- run --------------------------------------------------------------------------------------


@app.command()
def run(
    source: SourceArg,
    base_url: Annotated[
        str | None, typer.Option(help="Send requests to this host instead.")
    ] = None,
    destination: Annotated[str, typer.Option(help="Any dlt destination name.")] = "duckdb",
    duckdb_path: Annotated[
        Path | None, typer.Option(help="DuckDB file (default: ./<pipeline>.duckdb).")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset (schema) name.")] = None,
    resources: Annotated[
        str | None, typer.Option(help="Comma-separated resources to sync (default: all).")
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option("--full-refresh", help="Drop the tables and state, then load everything."),
    ] = False,
    pipeline_name: Annotated[str | None, typer.Option(help="dlt pipeline name.")] = None,
    pipelines_dir: Annotated[
        Path | None, typer.Option(help="Where dlt keeps pipeline state.")
    ] = None,
    progress_every: Annotated[
        float,
        typer.Option(
            help="Without a terminal (CI, logs): print a progress line every this many seconds; "
            "0 turns it off."
        ),
    ] = 10.0,
    page_format: Annotated[
        PageFormat | None,
        typer.Option(
            help="How pages reach dlt, for every resource: 'arrow' (the default) as Arrow tables "
            "in dlt's own table layout; 'dicts' leaves every row to dlt's normalizer."
        ),
    ] = None,
) -> None:
    """Sync SOURCE into the destination and print a per-resource summary."""
    dlt_source, name = _build_source(source, base_url, page_format.value if page_format else None)
    if resources:
        wanted = [r.strip() for r in resources.split(",") if r.strip()]
        unknown = [r for r in wanted if r not in dlt_source.resources]
        if unknown:
            raise ConfigError(
                "--resources",
                f"unknown resource '{unknown[0]}'; available: {', '.join(dlt_source.resources)}",
            )
        dlt_source = dlt_source.with_resources(*wanted, "_restsync_rejects")
    pipeline = _pipeline(
        pipeline_name or name, destination, duckdb_path, dataset or name, pipelines_dir
    )
    report = _run_with_progress(pipeline, dlt_source, full_refresh, progress_every)
    _print_summary(report)
    if report is not None and report.failures():
        for failure in report.failures():
            err.print(f"[red]failed:[/red] {failure}")
        raise typer.Exit(1)


def _build_source(
    source: str, base_url: str | None, page_format: str | None = None
) -> tuple[Any, str]:
    from restsync._api import rest_api_source
    from restsync._sources import load_config, run_python_source

    path = Path(source)
    if path.suffix == ".py" and path.exists():
        built = run_python_source(path, base_url=base_url, page_format=page_format)
        return built, built.name
    loaded = load_config(source)
    from restsync._api import overrides

    with overrides(base_url=base_url, page_format=page_format):
        built = rest_api_source(loaded.config, name=loaded.name)
    return built, loaded.name


def _pipeline(
    name: str, destination: str, duckdb_path: Path | None, dataset: str, pipelines_dir: Path | None
) -> Any:
    import dlt

    target: Any = destination
    if destination == "duckdb":
        target = dlt.destinations.duckdb(str(duckdb_path or Path(f"{name}.duckdb")))
    if pipelines_dir is None:
        return dlt.pipeline(pipeline_name=name, destination=target, dataset_name=dataset)
    return dlt.pipeline(
        pipeline_name=name,
        destination=target,
        dataset_name=dataset,
        pipelines_dir=str(pipelines_dir),
    )


def _run_with_progress(
    pipeline: Any, source: Any, full_refresh: bool, progress_every: float = 10.0
) -> RunReport | None:
    """Run the pipeline in a worker thread and show progress meanwhile: a live line on a
    terminal, otherwise a plain line on stderr every ``progress_every`` seconds."""
    from rich.live import Live

    from restsync._api import load_file_format, runtime_of

    runtime = runtime_of(source)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            # load what could be fetched; the failures are reported (exit 1) afterwards
            with runtime.partial_loading():
                outcome["info"] = pipeline.run(
                    source,
                    refresh="drop_sources" if full_refresh else None,
                    loader_file_format=load_file_format(pipeline, source),
                )
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="restsync-pipeline")
    started = time.monotonic()
    thread.start()
    interactive = console.is_terminal
    last_line = started
    with Live(
        console=console, refresh_per_second=4, transient=True, auto_refresh=interactive
    ) as live:
        while thread.is_alive():
            thread.join(min(0.25, progress_every) if progress_every > 0 else 0.25)
            report = runtime.last_report
            now = time.monotonic()
            if report is None:
                continue
            if interactive:
                live.update(_progress_line(report, now - started))
            elif progress_every > 0 and now - last_line >= progress_every and thread.is_alive():
                err.print(_progress_line(report, now - started), highlight=False)
                last_line = now
    if "error" in outcome:
        raise _pipeline_error(outcome["error"])
    return runtime.last_report


def _progress_line(report: RunReport, elapsed: float) -> str:
    pages = sum(s.pages for s in report.resources.values())
    records = sum(s.records for s in report.resources.values())
    done = sum(1 for s in report.resources.values() if s.finished is not None)
    return (
        f"[cyan]syncing[/cyan] {done}/{len(report.resources)} resources done, "
        f"{pages} pages, {records} records, {elapsed:.1f}s"
    )


def _pipeline_error(exc: BaseException) -> RestSyncError:
    # dlt wraps our errors; surface the innermost restsync error or one line of dlt's
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, RestSyncError):
            return current
        current = current.__cause__ or current.__context__
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RestSyncError(f"the pipeline failed: {first_line}")


def _print_summary(report: RunReport | None) -> None:
    if report is None:
        console.print("nothing was extracted")
        return
    table = Table(title="restsync summary", show_lines=False)
    for column in ("resource", "status", "pages", "records", "rejects", "retries", "seconds"):
        table.add_column(column, justify="left" if column in ("resource", "status") else "right")
    for stats in report.resources.values():
        if not stats.delivered:
            continue
        colour = {"ok": "green", "failed": "red"}.get(stats.status, "yellow")
        table.add_row(
            stats.name,
            f"[{colour}]{stats.status}[/{colour}]",
            str(stats.pages),
            str(stats.records),
            str(stats.rejects),
            str(stats.retries),
            f"{stats.seconds:.2f}",
        )
    console.print(table)


# --- check and plan ---------------------------------------------------------------------------


@app.command()
def check(source: SourceArg) -> None:
    """Validate SOURCE without any network access."""
    from restsync._api import plan_config
    from restsync._sources import load_config

    loaded = load_config(source, lenient=True)
    plan = plan_config(loaded.config, name=loaded.name)
    console.print(f"[green]ok[/green]: {source} is valid ({len(plan.resources)} resources)")


@app.command()
def plan(source: SourceArg) -> None:
    """Show what restsync will do for SOURCE: requests, paging, parents, and every inference."""
    from restsync._api import plan_config
    from restsync._sources import load_config

    loaded = load_config(source, lenient=True)
    source_plan = plan_config(loaded.config, name=loaded.name)
    console.print(
        f"[bold]{loaded.name}[/bold]  base_url={source_plan.base_url}  "
        f"max_concurrency={source_plan.max_concurrency}  "
        f"rate_limit={_rate(source_plan.rate_limit)}"
    )
    for resource in source_plan.resources.values():
        console.print(f"\n[bold cyan]{resource.name}[/bold cyan] -> table {resource.table_name}")
        console.print(
            f"  {resource.method} {resource.path}  params={dict(resource.params) or '{}'}"
        )
        paginator = resource.paginator.model_dump(exclude_defaults=True)
        console.print(f"  paginator: {paginator}  data_selector: {resource.data_selector!r}")
        console.print(
            f"  primary_key: {list(resource.primary_key) or 'none'}  "
            f"write_disposition: {resource.write_disposition}  "
            f"page_format: {resource.page_format}"
        )
        retry = resource.retry
        console.print(
            f"  retry: {sorted(retry.status_codes)} x{retry.max_retries} "
            f"backoff {retry.backoff_factor}"
        )
        if resource.parent:
            console.print(
                f"  parent: {resource.parent.resource} {dict(resource.parent.bindings)} "
                f"include={list(resource.parent.include)}"
            )
        for note in resource.notes:
            console.print(f"  [dim]- {note}[/dim]")


def _rate(rate: Any) -> str:
    if rate is None:
        return "none"
    return f"{rate.requests_per_second}/s burst {rate.burst or 1}"


# --- connectors -------------------------------------------------------------------------------


@app.command()
def connectors() -> None:
    """List the bundled connectors."""
    from restsync import connectors as bundled

    table = Table(title="bundled connectors")
    for column in ("name", "API", "resources", "auth", "secrets"):
        table.add_column(column)
    for name in bundled.names():
        spec = bundled.load_spec(name)
        config = spec.config
        auth = (config.get("client", {}).get("auth") or {}).get("type", "none")
        resources = [r["name"] if isinstance(r, dict) else r for r in config.get("resources", [])]
        table.add_row(name, spec.title, ", ".join(resources), str(auth), ", ".join(spec.secrets))
    console.print(table)


# --- simulate and demo ------------------------------------------------------------------------


@app.command()
def simulate(
    source: SourceArg,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8080,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every response.")] = 0.0,
    scale: Annotated[float, typer.Option(help="Multiply record counts.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed for records and faults.")] = 0,
    faults: Annotated[str | None, typer.Option(help="Fault spec, see docs/simulator.md.")] = None,
    token: Annotated[
        str | None, typer.Option(help="Credential to expect instead of the config's.")
    ] = None,
) -> None:
    """Serve SOURCE as a local mock API until stopped (Ctrl-C)."""
    from restsync._api import plan_config
    from restsync._sources import load_config
    from restsync.simulator import SimulatorOptions, serve_in_thread

    loaded = load_config(source, lenient=True)
    source_plan = plan_config(loaded.config, name=loaded.name)
    options = SimulatorOptions(
        seed=seed, scale=scale, latency_ms=latency_ms, faults=faults, token=token, port=port
    )
    with serve_in_thread(source_plan, options, fields=loaded.fields or None) as sim:
        console.print(f"[green]serving[/green] {loaded.name} at [bold]{sim.base_url}[/bold]")
        console.print(f"credential: {sim.credential}")
        console.print(
            f"counters: {sim.base_url.rstrip('/')}/_simulator/counters   (Ctrl-C to stop)"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopped")


@app.command()
def demo(
    connector: Annotated[str, typer.Option(help="Bundled connector to demo.")] = "webhook_service",
    duckdb_path: Annotated[Path, typer.Option(help="Where to write the DuckDB file.")] = Path(
        "restsync.duckdb"
    ),
    latency_ms: Annotated[float, typer.Option(help="Simulated API latency.")] = 20.0,
) -> None:
    """Start the simulator for a bundled connector, sync it into DuckDB, and show the result."""
    import tempfile

    from restsync import connectors as bundled
    from restsync._api import overrides, plan_config, rest_api_source
    from restsync.simulator import SimulatorOptions, serve_in_thread

    spec = bundled.load_spec(connector)
    for secret in spec.secrets:
        # the demo talks only to its own simulator: a throwaway credential is enough
        os.environ.setdefault(secret.upper(), "demo-secret")
    config = bundled.connector_config(connector)
    source_plan = plan_config(config, name=connector)
    options = SimulatorOptions(seed=7, latency_ms=latency_ms, scale=2.0)
    with serve_in_thread(source_plan, options, fields=bundled.connector_fields(connector)) as sim:
        console.print(f"[green]simulator[/green] for {connector} at {sim.base_url}")
        with overrides(base_url=sim.base_url):
            dlt_source = rest_api_source(config, name=connector)
        with tempfile.TemporaryDirectory() as state_dir:
            pipeline = _pipeline(connector, "duckdb", duckdb_path, connector, Path(state_dir))
            report = _run_with_progress(pipeline, dlt_source, full_refresh=True)
    _print_summary(report)
    _preview(duckdb_path, connector, report)
    console.print(
        f'\nQuery it:  duckdb {duckdb_path} "select * from {connector}.<table> limit 5"\n'
        f"   or in Python: duckdb.connect('{duckdb_path}').sql('show all tables')"
    )
    if report is not None and report.failures():
        raise typer.Exit(1)


def _preview(path: Path, dataset: str, report: RunReport | None) -> None:
    import duckdb

    if report is None:
        return
    loaded = [s for s in report.resources.values() if s.delivered and s.records]
    if not loaded:
        return
    table_name = max(loaded, key=lambda s: s.records).name
    with duckdb.connect(str(path), read_only=True) as connection:
        relation = connection.sql(f'select * from "{dataset}"."{table_name}" limit 5')
        columns = [c for c in relation.columns if not c.startswith("_dlt")][:6]
        rows = relation.fetchall()
        names = relation.columns
    table = Table(title=f"{dataset}.{table_name} (first rows)")
    for column in columns:
        table.add_column(column, overflow="ellipsis", max_width=28)
    for row in rows:
        values = dict(zip(names, row, strict=True))
        table.add_row(*(str(values[c]) for c in columns))
    console.print(table)
