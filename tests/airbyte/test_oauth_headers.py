"""OAuthAuthenticator ``refresh_request_headers`` (gong, pinterest): the token request carries
the headers; with an Authorization header the client's id and secret go there only, not in
the form, as airbyte-cdk sends them (providers reject them in both places)."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync.airbyte import stream_problems
from tests.conftest import RoutedServer, count_rows

MANIFEST = Path(__file__).parent / "manifests" / "oauth_headers.yaml"
SECRETS = {"client_id": "app-1", "client_secret": "s3cret-xyz", "refresh_token": "r-1"}
BASIC = "Basic " + base64.b64encode(b"app-1:s3cret-xyz").decode()


def serve_oauth_headers(server: RoutedServer, forms: list[dict[str, str]]) -> None:
    async def token(request: web.Request) -> web.Response:
        form = dict(await request.post())
        forms.append({**form, "authorization": request.headers.get("Authorization", "")})
        if request.headers.get("Authorization") != BASIC or "client_secret" in form:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"access_token": "tok-1", "expires_in": 3600})

    server.route("POST", "/oauth/token", token)

    @server.get("/calls")
    async def calls(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer tok-1":
            return web.json_response({}, status=401)
        return web.json_response({"calls": [{"id": 1}, {"id": 2}]})


def test_the_stream_passes_check() -> None:
    assert stream_problems(MANIFEST, {**SECRETS, "base_url": "http://127.0.0.1:9"}) == {}


def test_the_token_request_sends_the_header_not_the_form_credentials(
    server: Any, make_pipeline: Any, duckdb_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forms: list[dict[str, str]] = []
    serve_oauth_headers(server, forms)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {**SECRETS, "base_url": server.base_url})
    with caplog.at_level(logging.DEBUG):
        restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "calls") == 2
    assert forms == [
        {"grant_type": "refresh_token", "refresh_token": "r-1", "authorization": BASIC}
    ]
    assert BASIC.split()[1] not in caplog.text
