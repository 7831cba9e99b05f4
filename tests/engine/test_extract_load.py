"""End to end: routed HTTP handlers on 127.0.0.1 -> restsync engine -> dlt -> a real DuckDB file."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import count_rows, table_names

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _cursor_config(base_url: str, resources: list[dict[str, Any]], **client: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, "auth": {"type": "bearer", "token": "s3cret"}, **client},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": resources,
    }


def _iterator_resource(name: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "endpoint": {
            "path": path,
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_param": "iterator", "stop_condition": "done"},
        },
    }


def _iterator_page(
    request: web.Request, records: list[dict[str, Any]], size: int = 10
) -> web.Response:
    start = int(request.query.get("iterator", 0))
    page = records[start : start + size]
    done = start + size >= len(records)
    return web.json_response(
        {"data": page, "iterator": None if done else str(start + size), "done": done}
    )


def test_parents_children_and_idempotent_merge(server, make_pipeline, duckdb_path) -> None:
    apps = [{"id": f"app_{i}", "name": f"app {i}", "tags": ["a", "b"]} for i in range(25)]

    @server.get("/v1/app")
    async def list_apps(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer s3cret"
        return _iterator_page(request, apps)

    @server.get("/v1/app/{app_id}/endpoint")
    async def list_endpoints(request: web.Request) -> web.Response:
        app_id = request.match_info["app_id"]
        count = 0 if app_id.endswith("4") else 3  # some parents have no children
        children = [{"id": f"{app_id}_ep{j}", "url": "https://x"} for j in range(count)]
        return _iterator_page(request, children)

    server.start()
    config = _cursor_config(
        server.base_url,
        [
            _iterator_resource("applications", "/v1/app"),
            _iterator_resource("endpoints", "/v1/app/{app_id}/endpoint"),
        ],
    )
    for _ in range(2):  # the second run must leave every count unchanged (merge on the key)
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
        assert count_rows(duckdb_path, "data", "applications") == 25
        assert count_rows(duckdb_path, "data", "applications__tags") == 50
        assert count_rows(duckdb_path, "data", "endpoints") == 22 * 3

    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        orphans = db.sql(
            "select count(*) from data.endpoints e left join data.applications a "
            "on e._applications_id = a.id where a.id is null"
        ).fetchone()
    assert orphans == (0,)


def test_a_resource_without_its_key_fails_alone(server, make_pipeline, duckdb_path) -> None:
    @server.get("/v1/app")
    async def list_apps(request: web.Request) -> web.Response:
        return _iterator_page(request, [{"id": "a1"}, {"id": "a2"}])

    @server.get("/v1/event-type")
    async def list_event_types(request: web.Request) -> web.Response:
        return _iterator_page(request, [{"uuid": "u1", "name": "x"}])

    server.start()
    config = _cursor_config(
        server.base_url,
        [
            _iterator_resource("applications", "/v1/app"),
            _iterator_resource("event_types", "/v1/event-type"),
        ],
    )
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert [f.resource for f in failed.value.failures] == ["event_types"]
    message = str(failed.value.failures[0])
    assert "primary key 'id'" in message and "fields present: name, uuid" in message
    assert count_rows(duckdb_path, "data", "applications") == 2
    assert "event_types" not in table_names(duckdb_path, "data")


def test_transient_errors_are_retried_to_exact_data(server, make_pipeline, duckdb_path) -> None:
    records = [{"id": i} for i in range(30)]
    calls = {"n": 0}

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": "0"}
            )
        if calls["n"] == 4:
            return web.json_response({"error": "oops"}, status=503)
        if calls["n"] == 5:
            return web.Response(text="<html>gateway</html>", content_type="text/html")
        return _iterator_page(request, records)

    server.start()
    config = _cursor_config(server.base_url, [_iterator_resource("items", "/items")])
    config["client"]["error_handler"] = {"backoff_factor": 0}  # no real waiting in tests
    source = restsync.rest_api_source(config)
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "items") == 30
    stats = restsync.runtime_of(source).last_report.resources["items"]  # type: ignore[union-attr]
    assert (stats.pages, stats.retries, stats.records) == (3, 3, 30)


def test_a_permanent_error_names_the_resource_and_others_load(
    server, make_pipeline, duckdb_path
) -> None:
    @server.get("/good")
    async def good(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}])

    @server.get("/missing")
    async def missing(request: web.Request) -> web.Response:
        return web.json_response({"error": "no such thing", "token": "s3cret"}, status=404)

    server.start()
    config = _cursor_config(
        server.base_url,
        [
            {"name": "good", "endpoint": "/good"},
            {"name": "gone", "endpoint": {"path": "/missing", "params": {"api_token": "s3cret"}}},
        ],
    )
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    message = str(failed.value)
    assert "resource 'gone'" in message and "HTTP 404" in message and "/missing" in message
    assert "s3cret" not in message  # secret-looking query values are redacted
    assert count_rows(duckdb_path, "data", "good") == 2


def test_a_repeated_cursor_is_a_pagination_loop(server, make_pipeline) -> None:
    @server.get("/loop")
    async def loop(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}], "next": "abc"})

    server.start()
    config = _cursor_config(
        server.base_url,
        [
            {
                "name": "loop",
                "endpoint": {
                    "path": "/loop",
                    "paginator": {"type": "cursor", "cursor_param": "c", "cursor_path": "next"},
                },
            }
        ],
    )
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert isinstance(failed.value.failures[0], restsync.PaginationLoopError)
    assert len(server.requests) == 2


def test_cursor_urls_are_followed_and_credentials_stay_home(
    server, make_pipeline, duckdb_path
) -> None:
    from tests.conftest import RoutedServer

    elsewhere = RoutedServer()
    seen_auth: list[str | None] = []

    @elsewhere.get("/devices")
    async def foreign(request: web.Request) -> web.Response:
        seen_auth.append(request.headers.get("Authorization"))
        return web.json_response({"results": [{"id": 99}], "next": None})

    elsewhere.start()

    @server.get("/v1/devices")
    async def devices(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer s3cret"
        page = int(request.query.get("page", 1))
        if page == 1:
            nxt = f"{server.base_url}/v1/devices?page=2"
        else:
            nxt = f"{elsewhere.base_url}/devices?page=3"
        return web.json_response({"results": [{"id": page}], "next": nxt})

    server.start()
    try:
        resource = {
            "name": "devices",
            "endpoint": {
                "path": "/v1/devices",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "page",
                    "limit": 200,
                    "stop_condition": "response.next is none",
                },
            },
        }
        restsync.sync(
            make_pipeline(), restsync.rest_api_source(_cursor_config(server.base_url, [resource]))
        )
    finally:
        elsewhere.stop()
    assert count_rows(duckdb_path, "data", "devices") == 3
    assert seen_auth == [None]
    assert all(r.query.get("limit") == "200" for r in server.requests)


def test_offset_paging_with_an_exactly_full_last_page(server, make_pipeline, duckdb_path) -> None:
    # fetching ahead is off here, so the exact sequence of requests shows the stop rule
    records = [{"id": i} for i in range(40)]

    @server.get("/accounts")
    async def accounts(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response({"_data": records[offset : offset + limit]})

    server.start()
    resource = {
        "name": "accounts",
        "endpoint": {
            "path": "/accounts",
            "data_selector": "_data",
            "paginator": {"type": "offset", "limit": 20, "offset_param": "offset"},
        },
        "prefetch_pages": 0,
    }
    restsync.sync(
        make_pipeline(), restsync.rest_api_source(_cursor_config(server.base_url, [resource]))
    )
    assert count_rows(duckdb_path, "data", "accounts") == 40
    assert [r.query["offset"] for r in server.requests] == ["0", "20", "40"]


def test_records_missing_the_key_go_to_rejects(server, make_pipeline, duckdb_path) -> None:
    @server.get("/things")
    async def things(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"name": "no key"}, {"id": 3}])

    server.start()
    config = _cursor_config(server.base_url, [{"name": "things", "endpoint": "/things"}])
    source = restsync.rest_api_source(config)
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "things") == 2
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        rows = db.sql("select resource, reason, record from data._restsync_rejects").fetchall()
    assert rows == [("things", "missing primary key 'id'", '{"name":"no key"}')]
    assert restsync.runtime_of(source).last_report.resources["things"].rejects == 1  # type: ignore[union-attr]


def test_in_flight_requests_never_exceed_max_concurrency(
    server, make_pipeline, duckdb_path
) -> None:
    state = {"in_flight": 0, "peak": 0}

    @server.get("/parents")
    async def parents(request: web.Request) -> web.Response:
        return web.json_response([{"id": i} for i in range(40)])

    @server.get("/parents/{pid}/kids")
    async def kids(request: web.Request) -> web.Response:
        state["in_flight"] += 1
        state["peak"] = max(state["peak"], state["in_flight"])
        await asyncio.sleep(0.01)
        state["in_flight"] -= 1
        return web.json_response([{"id": f"{request.match_info['pid']}-k"}])

    server.start()
    config = _cursor_config(
        server.base_url,
        [
            {"name": "parents", "endpoint": "/parents"},
            {"name": "kids", "endpoint": "/parents/{parent_id}/kids"},
        ],
        max_concurrency=3,
    )
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert count_rows(duckdb_path, "data", "kids") == 40
    assert 1 < state["peak"] <= 3
