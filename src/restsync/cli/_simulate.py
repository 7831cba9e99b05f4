"""``restsync simulate`` and ``demo``: the mock API on its own, and with a sync into DuckDB."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from restsync.cli._app import app, console
from restsync.cli._options import ManifestConfig, SourceArg
from restsync.cli._progress import preview, print_summary
from restsync.cli._report import RunRecord
from restsync.cli._run import make_pipeline, sync_with_progress

__all__ = ["demo", "simulate"]


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
    config: ManifestConfig = None,
) -> None:
    """Serve SOURCE as a local mock API until stopped (Ctrl-C)."""
    from restsync.simulator import SimulatorOptions, serve_in_thread

    options = SimulatorOptions(
        seed=seed, scale=scale, latency_ms=latency_ms, faults=faults, token=token, port=port
    )
    source_plan, name, fields, client_plan = _served_plan(source, config, options)
    with (
        serve_in_thread(source_plan, options, fields=fields) as sim,
        _job_front(client_plan, sim.base_url) as base_url,
    ):
        console.print(f"[green]serving[/green] {name} at [bold]{base_url}[/bold]")
        console.print(f"credential: {sim.credential}")
        console.print(
            f"counters: {sim.base_url.rstrip('/')}/_simulator/counters   (Ctrl-C to stop)"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopped")


@contextmanager
def _job_front(client_plan: Any, simulator_url: str) -> Iterator[str]:
    """The address clients use: the simulator's, or, for a manifest with report-job streams
    (AsyncRetriever), the job front that answers create/poll/download in front of it."""
    if client_plan is None:
        yield simulator_url
        return
    from restsync.airbyte._simulate_async import has_jobs, serve_jobs

    if not has_jobs(client_plan):
        yield simulator_url
        return
    with serve_jobs(client_plan, simulator_url) as url:
        yield url


def _served_plan(
    source: str, config: Path | None, options: Any = None
) -> tuple[Any, str, Any, Any]:
    """The plan to serve, its name, the declared fields (a bundled connector's), and a
    manifest's own plan (the clients' view, which the job front serves), else ``None``."""
    from restsync._api import plan_config
    from restsync._config_files import load_config, manifest_plan

    translated = manifest_plan(source, config)
    if translated is not None:
        from restsync.airbyte._simulate import simulator_plan
        from restsync.airbyte._simulate_dynamic import served_manifest

        plan, name = translated
        skipped = plan.extras.get("skipped_streams", {})
        # dynamic_streams an API lists: the listing is served (for the run's seed) and the
        # streams it resolves to; those restsync cannot resolve have no route here
        served = served_manifest(source, config, options=options) if skipped else None
        listed = sorted(
            n
            for n in (served.resources if served else ())
            if n not in plan.resources and not n.startswith("_")
        )
        if listed:
            shown = ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")
            console.print(f"[green]served {len(listed)} streams its API lists:[/green] {shown}")
        else:
            for reason in skipped.values():
                console.print(f"[yellow]not served:[/yellow] {reason}")
        return served or simulator_plan(plan), name, None, plan
    loaded = load_config(source, lenient=True)
    return plan_config(loaded.config, name=loaded.name), loaded.name, loaded.fields or None, None


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
            pipeline = make_pipeline(connector, "duckdb", duckdb_path, connector, Path(state_dir))
            record = RunRecord(source=connector)
            failures = sync_with_progress(
                pipeline, dlt_source, record, full_refresh=True, duckdb_file=duckdb_path
            )
    print_summary(console, record.engine_report)
    preview(console, duckdb_path, connector, record.engine_report)
    console.print(
        f'\nQuery it:  duckdb {duckdb_path} "select * from {connector}.<table> limit 5"\n'
        f"   or in Python: duckdb.connect('{duckdb_path}').sql('show all tables')"
    )
    if failures:
        raise typer.Exit(1)
