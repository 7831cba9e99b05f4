"""Fetching ahead on offset and page-number chains: pages overlap, nothing is lost or repeated,
and speculation stays bounded (routed handlers on 127.0.0.1, real dlt pipeline, real DuckDB)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

from aiohttp import web

import restsync
from tests.conftest import count_rows


class InFlight:
    """Counts concurrent requests on the server's (single) event loop."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def hold(self, seconds: float) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.now -= 1


def _config(base_url: str, resources: list[dict[str, Any]], **client: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, **client},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": resources,
    }


def _serve_items(server: Any, count: int, hold: float, total: bool = False) -> InFlight:
    """Start ``server`` with /items: ``count`` records by offset and limit, each answer held for
    ``hold`` seconds; with ``total``, under "data" next to the total. Returns the requests' count
    in flight."""
    records = [{"id": i} for i in range(count)]
    flight = InFlight()

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        await flight.hold(hold)
        page = records[offset : offset + limit]
        return web.json_response({"data": page, "total": count} if total else page)

    server.start()
    return flight


def _offsets(server: Any, path: str) -> list[int]:
    return [int(r.query["offset"]) for r in server.requests if r.path == path]


def test_a_known_total_is_fetched_concurrently_and_exactly(
    server, make_pipeline, duckdb_path
) -> None:
    flight = _serve_items(server, 100, hold=0.05, total=True)
    paginator = {"type": "offset", "limit": 10, "total_path": "total"}
    resource = {"name": "items", "endpoint": {"path": "/items", "paginator": paginator}}
    restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url, [resource])))

    assert count_rows(duckdb_path, "data", "items") == 100
    # every page exactly once, none past the total
    assert sorted(_offsets(server, "/items")) == list(range(0, 100, 10))
    # the default depth of 4 pages ahead, plus the page being read
    assert 2 <= flight.peak <= 5


def test_speculation_without_a_total_is_bounded(server, make_pipeline, duckdb_path) -> None:
    flight = _serve_items(server, 95, hold=0.02)
    resource = {
        "name": "items",
        "endpoint": {"path": "/items", "paginator": {"type": "offset", "limit": 10}},
        "prefetch_pages": 2,
    }
    restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url, [resource])))

    assert count_rows(duckdb_path, "data", "items") == 95
    offsets = _offsets(server, "/items")
    assert max(Counter(offsets).values()) == 1  # no page twice
    assert set(range(0, 100, 10)) <= set(offsets)  # every page that has records
    # at most prefetch_pages requests past the short last page (90), some cancelled in flight
    assert max(offsets) <= 90 + 2 * 10
    assert flight.peak >= 2


def test_a_one_page_chain_is_never_speculated(server, make_pipeline, duckdb_path) -> None:
    parents = [{"id": i} for i in range(20)]

    @server.get("/parents")
    async def list_parents(request: web.Request) -> web.Response:
        return web.json_response(parents)

    @server.get("/parents/{pid}/kids")
    async def list_kids(request: web.Request) -> web.Response:
        pid = int(request.match_info["pid"])
        offset = int(request.query["offset"])
        kids = [{"id": pid * 100 + k} for k in range(3)]  # fewer than the limit: one page
        return web.json_response(kids[offset : offset + 5])

    server.start()
    kids = {
        "name": "kids",
        "endpoint": {
            "path": "/parents/{pid}/kids",
            "params": {"pid": {"type": "resolve", "resource": "parents", "field": "id"}},
            "paginator": {"type": "offset", "limit": 5},
        },
    }
    parents_resource = {"name": "parents", "endpoint": "/parents"}
    config = _config(server.base_url, [parents_resource, kids])
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert count_rows(duckdb_path, "data", "kids") == 60
    assert len([r for r in server.requests if r.path.endswith("/kids")]) == 20


def test_a_failing_speculative_request_does_not_fail_the_chain(
    server, make_pipeline, duckdb_path
) -> None:
    records = [{"id": i} for i in range(50)]

    @server.get("/pages")
    async def pages(request: web.Request) -> web.Response:
        page, size = int(request.query["page"]), int(request.query["size"])
        if page * size > len(records):
            # this API rejects pages past the end instead of answering with an empty one
            return web.json_response({"error": "no such page"}, status=400)
        await asyncio.sleep(0.01)
        return web.json_response(records[page * size : (page + 1) * size])

    server.start()
    paginator = {"type": "page_number", "base_page": 0, "limit": 10, "limit_param": "size"}
    resource = {"name": "pages", "endpoint": {"path": "/pages", "paginator": paginator}}
    restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url, [resource])))

    assert count_rows(duckdb_path, "data", "pages") == 50
    statuses = Counter(int(r.query["page"]) > 5 for r in server.requests)
    assert statuses[False] == 6  # pages 0-4 full, page 5 the empty one that ends the chain
    assert statuses[True] >= 1  # speculation past the end did happen, and was answered 400


