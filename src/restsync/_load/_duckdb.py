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
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["DUCKDB_SETTINGS", "duckdb_settings"]

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
