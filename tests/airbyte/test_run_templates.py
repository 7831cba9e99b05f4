"""Templates at run time, as airbyte-cdk renders them: calling a method a value does not have is
undefined (the template's default), and a template that raises fails its stream in one named
sentence, never as an unexpected error with a traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows

MANIFEST = Path(__file__).parent / "manifests" / "run_templates.yaml"


def serve_run_templates(server: RoutedServer) -> None:
    @server.get("/linked")
    async def linked(request: web.Request) -> web.Response:
        if request.query.get("page") == "p2":
            return web.json_response({"data": [{"id": 3}]})
        # "links" is a text here: links.get(...) is a method a text does not have
        return web.json_response({"data": [{"id": 1}, {"id": 2}], "links": "p2"})

    @server.get("/ratio")
    async def ratio(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}], "total": 4, "size": 0, "next": "x"})


def test_a_missing_method_is_undefined_so_the_stop_condition_is_false(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    # airbyte-cdk 7.39.1: the stop condition renders its default (false) on page 1, the
    # cursor is the text "p2", and page 2 (no links) stops: 3 records
    serve_run_templates(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url}, streams=["linked"])
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "linked") == 3
    assert [r.query.get("page") for r in server.requests] == [None, "p2"]


def test_a_failing_template_fails_its_stream_by_name(
    server: Any, make_pipeline: Any, caplog: pytest.LogCaptureFixture
) -> None:
    serve_run_templates(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url}, streams=["ratio"])
    with caplog.at_level(logging.ERROR), pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    text = str(failed.value)
    assert "resource 'ratio'" in text
    assert "streams[1].retriever.paginator.pagination_strategy: template" in text
    assert "ZeroDivisionError: division by zero" in text
    assert "unexpected" not in text
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
