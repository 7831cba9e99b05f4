"""Error handlers: retried statuses (default 5xx and a RETRY filter), IGNORE ends the stream
without an error, as Airbyte's DefaultErrorHandler / CompositeErrorHandler do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import restsync
from tests.airbyte.apis import serve_errors
from tests.conftest import count_rows, table_names

MANIFEST = Path(__file__).parent / "manifests" / "errors.yaml"


def test_retry_then_succeed_and_ignore(server: Any, make_pipeline: Any, duckdb_path: Path) -> None:
    serve_errors(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "flaky") == 2
    assert [r.path for r in server.requests].count("/flaky") == 3
    assert "gone" not in table_names(duckdb_path, "data")
    report = restsync.runtime_of(source).last_report
    assert report is not None and report.ok
    assert report.resources["flaky"].retries == 2
