"""restsync loads into DuckDB with memory settings of its own (load/_duckdb.py), unless the user
set DuckDB's ``global_config``: the settings are read back through the pipeline's own DuckDB
connection while ``restsync.sync`` runs."""

from __future__ import annotations

import json
from typing import Any

import duckdb
from aiohttp import web

import restsync
from restsync.load._duckdb import DUCKDB_SETTINGS

SETTINGS_QUERY = "select current_setting('memory_limit'), current_setting('threads')"


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


def test_restsync_sets_duckdbs_memory_limit_and_threads(server, make_pipeline) -> None:
    shown = _settings_during_sync(server, make_pipeline)
    assert shown == _as_duckdb_shows(dict(DUCKDB_SETTINGS))
    assert shown != _as_duckdb_shows({})  # not DuckDB's own defaults


def test_a_users_global_config_wins(server, make_pipeline, monkeypatch) -> None:
    mine = {"memory_limit": "300MB", "threads": 2}
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", json.dumps(mine))
    assert _settings_during_sync(server, make_pipeline) == _as_duckdb_shows(mine)


def test_the_settings_apply_only_while_restsync_syncs(server, make_pipeline) -> None:
    _settings_during_sync(server, make_pipeline)
    pipeline = make_pipeline()
    with pipeline.sql_client() as client:
        after = tuple(client.execute_sql(SETTINGS_QUERY)[0])
    assert after == _as_duckdb_shows({})
