"""``restsync run`` into a DuckDB file: one connection held for the whole run.

dlt opens the file per stage of a run (state, schema update, load jobs, completion) and closes it
after each; a close of the last connection makes DuckDB checkpoint (write what its log holds into
the file), compressing every column it writes. On webhook_service that took ~1.1 s after the load
jobs, half of it for dlt's staging copies of the merged tables (docs/benchmarks.md, "The tail
after the last request"). Held open, the file is checkpointed once, at the end, after dlt has
emptied its staging tables (``load.truncate_staging_dataset``; a user's own setting wins), so
only the data tables are written. The tables are the same: tests/cli/test_cli_duckdb_file.py.

The file is attached to an in-memory connection rather than opened directly, for one option
``duckdb.connect`` does not take: ``ROW_GROUP_SIZE``. DuckDB fills a whole row group in memory
before it writes it; at half its default size (61,440 rows instead of 122,880) the insert of the
1M-record bench's one Parquet file held 8-18 MB less (docs/benchmarks.md, "Session 10: memory").
The row groups are a storage detail: the rows, columns and types are the same. Every session dlt
clones from the connection starts in the in-memory catalog, so each is pointed at the file's
(``schema`` in the credentials' ``local_config``), and spilled data goes next to the file, where
DuckDB puts it for a file it opens itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["HeldDestination"]

ROW_GROUP_ROWS = 61_440  # DuckDB's default is 122,880; the module's docstring says why half


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

    def __init__(self, path: Path | None, pipeline_name: str | None = None) -> None:
        self._pipeline_name = pipeline_name
        self._connection: Any = None
        self._catalog: str | None = None  # the file's catalog, when attached
        self._destination: dict[str, Any] | None = None
        self._stack = contextlib.ExitStack()
        if path is None:
            return
        import duckdb

        try:
            self._connection, self._catalog = _attached(path)
        except (duckdb.Error, ValueError):  # opened as before (a name like DuckDB's own catalogs)
            try:
                self._connection = duckdb.connect(str(path))
            except duckdb.Error:  # dlt opens it then, and reports the failure as its sync step's
                return
        self._stack.callback(self._connection.close)
        # DuckDB's allocator gives back what it frees at once until the file is closed: the
        # insert of a large file peaks lower (imported here: `restsync --help` loads no _load)
        from restsync._load._release import DuckDBFreedPages

        self._stack.enter_context(DuckDBFreedPages.held())
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

            credentials: Any = self._connection
            if self._catalog is not None:
                from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

                # the user's session settings, if any, then the file's catalog for every session
                local = {**self._local_config(), "schema": self._catalog}
                credentials = DuckDbCredentials(self._connection, local_config=local)
            self._destination = {"destination": dlt.destinations.duckdb(credentials)}
        return self._destination

    def close(self) -> None:
        self._stack.close()

    def _local_config(self) -> dict[str, Any]:
        """The session settings the user gave dlt's DuckDB credentials: as dlt resolves a
        setting, the pipeline's own (``<pipeline>.destination.duckdb.credentials.local_config``)
        wins whole over the general one."""
        key = "destination.duckdb.credentials.local_config"
        if self._pipeline_name:
            scoped = _configured(f"{self._pipeline_name}.{key}")
            if scoped is not None:
                return scoped
        return _configured(key) or {}


def _attached(path: Path) -> tuple[Any, str]:
    """An in-memory connection with ``path`` attached (``ROW_GROUP_SIZE``) and in use; the
    file's catalog is named as ``duckdb.connect(path)`` would name it."""
    import duckdb

    connection = duckdb.connect()
    try:
        names = "select database_name from duckdb_databases()"
        before = set(connection.execute(names).fetchall())
        connection.execute(f"ATTACH {_literal(str(path))} (ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
        ((catalog,),) = set(connection.execute(names).fetchall()) - before
        connection.execute(f'USE "{catalog.replace(chr(34), chr(34) * 2)}"')
        # where DuckDB spills for a file it opens itself (an in-memory one spills to ./.tmp)
        connection.execute(f"SET temp_directory = {_literal(str(path.absolute()) + '.tmp')}")
    except (duckdb.Error, ValueError):  # ValueError: not exactly one catalog came in
        connection.close()
        raise
    return connection, catalog


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _configured(key: str) -> dict[str, Any] | None:
    """A dict the user configured for dlt under ``key`` (environment, TOML files), if any."""
    import dlt

    try:
        value: Any = dlt.secrets.get(key, dict)
    except Exception:  # a value dlt cannot read: dlt reports it when it resolves the destination
        return None
    return dict(value) if isinstance(value, dict) else None
