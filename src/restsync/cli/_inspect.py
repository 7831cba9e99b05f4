"""``restsync check``, ``plan`` and ``connectors``: look at a config without running it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from restsync.cli._app import app, console, err
from restsync.cli._failures import ExitCode
from restsync.cli._options import ManifestConfig, SourceArg
from restsync.cli._preflight import (
    Finding,
    credential_findings,
    dataset_findings,
    destination_findings,
    reference_findings,
)

if TYPE_CHECKING:
    from restsync._plan import RateBudget

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
    config: ManifestConfig = None,
) -> None:
    """Validate SOURCE without any network access: the config, its secrets, the destination."""
    checked = _check_source(source, config, no_secrets)
    findings = list(checked.findings)
    if destination is not None and checked.plan is not None:
        target = dataset or checked.name
        findings += dataset_findings(destination, target)
        findings += destination_findings(destination, checked.plan)
        if not no_secrets:
            findings += credential_findings(checked.name, destination, target)
    for finding in findings:
        colour = "red" if finding.severity == "error" else "yellow"
        err.print(f"[{colour}]{finding.severity}:[/{colour}] {escape(finding.message)}")
        for line in finding.details:
            err.print(f"  {escape(line)}", highlight=False)
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(int(ExitCode.CONFIG))
    console.print(f"[green]ok[/green]: {source} {checked.summary}")


@dataclass(frozen=True)
class _Checked:
    name: str
    plan: Any  # None when the source cannot be planned
    summary: str
    findings: list[Finding]


def _check_source(source: str, config: Path | None, no_secrets: bool) -> _Checked:
    """The source's own findings: an Airbyte manifest's unsupported streams, or a config's
    secrets that dlt cannot find (a bad config raises ``ConfigError``)."""
    from restsync._api import plan_config
    from restsync._config_files import load_config, manifest_plan
    from restsync.airbyte import manifest_file

    manifest = manifest_file(source)
    if manifest is not None:
        from restsync.airbyte import skipped_streams, stream_problems

        problems = [Finding("error", str(p)) for p in stream_problems(manifest, config).values()]
        # dynamic_streams beside the static ones are not run: said, not an error
        skipped = [Finding("warning", r) for r in skipped_streams(manifest, config).values()]
        translated = None if problems else manifest_plan(source, config)
        if translated is None:
            return _Checked(manifest.stem, None, "", problems + skipped)
        plan, name = translated
        streams = sum(1 for r in plan.resources.values() if r.selected)
        return _Checked(name, plan, f"is a valid Airbyte manifest ({streams} streams)", skipped)
    loaded = load_config(source, lenient=True, secrets=not no_secrets)
    plan = plan_config(loaded.config, name=loaded.name)
    findings = [] if no_secrets else reference_findings(loaded.refs)
    return _Checked(loaded.name, plan, f"is valid ({len(plan.resources)} resources)", findings)


@app.command()
def plan(source: SourceArg, config: ManifestConfig = None) -> None:
    """Show what restsync will do for SOURCE: requests, paging, parents, and every inference."""
    from restsync._api import plan_config
    from restsync._config_files import load_config, manifest_plan
    from restsync._plan import describe_paging
    from restsync._secrets import known_secrets, redact_text

    translated = manifest_plan(source, config)
    if translated is not None:
        source_plan, name = translated
    else:
        # a plan never shows a secret's value: not looked up, so dlt is not imported for it
        loaded = load_config(source, lenient=True, secrets=False)
        source_plan, name = plan_config(loaded.config, name=loaded.name), loaded.name
    # a manifest's plan holds the connector config's real values, and a config may write a
    # credential inline (a query parameter, a password in base_url): none is shown
    secrets = known_secrets(source_plan)

    def show(text: str) -> None:
        console.print(redact_text(text, secrets))

    show(
        f"[bold]{name}[/bold]  base_url={source_plan.base_url}  "
        f"max_concurrency={source_plan.max_concurrency}  "
        f"rate_limit={_rate(source_plan.rate_limit)}"
    )
    for reason in source_plan.extras.get("skipped_streams", {}).values():
        show(f"[yellow]skipped:[/yellow] {reason}")
    for resource in source_plan.resources.values():
        table = resource.table_name if isinstance(resource.table_name, str) else "(per record)"
        show(f"\n[bold cyan]{resource.name}[/bold cyan] -> table {table}")
        show(f"  {resource.method} {resource.path}  params={dict(resource.params) or '{}'}")
        paginator = describe_paging(resource.paginator)
        show(f"  paginator: {paginator}  data_selector: {resource.data_selector!r}")
        show(
            f"  primary_key: {list(resource.primary_key) or 'none'}  "
            f"write_disposition: {resource.write_disposition}  "
            f"page_format: {resource.page_format}"
        )
        retry = resource.retry
        show(
            f"  retry: {sorted(retry.status_codes)} x{retry.max_retries} "
            f"backoff {retry.backoff_factor}"
        )
        if resource.parent:
            show(
                f"  parent: {resource.parent.resource} {dict(resource.parent.bindings)} "
                f"include={list(resource.parent.include)}"
            )
        for note in resource.notes:
            show(f"  [dim]- {note}[/dim]")


def _rate(rate: RateBudget | None) -> str:
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
