"""Two generic engine capabilities: a resource whose records are computed from its parent's
records (no request is sent for it), and a ``select`` hook that picks a page's records with
the chain's parent record in hand. Both are plan fields, so the test builds a plan from a
config and sets them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

import restsync
from restsync._load import build_source
from restsync._plan import ParentLink
from tests.conftest import count_rows, table_names


def test_computed_parent_fans_out_and_select_sees_it(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/teams")
    async def teams(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}])

    @server.get("/scores/{team}/{year}")
    async def scores(request: web.Request) -> web.Response:
        team, year = request.match_info["team"], request.match_info["year"]
        return web.json_response({"rows": [{"team": int(team), "year": int(year), "n": 1}]})

    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": [
            {"name": "teams", "endpoint": "/teams"},
            {"name": "seasons", "endpoint": "/unused"},
            {
                "name": "scores",
                "endpoint": "/scores/{resources.seasons.team}/{resources.seasons.year}",
            },
        ],
    }
    plan = restsync.plan_config(config)
    seen_parents: list[Any] = []

    def seasons(parent: Any, start_values: Any) -> list[dict[str, int]]:
        return [{"team": parent["id"], "year": y} for y in (2023, 2024)]

    def select(body: Any, headers: Any, parent: Any) -> list[Any]:
        seen_parents.append(parent)
        return [{**row, "season": f"{parent['team']}-{parent['year']}"} for row in body["rows"]]

    resources = dict(plan.resources)
    resources["seasons"] = replace(
        resources["seasons"], compute=seasons, parent=ParentLink("teams", {}, ()), selected=False
    )
    resources["scores"] = replace(resources["scores"], select=select)
    source = build_source(replace(plan, resources=resources))
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "scores") == 4
    assert "seasons" not in table_names(duckdb_path, "data")
    assert sorted(r.path for r in server.requests) == [
        "/scores/1/2023",
        "/scores/1/2024",
        "/scores/2/2023",
        "/scores/2/2024",
        "/teams",
    ]
    assert sorted((p["team"], p["year"]) for p in seen_parents) == [
        (1, 2023),
        (1, 2024),
        (2, 2023),
        (2, 2024),
    ]
