"""``restsync check``, ``plan`` and ``connectors``: look at a config without running it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from restsync.cli._app import app, console, err
from restsync.cli._failures import ExitCode
from restsync.cli._options import SourceArg
from restsync.cli._preflight import (
    credential_findings,
    dataset_findings,
    destination_findings,
    reference_findings,
)

__all__ = ["check", "connectors", "plan"]


@app.command()
def check(
    source: SourceArg,
    destination: Annotated[
        str | None,
        typer.Option(help="Also check this dlt destination: its credentials and the dataset name."),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="The dataset run would load into (default: the source's name)."),
    ] = None,
    no_secrets: Annotated[
        bool,
        typer.Option(
            "--no-secrets", help="Check the config alone: do not look up secrets or credentials."
        ),
    ] = False,
) -> None:
    """Validate SOURCE without any network access: the config, its secrets, the destination."""
    from restsync._api import plan_config
    from restsync._config_files import load_config

    loaded = load_config(source, lenient=True)
    plan = plan_config(loaded.config, name=loaded.name)
    findings = [] if no_secrets else reference_findings(loaded.refs)
    if destination is not None:
        target = dataset or loaded.name
        findings += dataset_findings(destination, target)
        findings += destination_findings(destination, plan)
        if not no_secrets:
            findings += credential_findings(loaded.name, destination, target)
    for finding in findings:
        colour = "red" if finding.severity == "error" else "yellow"
        err.print(f"[{colour}]{finding.severity}:[/{colour}] {escape(finding.message)}")
        for line in finding.details:
            err.print(f"  {escape(line)}", highlight=False)
    errors = sum(1 for f in findings if f.severity == "error")
    if errors:
        raise typer.Exit(int(ExitCode.CONFIG))
    console.print(f"[green]ok[/green]: {source} is valid ({len(plan.resources)} resources)")


@app.command()
def plan(source: SourceArg) -> None:
    """Show what restsync will do for SOURCE: requests, paging, parents, and every inference."""
    from restsync._api import plan_config
    from restsync._config_files import load_config

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
