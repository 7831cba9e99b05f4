"""OAuthAuthenticator as real manifests write it: Strava's ``expires_in_name: expires_at`` (a
Unix time), custom token field names, a ``refresh_request_body``, ``token_expiry_date_format``;
against a real token endpoint on 127.0.0.1 and against the simulator."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.conftest import count_rows

CONFIG = {"client_id": "app-1", "client_secret": "s3cret", "refresh_token": "r-1"}


def _manifest(base_url: str, **oauth: Any) -> dict[str, Any]:
    authenticator = {
        "type": "OAuthAuthenticator",
        "client_id": "{{ config['client_id'] }}",
        "client_secret": "{{ config['client_secret'] }}",
        "refresh_token": "{{ config['refresh_token'] }}",
        "token_refresh_endpoint": f"{base_url}/oauth/token",
        "scopes": ["read_all"],
        **oauth,
    }
    pages = build.paginator(
        {"type": "PageIncrement", "page_size": 2, "start_from_page": 1}, build.option("page")
    )
    activities = build.stream(
        "activities",
        build.requester(base_url, "/activities", authenticator=authenticator),
        [],
        primary_key="id",
        paginator=pages,
        schema=build.properties(id="integer"),
    )
    return build.manifest(activities)


def _serve(server: Any, answer: dict[str, Any], token: str = "tok-1") -> list[dict[str, str]]:
    """A token endpoint answering ``answer`` and three pages of activities behind the token."""
    token_requests: list[dict[str, str]] = []

    async def issue(request: web.Request) -> web.Response:
        form = await request.post()
        token_requests.append({k: str(v) for k, v in form.items()})
        return web.json_response(answer)

    @server.get("/activities")
    async def activities(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"message": "unauthorized"}, status=401)
        page = int(request.query.get("page", "1"))
        return web.json_response([{"id": i} for i in range(page * 2 - 1, min(page * 2, 5) + 1)])

    server.route("POST", "/oauth/token", issue)
    server.start()
    return token_requests


@pytest.mark.parametrize(("seconds_left", "token_requests"), [(21600, 1), (10, 3)])
def test_strava_expires_at_is_read_as_a_unix_time(
    server: Any, make_pipeline: Any, duckdb_path: Path, seconds_left: int, token_requests: int
) -> None:
    """Strava answers ``expires_at`` in Unix seconds: 6 h ahead serves every page with one
    token; 10 s ahead is inside the 30 s refresh margin, so each of the 3 pages refreshes."""
    answer = {"access_token": "tok-1", "expires_at": int(time.time()) + seconds_left}
    requests = _serve(server, answer)
    manifest = _manifest(server.base_url, expires_in_name="expires_at")
    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, CONFIG))
    assert count_rows(duckdb_path, "data", "activities") == 5
    assert len(requests) == token_requests
    assert requests[0] == {
        "grant_type": "refresh_token",
        "refresh_token": "r-1",
        "scope": "read_all",
        "client_id": "app-1",
        "client_secret": "s3cret",
    }


def test_custom_names_a_date_format_and_a_refresh_body(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    expiry = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    requests = _serve(server, {"auth": {"token": "tok-7", "valid_until": expiry}}, token="tok-7")
    manifest = _manifest(
        server.base_url,
        grant_type="client_credentials",
        access_token_name="token",
        expires_in_name="valid_until",
        token_expiry_date_format="%Y-%m-%dT%H:%M:%SZ",
        # grant_type is the manifest's own: an extra field never overrides a standard one
        refresh_request_body={"audience": "{{ config['client_id'] }}-api", "grant_type": "x"},
    )
    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, CONFIG))
    assert count_rows(duckdb_path, "data", "activities") == 5
    assert len(requests) == 1
    assert requests[0]["grant_type"] == "client_credentials"
    assert requests[0]["audience"] == "app-1-api"
    assert "refresh_token" not in requests[0]


def test_the_simulator_answers_with_the_manifests_token_fields(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    manifest = _manifest(
        "https://api.invalid",
        access_token_name="token",
        expires_in_name="expires_at",
        token_expiry_date_format="%s",
    )
    run = simulate(manifest, CONFIG, seed=5)
    restsync.sync(make_pipeline(), run.source)
    dataset = run.sim.dataset()
    tokens = run.requests().get("/oauth/token")
    assert count_rows(duckdb_path, "data", "activities") == len(dataset["activities"]) > 0
    assert tokens == 1
