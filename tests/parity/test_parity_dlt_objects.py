"""Parity: dlt's paginator and auth class instances in the config, as dlt users write them.

Each config builds fresh objects (dlt's paginators keep state while they page), for either side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    BearerTokenAuth,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)
from dlt.sources.helpers.rest_client.paginators import (
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    SinglePagePaginator,
)

from tests.parity.fake_api import API_KEY, BASIC, CLIENT, TOKEN
from tests.parity.harness import Case, check


def _paged(path: str, paginator: Callable[[], Any], *, on_client: bool = False) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        client: dict[str, Any] = {"base_url": base_url}
        endpoint: dict[str, Any] = {"path": path}
        (client if on_client else endpoint)["paginator"] = paginator()
        return {"client": client, "resources": [{"name": "posts", "endpoint": endpoint}]}

    return config


def _secured(kind: str, auth: Callable[[str], Any], *, on_endpoint: bool = False) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        client: dict[str, Any] = {"base_url": base_url}
        endpoint: dict[str, Any] = {"path": f"auth/{kind}/posts", "paginator": "single_page"}
        (endpoint if on_endpoint else client)["auth"] = auth(base_url)
        return {"client": client, "resources": [{"name": "posts", "endpoint": endpoint}]}

    return config


def _oauth(base_url: str) -> Any:
    return OAuth2ClientCredentials(
        access_token_url=base_url + "oauth/token", client_id=CLIENT[0], client_secret=CLIENT[1]
    )


CASES = [
    # paginators
    Case("single_page", _paged("next_url/posts", SinglePagePaginator), requests=True),
    Case("header_link", _paged("link/posts", HeaderLinkPaginator), requests=True),
    Case("json_link", _paged("next_url/posts", JSONLinkPaginator), requests=True),
    Case(
        "json_link_nested",
        _paged("links_next/posts", lambda: JSONLinkPaginator(next_url_path="links.next")),
        requests=True,
    ),
    Case(
        "json_link_on_client",
        _paged("next_page/posts", lambda: JSONLinkPaginator("next_page"), on_client=True),
        requests=True,
    ),
    Case(
        "cursor",
        _paged(
            "cursor/posts",
            lambda: JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor"),
        ),
        requests=True,
    ),
    Case(
        "cursor_has_more",
        _paged(
            "cursor_done/posts",
            lambda: JSONResponseCursorPaginator(cursor_path="cursor", has_more_path="done"),
        ),
        requests=True,
    ),
    Case(
        "header_cursor",
        _paged("header_cursor/posts", lambda: HeaderCursorPaginator(cursor_key="X-Next")),
        requests=True,
    ),
    Case("offset", _paged("offset/posts", lambda: OffsetPaginator(limit=5)), requests=True),
    Case(
        "offset_start_and_total",
        _paged("offset/posts", lambda: OffsetPaginator(limit=4, offset=6, total_path="total")),
        requests=True,
    ),
    Case(
        "offset_no_total_maximum",
        _paged(
            "offset_nototal/posts",
            lambda: OffsetPaginator(limit=5, total_path=None, maximum_offset=10),
        ),
        requests=True,
    ),
    Case(
        "offset_has_more",
        _paged(
            "offset_more/posts",
            lambda: OffsetPaginator(limit=5, total_path=None, has_more_path="has_more"),
        ),
        # no requests compared: without a total restsync may fetch ahead past the end
        # (docs/dlt-differences.md, "requests the API sees")
    ),
    Case(
        "page_number",
        _paged("page/posts", lambda: PageNumberPaginator(base_page=1, total_path="total_pages")),
        requests=True,
    ),
    Case(
        "page_number_default_total",
        _paged("page_total/posts", lambda: PageNumberPaginator(base_page=1)),
        requests=True,
    ),
    Case(
        "page_number_maximum",
        _paged(
            "page/posts",
            lambda: PageNumberPaginator(base_page=1, total_path=None, maximum_page=3),
        ),
        requests=True,
    ),
    Case(
        "page_number_first_page",
        _paged(
            "page/posts",
            lambda: PageNumberPaginator(base_page=1, page=3, total_path="total_pages"),
        ),
        requests=True,
    ),
    # auth
    Case("bearer", _secured("bearer", lambda _: BearerTokenAuth(TOKEN))),
    Case(
        "bearer_on_endpoint",
        _secured("bearer", lambda _: BearerTokenAuth(token=TOKEN), on_endpoint=True),
    ),
    Case(
        "api_key_header",
        _secured("api_key", lambda _: APIKeyAuth(name="X-API-Key", api_key=API_KEY)),
    ),
    Case(
        "api_key_query",
        _secured(
            "api_key_query",
            lambda _: APIKeyAuth(name="api_key", api_key=API_KEY, location="query"),
        ),
        requests=True,
    ),
    Case("http_basic", _secured("basic", lambda _: HttpBasicAuth(*BASIC))),
    Case("oauth2_client_credentials", _secured("oauth", _oauth), requests=True),
    Case("wrong_token", _secured("bearer", lambda _: BearerTokenAuth("no")), fails=True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_dlt_objects(case: Case, parity) -> None:
    check(case, parity)
