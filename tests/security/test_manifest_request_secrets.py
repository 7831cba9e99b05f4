"""An Airbyte stream's credentials written in ``request_headers`` and ``request_parameters``
(``{{ config['api_key'] }}``, no authenticator) are masked as a dlt config's are: a server that
echoes them into a next link whose page fails never gets them shown (before: the plan's secret
set held nothing of a manifest's requester, and the error showed both values)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer

API_KEY = "manifest-header-key-7731"
TOKEN = "manifest-param-token-9912"

REQUESTER = build.requester(
    "{{ config['base'] }}",
    "/items",
    request_headers={"X-Api-Key": "{{ config['api_key'] }}", "X-Api-Version": "2024-06-01"},
    request_parameters={"access_token": "{{ config['token'] }}"},
)
NEXT_LINK = {
    "type": "CursorPagination",
    "cursor_value": "{{ response.get('next') }}",
    "stop_condition": "{{ not response.get('next') }}",
}
MANIFEST = build.manifest(
    build.stream(
        "items",
        REQUESTER,
        ["data"],
        primary_key=["id"],
        paginator=build.paginator(NEXT_LINK, {"type": "RequestPath"}),
    )
)


def test_a_manifest_requester_credential_is_masked_when_echoed(
    server: RoutedServer, make_pipeline: Any, caplog: pytest.LogCaptureFixture
) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        if "echo" in request.query:
            raise web.HTTPNotFound()
        echo = f"{request.headers['X-Api-Key']}.{request.query['access_token']}"
        next_url = f"{server.base_url}/items?since=2024-06-01&echo={echo}"
        return web.json_response({"data": [{"id": 1}], "next": next_url})

    server.start()
    config = {"base": server.base_url, "api_key": API_KEY, "token": TOKEN}
    caplog.set_level(logging.INFO)
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.airbyte_source(MANIFEST, config))

    shown = str(caught.value) + caplog.text
    assert "HTTP 404" in shown
    assert "since=2024-06-01&echo=***.***" in shown
    assert API_KEY not in shown and TOKEN not in shown
