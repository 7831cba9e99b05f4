"""Error handlers: retried statuses (default 5xx and a RETRY filter), IGNORE ends the stream
without an error, as Airbyte's DefaultErrorHandler / CompositeErrorHandler do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

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


def test_wait_until_time_from_header_retries_a_rate_limit(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    """WaitUntilTimeFromHeader (opsgenie's rate limit) is accepted: a 429 is retried with the
    engine's backoff (factor 0 here, so no wait) and the stream loads."""
    calls = []

    @server.get("/alerts")
    async def alerts(request: web.Request) -> web.Response:
        calls.append(request.path)
        if len(calls) == 1:
            return web.json_response({}, status=429, headers={"X-RateLimit-Period-In-Sec": "1"})
        return web.json_response({"data": [{"id": 1}, {"id": 2}]})

    server.start()
    handler = {
        "type": "DefaultErrorHandler",
        "backoff_strategies": [
            {"type": "ExponentialBackoffStrategy", "factor": 0},
            {"type": "WaitUntilTimeFromHeader", "header": "X-RateLimit-Period-In-Sec"},
        ],
    }
    manifest = {
        "version": "6.0.0",
        "type": "DeclarativeSource",
        "streams": [
            {
                "type": "DeclarativeStream",
                "name": "alerts",
                "retriever": {
                    "type": "SimpleRetriever",
                    "requester": {
                        "type": "HttpRequester",
                        "url_base": server.base_url,
                        "path": "alerts",
                        "error_handler": handler,
                    },
                    "record_selector": {"extractor": {"field_path": ["data"]}},
                },
            }
        ],
    }
    source = restsync.airbyte_source(manifest, {})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "alerts") == 2
    assert len(calls) == 2
