"""A failed resource fails a plain ``pipeline.run`` (as in dlt), naming every failure; partial
loading (``restsync.sync``, ``partial_load=True``) loads the healthy resources instead."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from dlt.pipeline.exceptions import PipelineStepFailed

import restsync
from restsync import ExtractionError
from restsync._load import build_source
from tests.conftest import count_rows, table_names


def _serve_three_ways_to_fail(server: Any) -> dict[str, Any]:
    @server.get("/good")
    async def good(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}])

    @server.get("/private")
    async def private(request: web.Request) -> web.Response:
        return web.json_response({"error": "who are you"}, status=401)

    @server.get("/gone")
    async def gone(request: web.Request) -> web.Response:
        return web.json_response({"error": "no such thing"}, status=404)

    @server.get("/unkeyed")
    async def unkeyed(request: web.Request) -> web.Response:
        return web.json_response([{"uuid": "u1"}])

    server.start()
    return {
        "client": {"base_url": server.base_url, "auth": {"type": "bearer", "token": "s3cret"}},
        "resource_defaults": {"primary_key": "id"},
        "resources": ["good", "private", "gone", "unkeyed"],
    }


def test_plain_run_raises_naming_every_failure_and_loads_nothing(
    server, make_pipeline, duckdb_path
) -> None:
    config = _serve_three_ways_to_fail(server)
    pipeline = make_pipeline()
    with pytest.raises(PipelineStepFailed) as raised:
        pipeline.run(restsync.rest_api_source(config))
    assert raised.value.step == "extract"
    message = str(raised.value)
    for name, why in (
        ("private", "HTTP 401"),
        ("gone", "HTTP 404"),
        ("unkeyed", "primary key 'id'"),
    ):
        assert f"resource '{name}'" in message and why in message, (name, message)
    assert "s3cret" not in message
    cause = raised.value.__cause__
    while cause is not None and not isinstance(cause, restsync.ResourcesFailed):
        cause = cause.__cause__
    assert cause is not None
    assert sorted(f.resource for f in cause.failures) == ["gone", "private", "unkeyed"]
    assert "good" not in table_names(duckdb_path, "data")


def test_sync_loads_the_healthy_resources_then_raises(server, make_pipeline, duckdb_path) -> None:
    config = _serve_three_ways_to_fail(server)
    source = restsync.rest_api_source(config)
    with pytest.raises(restsync.SyncFailed) as raised:
        restsync.sync(make_pipeline(), source)
    assert sorted(f.resource for f in raised.value.failures) == ["gone", "private", "unkeyed"]
    assert count_rows(duckdb_path, "data", "good") == 2
    # sync's partial loading lasts for its run only: the source raises again in a plain run
    assert restsync.runtime_of(source).partial_load is False


def test_partial_load_option_loads_the_healthy_resources_without_raising(
    server, make_pipeline, duckdb_path
) -> None:
    config = _serve_three_ways_to_fail(server)
    source = restsync.rest_api_source(config, partial_load=True)
    make_pipeline().run(source)
    assert count_rows(duckdb_path, "data", "good") == 2
    report = restsync.runtime_of(source).last_report
    assert report is not None
    assert sorted(f.resource for f in report.failures()) == ["gone", "private", "unkeyed"]


def test_children_of_a_failed_parent_name_the_parent(server, make_pipeline) -> None:
    @server.get("/posts")
    async def posts(request: web.Request) -> web.Response:
        return web.json_response({"error": "down"}, status=400)

    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": ["posts", {"name": "comments", "endpoint": "posts/{resources.posts.id}/c"}],
    }
    with pytest.raises(PipelineStepFailed) as raised:
        make_pipeline().run(restsync.rest_api_source(config))
    message = str(raised.value)
    assert "resource 'posts'" in message and "HTTP 400" in message
    assert "resource 'comments'" in message and "parent 'posts' failed" in message


def test_an_engine_crash_names_the_resources_it_cut_off(server, make_pipeline) -> None:
    server.start()
    plan = restsync.plan_config(
        {"client": {"base_url": server.base_url}, "resources": ["users", "orders"]}
    )
    # aiohttp refuses this TLS setting when the engine opens its session: the engine itself
    # fails, outside any one resource, as an engine bug would
    broken = replace(plan, verify_tls="not a TLS setting")
    with pytest.raises(PipelineStepFailed) as caught:
        make_pipeline().run(build_source(broken))
    error = _cause(caught.value, ExtractionError)
    assert error.resource in ("users", "orders")
    assert "the engine stopped unexpectedly (TypeError: ssl should be" in error.message
    assert error.message.endswith("resources not finished: 'users', 'orders'")


def test_an_engine_that_cannot_start_ends_every_stream(server, make_pipeline) -> None:
    """The engine fails while it is being built (here: a data_selector no config check saw):
    every resource's stream ends with the error, so dlt raises instead of waiting forever."""
    server.start()
    plan = restsync.plan_config(
        {"client": {"base_url": server.base_url}, "resources": ["users", "orders"]}
    )
    users = replace(plan.resources["users"], data_selector="$[")
    broken = replace(plan, resources={**plan.resources, "users": users})
    with pytest.raises(PipelineStepFailed) as caught:
        make_pipeline().run(build_source(broken))
    error = _cause(caught.value, ExtractionError)
    assert error.resource in ("users", "orders")
    assert "the engine stopped unexpectedly" in error.message
    assert error.message.endswith("resources not finished: 'users', 'orders'")
    assert server.requests == []  # it never started


def _cause(exc: BaseException | None, kind: type[ExtractionError]) -> ExtractionError:
    while exc is not None and not isinstance(exc, kind):
        exc = exc.__cause__ or exc.__context__
    assert exc is not None, f"no {kind.__name__} in the chain"
    return exc
