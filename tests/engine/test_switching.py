"""The thread switch interval is short while the engine runs (its loop shares the GIL with dlt's
thread) and the program's own is back afterwards (routed handler on 127.0.0.1, real dlt
pipeline, real DuckDB)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._engine._switching import SWITCH_SECONDS
from tests.conftest import count_rows, items_config


@pytest.fixture
def interval():
    """The program's switch interval, put back after the test whatever it did."""
    before = sys.getswitchinterval()
    yield before
    sys.setswitchinterval(before)


def _serve(server: Any, seen: list[float], body: Any = None) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        seen.append(sys.getswitchinterval())  # the server runs in this process
        if body is not None:
            return web.Response(text=body, content_type="application/json")
        return web.json_response({"data": [{"id": i} for i in range(10)]})

    server.start()


def test_the_interval_is_short_while_the_engine_runs_and_back_after(
    server, make_pipeline, duckdb_path, interval
) -> None:
    seen: list[float] = []
    _serve(server, seen)
    sys.setswitchinterval(0.005)  # CPython's default, whatever the test runner set
    restsync.sync(make_pipeline(), restsync.rest_api_source(items_config(server.base_url)))
    assert count_rows(duckdb_path, "data", "items") == 10
    assert seen == [pytest.approx(SWITCH_SECONDS)]
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_a_program_with_a_shorter_interval_keeps_it(
    server, make_pipeline, duckdb_path, interval
) -> None:
    seen: list[float] = []
    _serve(server, seen)
    sys.setswitchinterval(SWITCH_SECONDS / 5)
    shorter = sys.getswitchinterval()  # as CPython keeps it (in whole microseconds)
    restsync.sync(make_pipeline(), restsync.rest_api_source(items_config(server.base_url)))
    assert seen == [shorter]
    assert sys.getswitchinterval() == shorter
    assert count_rows(duckdb_path, "data", "items") == 10


def test_the_interval_is_back_after_a_failed_run(server, make_pipeline, interval) -> None:
    seen: list[float] = []
    _serve(server, seen, body="{not json")
    sys.setswitchinterval(0.005)
    with pytest.raises(restsync.SyncFailed, match="not valid JSON"):
        restsync.sync(make_pipeline(), restsync.rest_api_source(items_config(server.base_url)))
    assert seen and all(value == pytest.approx(SWITCH_SECONDS) for value in seen)
    assert sys.getswitchinterval() == pytest.approx(0.005)
