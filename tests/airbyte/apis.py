"""Routed handlers that behave like the small APIs the test manifests describe."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.conftest import RoutedServer

USERS = [{"id": i, "name": f"user{i}"} for i in range(1, 6)]
ORDERS = [{"id": i, "total": i * 10, "flags": "new", "note": "n"} for i in range(1, 8)]
EVENTS = [{"id": i, "kind": "click"} for i in range(1, 6)]
PAGES = [{"id": i} for i in range(1, 6)]


def _page(items: list[Any], start: int, size: int) -> list[Any]:
    return items[start : start + size]


def requires(header: str, value: str) -> Callable[[web.Request], None]:
    """A check a handler calls first: it answers 401 unless the request has ``header: value``."""

    def authorised(request: web.Request) -> None:
        if request.headers.get(header) != value:
            raise web.HTTPUnauthorized()

    return authorised


def serve_core(server: RoutedServer, api_key: str = "k-123") -> None:
    """users: cursor; orders: offset; tags: keyed object; events: next URL; pages: page number."""

    authorised = requires("X-Api-Key", api_key)

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
        # Airbyte sends a parameter that renders as None as the text "None"
        if request.query.get("status") != "open" or request.query.get("missing") != "None":
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


PROJECTS = [{"id": p, "active": p != 3, "name": f"p{p}"} for p in range(1, 5)]
DAYS = [f"2024-01-0{d}" for d in range(1, 8)]


def serve_fanout(server: RoutedServer, token: str = "t-1") -> None:
    """projects -> tasks (3 per project); metrics per region and day, filtered by since/until."""

    authorised = requires("Authorization", f"Bearer {token}")

    @server.get("/projects")
    async def projects(request: web.Request) -> web.Response:
        authorised(request)
        return web.json_response(PROJECTS)

    @server.get("/projects/{project}/tasks")
    async def tasks(request: web.Request) -> web.Response:
        authorised(request)
        project = int(request.match_info["project"])
        rows = [{"id": project * 10 + t, "internal": "x", "title": "t"} for t in range(3)]
        return web.json_response({"tasks": rows})

    @server.get("/metrics")
    async def metrics(request: web.Request) -> web.Response:
        authorised(request)
        since, until = request.query["since"], request.query["until"]
        region = request.query["region"]
        days = [d for d in DAYS if since <= d <= until]
        return web.json_response({"rows": [{"region": region, "day": d, "n": 1} for d in days]})


def serve_errors(server: RoutedServer) -> None:
    """/flaky answers 503, then 409, then its records; /gone is always 404."""
    statuses = iter([503, 409])

    @server.get("/flaky")
    async def flaky(request: web.Request) -> web.Response:
        status = next(statuses, 200)
        if status != 200:
            return web.json_response({"error": "busy"}, status=status)
        return web.json_response([{"id": 1}, {"id": 2}])

    @server.get("/gone")
    async def gone(request: web.Request) -> web.Response:
        return web.json_response({"error": "no such thing"}, status=404)


def serve_feed(server: RoutedServer) -> None:
    """/posts: newest first, 3 per page, one post a day from 2024-01-10 back to 2023-12-31;
    basic auth user "u" / password "p"."""
    posts = [{"id": 10 - d, "posted": f"{10 - d:02d}/01/2024 08:00"} for d in range(10)]
    posts.append({"id": 0, "posted": "31/12/2023 08:00"})

    @server.get("/posts")
    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Basic dTpw":
            raise web.HTTPUnauthorized()
        before = int(request.query.get("before", "11"))
        page = [p for p in posts if p["id"] < before][:3]
        return web.json_response({"posts": page})


def serve_transforms(server: RoutedServer) -> None:
    """POST /accounts: the page number and a query in the JSON body, two pages of accounts."""
    accounts = [
        {
            "id": i,
            "Score": i * 2,
            "secret": "s",
            "profile": {"First-Name": f"a{i}", "tier": "gold"},
            "links": {"internal": "x", "self": f"/a/{i}"},
        }
        for i in range(1, 6)
    ]

    async def listing(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("query") != "active" or request.headers.get("X-Client") != "restsync-test":
            raise web.HTTPBadRequest()
        page = int(body["page"])
        following = page + 1 if page * 3 < len(accounts) else None
        rows = accounts[(page - 1) * 3 : page * 3]
        return web.json_response({"result": {"items": rows, "next_page": following}})

    server.route("POST", "/accounts", listing)


def serve_filters(server: RoutedServer) -> None:
    """The filters manifest's API: /busy is busy once (a 200 saying so); /reports, /quotes and
    /projects answer key b (and /projects key a) with an error; /legacy warns in a header."""
    busy = iter([True])

    def items(key: str) -> web.Response:
        return web.json_response({"items": [{"id": f"{key}1"}, {"id": f"{key}2"}]})

    @server.get("/busy")
    async def busy_once(request: web.Request) -> web.Response:
        if next(busy, False):
            return web.json_response("Too much requests")
        return items("x")

    @server.get("/reports")
    async def reports(request: web.Request) -> web.Response:
        key = request.query["key"]
        if key == "b":
            message = {"message": "Data for the given start date is not available"}
            return web.json_response(message, status=400)
        return items(key)

    @server.get("/quotes")
    async def quotes(request: web.Request) -> web.Response:
        key = request.query["key"]
        return web.json_response({"error": "no"}, status=403) if key == "b" else items(key)

    @server.get("/projects")
    async def projects(request: web.Request) -> web.Response:
        key = request.query["key"]
        if key == "a":
            return web.json_response({"error": "nope"}, status=404)
        if key == "b":
            return web.json_response({"message": "project archived"}, status=410)
        return items(key)

    @server.get("/legacy")
    async def legacy(request: web.Request) -> web.Response:
        return web.json_response({"items": [{"id": 1}]}, headers={"X-Notice": "deprecated"})


def serve_forms(server: RoutedServer) -> None:
    """The forms manifest's API: each record echoes what the request sent (query, form fields
    or the text body, and its Content-Type), so a difference in encoding shows in the records."""

    async def sent(request: web.Request) -> dict[str, Any]:
        text = (await request.read()).decode()
        form = dict(await request.post()) if request.content_type.endswith("urlencoded") else {}
        return {"form": {k: str(v) for k, v in form.items()}, "text": text if not form else ""}

    @server.get("/books")
    async def books(request: web.Request) -> web.Response:
        echoed = await sent(request)
        size = int(echoed["form"].get("page_size", "10"))
        page = int(request.query.get("page", "1"))
        ids = [i for i in range((page - 1) * size + 1, page * size + 1) if i <= 5]
        return web.json_response({"results": [{"id": i, **echoed} for i in ids]})

    async def search(request: web.Request) -> web.Response:
        echoed = await sent(request)
        start = int(echoed["form"].get("offset", "0"))
        ids = [i for i in range(start, start + 3) if i < 7]
        shelf = echoed["form"]["shelf"]
        return web.json_response({"results": [{"id": f"{shelf}-{i}", **echoed} for i in ids]})

    async def daily(request: web.Request) -> web.Response:
        echoed = await sent(request)
        day = echoed["form"]["from"]
        return web.json_response({"results": [{"id": day, "day": day, **echoed}]})

    async def note(request: web.Request) -> web.Response:
        echoed = await sent(request)
        kind = request.headers.get("Content-Type", "none")
        return web.json_response({"results": [{"id": 1, "type": kind, **echoed}]})

    server.route("POST", "/search", search)
    server.route("POST", "/daily", daily)
    server.route("POST", "/note", note)


def serve_client_side(server: RoutedServer) -> None:
    """/tickets: every ticket whatever the window, its time under meta.updated (one has none)."""
    days = ["2023-12-30", "2024-01-02", "2024-01-03T10:00:00", "2024-01-05", "2024-01-07"]
    tickets: list[dict[str, Any]] = [{"id": i, "meta": {"updated": d}} for i, d in enumerate(days)]
    tickets.append({"id": 99})

    @server.get("/tickets")
    async def all_tickets(request: web.Request) -> web.Response:
        return web.json_response({"tickets": tickets})


SESSION_PROJECTS = [{"id": i, "title": f"project{i}"} for i in range(1, 6)]
MEMBERS = [{"id": i, "role": "admin" if i == 1 else "member"} for i in range(1, 4)]


def serve_session(server: RoutedServer) -> list[str]:
    """Two logins (a JSON POST, a GET with a key) and the streams behind their tokens; returns
    the list of logins made, in order."""
    logins: list[str] = []

    async def session(request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"username": "u", "password": "p"}:
            return web.json_response({"error": "bad login"}, status=401)
        logins.append("session")
        return web.json_response({"data": {"session": {"id": "sess-1"}}})

    server.route("POST", "/api/session", session)

    @server.get("/api/login")
    async def login(request: web.Request) -> web.Response:
        if request.query.get("key") != "p":
            return web.json_response({"error": "bad key"}, status=401)
        logins.append("login")
        return web.json_response({"token": "bear-2"})

    @server.get("/api/projects")
    async def projects(request: web.Request) -> web.Response:
        if request.headers.get("X-Session") != "sess-1":
            return web.json_response({"error": "no session"}, status=401)
        page = int(request.query.get("page", "1"))
        return web.json_response({"items": _page(SESSION_PROJECTS, (page - 1) * 2, 2)})

    @server.get("/api/members")
    async def members(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer bear-2":
            return web.json_response({"error": "no token"}, status=401)
        return web.json_response({"items": MEMBERS})

    return logins


def serve_product(server: RoutedServer, docs: int = 3, tables_status: int = 200) -> None:
    """docs 1..N; two tables per doc (id doc*10+t); rows for any doc and table, per region."""

    @server.get("/docs")
    async def all_docs(request: web.Request) -> web.Response:
        return web.json_response({"items": [{"id": d} for d in range(1, docs + 1)]})

    @server.get("/docs/{doc}/tables")
    async def tables(request: web.Request) -> web.Response:
        doc = int(request.match_info["doc"])
        items = [{"id": doc * 10 + t, "doc": doc} for t in range(2)]
        return web.json_response({"items": items}, status=tables_status)

    @server.get("/docs/{doc}/tables/{table}/rows")
    async def rows(request: web.Request) -> web.Response:
        doc, table = int(request.match_info["doc"]), int(request.match_info["table"])
        region = request.query["region"]
        items = [{"doc": doc, "table": table, "n": n, "at": region} for n in range(2)]
        return web.json_response({"items": items})


CURSOR_ROWS = [
    {"id": 1, "updated": "2024-01-03"},
    {"id": 2, "updated": "2020-01-01"},  # older than the start
    {"id": 3, "updated": "garbage"},  # text no format reads (and sorts after the dates)
    {"id": 4, "updated": None},
    {"id": 5},
    {"id": 6, "updated": 17},  # a number where the others are text
]


def serve_cursors(server: RoutedServer) -> None:
    """/items: the same six records whatever the window asked for."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response(CURSOR_ROWS)


