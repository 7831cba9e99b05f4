"""Redirects are followed by the engine: method and body semantics, limits, cookies per origin,
and an OAuth2 token request that never follows a redirect with the client secret."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._engine._redirect import RedirectRefused, follow_redirect
from restsync._engine._request import Request
from tests.conftest import RoutedServer, count_rows

POST = Request("POST", "https://api.example.com/v1/search", (("q", "x"),), {}, {"page": 1})


@pytest.mark.parametrize(
    ("request_", "status", "location", "expected"),
    [
        # 303: every method but HEAD becomes a GET without a body
        (POST, 303, "/v1/result", ("GET", "https://api.example.com/v1/result", (), None)),
        (
            Request("HEAD", "https://api.example.com/a"),
            303,
            "/b",
            ("HEAD", "https://api.example.com/b", (), None),
        ),
        # 301 and 302: a POST becomes a GET; other methods are kept
        (POST, 301, "/v2/search", ("GET", "https://api.example.com/v2/search", (), None)),
        (POST, 302, "/v2/search", ("GET", "https://api.example.com/v2/search", (), None)),
        (
            Request("PUT", "https://api.example.com/a", (), {}, {"k": 1}),
            302,
            "/b",
            ("PUT", "https://api.example.com/b", (), {"k": 1}),
        ),
        # 307 and 308 keep method and body; the Location's query replaces the old one
        (
            POST,
            307,
            "https://other.example.com/s?q=y#frag",
            ("POST", "https://other.example.com/s", (("q", "y"),), {"page": 1}),
        ),
        (POST, 308, "search2", ("POST", "https://api.example.com/v1/search2", (), {"page": 1})),
        # credentials in the Location are dropped: a request carries only the config's
        (
            Request("GET", "https://api.example.com/a"),
            302,
            "https://intruder:pw@other.example.com/b?x=1",
            ("GET", "https://other.example.com/b", (("x", "1"),), None),
        ),
        # not a redirect to follow: no Location, or a status that is not a redirect
        (POST, 302, None, None),
        (POST, 304, "/x", None),
        (POST, 200, "/x", None),
    ],
)
def test_how_a_redirect_is_followed(
    request_: Request, status: int, location: str | None, expected: Any
) -> None:
    following = follow_redirect(request_, status, location)
    if expected is None:
        assert following is None
    else:
        assert following is not None
        assert (following.method, following.url, following.params, following.json) == expected


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://x/y", "http://"])
def test_a_redirect_off_http_is_refused(location: str) -> None:
    with pytest.raises(RedirectRefused, match="not http"):
        follow_redirect(POST, 302, location)


def _single(name: str, path: str, **endpoint: Any) -> dict[str, Any]:
    return {
        "name": name,
        "primary_key": "id",
        "endpoint": {"path": path, "paginator": "single_page", "data_selector": "data", **endpoint},
    }


def test_a_post_redirected_by_307_keeps_its_body(server: RoutedServer, make_pipeline) -> None:
    bodies: list[Any] = []

    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": "/v2/search"})

    async def search(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.json_response({"data": [{"id": 1}]})

    server.route("POST", "/v1/search", moved)
    server.route("POST", "/v2/search", search)
    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": [_single("hits", "/v1/search", method="POST", json={"term": "x"})],
    }
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert bodies == [{"term": "x"}]


def test_a_redirect_loop_fails_its_resource_alone(
    server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    async def loop(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/loop"})

    async def fine(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}]})

    server.route("GET", "/loop", loop)
    server.route("GET", "/fine", fine)
    server.start()
    config = {
        "client": {"base_url": server.base_url},
        "resources": [_single("looping", "/loop"), _single("fine", "/fine")],
    }
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    (failure,) = caught.value.failures
    assert failure.resource == "looping"
    assert "redirected more than 10 times" in str(failure)
    assert len([r for r in server.requests if r.path == "/loop"]) == 11  # the first + 10 hops
    assert count_rows(duckdb_path, "data", "fine") == 2


def test_cookies_the_api_sets_stay_with_its_origin(
    server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    # two ports on one host name: a host-scoped cookie jar would send the cookie to both
    elsewhere = RoutedServer()
    try:

        async def landing(request: web.Request) -> web.Response:
            return web.json_response({"data": [{"id": 3}]})

        elsewhere.route("GET", "/landing", landing)
        elsewhere.start()
        other = elsewhere.base_url.replace("127.0.0.1", "localhost")

        async def pages(request: web.Request) -> web.Response:
            number = int(request.query.get("page", "1"))
            next_url = f"/pages?page={number + 1}" if number == 1 else f"{other}/landing"
            response = web.json_response({"data": [{"id": number}], "next": next_url})
            if number == 1:
                response.set_cookie("api_session", "set-by-the-api")
            return response

        server.route("GET", "/pages", pages)
        server.start()
        home = server.base_url.replace("127.0.0.1", "localhost")
        config = {
            "client": {"base_url": home},
            "resources": [
                _single("pages", "/pages", paginator={"type": "json_link", "next_url_path": "next"})
            ],
        }
        restsync.sync(make_pipeline(), restsync.rest_api_source(config))
        assert count_rows(duckdb_path, "data", "pages") == 3
        second_page = server.requests[1]
        assert second_page.cookies.get("api_session") == "set-by-the-api"  # same origin: kept
        (landed,) = elsewhere.requests
        assert "Cookie" not in landed.headers  # another origin: never
    finally:
        elsewhere.stop()


def _token_request_source(base_url: str) -> Any:
    auth = {
        "type": "oauth2_client_credentials",
        "access_token_url": f"{base_url}/oauth/token",
        "client_id": "app",
        "client_secret": "client-secret-value",
    }
    config = {
        "client": {"base_url": base_url, "auth": auth},
        "resources": [_single("items", "/items"), _single("users", "/users")],
    }
    return restsync.rest_api_source(config)


def _session_login_source(base_url: str) -> Any:
    from tests.airbyte.test_session import MANIFEST

    config = {"base_url": base_url, "username": "u", "password": "login-password"}
    return restsync.airbyte_source(MANIFEST, config)


@pytest.mark.parametrize(
    ("source", "routes", "status", "failed", "message", "secret"),
    [
        (
            _token_request_source,
            [("POST", "/oauth/token")],
            307,
            ["items", "users"],
            "token endpoint redirected (HTTP 307)",
            "client-secret-value",
        ),
        (
            _session_login_source,
            [("POST", "/api/session"), ("GET", "/api/login")],
            302,
            ["members", "projects"],
            "login request redirected (HTTP 302)",
            "login-password",
        ),
    ],
    ids=["oauth2-token-request", "session-login"],
)
def test_a_credential_exchange_never_follows_a_redirect(
    server: RoutedServer,
    make_pipeline: Any,
    source: Any,
    routes: list[tuple[str, str]],
    status: int,
    failed: list[str],
    message: str,
    secret: str,
) -> None:
    """The token request (client secret) and a session login (password, key) answered with a
    redirect to another origin: that origin receives nothing, each resource that needed the
    credentials fails naming the redirect rather than blaming the credentials, no secret shown."""
    elsewhere = RoutedServer()

    async def anything(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "token": "t", "data": {"session": {}}})

    async def moved(request: web.Request) -> web.Response:
        target = f"{elsewhere.base_url}{request.path}"
        return web.Response(status=status, headers={"Location": target})

    try:
        for method, path in routes:
            elsewhere.route(method, path, anything)
            server.route(method, path, moved)
        elsewhere.start()
        server.start()
        with pytest.raises(restsync.SyncFailed) as caught:
            restsync.sync(make_pipeline(), source(server.base_url))
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()
    # reported against the resources that needed the credentials, not a pseudo-resource
    assert sorted(f.resource for f in caught.value.failures) == failed
    assert all(message in str(f) for f in caught.value.failures)
    assert secret not in str(caught.value)
