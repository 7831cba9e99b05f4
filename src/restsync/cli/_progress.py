"""What ``restsync run`` shows while it works and when it is done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

if TYPE_CHECKING:  # the engine (aiohttp, dlt through plan/config) loads with `run`, not `--help`
    from restsync._engine import RunReport

__all__ = ["print_summary", "wait_with_progress"]


def wait_with_progress(
    thread: threading.Thread,
    current: Callable[[], RunReport | None],
    console: Console,
    err: Console,
    progress_every: float,
) -> None:
    """Wait for ``thread``; meanwhile show a live line on a terminal, or a plain line on stderr
    every ``progress_every`` seconds (0: none) when the output goes to a log."""
    started = time.monotonic()
    interactive = console.is_terminal
    last_line = started
    poll = min(0.25, progress_every) if progress_every > 0 else 0.25
    with Live(
        console=console, refresh_per_second=4, transient=True, auto_refresh=interactive
    ) as live:
        while thread.is_alive():
            thread.join(poll)
            report = current()
            now = time.monotonic()
            if report is None:
                continue
            if interactive:
                live.update(_progress_line(report, now - started))
            elif progress_every > 0 and now - last_line >= progress_every and thread.is_alive():
                err.print(_progress_line(report, now - started), highlight=False)
                last_line = now


def _progress_line(report: RunReport, elapsed: float) -> str:
    pages = sum(s.pages for s in report.resources.values())
    records = sum(s.records for s in report.resources.values())
    done = sum(1 for s in report.resources.values() if s.finished is not None)
    return (
        f"[cyan]syncing[/cyan] {done}/{len(report.resources)} resources done, "
        f"{pages} pages, {records} records, {elapsed:.1f}s"
    )


def print_summary(console: Console, report: RunReport | None, pending_loads: int = 0) -> None:
    if pending_loads:
        console.print(
            f"loaded {pending_loads} package(s) left pending by an earlier, interrupted run"
        )
    if report is None:
        console.print("nothing was extracted")
        return
    table = Table(title="restsync summary", show_lines=False)
    columns = ("resource", "status", "pages", "records", "rejects", "retries", "requests")
    for column in (*columns, "seconds"):
        table.add_column(column, justify="left" if column in ("resource", "status") else "right")
    for stats in report.resources.values():
        if not stats.delivered:
            continue
        colour = {"ok": "green", "failed": "red"}.get(stats.status, "yellow")
        table.add_row(
            stats.name,
            f"[{colour}]{stats.status}[/{colour}]",
            *(str(getattr(stats, c)) for c in columns[2:]),
            f"{stats.seconds:.2f}",
        )
    console.print(table)


def preview(console: Console, path: Any, dataset: str, report: RunReport | None) -> None:
    """The first rows of the biggest table a demo loaded into DuckDB."""
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
