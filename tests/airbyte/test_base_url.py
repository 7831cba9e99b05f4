"""``base_url=`` (``--base-url``) replaces a manifest's url_base, also one that renders with a
double slash (auth0: ``{{ config['base_url'] }}/api/v2`` with a base_url ending in '/')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

import restsync
from tests.airbyte import manifests as build
from tests.conftest import count_rows


def test_an_overridden_url_base_with_a_double_slash(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/api/v2/clients")
    async def clients(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}])

    server.start()
    requester = build.requester("{{ config['base_url'] }}/api/v2", "clients")
    manifest = build.manifest(build.stream("clients", requester, []))
    config = {"base_url": "https://tenant.example.invalid/"}
    source = restsync.airbyte_source(manifest, config, base_url=server.base_url + "/api/v2")
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "clients") == 2
    assert [r.path for r in server.requests] == ["/api/v2/clients"]