def test_prefetch_off_fetches_one_page_at_a_time(server, make_pipeline, duckdb_path) -> None:
    flight = _serve_items(server, 60, hold=0.01, total=True)
    paginator = {"type": "offset", "limit": 10, "total_path": "total"}
    config = _config(
        server.base_url,
        [{"name": "items", "endpoint": {"path": "/items", "paginator": paginator}}],
        prefetch_pages=0,
    )
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert count_rows(duckdb_path, "data", "items") == 60
    assert _offsets(server, "/items") == list(range(0, 60, 10))
    assert flight.peak == 1


def test_a_slow_loader_holds_back_the_engine_by_records(server) -> None:
    from restsync._load._bridge import _RECORDS_AHEAD

    page = 3000
    queued = _RECORDS_AHEAD // page  # whole pages the handoff holds for a stalled loader
    records = [{"id": i} for i in range(20 * page)]
    consumed = [0]  # rows the "loader" (this test) has taken so far
    seen: list[tuple[int, int]] = []  # (page number, rows consumed) as each request arrives
    filled, past_bound = threading.Event(), threading.Event()

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        seen.append((offset // page, consumed[0]))
        arrived = {queued + 2: filled, queued + 3: past_bound}.get(len(seen))
        if arrived is not None:
            arrived.set()
        return web.json_response(records[offset : offset + limit])

    server.start()
    resource = {
        "name": "items",
        "endpoint": {"path": "/items", "paginator": {"type": "offset", "limit": page}},
        "prefetch_pages": 0,
    }
    source = restsync.rest_api_source(_config(server.base_url, [resource]))
    rows = iter(source.resources["items"])
    first = next(rows)  # the engine starts; now the "loader" stalls
    consumed[0] = 1
    # the page being read, ``queued`` pages queued, one more page waiting to get in
    assert filled.wait(60), "the engine did not fill the handoff"
    # One more request now would break the bound. This wait is for something that must not
    # happen: it cannot fail a correct engine however slow the machine, and it gives a wrong
    # one, already at the bound, time to show itself.
    assert not past_bound.wait(0.5), "the engine ran past the bound while the loader stalled"
    for _ in rows:
        consumed[0] += 1
    # Page k is requested only once page k-1 got into the queue, which holds ``queued`` pages:
    # the loader must have taken page k-1-queued by then, i.e. consumed all of page k-2-queued.
    # The bound holds at every request, those sent while the loader stalled included.
    assert queued >= 1
    assert all(rows_taken >= page * (k - 1 - queued) for k, rows_taken in seen), seen
    assert len(seen) == 21  # 20 full pages and the empty one that ends the chain
    assert consumed[0] == 20 * page and first == {"id": 0}


def test_under_a_rate_limit_nothing_is_guessed_unless_asked(
    server, make_pipeline, duckdb_path
) -> None:
    flight = _serve_items(server, 95, hold=0.01)
    resource = {
        "name": "items",
        "endpoint": {"path": "/items", "paginator": {"type": "offset", "limit": 10}},
    }
    config = _config(server.base_url, [resource], rate_limit={"requests_per_second": 200})
    planned = restsync.plan_config(config).resources["items"]
    assert not planned.speculate
    assert any("no request is spent past the end" in note for note in planned.notes)
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))

    assert count_rows(duckdb_path, "data", "items") == 95
    assert _offsets(server, "/items") == list(range(0, 100, 10))  # not one request past the end
    assert flight.peak == 1

    config["client"]["prefetch_pages"] = 2  # asked for explicitly: guessing is back on
    assert restsync.plan_config(config).resources["items"].speculate


def test_big_pages_are_fetched_one_page_ahead(server) -> None:
    """A page fetched ahead waits parsed in memory: with pages of 5,000 records (the 1M-record
    bench's) a chain keeps one request ahead whatever prefetch_pages says, however long its run
    of full pages. A loader stalled in page k holds it; the handoff holds the next pages, one
    more waits to get in, and one is fetched ahead: nothing past that is requested."""
    from restsync._load._bridge import _RECORDS_AHEAD

    page, stall_in = 5000, 8  # by page 8 the guess would reach 4 pages ahead (one per 2 full)
    queued = max(1, _RECORDS_AHEAD // page)  # one page always fits in the handoff
    last_allowed = stall_in + queued + 2
    records = [{"id": i} for i in range(20 * page)]
    arrivals: list[int] = []
    filled, past_bound = threading.Event(), threading.Event()

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        arrivals.append(offset // page)
        {last_allowed: filled, last_allowed + 1: past_bound}.get(
            offset // page, threading.Event()
        ).set()
        return web.json_response(records[offset : offset + limit])

    server.start()
    resource = {
        "name": "items",
        "endpoint": {"path": "/items", "paginator": {"type": "offset", "limit": page}},
        "prefetch_pages": 4,
    }
    source = restsync.rest_api_source(_config(server.base_url, [resource]))
    rows = iter(source.resources["items"])
    taken = [next(rows) for _ in range(stall_in * page + 1)]  # into page ``stall_in``; stall
    assert filled.wait(60), f"the engine did not fetch one page ahead: {arrivals}"
    # must not happen (see test_a_slow_loader_holds_back_the_engine_by_records)
    assert not past_bound.wait(0.5), f"more than one big page fetched ahead: {arrivals}"
    rest = sum(1 for _ in rows)
    assert taken[0] == {"id": 0} and len(taken) + rest == 20 * page
