"""While restsync.sync runs, the objects that existed when it started are out of the cyclic
collector's way (gc.freeze); they are collectable again once it returns or raises, and a program
that froze objects itself keeps its choice (restsync._load._release.FrozenHeap)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._load._release import FrozenHeap


def six_things(server: Any) -> dict[str, Any]:
    """Start ``server`` with /things: 6 records, 2 a page by offset; the config that reads them."""

    @server.get("/things")
    async def things(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", 0))
        data = [{"id": i} for i in range(offset, min(offset + 2, 6))]
        return web.json_response({"data": data, "total": 6})

    server.start()
    endpoint = {"path": "/things", "data_selector": "data"}
    endpoint["paginator"] = {"type": "offset", "limit": 2}
    return {
        "client": {"base_url": server.base_url},
        "resources": [{"name": "things", "endpoint": endpoint}],
    }


def test_holders_nest_and_the_heap_is_unfrozen_by_the_last() -> None:
    assert gc.get_freeze_count() == 0
    FrozenHeap.hold()
    FrozenHeap.hold()
    assert gc.get_freeze_count() > 0
    FrozenHeap.let_go()
    assert gc.get_freeze_count() > 0  # one holder still runs
    FrozenHeap.let_go()
    assert gc.get_freeze_count() == 0
    FrozenHeap.let_go()  # one too many changes nothing
    assert gc.get_freeze_count() == 0


def test_a_sync_freezes_the_heap_while_extracting_and_unfreezes_it_after(
    server, make_pipeline
) -> None:
    frozen: list[int] = []

    def look(record: dict[str, Any]) -> dict[str, Any]:
        frozen.append(gc.get_freeze_count())
        return record

    source = restsync.rest_api_source(six_things(server))
    source.resources["things"].add_map(look)
    pipeline = make_pipeline()
    restsync.sync(pipeline, source)
    assert len(frozen) == 6 and all(count > 0 for count in frozen)
    assert gc.get_freeze_count() == 0
    with pipeline.sql_client() as client:
        assert client.execute_sql("select count(*) from things")[0][0] == 6


def test_a_failed_sync_unfreezes_the_heap(server, make_pipeline) -> None:
    from dlt.pipeline.exceptions import PipelineStepFailed

    def fail(record: dict[str, Any]) -> dict[str, Any]:
        if record["id"] == 3:
            raise ValueError("a step of the user's fails mid-extraction")
        return record

    source = restsync.rest_api_source(six_things(server))
    source.resources["things"].add_map(fail)
    with pytest.raises(PipelineStepFailed):
        restsync.sync(make_pipeline(), source)
    assert gc.get_freeze_count() == 0


def test_a_program_that_froze_objects_itself_keeps_them_frozen(server, make_pipeline) -> None:
    source = restsync.rest_api_source(six_things(server))
    gc.freeze()
    try:
        restsync.sync(make_pipeline(), source)
        # restsync's unfreeze would empty the permanent generation (its count can only drop
        # otherwise, as frozen objects die)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
