"""Core manifests: requests, auth, the three paginators, RequestPath, `*` selectors, $ref and
$parameters, run through restsync into a real DuckDB against a routed local API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_wrong_key_fails_the_streams_but_names_them(server: Any, make_pipeline: Any) -> None:
    serve_core(server)
    server.start()
    config = {"base_url": server.base_url, "api_key": "wrong", "status": "open"}
    source = restsync.airbyte_source(MANIFESTS / "core.yaml", config, streams=["tags"])
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert "tags" in str(failed.value) and "401" in str(failed.value)
    assert "wrong" not in str(failed.value)
