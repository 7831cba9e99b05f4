"""A small fake blog API for the parity suite, served once per test module.

Every request path starts with ``/<side>/<case>/<round>/``: the side (``dlt`` or ``restsync``) and
the case tell whose request it was, the round (``r1``, ``r2``) which state of the data to serve
(incremental cases change the data between runs). The rest of the path says what to serve:

    /<style>/posts, /<style>       all posts, paged in <style> (see STYLES)
    /<style>/tagged                all posts with a list of tags each, paged in <style>
    /<style>/posts/<id>            one post          /<style>/users/<id>      one user
    /<style>/posts/<id>/comments   a post's comments, paged in <style> (``?since=`` filters)
    /<style>/events                events (``?since=``/``?until=`` filter on updated_at)
    /<style>/sparse                events, some without ``updated_at`` (absent or null)
    /<style>/search   (POST)       posts, paged through the JSON body
    /<style>/events/search (POST)  events, ``since``/``until`` in the JSON body as well
    /shape/<name>/posts            posts in one of several body shapes (data selectors)
    /auth/<kind>/posts             posts, only with the right credential (401 otherwise)
    /auth/<kind>/<any path above>  that path, only with the right credential
    /oauth/token      (POST)       a client-credentials token
    /status/<code>                 that status with a small JSON body
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.conftest import RoutedServer

START = datetime(2024, 1, 1, tzinfo=UTC)
PAGE_SIZE = 5
TOKEN = "parity-token"
API_KEY = "parity-key"
BASIC = ("parity-user", "parity-pass")
CLIENT = ("parity-client", "parity-secret")


def _stamp(hours: float) -> str:
    return (START + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


POSTS = [
    {
        "id": i,
        "title": f"Post {i}",
        "user_id": i % 4 + 1,
        "updated_at": _stamp(i),
        "author": {"name": f"Author {i % 4}", "handle": f"@a{i % 4}"},
    }
    for i in range(1, 24)
]
COMMENTS = {
    post["id"]: [
        {
            "id": post["id"] * 100 + j,
            "post_id": post["id"],
            "body": f"comment {j} on {post['id']}",
            "created_at": _stamp(post["id"] * 2 + j),
        }
        for j in range(post["id"] % 4)
    ]
    for post in POSTS
}
TAGGED = [
    {**post, "tags": [f"t{post['id'] % 3}", f"t{post['id'] % 5}"][: post["id"] % 3]}
    for post in POSTS
]
USERS = {i: {"id": i, "name": f"User {i}", "email": f"u{i}@example.com"} for i in range(1, 5)}


def events(round_: str) -> list[dict[str, Any]]:
    """Round 1: 30 events. Round 2: 10 new ones, and 5 old ones updated (later ``updated_at``)."""
    rows = [{"id": i, "kind": "create", "updated_at": _stamp(i)} for i in range(1, 31)]
    if round_ == "r2":
        for row in rows[20:25]:
            row.update(kind="update", updated_at=_stamp(40 + row["id"] / 10))
        rows += [{"id": i, "kind": "create", "updated_at": _stamp(i + 20)} for i in range(31, 41)]
    return sorted(rows, key=lambda r: (r["updated_at"], r["id"]))


def sparse(round_: str) -> list[dict[str, Any]]:
    """The events, every 7th without ``updated_at`` and every 11th with it null."""
    rows = [dict(row) for row in events(round_)]
    for row in rows:
        if row["id"] % 7 == 0:
            del row["updated_at"]
        elif row["id"] % 11 == 0:
            row["updated_at"] = None
    return rows


@dataclass(frozen=True)
class Call:
    side: str
    case: str
    round: str
    method: str
    path: str  # without the /<side>/<case>/<round> prefix
    query: tuple[tuple[str, str], ...]
    body: Any
    headers: dict[str, str] = field(compare=False, default_factory=dict)


# --- paging styles ------------------------------------------------------------------------


def _size(request: web.Request) -> int:
    for name in ("limit", "per_page", "page_size"):
        if name in request.query:
            return max(1, int(request.query[name]))
    return PAGE_SIZE


def _link(request: web.Request, **params: Any) -> str:
    query = {**request.query, **{k: str(v) for k, v in params.items()}}
    return str(request.url.with_query(query))


def _page_number(request: web.Request, name: str = "page") -> int:
    return max(1, int(request.query.get(name, 1)))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def page_in_style(request: web.Request, style: str, rows: list[Any]) -> web.Response:
    size = _size(request)
    number = _page_number(request)
    by_page = rows[(number - 1) * size : number * size]
    more = number * size < len(rows)
    pages = (len(rows) + size - 1) // size
    if style == "plain":
        return _json(rows)
    if style == "wrapped":
        return _json({"data": rows})
    if style == "link":
        headers = {"Link": f'<{_link(request, page=number + 1)}>; rel="next"'} if more else {}
        return _json(by_page, headers=headers)
    if style == "next_url":
        return _json({"data": by_page, "next": _link(request, page=number + 1) if more else None})
    if style == "next_page":
        return _json(
            {"items": by_page, "next_page": _link(request, page=number + 1) if more else None}
        )
    if style == "links_next":
        next_url = _link(request, page=number + 1) if more else None
        return _json({"results": by_page, "links": {"next": next_url, "self": str(request.url)}})
    if style == "next_href":
        href = {"href": _link(request, page=number + 1)} if more else None
        return _json({"data": by_page, "_links": {"next": href}})
    if style == "relative_next":
        relative = f"{request.path}?page={number + 1}" if more else None
        return _json({"data": by_page, "next": relative})
    if style == "page":
        return _json({"data": by_page, "page": number, "total_pages": pages})
    if style == "page_total":
        return _json({"data": by_page, "total": pages})
    if style == "page_more":
        return _json({"data": by_page, "has_more": more})
    return _offset_or_cursor(request, style, rows, size)


def _offset_or_cursor(request: web.Request, style: str, rows: list[Any], size: int) -> web.Response:
    offset = int(request.query.get("offset", 0))
    chunk = rows[offset : offset + size]
    if style == "offset":
        return _json({"data": chunk, "total": len(rows)})
    if style == "offset_nototal":
        return _json({"data": chunk})
    if style == "offset_more":
        return _json({"data": chunk, "has_more": offset + size < len(rows)})
    start = int(request.query.get("cursor", 0) or 0)
    following = str(start + size) if start + size < len(rows) else None
    chunk = rows[start : start + size]
    if style == "cursor":
        return _json({"data": chunk, "next_cursor": following})
    if style == "cursor_meta":
        return _json({"data": chunk, "meta": {"next": following}})
    if style == "cursor_done":
        return _json({"data": chunk, "cursor": following or "", "done": following is None})
    if style == "header_cursor":
        return _json(chunk, headers={"X-Next": following} if following else {})
    raise web.HTTPNotFound(text=json.dumps({"error": f"no style {style}"}))


STYLES = (
    "plain wrapped link next_url next_page links_next next_href relative_next page page_total "
    "page_more offset offset_nototal offset_more cursor cursor_meta cursor_done header_cursor"
).split()


def _since(
    request: web.Request, rows: list[dict[str, Any]], key: str, body: Any = None
) -> list[dict[str, Any]]:
    """The rows from ``since`` (inclusive) to ``until`` (exclusive), in the query or the JSON
    body; a row without the field is always served."""
    given = {**request.query, **(body if isinstance(body, dict) else {})}
    since, until = given.get("since"), given.get("until")
    return [
        r
        for r in rows
        if r.get(key) is None
        or ((not since or r[key] >= str(since)) and (not until or r[key] < str(until)))
    ]


# --- routes -------------------------------------------------------------------------------

SHAPES: dict[str, Callable[[list[Any]], Any]] = {
    "nested": lambda rows: {"payload": {"records": rows}, "count": len(rows)},
    "meta_first": lambda rows: {"meta": {"tags": ["x", "y"]}, "data": rows},
    "unknown_key": lambda rows: {"things": rows, "count": len(rows)},
    "two_lists": lambda rows: {"warnings": ["w1"], "posts": rows},
    "deep": lambda rows: {"result": {"page": {"rows": rows}}},
    "entities": lambda rows: {"entities": rows},
    "object": lambda rows: rows[0],
    "data_object": lambda rows: {"data": rows[0]},
    "empty": lambda rows: {"data": []},
    # legitimately empty pages (no shape error on either side) and a changed API (a bare value)
    "null_data": lambda rows: {"data": None},
    "empty_object": lambda rows: {},
    "empty_list": lambda rows: [],
    "bare_string": lambda rows: "maintenance",
    "scalars": lambda rows: {"data": [r["id"] for r in rows]},
    "tagged": lambda rows: {"data": [t for t in TAGGED if any(t["id"] == r["id"] for r in rows)]},
}
ISSUED = "issued-by-oauth"


def _authorized(request: web.Request, kind: str) -> bool:
    import base64

    header = request.headers.get("Authorization", "")
    if kind == "bearer":
        return header == f"Bearer {TOKEN}"
    if kind == "api_key":
        return request.headers.get("X-API-Key") == API_KEY
    if kind == "api_key_query":
        return request.query.get("api_key") == API_KEY
    if kind == "api_key_cookie":
        return request.cookies.get("session") == API_KEY
    if kind == "basic":
        expected = base64.b64encode(":".join(BASIC).encode()).decode()
        return header == f"Basic {expected}"
    if kind == "oauth":
        return header == f"Bearer {ISSUED}"
    return False


async def _token(request: web.Request) -> web.Response:
    form = await request.post()
    if (form.get("client_id"), form.get("client_secret")) != CLIENT:
        return _json({"error": "invalid_client"}, status=401)
    if form.get("grant_type") != "client_credentials":
        return _json({"error": "unsupported_grant_type"}, status=400)
    return _json({"access_token": ISSUED, "expires_in": 3600})


async def dispatch(request: web.Request, call: Call) -> web.StreamResponse:
    return await _route(request, call, call.path.strip("/").split("/"))


async def _route(request: web.Request, call: Call, parts: list[str]) -> web.StreamResponse:
    if parts[:2] == ["oauth", "token"]:
        return await _token(request)
    if parts[0] == "status":
        return _json({"error": f"status {parts[1]}", "detail": "as asked"}, status=int(parts[1]))
    if parts[0] == "redirect":  # a redirect on the API's own origin: credentials go along
        query = f"?{request.query_string}" if request.query_string else ""
        prefix = "/".join(request.path.split("/")[:4])  # /<side>/<case>/<round>
        raise web.HTTPFound(f"{prefix}/{'/'.join(parts[1:])}{query}")
    if parts[0] == "shape":
        return _json(SHAPES[parts[1]](POSTS))
    if parts[0] == "auth":
        if not _authorized(request, parts[1]):
            return _json({"error": "unauthorized"}, status=401)
        if parts[2:] in ([], ["posts"]):
            return page_in_style(request, "wrapped", POSTS)
        return await _route(request, call, parts[2:])
    style, what, rest = parts[0], parts[1] if len(parts) > 1 else "posts", parts[2:]
    if what == "posts" and not rest:
        return page_in_style(request, style, POSTS)
    if what == "tagged" and not rest:
        return page_in_style(request, style, TAGGED)
    if what == "posts" and len(rest) == 1:
        return _one(POSTS, rest[0])
    if what == "posts" and rest[1:] == ["comments"]:
        if not rest[0].isdigit() or int(rest[0]) not in COMMENTS:
            return _json({"error": "no such post"}, status=404)
        rows = _since(request, COMMENTS[int(rest[0])], "created_at")
        return page_in_style(request, style, rows)
    if what == "users" and len(rest) == 1:
        return _one(list(USERS.values()), rest[0])
    if what in ("events", "sparse") and rest == ["search"]:
        rows = events(call.round) if what == "events" else sparse(call.round)
        return _search(request, call, style, rows)
    if what == "events":
        return page_in_style(request, style, _since(request, events(call.round), "updated_at"))
    if what == "sparse":
        return page_in_style(request, style, _since(request, sparse(call.round), "updated_at"))
    if what == "search":
        return _search(request, call, style, POSTS)
    return _json({"error": f"nothing at {call.path}"}, status=404)


def _one(rows: list[dict[str, Any]], key: str) -> web.Response:
    found = [r for r in rows if str(r["id"]) == key]
    return _json(found[0]) if found else _json({"error": "not found"}, status=404)


def _search(request: web.Request, call: Call, style: str, found: list[Any]) -> web.Response:
    # the search is in the body (JSON, or form fields, which are text); paging may be in the query
    body = {**request.query, **(call.body if isinstance(call.body, dict) else {})}
    if found is not POSTS:
        found = _since(request, found, "updated_at", call.body)
    rows = [p for p in found if str(p.get("user_id")) == str(body.get("user_id", p.get("user_id")))]
    size = int(body.get("limit", PAGE_SIZE))
    if style == "body_page":
        number = int(body.get("page", 1))
        chunk = rows[(number - 1) * size : number * size]
        return _json({"data": chunk, "total_pages": (len(rows) + size - 1) // size})
    if style == "body_offset":
        offset = int(body.get("offset", 0))
        return _json({"data": rows[offset : offset + size], "total": len(rows)})
    start = int(body.get("cursor") or 0)
    following = str(start + size) if start + size < len(rows) else None
    return _json({"data": rows[start : start + size], "next_cursor": following})


# --- the server ---------------------------------------------------------------------------


class FakeApi:
    """The fake API on 127.0.0.1, on its own loop and thread, logging every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._server = RoutedServer()
        # straight on the router: the server's own route() would also keep every request
        self._server.app.router.add_route("*", "/{side}/{case}/{round}/{tail:.*}", self._handle)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def url(self, side: str, case: str, round_: str = "r1") -> str:
        return f"{self.base_url}/{side}/{case}/{round_}/"

    def forget(self, side: str, cases: set[str]) -> None:
        """Drop the calls of a side's cases (before they are run again)."""
        with self._lock:
            self.calls = [c for c in self.calls if not (c.side == side and c.case in cases)]

    def calls_of(self, side: str, case: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.side == side and c.case == case]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if request.content_type == "application/x-www-form-urlencoded":
            body: Any = dict(sorted((await request.post()).items()))
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        info = request.match_info
        call = Call(
            side=info["side"],
            case=info["case"],
            round=info["round"],
            method=request.method,
            path="/" + info["tail"],
            query=tuple(sorted(request.query.items())),
            body=body,
            headers=dict(request.headers),
        )
        with self._lock:
            self.calls.append(call)
        return await dispatch(request, call)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
