"""A paginator that never ends is stopped by max_pages: per chain, at client and resource level,
failing the resource by name with the way to raise the cap; the pages before it are loaded."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows


def _endless(name: str, **resource: Any) -> dict[str, Any]:
    return {
        "name": name,
        "primary_key": "id",
        "endpoint": {
            "path": f"/{name}",
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_path": "next", "cursor_param": "after"},
        },
        **resource,
    }


def test_an_endless_cursor_stops_at_max_pages(
    server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    async def forever(request: web.Request) -> web.Response:
        number = int(request.query.get("after", "0"))  # a new cursor every time, never an end
        rows = [{"id": f"{number}-{i}"} for i in range(2)]
        return web.json_response({"data": rows, "next": str(number + 1)})

    async def finite(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}, {"id": 3}]})

    server.route("GET", "/client_capped", forever)
    server.route("GET", "/resource_capped", forever)
    server.route("GET", "/finite", finite)
    server.start()
    config = {
        "client": {"base_url": server.base_url, "max_pages": 3},
        "resources": [
            _endless("client_capped"),
            _endless("resource_capped", max_pages=7),
            _endless("finite"),
        ],
    }
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))

    failed = {f.resource: f.message for f in caught.value.failures}
    assert sorted(failed) == ["client_capped", "resource_capped"]
    assert failed["client_capped"] == (
        "paging reached max_pages (3) and the API still offers a next page; if it really has "
        "more, raise max_pages for this resource (resources[0].max_pages) or for every "
        "resource (client.max_pages)"
    )
    assert "max_pages (7)" in failed["resource_capped"]
    served = [r.path for r in server.requests]
    assert served.count("/client_capped") == 3 and served.count("/resource_capped") == 7
    # the pages fetched before the cap are loaded, and so is the healthy resource
    assert count_rows(duckdb_path, "data", "client_capped") == 6
    assert count_rows(duckdb_path, "data", "resource_capped") == 14
    assert count_rows(duckdb_path, "data", "finite") == 3


def test_the_default_cap_is_planned_and_noted() -> None:
    config = {
        "client": {"base_url": "https://api.example.com"},
        "resource_defaults": {"max_pages": 50},
        "resources": [_endless("events"), _endless("own", max_pages=9)],
    }
    plan = restsync.plan_config(config)
    assert plan.resources["events"].max_pages == 50
    assert plan.resources["own"].max_pages == 9
    assert "fails after 9 pages in one chain (max_pages)" in plan.resources["own"].notes
    del config["resource_defaults"]
    assert restsync.plan_config(config).resources["events"].max_pages == 100_000


@pytest.mark.parametrize("where", ["client", "resource"])
def test_max_pages_must_be_positive(where: str) -> None:
    config: dict[str, Any] = {
        "client": {"base_url": "https://api.example.com"},
        "resources": [_endless("events")],
    }
    target = config["client"] if where == "client" else config["resources"][0]
    target["max_pages"] = 0
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(config)
    assert caught.value.path.endswith("max_pages")
