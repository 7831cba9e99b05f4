"""The API tests/airbyte/manifests/dynamic.yaml describes: workspaces that list their tables
(the HTTP resolver's records), the tables' rows, reports and metrics."""

from __future__ import annotations

from aiohttp import web

from tests.airbyte.apis import requires
from tests.conftest import RoutedServer

KEY = "k-dyn"
WORKSPACES = [{"id": "w1", "title": "Alpha"}, {"id": "w2", "title": "Beta"}]
# w1 lists its tables on two pages
TABLES = {"w1": [[{"id": "t1", "name": "Orders"}], [{"id": "t2", "name": "Items"}]]}
TABLES["w2"] = [[{"id": "t3", "name": "Orders"}]]
CONFIG_REPORTS = [
    {"name": "daily", "granularity": "day", "kind": "sales", "limit": 5},
    {"name": "weekly", "granularity": "week", "kind": "traffic", "region": "eu"},
]


def config(base_url: str) -> dict[str, object]:
    return {"base_url": base_url, "key": KEY, "reports": CONFIG_REPORTS}


def serve_dynamic(server: RoutedServer) -> None:
    authorised = requires("X-Key", KEY)

    @server.get("/workspaces")
    async def workspaces(request: web.Request) -> web.Response:
        authorised(request)
        return web.json_response({"items": WORKSPACES})

    @server.get("/workspaces/{workspace}/tables")
    async def tables(request: web.Request) -> web.Response:
        authorised(request)
        pages = TABLES[request.match_info["workspace"]]
        page = int(request.query.get("page", "1"))
        following = page + 1 if page < len(pages) else None
        return web.json_response({"tables": pages[page - 1], "next_page": following})

    @server.get("/data/{workspace}/{table}")
    async def rows(request: web.Request) -> web.Response:
        authorised(request)
        table = request.match_info["table"]
        start = int(request.query.get("offset", "0"))
        every = [{"id": f"{table}-{i}", "cell": i * 10} for i in range(3)]
        following = start + 2 if start + 2 < len(every) else None
        return web.json_response({"rows": every[start : start + 2], "offset": following})

    @server.get("/reports/{kind}")
    async def reports(request: web.Request) -> web.Response:
        authorised(request)
        asked = {k: request.query.get(k) for k in ("granularity", "limit", "region")}
        days = ("2024-01-01", "2024-01-02")
        return web.json_response({"rows": [{"day": d, **asked} for d in days]})

    @server.get("/metrics/{metric}")
    async def metrics(request: web.Request) -> web.Response:
        authorised(request)
        metric = request.match_info["metric"]
        points = [{"day": f"2024-01-0{d}", "n": d, "metric": metric} for d in (1, 2)]
        return web.json_response({"points": points})
