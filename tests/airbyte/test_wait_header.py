"""WaitTimeFromHeader on another header than Retry-After (shipstation's X-Rate-Limit-Reset):
the retry waits the seconds that header gives, as airbyte-cdk waits them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

import restsync
from restsync._engine._retry import Attempt, Decision, decide
from restsync.airbyte import plan_manifest, stream_problems
from tests.conftest import count_rows

MANIFEST = Path(__file__).parent / "manifests" / "wait_header.yaml"
CONFIG = {"base_url": "http://127.0.0.1:9"}


def test_the_stream_passes_check() -> None:
    assert stream_problems(MANIFEST, CONFIG) == {}


def test_a_429_waits_what_the_named_header_says() -> None:
    policy = plan_manifest(MANIFEST, CONFIG).resources["carriers"].retry
    rate_limited = Attempt(1, 429, None, {"X-Rate-Limit-Reset": "7"})
    assert decide(policy, rate_limited) == Decision(True, 7.0, "status 429, X-Rate-Limit-Reset 7s")


def test_the_run_retries_the_429(server: Any, make_pipeline: Any, duckdb_path: Path) -> None:
    answers = [web.json_response({}, status=429, headers={"X-Rate-Limit-Reset": "0"})]

    @server.get("/carriers")
    async def carriers(request: web.Request) -> web.Response:
        return answers.pop() if answers else web.json_response([{"id": 1}, {"id": 2}])

    server.start()
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "carriers") == 2
    assert len(server.requests) == 2
