"""The rate budget holds end to end: no 1-second window sees more request starts than allowed."""

from __future__ import annotations

import time

from aiohttp import web

import restsync
from tests.conftest import count_rows


def test_requests_stay_within_the_budget_in_every_window(
    server, make_pipeline, duckdb_path
) -> None:
    starts: list[float] = []

    @server.get("/parents")
    async def parents(request: web.Request) -> web.Response:
        starts.append(time.monotonic())
        return web.json_response([{"id": i} for i in range(24)])

    @server.get("/parents/{pid}/kids")
    async def kids(request: web.Request) -> web.Response:
        starts.append(time.monotonic())
        return web.json_response([{"id": request.match_info["pid"]}])

    server.start()
    config = {
        "client": {
            "base_url": server.base_url,
            "rate_limit": {"requests_per_second": 12},
            "max_concurrency": 8,
        },
        "resource_defaults": {"primary_key": "id"},
        "resources": [
            {"name": "parents", "endpoint": "/parents"},
            {"name": "kids", "endpoint": "/parents/{parent_id}/kids"},
        ],
    }
    began = time.monotonic()
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    elapsed = time.monotonic() - began
    assert count_rows(duckdb_path, "data", "kids") == 24
    assert len(starts) == 25
    worst = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert worst <= 12
    # and the budget is used, not wasted: 25 requests at 12/s need about 2 s
    assert elapsed < 4.0
