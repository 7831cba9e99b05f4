"""oauth2_client_credentials against a routed token endpoint and API on 127.0.0.1."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import count_rows


def _config(base_url: str, **auth: Any) -> dict[str, Any]:
    return {
        "client": {
            "base_url": base_url,
            "auth": {
                "type": "oauth2_client_credentials",
                "access_token_url": f"{base_url}/oauth/token",
                "client_id": "app-1",
                "client_secret": "very-secret",
                **auth,
            },
        },
        "resource_defaults": {
            "primary_key": "id",
            "endpoint": {
                "paginator": {"type": "page_number", "base_page": 1, "total_path": "pages"}
            },
        },
        "resources": [
            {"name": "items", "endpoint": "/items"},
            {"name": "users", "endpoint": "/users"},
        ],
    }


def _serve_api(
    server: Any, token_answer: dict[str, Any], status: int = 200
) -> list[dict[str, str]]:
    token_requests: list[dict[str, str]] = []

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        token_requests.append({k: str(v) for k, v in form.items()})
        return web.json_response(token_answer, status=status)

    def listing(name: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            if request.headers.get("Authorization") != "Bearer tok-1":
                return web.json_response({"error": "unauthorized"}, status=401)
            page = int(request.query["page"])
            rows = [{"id": f"{name}-{page}-{i}"} for i in range(5)]
            return web.json_response({"data": rows, "pages": 3})

        return handler

    server.route("POST", "/oauth/token", token)
    server.route("GET", "/items", listing("items"))
    server.route("GET", "/users", listing("users"))
    server.start()
    return token_requests


def test_one_token_serves_every_request(server, make_pipeline, duckdb_path) -> None:
    token_requests = _serve_api(server, {"access_token": "tok-1", "expires_in": 3600})
    config = _config(server.base_url, access_token_request_data={"scope": "read"})
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))

    assert count_rows(duckdb_path, "data", "items") == 15
    assert count_rows(duckdb_path, "data", "users") == 15
    # six API requests across two concurrent resources, one token request
    assert token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": "app-1",
            "client_secret": "very-secret",
            "scope": "read",
        }
    ]


def test_a_refused_token_fails_clearly_without_the_secret(server, make_pipeline) -> None:
    _serve_api(server, {"error": "invalid_client"}, status=401)
    source = restsync.rest_api_source(_config(server.base_url))
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), source)
    message = str(caught.value)
    assert "token endpoint answered 401" in message and "client_id and client_secret" in message
    assert "very-secret" not in message
    # each resource that needed the token fails by its own name, not as a pseudo-resource
    assert sorted(f.resource for f in caught.value.failures) == ["items", "users"]


def test_a_token_about_to_expire_is_fetched_again(server, make_pipeline, duckdb_path) -> None:
    # expires_in 1 s is inside the 30 s safety margin: every request needs a fresh token
    token_requests = _serve_api(server, {"access_token": "tok-1", "expires_in": 1})
    restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url)))
    assert count_rows(duckdb_path, "data", "items") == 15
    api_requests = [r for r in server.requests if r.method == "GET"]
    assert len(token_requests) == len(api_requests) == 6


def _token_requests_for(
    server: Any, make_pipeline: Any, answer: dict[str, Any], **auth: Any
) -> int:
    token_requests = _serve_api(server, answer)
    restsync.sync(make_pipeline(), restsync.rest_api_source(_config(server.base_url, **auth)))
    return len(token_requests)


@pytest.mark.parametrize(
    ("seconds_left", "token_requests"),
    [(3600, 1), (5, 6)],  # 5 s left is inside the 30 s margin: every request refreshes
)
def test_an_expiry_in_unix_seconds_is_a_point_in_time(
    server, make_pipeline, seconds_left: int, token_requests: int
) -> None:
    # Strava answers expires_at in Unix seconds; read as a duration it would never expire
    answer = {"access_token": "tok-1", "expires_at": int(time.time()) + seconds_left}
    got = _token_requests_for(server, make_pipeline, answer, expires_field="expires_at")
    assert got == token_requests


@pytest.mark.parametrize(("seconds_left", "token_requests"), [(3600, 1), (-60, 6)])
def test_an_iso_expiry_time_and_a_nested_token(
    server, make_pipeline, seconds_left: int, token_requests: int
) -> None:
    expiry = datetime.now(UTC) + timedelta(seconds=seconds_left)
    answer = {"data": {"token": "tok-1", "valid_until": expiry.isoformat()}}
    got = _token_requests_for(
        server,
        make_pipeline,
        answer,
        access_token_field="token",
        expires_field="valid_until",
        expires_is_time=True,
    )
    assert got == token_requests


def test_a_missing_custom_token_field_is_named(server, make_pipeline) -> None:
    _serve_api(server, {"access_token": "tok-1"})
    source = restsync.rest_api_source(_config(server.base_url, access_token_field="token"))
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), source)
    assert "the token endpoint returned no token" in str(caught.value)
