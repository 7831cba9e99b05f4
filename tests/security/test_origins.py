"""Credentials never reach another origin: every auth kind x every way to reach a second origin.

Two real servers on 127.0.0.1 with different ports are two origins. The API (``home``) sends the
engine to the other one (``elsewhere``) by a 302 and a 307 redirect, a JSON next link, a cursor
that is a URL, a ``Link`` header and an absolute endpoint path. ``elsewhere`` records everything
it receives; no credential may be in it (no auth header, query parameter or cookie, no configured
header outside the allow-list, no cookie the API set), while the API itself got them all.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import APIKeyAuth

import restsync
from tests.conftest import RoutedServer, count_rows

CLIENT_HEADER = "client-header-secret"
ENDPOINT_HEADER = "endpoint-header-secret"
API_SET_COOKIE = "api-set-cookie-secret"
TOKEN = "oauth-access-token"
CLIENT_SECRET = "oauth-client-secret"

AUTHS: dict[str, dict[str, Any]] = {
    "api_key_header": {"type": "api_key", "name": "X-Api-Key", "api_key": "key-in-header"},
    "api_key_query": {
        "type": "api_key",
        "name": "api_key",
        "api_key": "key-in-query",
        "location": "query",
    },
    "api_key_cookie": {
        "type": "api_key",
        "name": "sid",
        "api_key": "key-in-cookie",
        "location": "cookie",
    },
    "bearer": {"type": "bearer", "token": "bearer-token"},
    "http_basic": {"type": "http_basic", "username": "user", "password": "basic-password"},
    "oauth2": {
        "type": "oauth2_client_credentials",
        "client_id": "client-id",
        "client_secret": CLIENT_SECRET,
    },
    # a dlt auth subclass: its own __call__ signs (replaced by the object in _config)
    "dlt_object": {"type": "dlt_object"},
}
BASIC = base64.b64encode(b"user:basic-password").decode()
SECRETS = [
    "key-in-header",
    "key-in-query",
    "key-in-cookie",
    "bearer-token",
    "basic-password",
    BASIC,
    TOKEN,
    CLIENT_SECRET,
    "dlt-object-secret",
    CLIENT_HEADER,
    ENDPOINT_HEADER,
    API_SET_COOKIE,
]
WAYS = ["redirect_302", "redirect_307", "json_link", "cursor_url", "link_header", "absolute_path"]


def _seen(request: web.Request) -> str:
    """Everything a server learns from a request, as one searchable text."""
    headers = "\n".join(f"{k}: {v}" for k, v in request.headers.items())
    return f"{request.method} {request.path_qs}\n{headers}"


def _serve_home(home: RoutedServer, elsewhere_url: str) -> None:
    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": TOKEN, "expires_in": 3600})

    async def page(request: web.Request) -> web.Response:
        way = request.match_info["way"]
        target = f"{elsewhere_url}/landing/{way}"
        if way.startswith("redirect_"):
            response = web.Response(status=int(way[-3:]), headers={"Location": target})
        else:
            body: dict[str, Any] = {"data": [{"id": f"{way}-home"}]}
            body.update(
                {"json_link": {"next": target}, "cursor_url": {"cursor": target}}.get(way, {})
            )
            headers = {"Link": f'<{target}>; rel="next"'} if way == "link_header" else {}
            response = web.json_response(body, headers=headers)
        response.set_cookie("api_session", API_SET_COOKIE)
        return response

    home.route("POST", "/oauth/token", token)
    home.route("GET", "/start/{way}", page)
    home.start()


def _serve_elsewhere(elsewhere: RoutedServer) -> None:
    async def landing(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": f"{request.match_info['way']}-elsewhere"}]})

    elsewhere.route("GET", "/landing/{way}", landing)
    elsewhere.start()


@configspec
class _SigningAuth(APIKeyAuth):
    """A user's auth class: signs with a header and a query parameter of its own choosing."""

    def __call__(self, request: Any) -> Any:
        request.headers["X-Signature"] = self.api_key
        request.prepare_url(request.url, {"sig": self.api_key})
        return request


