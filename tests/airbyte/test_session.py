"""SessionTokenAuthenticator: a login request, the token read from its answer, sent as a
header or a bearer token; against a real API on 127.0.0.1 and against the simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import yaml

import restsync
from restsync._engine._session import SessionToken
from restsync.airbyte import plan_manifest, stream_problems
from tests.airbyte import apis
from tests.airbyte.conftest import Simulate
from tests.conftest import count_rows

MANIFEST = Path(__file__).parent / "manifests" / "session.yaml"


def _config(base_url: str) -> dict[str, Any]:
    return {"base_url": base_url, "username": "u", "password": "p"}


def test_each_stream_logs_in_once_and_sends_its_token(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    logins = apis.serve_session(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, _config(server.base_url))
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "projects") == len(apis.SESSION_PROJECTS)
    assert count_rows(duckdb_path, "data", "members") == len(apis.MEMBERS)
    # three pages of projects, one login: the token is kept (no expiration_duration)
    assert sorted(logins) == ["login", "session"]
    pages = [r for r in server.requests if r.path == "/api/projects"]
    assert len(pages) == 3


def test_the_login_secrets_stay_out_of_the_plan() -> None:
    plan = plan_manifest(MANIFEST, _config("https://api.invalid"))
    auth = plan.resources["projects"].auth
    assert auth is not None and auth.login_json == {"username": "u", "password": "p"}
    assert "password" not in repr(auth) and "'p'" not in repr(auth)


def test_an_expired_session_logs_in_again(server: Any) -> None:
    logins = apis.serve_session(server)
    server.start()
    auth = plan_manifest(MANIFEST, _config(server.base_url)).resources["members"].auth
    now = [0.0]
    token = SessionToken(auth, clock=lambda: now[0])  # type: ignore[arg-type]

    async def three_requests() -> list[dict[str, str]]:
        async with aiohttp.ClientSession() as session:
            sent = [(await token.apply(session)).headers]
            now[0] = 3599.0  # PT1H not yet over
            sent.append((await token.apply(session)).headers)
            now[0] = 3601.0
            sent.append((await token.apply(session)).headers)
            return sent

    sent = asyncio.run(three_requests())
    assert sent == [{"Authorization": "Bearer bear-2"}] * 3
    assert logins == ["login", "login"]


def test_a_token_sent_elsewhere_than_a_header_or_parameter_is_rejected() -> None:
    document = yaml.safe_load(MANIFEST.read_text())
    option = document["streams"][0]["retriever"]["requester"]["authenticator"]
    option["request_authentication"]["inject_into"]["inject_into"] = "body_json"
    message = str(stream_problems(document, _config("https://api.invalid"))["projects"])
    assert "stream 'projects'" in message and "SessionTokenAuthenticator" in message
    assert "members" in message  # the other stream can still run


def test_the_simulator_serves_the_login_and_checks_the_token(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    run = simulate(MANIFEST, _config("https://api.invalid"), seed=5)
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    requests = run.requests()
    assert count_rows(duckdb_path, "data", "projects") == len(dataset["projects"]) > 0
    assert count_rows(duckdb_path, "data", "members") == len(dataset["members"]) > 0
    assert requests["/session"] == 1 and requests["/login"] == 1  # one login per auth
