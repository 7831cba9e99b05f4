"""Routed handlers that behave like the small APIs the test manifests describe."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.conftest import RoutedServer

USERS = [{"id": i, "name": f"user{i}"} for i in range(1, 6)]
ORDERS = [{"id": i, "total": i * 10} for i in range(1, 8)]
EVENTS = [{"id": i, "kind": "click"} for i in range(1, 6)]
PAGES = [{"id": i} for i in range(1, 6)]


def _page(items: list[Any], start: int, size: int) -> list[Any]:
    return items[start : start + size]


def serve_core(server: RoutedServer, api_key: str = "k-123") -> None:
    """users: cursor; orders: offset; tags: keyed object; events: next URL; pages: page number."""

    def authorised(request: web.Request) -> None:
        if request.headers.get("X-Api-Key") != api_key:
            raise web.HTTPUnauthorized()

    @server.get("/api/users")
    async def users(request: web.Request) -> web.Response:
        authorised(request)
        start = int(request.query.get("cursor", "0"))
        size = int(request.query["limit"])
        following = start + size if start + size < len(USERS) else None
        return web.json_response({"data": _page(USERS, start, size), "next_cursor": following})

    @server.get("/api/orders")
    async def orders(request: web.Request) -> web.Response:
        authorised(request)
        if request.query.get("status") != "open" or "missing" in request.query:
            raise web.HTTPBadRequest()
        offset = int(request.query.get("offset", "0"))
        return web.json_response({"results": _page(ORDERS, offset, int(request.query["limit"]))})

    @server.get("/api/tags")
    async def tags(request: web.Request) -> web.Response:
        authorised(request)
        return web.json_response({"tags": {"a": {"id": "a"}, "b": {"id": "b"}}})

    @server.get("/api/events")
    async def events(request: web.Request) -> web.Response:
        authorised(request)
        start = int(request.query.get("from", "0"))
        following = f"{server.base_url}/api/events?from={start + 2}" if start + 2 < 5 else None
        return web.json_response({"items": _page(EVENTS, start, 2), "links": {"next": following}})

    @server.get("/api/pages")
    async def pages(request: web.Request) -> web.Response:
        authorised(request)
        number = int(request.query["page"])
        return web.json_response({"items": _page(PAGES, (number - 1) * 2, 2)})
