"""The typer app, its consoles, and ``main``: the one place a failure becomes an exit code."""

from __future__ import annotations

import atexit
import logging
import os
import sys
from dataclasses import dataclass
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from restsync.cli._failures import explain, print_failure

__all__ = ["app", "console", "err", "exit_now", "main", "settings"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Sync REST APIs described in dlt's rest_api dialect into DuckDB (or any dlt destination).",
)
console = Console()
err = Console(stderr=True)


@dataclass
class Settings:
    verbose: bool = False
    # set by ``main`` (the console script), never when the app runs inside another program
    own_process: bool = False


settings = Settings()


@app.callback()
def _global_options(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="On a failure, also print the full traceback."),
    ] = False,
) -> None:
    settings.verbose = verbose


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # dlt gzips its intermediate files by default; for a local load that costs more than it saves
    # (the whole run was 1.17x faster without it at 100k rows, see docs/benchmarks.md).
    # An explicit setting in the environment or .dlt/config.toml still wins.
    os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
    settings.own_process = True
    try:
        app()
    except Exception as exc:  # check, plan, simulate, demo: `run` handles its own failures
        failure = explain(exc)
        print_failure(err, failure, exc, verbose=settings.verbose)
        sys.exit(failure.code)


def exit_now(code: int) -> NoReturn:
    """End the process once its work is done, without the interpreter's teardown.

    After a run the teardown frees some 1,200 modules (dlt alone is ~800) one by one: 0.3-0.8 s
    of a webhook_service run that nothing needs (docs/benchmarks.md, "The tail after the last
    request"). The exit handlers still run (logging's flush, dlt's telemetry), then the streams
    are flushed.
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`), a closed stream
            pass
    os._exit(code)