FORM_KEY = "k-7f3a9c-secret"


def serve_key_in_form(server: RoutedServer) -> list[dict[str, str]]:
    """POST /v1/boards/list (2 boards) and /v1/posts/list (3 posts, 2 a page by ?skip=), each
    only with FORM_KEY as the form's apiKey; returns every form received, in order."""
    forms: list[dict[str, str]] = []

    def keyed(
        answer: Callable[[web.Request], web.Response],
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            form = {name: str(value) for name, value in (await request.post()).items()}
            forms.append(form)
            if form.get("apiKey") != FORM_KEY:
                return web.json_response({"error": "invalid api key"}, status=401)
            return answer(request)

        return handler

    def posts(request: web.Request) -> web.Response:
        skip = int(request.query.get("skip", 0))
        return web.json_response({"posts": [{"id": i} for i in range(skip, min(skip + 2, 3))]})

    def boards(request: web.Request) -> web.Response:
        return web.json_response({"boards": [{"id": "b1"}, {"id": "b2"}]})

    server.route("POST", "/v1/boards/list", keyed(boards))
    server.route("POST", "/v1/posts/list", keyed(posts))
    return forms


OAUTH_SECRETS = {"client_id": "app-1", "client_secret": "s3cret-xyz", "refresh_token": "r-1"}
OAUTH_BASIC = "Basic " + base64.b64encode(b"app-1:s3cret-xyz").decode()


def serve_oauth_headers(server: RoutedServer) -> list[dict[str, str]]:
    """POST /oauth/token grants "tok-1" only to OAUTH_BASIC in the Authorization header with no
    client_secret in the form; /calls: 2 calls for that token. Returns each token request's
    form and its Authorization header, in order."""
    forms: list[dict[str, str]] = []

    async def token(request: web.Request) -> web.Response:
        form = {name: str(value) for name, value in (await request.post()).items()}
        forms.append({**form, "authorization": request.headers.get("Authorization", "")})
        if request.headers.get("Authorization") != OAUTH_BASIC or "client_secret" in form:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"access_token": "tok-1", "expires_in": 3600})

    server.route("POST", "/oauth/token", token)

    @server.get("/calls")
    async def calls(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer tok-1":
            return web.json_response({}, status=401)
        return web.json_response({"calls": [{"id": 1}, {"id": 2}]})

    return forms
