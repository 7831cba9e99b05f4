"""A runaway stop_condition fails only its own resource, quickly; the other resources load."""

from __future__ import annotations

import pytest
from aiohttp import web

import restsync
from tests.conftest import count_rows


def test_a_runaway_expression_fails_only_its_resource(server, make_pipeline, duckdb_path) -> None:
    @server.get("/healthy")
    async def healthy(request: web.Request) -> web.Response:
        return web.json_response([{"id": i} for i in range(3)])

    @server.get("/runaway")
    async def runaway(request: web.Request) -> web.Response:
        # n ** (9 ** 9) would take minutes of CPU and gigabytes; the sandbox refuses it
        return web.json_response({"data": [{"id": 1}], "n": 7, "next": "more"})

    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": [
            {"name": "healthy", "endpoint": {"path": "/healthy", "paginator": "single_page"}},
            {
                "name": "runaway",
                "endpoint": {
                    "path": "/runaway",
                    "data_selector": "data",
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "next",
                        "stop_condition": "response.n ** (9**9) > 0",
                    },
                },
            },
        ],
    }
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert [f.resource for f in caught.value.failures] == ["runaway"]
    assert "7 ** 387420489 is too large" in str(caught.value)
    assert count_rows(duckdb_path, "data", "healthy") == 3
    assert sum(r.path == "/runaway" for r in server.requests) == 1  # no second page asked for
