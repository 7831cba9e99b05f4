"""``restsync run`` into a DuckDB file: one connection held for the whole run.

dlt opens the file per stage of a run (state, schema update, load jobs, completion) and closes it
after each; a close of the last connection makes DuckDB checkpoint (write what its log holds into
the file), compressing every column it writes. On webhook_service that took ~1.1 s after the load
jobs, half of it for dlt's staging copies of the merged tables (docs/benchmarks.md, "The tail
after the last request"). Held open, the file is checkpointed once, at the end, after dlt has
emptied its staging tables (``load.truncate_staging_dataset``; a user's own setting wins), so
only the data tables are written. The tables are the same: tests/cli/test_cli_duckdb_file.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["HeldDestination"]


@contextlib.contextmanager
def _environment_default(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` for the block unless the user set it; unset again after, so a
    program that runs the CLI in-process and then syncs on its own keeps dlt's default."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


class HeldDestination:
    """The DuckDB file opened now and closed later, maybe in another thread: ``restsync run``
    opens it before any request (a file that cannot be opened fails the run before the API is
    asked anything), and the pipeline's thread closes it when the run is done.

    Opening takes only DuckDB: the requests start before dlt is imported (docs/benchmarks.md,
    "Requests before dlt is imported"); dlt's destination around the connection is made when
    dlt needs it (``run_kwargs``)."""

    def __init__(self, path: Path | None) -> None:
        self._connection: Any = None
        self._destination: dict[str, Any] | None = None
        self._stack = contextlib.ExitStack()
        if path is None:
            return
        import duckdb

        try:
            self._connection = duckdb.connect(str(path))
        except duckdb.Error:  # dlt opens it then, and reports the failure as its sync step's
            return
        self._stack.callback(self._connection.close)
        # dlt empties the staging tables before the one close, so the checkpoint skips them
        # (without the held connection it would only add work: they were checkpointed already)
        self._stack.enter_context(_environment_default("LOAD__TRUNCATE_STAGING_DATASET", "true"))

    @property
    def opened(self) -> bool:
        """Whether the file is open (False: not a DuckDB load, or dlt will report the failure)."""
        return self._connection is not None

    @property
    def run_kwargs(self) -> dict[str, Any]:
        """``pipeline.run`` arguments that load through the held connection (none if not open)."""
        if self._connection is None:
            return {}
        if self._destination is None:
            import dlt

            self._destination = {"destination": dlt.destinations.duckdb(self._connection)}
        return self._destination

    def close(self) -> None:
        self._stack.close()
