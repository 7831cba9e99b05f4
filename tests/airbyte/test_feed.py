"""is_data_feed: newest-first pages end at the first page whose last record is older than the
window; a cursor format that does not sort as text ("%d/%m/%Y") is still compared by time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

import restsync
from tests.airbyte.apis import serve_feed

MANIFEST = Path(__file__).parent / "manifests" / "feed.yaml"


def test_feed_stops_at_the_first_old_record(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_feed(server)
    server.start()
    config = {
        "base_url": server.base_url,
        "user": "u",
        "password": "p",
        "start_date": "05/01/2024 00:00",
        "end_date": "01/02/2024 00:00",
    }
    pipeline = make_pipeline()
    restsync.sync(pipeline, restsync.airbyte_source(MANIFEST, config))
    # pages: ids 10-8, 7-5, 4-2; the second page ends on day 5 (in the window), the third on
    # day 2 (before it): no fourth request
    assert [r.query.get("before") for r in server.requests] == [None, "8", "5"]
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        ids = [r[0] for r in connection.sql("select id from data.posts order by id").fetchall()]
    assert ids == [5, 6, 7, 8, 9, 10]  # dlt keeps the records from the start on
    state = pipeline.state["sources"]["airbyte"]["resources"]["posts"]["incremental"]["posted"]
    assert state["last_value"] == "10/01/2024 08:00"  # the latest by time, not by text
