"""Credentials per declared origin: an Airbyte manifest whose streams live on two hosts.

Two real servers on 127.0.0.1 with different ports are two origins, ``a`` and ``b``. Each stream
declares its own (``url_base``, or a whole ``url``) and its own authenticator. Each stream's
credentials reach its own host and no other: not the other stream's host, not even when its own
host redirects there or hands out a next link to it (``b`` is a declared origin, but of another
stream). A stream that declares no authenticator of its own, on ``b``, gets none of the
source-wide auth either (before: all of ``b``'s streams got no credentials and failed with 401).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer, count_rows

KEY_A = "key-of-host-a"
TOKEN_B = "token-of-host-b"
HEADER_A = "tenant-secret-a"


def _stream(name: str, requester: dict[str, Any], paginator: dict[str, Any] | None = None) -> Any:
    get = build.requester(http_method="GET", **requester)
    return build.stream(name, get, ["data"], primary_key=["id"], paginator=paginator)


AUTH_A = {
    "type": "ApiKeyAuthenticator",
    "api_token": "{{ config['key_a'] }}",
    "inject_into": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Key"},
}
AUTH_B = {"type": "BearerAuthenticator", "api_token": "{{ config['token_b'] }}"}
ON_A = {
    "url_base": "{{ config['a'] }}",
    "authenticator": AUTH_A,
    "request_headers": {"X-Tenant": HEADER_A},
}
NEXT_LINK = build.paginator(
    {
        "type": "CursorPagination",
        "cursor_value": "{{ response.get('next') }}",
        "stop_condition": "{{ not response.get('next') }}",
    },
    {"type": "RequestPath"},
)
MANIFEST = build.manifest(
    _stream("alpha", {**ON_A, "path": "/alpha"}),
    _stream("redirected", {**ON_A, "path": "/redirect"}),
    _stream("linked", {**ON_A, "path": "/linked"}, NEXT_LINK),
    _stream("beta", {"url_base": "{{ config['b'] }}", "path": "/beta", "authenticator": AUTH_B}),
    _stream("gamma", {"url": "{{ config['b'] }}/gamma", "authenticator": AUTH_B}),
    _stream("open", {"url_base": "{{ config['b'] }}", "path": "/open"}),
)


def _seen(request: web.Request) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in request.headers.items())
    return f"{request.method} {request.path_qs}\n{headers}"


def _rows(name: str) -> web.Response:
    return web.json_response({"data": [{"id": f"{name}-1"}, {"id": f"{name}-2"}]})


def _serve(a: RoutedServer, b: RoutedServer) -> None:
    def wants(request: web.Request, name: str, value: str) -> None:
        if request.headers.get(name) != value:
            raise web.HTTPUnauthorized()

    async def alpha(request: web.Request) -> web.Response:
        wants(request, "X-Key", KEY_A)
        wants(request, "X-Tenant", HEADER_A)
        return _rows("alpha")

    async def redirect(request: web.Request) -> web.Response:
        wants(request, "X-Key", KEY_A)
        raise web.HTTPFound(f"{b.base_url}/landing/redirected")

    async def linked(request: web.Request) -> web.Response:
        wants(request, "X-Key", KEY_A)
        return web.json_response(
            {"data": [{"id": "linked-a"}], "next": f"{b.base_url}/landing/linked"}
        )

    async def beta(request: web.Request) -> web.Response:
        wants(request, "Authorization", f"Bearer {TOKEN_B}")
        return _rows(request.path.strip("/"))

    async def landing(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": request.match_info["way"] + "-b"}]})

    async def open_(request: web.Request) -> web.Response:
        return _rows("open")

    a.route("GET", "/alpha", alpha)
    a.route("GET", "/redirect", redirect)
    a.route("GET", "/linked", linked)
    a.route("GET", "/open", open_)
    b.route("GET", "/beta", beta)
    b.route("GET", "/gamma", beta)
    b.route("GET", "/landing/{way}", landing)
    b.route("GET", "/open", open_)
    a.start()
    b.start()


@pytest.fixture
def hosts() -> Any:
    a, b = RoutedServer(), RoutedServer()
    _serve(a, b)
    yield a, b
    a.stop()
    b.stop()


def test_each_stream_sends_its_credentials_to_its_own_host_only(
    hosts: tuple[RoutedServer, RoutedServer], make_pipeline: Any, duckdb_path: Path
) -> None:
    a, b = hosts
    config = {"a": a.base_url, "b": b.base_url, "key_a": KEY_A, "token_b": TOKEN_B}
    restsync.sync(make_pipeline(), restsync.airbyte_source(MANIFEST, config))

    loaded = {
        name: count_rows(duckdb_path, "data", name)
        for name in ("alpha", "redirected", "linked", "beta", "gamma", "open")
    }
    assert loaded == {"alpha": 2, "redirected": 1, "linked": 2, "beta": 2, "gamma": 2, "open": 2}

    seen_by_b = {r.path: _seen(r) for r in b.requests}
    assert set(seen_by_b) == {"/beta", "/gamma", "/landing/redirected", "/landing/linked", "/open"}
    assert f"Bearer {TOKEN_B}" in seen_by_b["/beta"]
    assert f"Bearer {TOKEN_B}" in seen_by_b["/gamma"]
    for path, seen in seen_by_b.items():
        assert KEY_A not in seen and HEADER_A not in seen, path
    # a redirect or a next link from a's streams lands on b's origin: b is declared, but by
    # other streams, so neither a's credentials nor b's go along; nor does a stream without
    # an authenticator get the source's (the first stream's)
    for path in ("/landing/redirected", "/landing/linked", "/open"):
        assert TOKEN_B not in seen_by_b[path] and "X-Key" not in seen_by_b[path], path
        assert "Authorization" not in seen_by_b[path], path

    for request in a.requests:
        seen = _seen(request)
        assert TOKEN_B not in seen
        assert f"X-Key: {KEY_A}" in seen and f"X-Tenant: {HEADER_A}" in seen


def test_a_stream_without_an_authenticator_gets_no_other_streams_credentials(
    hosts: tuple[RoutedServer, RoutedServer], make_pipeline: Any, duckdb_path: Path
) -> None:
    """The first stream, on ``a``, declares no authenticator; the first that does is on ``b``.
    As in airbyte-cdk, a stream without an authenticator sends none: neither ``b``'s token to
    ``a`` (another origin's credential) nor a sibling's credential on its own host."""
    a, b = hosts
    manifest = {
        **MANIFEST,
        "streams": [
            _stream("open_a", {"url_base": "{{ config['a'] }}", "path": "/open"}),
            _stream(
                "beta", {"url_base": "{{ config['b'] }}", "path": "/beta", "authenticator": AUTH_B}
            ),
            _stream("open", {"url_base": "{{ config['b'] }}", "path": "/open"}),
        ],
    }
    config = {"a": a.base_url, "b": b.base_url, "key_a": KEY_A, "token_b": TOKEN_B}
    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, config))

    loaded = {name: count_rows(duckdb_path, "data", name) for name in ("open_a", "beta", "open")}
    assert loaded == {"open_a": 2, "beta": 2, "open": 2}
    opened = [_seen(r) for r in [*a.requests, *b.requests] if r.path == "/open"]
    assert len(opened) == 2
    for seen in opened:
        assert TOKEN_B not in seen and "Authorization" not in seen, seen
