"""DuckDB's memory settings for a restsync load, unless the user chose their own.

DuckDB's defaults (a memory limit of 80 % of RAM, a thread per core) let a load take memory in
proportion to the machine rather than to the data (docs/benchmarks.md#issue-11-targets). So
while ``restsync.sync`` runs, a config provider asked after every other one answers dlt's lookup
of the DuckDB credentials' ``global_config``: a value from the environment, a TOML file or the
credentials passed in code is found first and wins whole, as dlt resolves any setting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from dlt.common.configuration.container import Container
from dlt.common.configuration.providers.provider import ConfigProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

__all__ = ["DUCKDB_SETTINGS", "duckdb_settings"]

# measured on the 1M-record load (docs/benchmarks.md#issue-11-targets): restsync run peaked at
# 332 MB with these (285 MB with 32MB and 5,000 records queued, but at 32MB DuckDB failed a small
# merge load: it asks for 32 MiB in one allocation); DuckDB spills to disk where it can
DUCKDB_SETTINGS: Mapping[str, Any] = {"memory_limit": "64MB", "threads": 1}


class _Defaults(ConfigProvider):
    """Answers one key, ``destination.<name>.credentials.global_config``, and nothing else."""

    def __init__(self, destination_name: str, settings: Mapping[str, Any]) -> None:
        self._sections = ("destination", destination_name, "credentials")
        self._settings = dict(settings)

    def get_value(
        self, key: str, hint: type[Any], pipeline_name: str | None, *sections: str
    ) -> tuple[Any | None, str]:
        if key == "global_config" and pipeline_name is None and sections == self._sections:
            return dict(self._settings), key
        return None, key

    @property
    def supports_secrets(self) -> bool:
        return True  # credentials are a secret section; this answers only the settings in it

    @property
    def supports_sections(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return "restsync DuckDB defaults"


@contextlib.contextmanager
def duckdb_settings(pipeline: Any) -> Iterator[None]:
    """Within the block, a DuckDB destination of ``pipeline`` without a ``global_config`` of
    its own opens its connections with ``DUCKDB_SETTINGS``."""
    destination = getattr(pipeline, "destination", None)
    if getattr(destination, "destination_type", "") != "dlt.destinations.duckdb":
        yield
        return
    provider = _Defaults(destination.destination_name, DUCKDB_SETTINGS)  # type: ignore[union-attr]
    providers = Container()[PluggableRunContext].providers.providers
    providers.append(provider)  # last: every provider the user configures is asked first
    try:
        yield
    finally:
        providers.remove(provider)
