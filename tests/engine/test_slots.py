"""Concurrency slots by priority: the limit is reached and held while work waits, waiters of
higher priority go first, and a parent's next page is not queued behind its children (routed
handlers on 127.0.0.1, real dlt pipeline, real DuckDB)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

import restsync
from restsync._engine._slots import PrioritySlots
from tests.conftest import count_rows


def test_slots_fill_up_to_the_limit_and_stay_full_while_work_waits() -> None:
    async def scenario() -> list[int]:
        slots = PrioritySlots(3)
        held, seen = 0, []
        gates = [asyncio.Event() for _ in range(8)]

        async def job(i: int) -> None:
            nonlocal held
            async with slots.slot():
                held += 1
                seen.append(held)
                await gates[i].wait()
                held -= 1

        tasks = [asyncio.create_task(job(i)) for i in range(8)]
        for i in range(8):
            while len(seen) < min(8, i + 3):
                await asyncio.sleep(0)  # the queued jobs take the slots freed so far
            if i + 3 <= 8:
                assert held == 3  # every slot taken while jobs still wait
            gates[i].set()
        await asyncio.gather(*tasks)
        return seen

    seen = asyncio.run(scenario())
    assert seen == [1, 2, 3, 3, 3, 3, 3, 3]


def test_higher_priority_waiters_go_first_then_in_arrival_order() -> None:
    async def scenario() -> list[str]:
        slots = PrioritySlots(1)
        order: list[str] = []
        await slots.acquire()

        async def job(name: str, priority: int) -> None:
            async with slots.slot(priority):
                order.append(name)

        tasks = []
        for name, priority in [("leaf-1", 0), ("leaf-2", 0), ("parent", 1), ("root", 2)]:
            tasks.append(asyncio.create_task(job(name, priority)))
            await asyncio.sleep(0)  # queued in this order
        slots.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["root", "parent", "leaf-1", "leaf-2"]


def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    async def scenario() -> list[str]:
        slots = PrioritySlots(1)
        order: list[str] = []
        await slots.acquire()

        async def job(name: str, priority: int) -> None:
            async with slots.slot(priority):
                order.append(name)

        gone = asyncio.create_task(job("cancelled", 5))
        kept = asyncio.create_task(job("kept", 0))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
        slots.release()
        await kept
        # the slot came back: a newcomer gets it at once
        await asyncio.wait_for(slots.acquire(), 1)
        return order

    assert asyncio.run(scenario()) == ["kept"]


def test_a_parents_next_page_is_not_queued_behind_its_children(
    server: Any, make_pipeline: Any, duckdb_path: Any
) -> None:
    pages, per_page = 4, 5

    @server.get("/parents")
    async def parents(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        ids = range((page - 1) * per_page, page * per_page) if page <= pages else range(0)
        return web.json_response([{"id": i} for i in ids])

    @server.get("/parents/{id}/items")
    async def items(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        return web.json_response([{"id": int(request.match_info["id"])}])

    server.start()
    config = {
        "client": {"base_url": server.base_url, "max_concurrency": 1},
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            {
                "name": "parents",
                "prefetch_pages": 0,
                "endpoint": {
                    "path": "/parents",
                    "paginator": {"type": "page_number", "base_page": 1, "total_path": None},
                },
            },
            {
                "name": "items",
                "max_concurrency": 5,  # five chains of children waiting for the one slot
                "endpoint": {
                    "path": "/parents/{resources.parents.id}/items",
                    "paginator": "single_page",
                },
            },
        ],
    }
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))

    assert count_rows(duckdb_path, "data", "items") == pages * per_page
    order = ["parent" if r.path == "/parents" else "child" for r in server.requests]
    between = "".join("p" if kind == "parent" else "c" for kind in order).split("p")[1:-1]
    # one shared slot: while the parent reads a page, one child takes the slot; the parent's
    # next page then goes before every other child waiting (first come, it would wait for all)
    assert all(len(run) <= 1 for run in between), order
