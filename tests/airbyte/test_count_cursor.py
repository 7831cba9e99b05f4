"""IncrementingCountCursor (zendesk-chat's ``since_id``): the first run sends ``start_value``
and keeps every record (airbyte-cdk 7.39.1 sends ``since_id=5`` and emits ids 3, 9 and 7);
a later run sends the saved cursor, the largest id seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

import restsync
from restsync.airbyte import stream_problems
from tests.conftest import RoutedServer, count_rows

MANIFEST = Path(__file__).parent / "manifests" / "count_cursor.yaml"


def serve_count_cursor(server: RoutedServer) -> None:
    @server.get("/agents")
    async def agents(request: web.Request) -> web.Response:
        return web.json_response([{"id": 3}, {"id": 9}, {"id": 7}])


def test_the_stream_passes_check() -> None:
    assert stream_problems(MANIFEST, {"base_url": "http://127.0.0.1:9"}) == {}


def test_runs_send_the_start_then_the_saved_cursor(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_count_cursor(server)
    server.start()
    pipeline = make_pipeline()
    restsync.sync(pipeline, restsync.airbyte_source(MANIFEST, {"base_url": server.base_url}))
    assert count_rows(duckdb_path, "data", "agents") == 3
    restsync.sync(pipeline, restsync.airbyte_source(MANIFEST, {"base_url": server.base_url}))
    assert [dict(r.query) for r in server.requests] == [{"since_id": "5"}, {"since_id": "9"}]
