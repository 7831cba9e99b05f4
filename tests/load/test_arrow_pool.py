"""While restsync lays out Arrow pages, pyarrow allocates from the system's allocator; the pool a
program had chosen is back once the extraction ends (restsync._load._release.SystemArrowPool)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

import restsync
from restsync._load._release import SystemArrowPool
from tests.load.test_frozen_heap import six_things


def test_holders_nest_and_the_replaced_pool_comes_back() -> None:
    before = pa.default_memory_pool().backend_name
    SystemArrowPool.hold()
    SystemArrowPool.hold()
    assert pa.default_memory_pool().backend_name == "system"
    SystemArrowPool.let_go()
    assert pa.default_memory_pool().backend_name == "system"  # one holder still runs
    SystemArrowPool.let_go()
    assert pa.default_memory_pool().backend_name == before
    SystemArrowPool.let_go()  # one too many changes nothing
    assert pa.default_memory_pool().backend_name == before


def test_a_sync_lays_out_pages_with_the_system_pool_and_restores_the_programs(
    server, make_pipeline
) -> None:
    config = six_things(server)
    programs = pa.default_memory_pool()
    seen: list[str] = []

    def look(record: dict[str, Any]) -> dict[str, Any]:
        seen.append(pa.default_memory_pool().backend_name)
        return record

    source = restsync.rest_api_source(config)
    # add_limit: one page per item (no joined pages), so the pages after the first one reach
    # the map after the Arrow step laid out the first
    source.resources["things"].add_map(look).add_limit(3)
    pipeline = make_pipeline()
    restsync.sync(pipeline, source)
    assert seen[:2] == [programs.backend_name] * 2  # the first page: before any layout
    assert seen[2:] == ["system"] * 4
    assert pa.default_memory_pool().backend_name == programs.backend_name
    with pipeline.sql_client() as client:
        assert client.execute_sql("select count(*) from things")[0][0] == 6
