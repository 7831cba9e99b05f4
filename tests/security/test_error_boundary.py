"""The engine's error boundary: a failure says what happened, keeps its cause, and names the
resource that failed."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer

RETRIES = {"max_retries": 1, "backoff_factor": 0, "max_backoff_seconds": 0.01}


def _config(base_url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, "error_handler": RETRIES},
        "resources": [
            {"name": "items", "endpoint": {"path": "/items", "paginator": "single_page"}}
        ],
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the socket is closed


def test_a_refused_connection_says_so_and_keeps_its_cause(make_pipeline) -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(_config(base_url)))
    (failure,) = caught.value.failures
    assert failure.message == (
        "the request failed (connection refused) after 2 attempts; check that the API is reachable"
    )
    assert isinstance(failure.__cause__, aiohttp.ClientConnectorError)


def test_a_body_that_is_not_json_keeps_the_parser_error(
    server: RoutedServer, make_pipeline
) -> None:
    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    server.route("GET", "/items", html)
    server.start()
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url)))
    (failure,) = caught.value.failures
    assert isinstance(failure, restsync.ResponseFormatError)
    assert failure.message == (
        "the response is not valid JSON (text/html; charset=utf-8, 24 bytes) after 2 attempts"
    )
    assert isinstance(failure.__cause__, aiohttp.ClientPayloadError)
    assert isinstance(failure.__cause__.__cause__, ValueError)  # orjson's decode error


def test_a_pagination_loop_keeps_its_cause(server: RoutedServer, make_pipeline) -> None:
    async def same_cursor(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}], "next": "again"})

    server.route("GET", "/items", same_cursor)
    server.start()
    config = _config(server.base_url)
    config["resources"][0]["endpoint"]["paginator"] = {
        "type": "cursor",
        "cursor_path": "next",
        "cursor_param": "after",
    }
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    (failure,) = caught.value.failures
    assert isinstance(failure, restsync.PaginationLoopError)
    assert failure.__cause__ is not None and "same cursor twice" in str(failure.__cause__)
