"""``SourceRuntime.start_early`` (what ``restsync run`` uses): the engine starts before dlt asks
for the resources, and nothing it started outlives the run: a resource dlt does not ask for is
dropped at dlt's first read, and ``stop_early`` ends a run dlt never reads. The endless resource
has more pages than the handoff holds, so a resource left holding it would keep the engine
blocked (and its thread alive) after the run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import dlt
import duckdb
from aiohttp import web

import restsync
from restsync._api import runtime_of
from tests.conftest import RoutedServer

# 30,000 records: far more than the handoff holds ahead (5,000 records per resource)
ENDLESS_PAGES, ENDLESS_RECORDS = 300, 100
# small pages (a child's, per parent), more than the page bound once was (64 pages)
SMALL_PAGES = 200


def _serve(server: RoutedServer, last_small_page: threading.Event | None = None) -> threading.Event:
    asked = threading.Event()

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        asked.set()
        return web.json_response([{"id": 1}, {"id": 2}])

    @server.get("/endless")
    async def endless(request: web.Request) -> web.Response:
        asked.set()
        page = int(request.query.get("page", 1))
        data = [{"id": page * ENDLESS_RECORDS + i} for i in range(ENDLESS_RECORDS)]
        return web.json_response({"data": data, "total_pages": ENDLESS_PAGES})

    @server.get("/small")
    async def small(request: web.Request) -> web.Response:
        page = int(request.query.get("page", 1))
        if page == SMALL_PAGES and last_small_page is not None:
            last_small_page.set()
        return web.json_response({"data": [{"id": page}], "total_pages": SMALL_PAGES})

    server.start()
    return asked


def _source(base_url: str, incremental: bool = False) -> Any:
    items: dict[str, Any] = {"name": "items", "endpoint": {"path": "items"}}
    if incremental:
        items["endpoint"]["incremental"] = {"cursor_path": "id", "initial_value": 0}
    paged = {"type": "page_number", "base_page": 1}
    endless = {"name": "endless", "endpoint": {"path": "endless", "paginator": paged}}
    small = {"name": "small", "endpoint": {"path": "small", "paginator": paged}}
    return restsync.rest_api_source(
        {"client": {"base_url": base_url}, "resources": [items, endless, small]}
    )


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "restsync-engine" and t.is_alive()]


def _endless_requests(server: RoutedServer) -> int:
    return sum(1 for r in server.requests if r.path == "/endless")


def test_a_resource_dlt_does_not_ask_for_is_dropped_at_its_first_read(
    server: RoutedServer, make_pipeline: Callable[..., Any], duckdb_path: Any
) -> None:
    _serve(server)
    source = _source(server.base_url)
    assert runtime_of(source).start_early(["items", "endless"])
    pipeline = make_pipeline()
    pipeline.run(source.with_resources("items"))
    assert _engine_threads() == []  # the engine was cancelled once "items" was read
    assert _endless_requests(server) < ENDLESS_PAGES
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        assert db.sql("select id from data.items order by id").fetchall() == [(1,), (2,)]
        tables = {r[0] for r in db.sql("select table_name from duckdb_tables()").fetchall()}
    assert "endless" not in tables


def test_stop_early_ends_a_run_dlt_never_reads(server: RoutedServer) -> None:
    asked = _serve(server)
    runtime = runtime_of(_source(server.base_url))
    assert runtime.start_early(["items", "endless"])
    assert asked.wait(30), "the engine sent no request"
    runtime.stop_early()
    assert _engine_threads() == []
    assert _endless_requests(server) < ENDLESS_PAGES
    runtime.stop_early()  # twice, as on every exit path of restsync run: nothing left to do


def test_a_resource_with_a_cursor_waits_for_dlts_state(server: RoutedServer) -> None:
    _serve(server)
    runtime = runtime_of(_source(server.base_url, incremental=True))
    assert not runtime.start_early(["items", "endless"])
    assert _engine_threads() == [] and server.requests == []


def test_a_dlt_resource_in_the_config_is_left_to_dlt(
    server: RoutedServer, make_pipeline: Callable[..., Any], duckdb_path: Any
) -> None:
    _serve(server)

    @dlt.resource(name="colours")
    def colours() -> Any:
        yield [{"name": "red"}, {"name": "blue"}]

    config = {"client": {"base_url": server.base_url}, "resources": ["items", colours()]}
    source = restsync.rest_api_source(config)
    assert runtime_of(source).start_early(list(source.selected_resources))
    make_pipeline().run(source)
    assert _engine_threads() == []
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        assert db.sql("select count(*) from data.items").fetchone() == (2,)
        assert db.sql("select count(*) from data.colours").fetchone() == (2,)


def test_small_pages_fill_the_handoff_up_to_its_record_bound_before_dlt_reads(
    server: RoutedServer,
) -> None:
    # before dlt reads (it is still being imported), the engine fetches until the handoff holds
    # 5,000 records per resource: a page count must not stop it first
    last_page = threading.Event()
    _serve(server, last_page)
    runtime = runtime_of(_source(server.base_url))
    assert runtime.start_early(["small"])
    try:
        assert last_page.wait(30), "the engine stopped before the last page"
    finally:
        runtime.stop_early()
    assert _engine_threads() == []
