"""Partitions and time slices: SubstreamPartitionRouter fan-out, ListPartitionRouter times
DatetimeBasedCursor windows, RecordFilter, AddFields/RemoveFields, the cursor kept in dlt state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import restsync
from tests.airbyte.apis import serve_fanout
from tests.conftest import fetch_rows

MANIFEST = Path(__file__).parent / "manifests" / "fanout.yaml"


def _config(base_url: str, end_date: str = "2024-01-05") -> dict[str, Any]:
    return {
        "base_url": base_url,
        "token": "t-1",
        "regions": ["eu", "us"],
        "start_date": "2024-01-01",
        "end_date": end_date,
    }


def test_fanout_over_parent_records_and_slices(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_fanout(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, _config(server.base_url))
    restsync.sync(make_pipeline(), source)
    # project 3 is filtered out by the RecordFilter, so it has no partition either
    assert fetch_rows(duckdb_path, "select id from data.projects order by id") == [(1,), (2,), (4,)]
    tasks = fetch_rows(duckdb_path, "select id, project_id from data.tasks order by id")
    assert tasks == [(p * 10 + t, p) for p in (1, 2, 4) for t in range(3)]
    columns = {r[0] for r in fetch_rows(duckdb_path, "describe data.tasks")}
    assert "internal" not in columns
    windows = sorted(
        (r.query["region"], r.query["since"], r.query["until"])
        for r in server.requests
        if r.path == "/metrics"
    )
    assert windows == sorted(
        (region, since, until)
        for region in ("eu", "us")
        # steps of two days less a day of granularity; the last window ends at the end
        for since, until in (("2024-01-01", "2024-01-02"), ("2024-01-03", "2024-01-05"))
    )
    assert fetch_rows(duckdb_path, "select count(*) from data.metrics") == [(10,)]


def test_second_run_starts_from_the_saved_cursor(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_fanout(server)
    server.start()
    pipeline = make_pipeline()
    first = restsync.airbyte_source(MANIFEST, _config(server.base_url), streams=["metrics"])
    restsync.sync(pipeline, first)
    assert (
        pipeline.state["sources"]["airbyte"]["resources"]["metrics"]["incremental"]["day"][
            "last_value"
        ]
        == "2024-01-05"
    )
    server.requests.clear()
    later = restsync.airbyte_source(
        MANIFEST, _config(server.base_url, end_date="2024-01-07"), streams=["metrics"]
    )
    restsync.sync(pipeline, later)
    sent = sorted((r.query["since"], r.query["until"]) for r in server.requests)
    assert sent == [("2024-01-05", "2024-01-07")] * 2
    # merge on (region, day): 01-05 is read again and replaces its earlier copy
    assert fetch_rows(duckdb_path, "select count(*) from data.metrics") == [(14,)]
