"""A requester whose ``path`` is a whole address (pennylane's plan_items:
``path: https://app.pennylane.com/api/external/v1/plan_items`` under a ``url_base`` on the same
host) moves with ``--base-url`` to the given origin, its path kept, as a ``url`` does: before,
the join left it on the real API, so an offline run sent its credentials there."""

from __future__ import annotations

from typing import Any

from aiohttp import web

import restsync
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer


def test_a_whole_address_as_the_path_moves_with_the_base_url(server: RoutedServer) -> None:
    seen: list[tuple[str, str | None]] = []

    @server.get("/api/external/v1/plan_items")
    async def items(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Authorization")))
        return web.json_response({"plan_items": [{"v2_id": 1}, {"v2_id": 2}]})

    server.start()
    bearer = {"type": "BearerAuthenticator", "api_token": "{{ config['token'] }}"}
    requester = build.requester(
        "https://app.example.invalid/api/external/v2",
        "https://app.example.invalid/api/external/v1/plan_items",
        authenticator=bearer,
    )
    stream = build.stream("plan_items", requester, ["plan_items"], primary_key=["v2_id"])
    config: dict[str, Any] = {"token": "tok-1"}
    source = restsync.airbyte_source(build.manifest(stream), config, base_url=server.base_url)
    rows = list(source.resources["plan_items"])
    assert [r["v2_id"] for r in rows] == [1, 2]
    assert seen == [("/api/external/v1/plan_items", "Bearer tok-1")]
