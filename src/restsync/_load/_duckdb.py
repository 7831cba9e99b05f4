"""How DuckDB inserts a restsync load, unless the user chose their own settings.

With DuckDB's defaults, one insert of a 1M-row Parquet file (dlt loads a file with one
``INSERT ... SELECT * FROM read_parquet(...)``) held ~150-190 MB of rows in the transaction's
own storage before writing them to the file: each of DuckDB's threads keeps its own row groups,
several of them (``write_buffer_row_group_count``) before it writes. One thread that writes each
row group as soon as it is full held 37 MB, and the insert took no longer on 2 cores
(docs/benchmarks.md, "Peak RSS on 1M records", phase 5). Neither setting caps memory, so no
load can fail for it: a query that needs more memory still gets it (a ``memory_limit`` made a
1M-record merge load fail, which is why restsync sets none; tests/load/test_duckdb_settings.py).
Nor does turning off DuckDB's cache of the Parquet files it reads: dlt reads each file once.

While ``restsync.sync`` runs, a config provider asked after every other one answers dlt's lookup
of the DuckDB credentials' ``global_config``: a value from the environment, a TOML file or the
credentials passed in code is found first and wins whole, as dlt resolves any setting.

``restsync.sync`` also holds the DuckDB file open while it runs (``held_file``). dlt opens the file
for each stage of a run (its stored state, the schema update, the load jobs, the completion) and
closes it after each; the last close of a file makes DuckDB checkpoint it. A connection held for
the sync keeps DuckDB's database open in between (DuckDB shares one database per file among the
connections of a process), so dlt's opens find it open and its closes write nothing: the file is
checkpointed once, when the sync lets it go. On the 20,200-record fan-out bench dlt opened the file
4 times and closed it 3 times in its load step (docs/benchmarks.md, "Session 12: small runs").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["DUCKDB_SETTINGS", "duckdb_settings", "held_file"]

DUCKDB_SETTINGS: Mapping[str, Any] = {
    "threads": 1,
    "write_buffer_row_group_count": 1,
    # DuckDB keeps the Parquet files a query reads in its buffer pool for the next query; dlt
    # reads each staged file once, so the cache only held a file's pages through its insert
    # (~20 MB of the 1M-record peak, docs/benchmarks.md, phase 6)
    "enable_external_file_cache": False,
}

_DUCKDB = "dlt.destinations.duckdb"


@contextlib.contextmanager
def duckdb_settings(pipeline: Any, destination: Any = None) -> Iterator[None]:
    """Within the block, a DuckDB destination (``destination``, else the pipeline's) without a
    ``global_config`` of its own opens its connections with ``DUCKDB_SETTINGS``."""
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    target = destination if destination is not None else getattr(pipeline, "destination", None)
    if getattr(target, "destination_type", "") != _DUCKDB:
        yield
        return
    provider = _provider(str(target.destination_name), DUCKDB_SETTINGS)  # type: ignore[union-attr]
    providers = Container()[PluggableRunContext].providers.providers
    providers.append(provider)  # last: every provider the user configures is asked first
    try:
        yield
    finally:
        providers.remove(provider)


@contextlib.contextmanager
def held_file(pipeline: Any, run_kwargs: Mapping[str, Any]) -> Iterator[bool]:
    """Within the block, the pipeline's DuckDB file is held open (see the module's docstring),
    and DuckDB's allocator gives back the pages it frees at once (``DuckDBFreedPages``, as
    ``restsync run`` does while it holds its file). Nothing is held when the run is given its own
    ``destination`` or ``credentials``, when the destination is not a DuckDB file opened for
    writing, or when the file cannot be opened now: dlt then opens it as it always does, and
    reports any failure itself. Yields whether the file is held."""
    connection = None if _ANOTHER_DESTINATION & set(run_kwargs) else _open(pipeline)
    if connection is None:
        yield False
        return
    from restsync._load._release import DuckDBFreedPages

    try:
        with DuckDBFreedPages.held():
            yield True
    finally:
        connection.close()  # the file's last connection: DuckDB checkpoints it now


_ANOTHER_DESTINATION = {"destination", "credentials", "staging"}


def _open(pipeline: Any) -> Any:
    """A connection to the DuckDB file the pipeline loads into, opened the way dlt opens it (so
    DuckDB shares its database with dlt's connections); ``None`` if there is none to hold."""
    if getattr(getattr(pipeline, "destination", None), "destination_type", "") != _DUCKDB:
        return None
    try:
        # dlt's own resolution of the file's path (its location rules, the user's config)
        credentials = pipeline.destination_client().config.credentials
    except Exception:  # a config dlt cannot resolve: its run reports it, in its words
        return None
    database = getattr(credentials, "database", None)
    if (
        not isinstance(database, str)
        or database.startswith(":")  # in-memory and other DuckDB markers: nothing to hold
        or credentials.external_conn() is not None
        or credentials.read_only
    ):
        return None
    import duckdb

    # dlt passes these settings to ``connect`` (the others it SETs on its connections); a
    # database is shared only between connections opened with the same ones
    given = credentials.global_config or {}
    config = {k: given[k] for k in ("custom_user_agent",) if k in given}
    try:
        return duckdb.connect(database, config=config)
    except duckdb.Error:  # locked by another process, say: dlt's open will say so
        return None


def _provider(destination_name: str, settings: Mapping[str, Any]) -> Any:
    from dlt.common.configuration.providers.provider import ConfigProvider

    class _Defaults(ConfigProvider):
        """Answers one key, ``destination.<name>.credentials.global_config``, nothing else."""

        sections = ("destination", destination_name, "credentials")

        def get_value(
            self, key: str, hint: type[Any], pipeline_name: str | None, *sections: str
        ) -> tuple[Any | None, str]:
            if key == "global_config" and pipeline_name is None and sections == self.sections:
                return dict(settings), key
            return None, key

        @property
        def supports_secrets(self) -> bool:
            return True  # credentials are a secret section; this answers only settings in it

        @property
        def supports_sections(self) -> bool:
            return True

        @property
        def name(self) -> str:
            return "restsync DuckDB defaults"

    return _Defaults()
