"""A partition inside a stream's whole URL is unknown at check: check reads the rest of the
URL, and the run fills the partition in from each parent record, as airbyte-cdk does
(instagram's ``.../{{ stream_partition.account.business_account_id }}/media``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync import ConfigError
from restsync.airbyte import plan_manifest, stream_problems
from tests.conftest import RoutedServer, count_rows

MANIFEST = Path(__file__).parent / "manifests" / "partition_url.yaml"


def serve_partition_url(server: RoutedServer) -> None:
    @server.get("/accounts")
    async def accounts(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": [
                    {"id": 1, "account": {"business_id": "b1"}},
                    {"id": 2, "account": {"business_id": "b2"}},
                ]
            }
        )

    @server.get("/{business}/media")
    async def media(request: web.Request) -> web.Response:
        business = request.match_info["business"]
        return web.json_response({"data": [{"id": f"{business}-1"}, {"id": f"{business}-2"}]})


def test_check_does_not_demand_the_partition() -> None:
    config = {"base_url": "https://api.example.com", "media_url": "https://graph.example.com/v2"}
    assert stream_problems(MANIFEST, config) == {}
    assert (
        plan_manifest(MANIFEST, config).resources["media"].base_url == "https://graph.example.com"
    )


def test_check_still_refuses_a_url_that_is_no_url() -> None:
    config = {"base_url": "https://api.example.com", "media_url": "graph.example.com"}
    with pytest.raises(ConfigError, match="not an http.s. URL") as raised:
        stream_problems(MANIFEST, config)
    assert raised.value.path == "streams[1].retriever.requester.url"


def test_the_run_fills_the_partition_in(server: Any, make_pipeline: Any, duckdb_path: Path) -> None:
    serve_partition_url(server)
    server.start()
    config = {"base_url": server.base_url, "media_url": server.base_url}
    source = restsync.airbyte_source(MANIFEST, config)
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "media") == 4
    assert sorted(r.path for r in server.requests if r.path.endswith("/media")) == [
        "/b1/media",
        "/b2/media",
    ]
