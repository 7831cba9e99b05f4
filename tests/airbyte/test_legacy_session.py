"""LegacySessionTokenAuthenticator (metabase): a JSON login of username and password, the
session id sent in the named header; a session token from the config is sent as it is."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync import ConfigError
from restsync.airbyte import plan_manifest
from tests.conftest import RoutedServer, count_rows

MANIFEST = Path(__file__).parent / "manifests" / "legacy_session.yaml"
PASSWORD = "pw-91c2-secret"
SESSION = "sess-5b7e"


def serve_legacy_session(server: RoutedServer, logins: list[Any]) -> None:
    async def session(request: web.Request) -> web.Response:
        body = await request.json()
        logins.append(body)
        if body != {"username": "ann", "password": PASSWORD}:
            return web.json_response({"errors": "bad credentials"}, status=401)
        return web.json_response({"id": SESSION})

    async def current(request: web.Request) -> web.Response:  # airbyte-cdk checks a token here
        ok = request.headers.get("X-Metabase-Session") == SESSION
        return web.json_response({"id": 1}, status=200 if ok else 401)

    async def cards(request: web.Request) -> web.Response:
        if request.headers.get("X-Metabase-Session") != SESSION:
            return web.json_response({}, status=401)
        return web.json_response([{"id": 1}, {"id": 2}, {"id": 3}])

    server.route("POST", "/api/session", session)
    server.get("/api/user/current")(current)
    server.get("/api/card")(cards)


def _config(server: RoutedServer, **values: str) -> dict[str, str]:
    return {"api_url": f"{server.base_url}/api/", "session_token": "", **values}


def test_a_login_gives_the_session_header(
    server: Any, make_pipeline: Any, duckdb_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    logins: list[Any] = []
    serve_legacy_session(server, logins)
    server.start()
    source = restsync.airbyte_source(MANIFEST, _config(server, username="ann", password=PASSWORD))
    with caplog.at_level(logging.DEBUG):
        restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "cards") == 3
    assert logins == [{"username": "ann", "password": PASSWORD}]
    assert PASSWORD not in caplog.text and SESSION not in caplog.text


def test_a_session_token_from_the_config_is_sent_as_it_is(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    logins: list[Any] = []
    serve_legacy_session(server, logins)
    server.start()
    source = restsync.airbyte_source(MANIFEST, _config(server, session_token=SESSION))
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "cards") == 3
    assert logins == []


def test_no_credentials_is_a_config_error() -> None:
    config = {"api_url": "https://metabase.example.com/api/", "session_token": ""}
    with pytest.raises(ConfigError, match="needs a session_token, or a username and password"):
        plan_manifest(MANIFEST, config)
