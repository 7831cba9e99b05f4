"""The cyclic garbage collector stays out of the JSON parse of a page: orjson's objects hold no
cycles, and collecting during the parse walked every page in flight (routed handler on
127.0.0.1, real dlt pipeline, real DuckDB)."""

from __future__ import annotations

import gc
import sys
from typing import Any

from aiohttp import web

import restsync
from restsync._engine import _http
from tests.conftest import count_rows

HTTP = _http.__file__
_parse = _http._parse

RECORDS = [
    {"id": i, "name": f"n{i}", "meta": {"source": "s", "nested": {"on": True}}} for i in range(5000)
]


def test_no_collection_runs_inside_a_page_parse(server, make_pipeline, duckdb_path) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response({"data": RECORDS})

    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": [
            {"name": "items", "endpoint": {"path": "/items", "paginator": "single_page"}}
        ],
    }
    in_parse: list[int] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        caller = sys._getframe(1)  # the Python frame whose allocation started the collection
        code = caller.f_code
        if phase == "start" and (code.co_name, code.co_filename) == (_parse.__name__, HTTP):
            in_parse.append(info["generation"])

    before = gc.get_threshold()
    gc.callbacks.append(watch)
    try:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    finally:
        gc.callbacks.remove(watch)
    assert count_rows(duckdb_path, "data", "items") == 5000
    assert in_parse == []  # 15,000 new dicts: ~20 collections before the pause
    assert gc.get_threshold() == before and gc.isenabled()


def test_the_pause_is_undone_after_a_body_that_is_not_json(
    server, make_pipeline, duckdb_path
) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": [
            {"name": "items", "endpoint": {"path": "/items", "paginator": "single_page"}}
        ],
    }
    before = gc.get_threshold()
    try:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    except restsync.SyncFailed as exc:
        assert "not valid JSON" in str(exc)
    else:
        raise AssertionError("a body that is not JSON must fail the resource")
    assert gc.get_threshold() == before
