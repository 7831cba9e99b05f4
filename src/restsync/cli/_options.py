"""The options of ``restsync run``, declared once (typer reads the help from these types)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["ManifestConfig", "PageFormat", "SourceArg"]


class PageFormat(enum.StrEnum):
    dicts = "dicts"
    arrow = "arrow"


SourceArg = Annotated[
    str,
    typer.Argument(
        help="A bundled connector name, a .yaml/.json/.py config file, or an Airbyte manifest."
    ),
]
ManifestConfig = Annotated[
    Path | None,
    typer.Option("--config", help="For an Airbyte manifest: the connector's config JSON."),
]
BaseUrl = Annotated[str | None, typer.Option(help="Send requests to this host instead.")]
Destination = Annotated[str, typer.Option(help="Any dlt destination name.")]
DuckdbPath = Annotated[
    Path | None, typer.Option(help="DuckDB file (default: ./<pipeline>_data.duckdb).")
]
Dataset = Annotated[str | None, typer.Option(help="Dataset (schema) name.")]
Resources = Annotated[
    str | None, typer.Option(help="Comma-separated resources to sync (default: all).")
]
FullRefresh = Annotated[
    bool, typer.Option("--full-refresh", help="Drop the tables and state, then load everything.")
]
PipelineName = Annotated[str | None, typer.Option(help="dlt pipeline name.")]
PipelinesDir = Annotated[Path | None, typer.Option(help="Where dlt keeps pipeline state.")]
ProgressEvery = Annotated[
    float,
    typer.Option(
        help="Without a terminal (CI, logs): print a progress line every this many seconds; "
        "0 turns it off."
    ),
]
PageFormatOption = Annotated[
    PageFormat | None,
    typer.Option(
        "--page-format",
        help="How pages reach dlt, for every resource: 'arrow' (the default) as Arrow tables "
        "in dlt's own table layout; 'dicts' leaves every row to dlt's normalizer.",
    ),
]
LoaderFileFormat = Annotated[
    str | None,
    typer.Option(help="dlt's staging file format, e.g. 'parquet' for the filesystem."),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0.001,
        help="Stop the requests after this many seconds in all (client.max_run_seconds): "
        "resources not finished by then fail by name (exit code 1); the others load.",
    ),
]
Report = Annotated[
    Path | None,
    typer.Option(help="Write a JSON run report here (docs/report.md), whatever happens."),
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="On a failure, print the traceback.")
]
