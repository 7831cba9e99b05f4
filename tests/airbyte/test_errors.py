"""Error handlers: retried statuses (default 5xx and a RETRY filter), IGNORE ends the stream
without an error, as Airbyte's DefaultErrorHandler / CompositeErrorHandler do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.airbyte.apis import serve_errors, serve_filters
from tests.conftest import count_rows, table_names

MANIFEST = Path(__file__).parent / "manifests" / "errors.yaml"
FILTERS = Path(__file__).parent / "manifests" / "filters.yaml"


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


def test_response_filters_resolve_as_airbyte_cdk(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    """filters.yaml, whose records airbyte-cdk 7.39.1 gives the same (scripts/airbyte_diff.py):
    a predicate retries a 200 once; a predicate and error_message_contains ignore 400 and 410
    (an http_code 404 too); SUCCESS on 403 skips that partition; an IGNORE matching a 200
    keeps its records."""
    serve_filters(server)
    server.start()
    source = restsync.airbyte_source(FILTERS, {"base_url": server.base_url})
    restsync.sync(make_pipeline(), source)
    rows = {
        name: count_rows(duckdb_path, "data", name)
        for name in ("busy", "reports", "quotes", "projects", "legacy")
    }
    assert rows == {"busy": 2, "reports": 4, "quotes": 4, "projects": 2, "legacy": 1}
    assert [r.path for r in server.requests].count("/busy") == 2
    report = restsync.runtime_of(source).last_report
    assert report is not None and report.ok
    assert report.resources["busy"].retries == 1


def _one_stream(base_url: str, filters: list[dict[str, Any]]) -> dict[str, Any]:
    handler = {
        "type": "DefaultErrorHandler",
        "max_retries": 2,
        "backoff_strategies": [{"type": "ExponentialBackoffStrategy", "factor": 0}],
        "response_filters": filters,
    }
    requester = {"url_base": base_url, "path": "/items", "error_handler": handler}
    retriever = {"requester": requester, "record_selector": {"extractor": {"field_path": []}}}
    return {
        "version": "6.0.0",
        "type": "DeclarativeSource",
        "streams": [{"type": "DeclarativeStream", "name": "items", "retriever": retriever}],
    }


def test_fail_predicate_on_a_200_fails_the_stream_with_its_message(
    server: Any, make_pipeline: Any
) -> None:
    """serpstat's FAIL filter: a 200 whose body says the token is invalid fails the stream."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "Invalid token"}, "data": []})

    server.start()
    rule = {
        "type": "HttpResponseFilter",
        "action": "FAIL",
        "predicate": "{{ 'Invalid token' in response.error.message }}",
        "error_message": "Invalid Token",
    }
    source = restsync.airbyte_source(_one_stream(server.base_url, [rule]), {})
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert "items" in str(failed.value)
    assert "error handler fails this response (HTTP 200): Invalid Token" in str(failed.value)


def test_retry_predicate_gives_up_after_max_retries(server: Any, make_pipeline: Any) -> None:
    """A body that always asks to slow down is tried 1 + max_retries times, then fails."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response({"status": "slow down"})

    server.start()
    rule = {
        "action": "RETRY",
        "predicate": "{{ response.status == 'slow down' and headers['Content-Type'] }}",
    }
    source = restsync.airbyte_source(_one_stream(server.base_url, [rule]), {})
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert "the error handler retries this response (HTTP 200) after 3 attempts" in str(
        failed.value
    )
    assert len(server.requests) == 3


def test_a_predicate_on_a_missing_field_does_not_match(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    """apple-search-ads reads response.error.errors[0].message: on a body without ``error``
    the predicate is undefined, so false (as in airbyte-cdk), and the records load."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}])

    server.start()
    rule = {
        "action": "IGNORE",
        "predicate": "{{ 'NO KEYWORD' in response.error.errors[0].message }}",
    }
    source = restsync.airbyte_source(_one_stream(server.base_url, [rule]), {})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "items") == 2
