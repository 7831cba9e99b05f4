"""is_client_side_incremental (client_side.yaml, identical to airbyte-cdk 7.39.1 in
scripts/airbyte_diff.py): records outside [start, end] are dropped on the client, a record
without a cursor is kept, the cursor may come from a transformation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

import restsync
from tests.airbyte.apis import serve_client_side

MANIFEST = Path(__file__).parent / "manifests" / "client_side.yaml"


def test_records_outside_the_window_are_dropped_on_the_client(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_client_side(server)
    server.start()
    config = {"base_url": server.base_url, "start_date": "2024-01-02", "end_date": "2024-01-05"}
    restsync.sync(make_pipeline(), restsync.airbyte_source(MANIFEST, config))
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        rows = connection.sql("select id, updated from data.tickets order by id").fetchall()
    # 2023-12-30 is before the start, 2024-01-07 after the end; id 99 has no cursor value
    assert rows == [(1, "2024-01-02"), (2, "2024-01-03T10:00:00"), (3, "2024-01-05"), (99, None)]
