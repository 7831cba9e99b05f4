"""Several partition routers in one stream: Airbyte's cartesian product of their partitions,
here two SubstreamPartitionRouters (every doc times every table) and a ListPartitionRouter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import restsync
from tests.airbyte.apis import serve_product
from tests.conftest import fetch_rows

MANIFEST = Path(__file__).parent / "manifests" / "product.yaml"


def test_every_doc_times_every_table_times_every_region(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_product(server, docs=3)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url}, streams=["rows"])
    restsync.sync(make_pipeline(), source)
    tables = [d * 10 + t for d in (1, 2, 3) for t in range(2)]
    combinations = {(d, t, r) for d in (1, 2, 3) for t in tables for r in ("eu", "us")}
    got = fetch_rows(duckdb_path, 'select doc, "table", region, n from data.rows')
    assert {(d, t, r) for d, t, r, _ in got} == combinations
    assert len(got) == 2 * len(combinations)
    # each parent is read once, however many partitions it takes part in
    paths = [r.path for r in server.requests]
    assert paths.count("/docs") == 1
    assert sorted(p for p in paths if p.endswith("/tables")) == [
        f"/docs/{d}/tables" for d in (1, 2, 3)
    ]
    assert sum(p.endswith("/rows") for p in paths) == len(combinations)


def test_a_failed_second_parent_fails_the_product_stream_only(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_product(server, docs=2, tables_status=404)
    server.start()
    source = restsync.airbyte_source(
        MANIFEST, {"base_url": server.base_url}, streams=["docs", "rows"]
    )
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert fetch_rows(duckdb_path, "select count(*) from data.docs") == [(2,)]
    assert [f.resource for f in failed.value.failures] == ["rows"]
    assert "not fetched because its parent" in str(failed.value)
    assert not any(r.path.endswith("/rows") for r in server.requests)
