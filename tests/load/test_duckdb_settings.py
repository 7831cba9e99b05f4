"""restsync sets no DuckDB memory_limit (a fixed small one made a 1M-record merge load fail with
"Out of Memory Error", docs/config.md#duckdbs-memory); it inserts with one thread that writes each
row group as soon as it is full, without caching the Parquet files it reads
(restsync._load._duckdb), and a user's ``global_config`` wins:
the settings are read back through the pipeline's own DuckDB connection while ``restsync.sync``
runs."""

from __future__ import annotations

import json
from typing import Any

import duckdb
from aiohttp import web

import restsync

SETTINGS_QUERY = (
    "select current_setting('memory_limit'), current_setting('threads'), "
    "current_setting('write_buffer_row_group_count'), current_setting('enable_external_file_cache')"
)


def _as_duckdb_shows(settings: dict[str, Any]) -> tuple[Any, ...]:
    """What ``SETTINGS_QUERY`` reads after DuckDB was given ``settings``."""
    with duckdb.connect() as db:
        for name, value in settings.items():
            db.execute(f"set global {name} = '{value}'")
        row = db.sql(SETTINGS_QUERY).fetchone()
    assert row is not None
    return tuple(row)


def _settings_during_sync(server: Any, make_pipeline: Any) -> tuple[Any, ...]:
    @server.get("/things")
    async def things(request: web.Request) -> web.Response:
        return web.json_response([{"id": i} for i in range(3)])

    server.start()
    config = {"client": {"base_url": server.base_url}, "resources": ["things"]}
    pipeline = make_pipeline()
    restsync.sync(pipeline, restsync.rest_api_source(config))  # the first load: schema, dataset
    seen: list[tuple[Any, ...]] = []

    def look(record: dict[str, Any]) -> dict[str, Any]:
        if not seen:
            with pipeline.sql_client() as client:
                seen.append(tuple(client.execute_sql(SETTINGS_QUERY)[0]))
        return record

    source = restsync.rest_api_source(config)
    source.resources["things"].add_map(look)
    restsync.sync(pipeline, source)
    assert len(seen) == 1
    return seen[0]


def test_restsync_sets_its_insert_settings_and_no_memory_limit(server, make_pipeline) -> None:
    from restsync._load._duckdb import DUCKDB_SETTINGS

    assert "memory_limit" not in DUCKDB_SETTINGS
    seen = _settings_during_sync(server, make_pipeline)
    assert seen == _as_duckdb_shows(dict(DUCKDB_SETTINGS))
    assert seen[0] == _as_duckdb_shows({})[0]  # DuckDB's own memory limit


def test_a_users_global_config_wins(server, make_pipeline, monkeypatch) -> None:
    mine = {"memory_limit": "300MB", "threads": 2}
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", json.dumps(mine))
    assert _settings_during_sync(server, make_pipeline) == _as_duckdb_shows(mine)
