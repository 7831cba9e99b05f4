"""Core manifests: requests, auth, the three paginators, RequestPath, `*` selectors, $ref and
$parameters, run through restsync into a real DuckDB against a routed local API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

import restsync
from tests.airbyte.apis import serve_core
from tests.conftest import count_rows

MANIFESTS = Path(__file__).parent / "manifests"


def test_core_manifest_loads_every_stream(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_core(server)
    server.start()
    config = {"base_url": server.base_url, "api_key": "k-123", "status": "open"}
    source = restsync.airbyte_source(MANIFESTS / "core.yaml", config)
    restsync.sync(make_pipeline(), source)
    counts = {
        t: count_rows(duckdb_path, "data", t)
        for t in ("users", "orders", "tags", "events", "pages")
    }
    assert counts == {"users": 5, "orders": 7, "tags": 2, "events": 5, "pages": 5}
    sent = [(r.path, dict(r.query)) for r in server.requests if r.path == "/api/users"]
    assert sent == [
        ("/api/users", {"limit": "2"}),
        ("/api/users", {"limit": "2", "cursor": "2"}),
        ("/api/users", {"limit": "2", "cursor": "4"}),
    ]
    offsets = [r.query.get("offset") for r in server.requests if r.path == "/api/orders"]
    assert offsets == [None, "3", "6"]
    pages = [r.query.get("page") for r in server.requests if r.path == "/api/pages"]
    assert pages == ["1", "2", "3"]
    # schema_normalization: Default gives the schema's types: text ids, double totals, and a
    # lone flag wrapped in a list (items typed as a list); a lone note is not wrapped (items
    # typed as a string: Airbyte reads that as a set of letters), so dlt puts the text in a
    # variant column next to the declared JSON one
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        row = connection.sql(
            "select id, total, flags, note__v_text from data.orders order by total"
        )
        first = row.fetchone()
    assert first is not None and first[:2] == ("1", 10.0)
    assert json.loads(first[2]) == ["new"] and first[3] == "n"


def test_wrong_key_fails_the_streams_but_names_them(server: Any, make_pipeline: Any) -> None:
    serve_core(server)
    server.start()
    config = {"base_url": server.base_url, "api_key": "wrong", "status": "open"}
    source = restsync.airbyte_source(MANIFESTS / "core.yaml", config, streams=["tags"])
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert "tags" in str(failed.value) and "401" in str(failed.value)
    assert "wrong" not in str(failed.value)
