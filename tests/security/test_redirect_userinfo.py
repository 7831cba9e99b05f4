"""A redirect whose ``Location`` carries credentials (``http://user:password@host/``): they are
dropped. On the API's own origin the config's credentials go along as usual; on another origin
nothing does, neither the config's nor the ones the server wrote."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows

PASSWORD = "basic-password-for-the-api"


def _config(base_url: str) -> dict[str, Any]:
    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "http_basic", "username": "reader", "password": PASSWORD},
        },
        "resources": [
            {
                "name": "items",
                "primary_key": "id",
                "endpoint": {"path": "/items", "paginator": "single_page", "data_selector": "data"},
            }
        ],
    }


def _landing(seen: list[str | None]) -> Any:
    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"data": [{"id": 1}, {"id": 2}]})

    return handler


@pytest.mark.parametrize("same_origin", [True, False])
def test_credentials_in_a_location_are_dropped(
    same_origin: bool, server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    other = RoutedServer()
    seen: list[str | None] = []
    target = server if same_origin else other
    target.route("GET", "/landing", _landing(seen))
    other.start()
    try:

        async def items(request: web.Request) -> web.Response:
            host = (server if same_origin else other).base_url.removeprefix("http://")
            location = f"http://intruder:intruder-pw@{host}/landing"
            return web.Response(status=302, headers={"Location": location})

        server.route("GET", "/items", items)
        server.start()
        restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url)))
    finally:
        other.stop()

    assert count_rows(duckdb_path, "data", "items") == 2
    (authorization,) = seen
    if same_origin:  # the config's basic credentials, never the intruder's
        assert authorization == "Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
    else:
        assert authorization is None
