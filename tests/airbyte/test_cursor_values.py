"""A record whose cursor restsync cannot read does not fail the stream: airbyte-cdk emits every
record the API returns (older than the start, without a cursor, an unreadable or mistyped one)
and keeps the latest readable cursor value as the stream's state; restsync does the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

import restsync
from tests.airbyte.apis import CURSOR_ROWS, serve_cursors

MANIFEST = Path(__file__).parent / "manifests" / "cursors.yaml"


def test_every_record_is_kept_and_the_state_is_the_latest_readable_cursor(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_cursors(server)
    server.start()
    config = {"base_url": server.base_url, "start_date": "2024-01-01", "end_date": "2024-01-05"}
    pipeline = make_pipeline()
    restsync.sync(pipeline, restsync.airbyte_source(MANIFEST, config))
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        ids = connection.sql("select id from data.items order by id").fetchall()
    assert ids == [(r["id"],) for r in CURSOR_ROWS]
    state = pipeline.state["sources"]["airbyte"]["resources"]["items"]["incremental"]
    assert state["updated"]["last_value"] == "2024-01-03"
