"""The command line's error boundary: every failure becomes an exit code and a few plain lines.

dlt wraps a failure several times (``PipelineStepFailed`` -> a dlt destination error -> the
driver's error). The line that helps is the innermost cause; dlt's own explanation and what to do
come after it. No secret is printed: connection strings are masked and the run's known secret
values are replaced, in the message and in the ``--verbose`` traceback alike.
"""

from __future__ import annotations

import enum
import re
import traceback
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from restsync._errors import (
    ConfigError,
    ExtractionError,
    ResourcesFailed,
    RestSyncError,
    SyncFailed,
)
from restsync._secrets import redact_text
from restsync.cli._lookup import describe_missing

__all__ = ["ExitCode", "Failure", "Terminated", "explain", "print_failure", "redact_text"]


class ExitCode(enum.IntEnum):
    """Documented in docs/report.md#exit-codes; scripts rely on them, so they never change."""

    OK = 0
    RESOURCE_FAILED = 1  # some resources failed; the others were loaded
    CONFIG = 2  # nothing ran: a bad config, option, secret, credential or dataset name
    PIPELINE_FAILED = 3  # dlt could not normalize or load (the destination refused, ...)
    INTERNAL = 4  # an unexpected exception: a bug, in restsync or in the user's Python code
    INTERRUPTED = 130  # Ctrl-C (SIGINT), as shells report it
    TERMINATED = 143  # SIGTERM, e.g. an orchestrator cancelling the task


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so a cancelled run still reports before it exits."""


@dataclass(frozen=True)
class Failure:
    code: ExitCode
    message: str
    details: list[str] = field(default_factory=list)  # dlt's explanation, names looked up
    advice: str | None = None


def explain(exc: BaseException, secrets: Collection[str] = ()) -> Failure:
    """The exit code and the lines to print for ``exc``, with ``secrets`` masked."""
    failure = _classify(exc)
    return Failure(
        failure.code,
        redact_text(failure.message, secrets),
        [redact_text(line, secrets) for line in failure.details],
        redact_text(failure.advice, secrets) if failure.advice else None,
    )


def print_failure(
    console: Console,
    failure: Failure,
    exc: BaseException | None = None,
    *,
    verbose: bool = False,
    secrets: Collection[str] = (),
) -> None:
    if verbose and exc is not None:
        text = "".join(traceback.format_exception(exc))
        console.print(escape(redact_text(text, secrets)), highlight=False)
    console.print(f"[red]error:[/red] {escape(failure.message)}", highlight=False)
    for line in failure.details:
        console.print(f"  {escape(line)}", highlight=False)
    if failure.advice:
        console.print(f"  [bold]what to do:[/bold] {escape(failure.advice)}", highlight=False)
    if not verbose and failure.code in (ExitCode.PIPELINE_FAILED, ExitCode.INTERNAL):
        console.print("  (run with --verbose to see the traceback)", highlight=False)


# --- classification ---------------------------------------------------------------------------


def _classify(exc: BaseException) -> Failure:
    from dlt.common.configuration.exceptions import ConfigFieldMissingException
    from dlt.pipeline.exceptions import PipelineStepFailed

    if isinstance(exc, Terminated):
        return Failure(ExitCode.TERMINATED, "terminated (SIGTERM)", advice=_RESUME)
    if isinstance(exc, KeyboardInterrupt):
        return Failure(ExitCode.INTERRUPTED, "interrupted", advice=_RESUME)
    if isinstance(exc, SyncFailed):
        return Failure(ExitCode.RESOURCE_FAILED, str(exc))
    missing = _find(exc, ConfigFieldMissingException)
    if missing is not None:
        return _missing_value(missing)
    ours = _find(exc, RestSyncError)
    if ours is not None:
        failed = isinstance(ours, ExtractionError | ResourcesFailed)
        code = ExitCode.RESOURCE_FAILED if failed else ExitCode.CONFIG
        return Failure(code, _one_line(ours))
    step = _find(exc, PipelineStepFailed)
    if step is not None and step.step != "extract":
        return _step_failed(step)
    innermost = _innermost(exc)
    return Failure(
        ExitCode.INTERNAL,
        f"unexpected {type(innermost).__name__}: {_one_line(innermost)}",
        advice="if it comes from your own Python code (a config file, a map step), fix it there; "
        "otherwise it is a bug in restsync: please report it with the output of --verbose",
    )


_RESUME = "run again: data extracted and not yet loaded is loaded first"


def _missing_value(missing: Any) -> Failure:
    lines = describe_missing(missing)
    fields = ", ".join(line.split(":", 1)[0] for line in lines) or ", ".join(missing.fields)
    spec = str(getattr(missing, "spec_name", "") or "")
    owner = (
        f"the {spec.removesuffix('ClientConfiguration').lower()} destination"
        if spec.endswith("ClientConfiguration")
        else "the configuration"
    )
    return Failure(
        ExitCode.CONFIG,
        f"{owner} is missing {fields}; dlt looked for these names (values are never shown):",
        lines,
        advice="set one of the names above in the environment or in .dlt/secrets.toml "
        "(see docs/destinations.md#credentials)",
    )


def _step_failed(step: Any) -> Failure:
    innermost = _innermost(step)
    destination = getattr(getattr(step.pipeline, "destination", None), "destination_name", "")
    where = f" into {destination}" if destination and step.step in ("sync", "load") else ""
    message = f"the {step.step} step{where} failed: {_one_line(innermost)}"
    details = []
    explained = _dlt_explanation(step, innermost)
    if explained:
        details.append(f"dlt says: {explained}")
    if getattr(step, "has_pending_data", False):
        details.append(
            "the extracted data is kept in the pipeline directory; the next run loads it first"
        )
    return Failure(ExitCode.PIPELINE_FAILED, message, details, _advice(innermost, step))


def _dlt_explanation(step: Any, innermost: BaseException) -> str | None:
    """dlt's message between the step failure and the driver's error, when it adds something."""
    for exc in _chain(step):
        if exc is step or exc is innermost:
            continue
        if type(exc).__module__.startswith("dlt"):
            text, cause = _one_line(exc), _one_line(innermost)
            if text == cause:
                return None
            # dlt repeats the cause inside its advice: once is enough
            return text.replace(cause, "(the cause above)") if len(cause) > 10 else text
    return None


_ADVICE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r'prefix "pg_" is reserved|unacceptable schema name', re.I),
        "choose a dataset (--dataset) that does not start with 'pg_': PostgreSQL reserves "
        "that prefix for its own schemas",
    ),
    (
        re.compile(r"no password supplied", re.I),
        "add the password to the credentials: DESTINATION__POSTGRES__CREDENTIALS="
        "postgresql://USER:PASSWORD@HOST:PORT/DATABASE, or password under "
        "[destination.postgres.credentials] in .dlt/secrets.toml",
    ),
    (
        re.compile(r"password authentication failed", re.I),
        "check the user and password in DESTINATION__POSTGRES__CREDENTIALS or .dlt/secrets.toml",
    ),
    (
        re.compile(r"connection refused|could not connect|could not translate host", re.I),
        "check that the destination server is running and that host and port in its "
        "credentials are right",
    ),
    (
        re.compile(r"could not set lock|conflicting lock", re.I),
        "another process has the database file open; wait for it or use another --duckdb-path",
    ),
]


def _advice(innermost: BaseException, step: Any) -> str | None:
    text = _one_line(innermost)
    for pattern, advice in _ADVICE:
        if pattern.search(text):
            return advice
    if step.step == "load":
        return "fix the cause above and run again: the pending data is loaded first"
    return None


# --- exception chains -------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes, outermost first (dlt keeps the cause on ``.exception`` too)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "exception", None)
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        current = inner


def _find(exc: BaseException, kind: type[Any]) -> Any:
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


def _innermost(exc: BaseException) -> BaseException:
    *_, last = _chain(exc)
    return last


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, ConfigError):
        return text
    return text[:600] + " …" if len(text) > 600 else (text or type(exc).__name__)