def _config(home_url: str, elsewhere_url: str, auth: dict[str, Any]) -> dict[str, Any]:
    if auth["type"] == "oauth2_client_credentials":
        auth = {**auth, "access_token_url": f"{home_url}/oauth/token"}
    if auth["type"] == "dlt_object":
        auth = _SigningAuth(api_key="dlt-object-secret")
    paginators = {
        "json_link": {"type": "json_link", "next_url_path": "next"},
        # a cursor that is a URL is followed in the seeds' dialect (``limit`` set); dlt's plain
        # cursor sends it as the ``after`` param to the API's own origin instead
        "cursor_url": {
            "type": "cursor",
            "cursor_path": "cursor",
            "cursor_param": "after",
            "limit": 10,
        },
        "link_header": {"type": "header_link"},
    }

    def resource(way: str) -> dict[str, Any]:
        path = f"{elsewhere_url}/landing/{way}" if way == "absolute_path" else f"/start/{way}"
        endpoint = {
            "path": path,
            "data_selector": "data",
            "headers": {"X-Endpoint-Token": ENDPOINT_HEADER},
            "paginator": paginators.get(way, {"type": "single_page"}),
        }
        return {"name": way, "endpoint": endpoint}

    return {
        "client": {
            "base_url": home_url,
            "auth": auth,
            # Accept-Language is on the allow-list: it must reach the other origin unchanged
            "headers": {"X-Client-Secret": CLIENT_HEADER, "Accept-Language": "fr"},
        },
        "resource_defaults": {"primary_key": "id"},
        "resources": [resource(way) for way in WAYS],
    }


def _credential_sent(kind: str, request: web.Request) -> bool:
    checks = {
        "api_key_header": lambda: request.headers.get("X-Api-Key") == "key-in-header",
        "api_key_query": lambda: request.query.get("api_key") == "key-in-query",
        "api_key_cookie": lambda: request.cookies.get("sid") == "key-in-cookie",
        "bearer": lambda: request.headers.get("Authorization") == "Bearer bearer-token",
        "http_basic": lambda: request.headers.get("Authorization") == f"Basic {BASIC}",
        "oauth2": lambda: request.headers.get("Authorization") == f"Bearer {TOKEN}",
        "dlt_object": lambda: (
            request.headers.get("X-Signature") == "dlt-object-secret"
            and request.query.get("sig") == "dlt-object-secret"
        ),
    }
    return checks[kind]() and request.headers.get("X-Client-Secret") == CLIENT_HEADER


@pytest.fixture
def elsewhere() -> Any:
    routed = RoutedServer()
    yield routed
    routed.stop()


@pytest.mark.parametrize("kind", list(AUTHS))
def test_no_credential_reaches_another_origin(
    kind: str, server: RoutedServer, elsewhere: RoutedServer, make_pipeline, duckdb_path
) -> None:
    _serve_elsewhere(elsewhere)
    _serve_home(server, elsewhere.base_url)
    config = _config(server.base_url, elsewhere.base_url, AUTHS[kind])

    restsync.sync(make_pipeline(), restsync.rest_api_source(config))

    received = {r.match_info["way"]: r for r in elsewhere.requests}
    assert sorted(received) == sorted(WAYS)  # every way did reach the other origin, once
    leaks = {way: [s for s in SECRETS if s in _seen(request)] for way, request in received.items()}
    assert leaks == dict.fromkeys(WAYS, [])
    assert all("Authorization" not in r.headers and not r.cookies for r in received.values())
    assert all(r.headers.get("Accept-Language") == "fr" for r in received.values())
    # ...while the API's own origin got the credential and every configured header
    api_pages = [r for r in server.requests if r.path.startswith("/start/")]
    assert len(api_pages) == len(WAYS) - 1
    assert all(_credential_sent(kind, r) for r in api_pages)
    assert all(r.headers.get("X-Endpoint-Token") == ENDPOINT_HEADER for r in api_pages)
    for way in WAYS:  # and the records from both origins were loaded
        expected = 1 if way.startswith("redirect_") or way == "absolute_path" else 2
        assert count_rows(duckdb_path, "data", way) == expected, way
