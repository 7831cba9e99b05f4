"""The cyclic garbage collector runs rarely while the engine fetches (never inside a page's JSON
parse: orjson's objects hold no cycles), and the program's setting is back afterwards (routed
handler on 127.0.0.1, real dlt pipeline, real DuckDB)."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._engine._gc_pause import RELAXED_THRESHOLD
from tests.conftest import count_rows, items_config

RECORDS = [
    {"id": i, "name": f"n{i}", "meta": {"source": "s", "nested": {"on": True}}} for i in range(5000)
]


@pytest.fixture
def threshold():
    """The program's collector settings, put back after the test whatever it did."""
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_a_page_of_5000_records_starts_no_collection_in_the_engine(
    server, make_pipeline, duckdb_path, threshold
) -> None:
    seen: list[int] = []  # the threshold while the engine runs, read by the server

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        seen.append(gc.get_threshold()[0])
        return web.json_response({"data": RECORDS})

    server.start()
    in_engine: list[int] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and threading.current_thread().name == "restsync-engine":
            in_engine.append(gc.get_threshold()[0])

    gc.callbacks.append(watch)
    try:
        restsync.sync(make_pipeline(), restsync.rest_api_source(items_config(server.base_url)))
    finally:
        gc.callbacks.remove(watch)
    assert count_rows(duckdb_path, "data", "items") == 5000
    assert seen == [max(threshold[0], RELAXED_THRESHOLD)]
    # 15,000 new dicts: ~20 collections at the default threshold; now none while the engine
    # runs, and those due once the program's threshold is back (the page still held, the
    # engine's wind-down): one, or two in a full parallel run, never near the ~20 of no pause
    assert all(seen_at == threshold[0] for seen_at in in_engine), in_engine
    assert len(in_engine) <= 3, in_engine
    assert gc.get_threshold() == threshold and gc.isenabled()


def test_a_program_without_automatic_collection_keeps_it_off(
    server, make_pipeline, duckdb_path, threshold
) -> None:
    seen: list[int] = []

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        seen.append(gc.get_threshold()[0])
        return web.json_response({"data": RECORDS[:10]})

    server.start()
    gc.set_threshold(0)
    restsync.sync(make_pipeline(), restsync.rest_api_source(items_config(server.base_url)))
    assert seen == [0] and gc.get_threshold()[0] == 0
    assert count_rows(duckdb_path, "data", "items") == 10


def test_the_setting_is_back_after_a_body_that_is_not_json(
    server, make_pipeline, threshold
) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    server.start()
    with pytest.raises(restsync.SyncFailed, match="not valid JSON"):
        restsync.sync(make_pipeline(), restsync.rest_api_source(items_config(server.base_url)))
    assert gc.get_threshold() == threshold
