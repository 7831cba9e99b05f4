"""Parity: dlt paginator and auth objects restsync cannot read into a dict, run by their own code.

Subclasses of dlt's classes (as dlt's own tests and users write them: a JSON-body cursor, a fixed
``links_next_key``, an OAuth2 subclass with a given token) and classes registered under a type
name with dlt's ``register_paginator`` / ``register_auth``. Each config builds fresh objects.
"""

from __future__ import annotations

from typing import Any

import pytest
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, OAuth2AuthBase
from dlt.sources.helpers.rest_client.paginators import (
    BasePaginator,
    BaseReferencePaginator,
    HeaderLinkPaginator,
    PageNumberPaginator,
)
from dlt.sources.rest_api import config_setup
from requests import Request, Response

from tests.parity.fake_api import API_KEY, TOKEN
from tests.parity.harness import Case, check


class JSONBodyCursor(BaseReferencePaginator):
    """Pages a POST search by a cursor sent in the JSON body (as in dlt's offline tests)."""

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        self._next_reference = response.json().get("next_cursor")

    def update_request(self, request: Request) -> None:
        if request.json is None:
            request.json = {}
        request.json["cursor"] = self._next_reference


class NextLinks(HeaderLinkPaginator):
    def __init__(self) -> None:
        super().__init__(links_next_key="next")


class SizedPages(PageNumberPaginator):
    """A page-number paginator that sets its page size on the first request itself."""

    def init_request(self, request: Request) -> None:
        request.params["per_page"] = 4


class CountedPages(BasePaginator):
    """Reads its own response header and stops after a page count it keeps."""

    def __init__(self, pages: int) -> None:
        super().__init__()
        self.pages = pages
        self.page = 1

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        self._has_next_page = self.page < self.pages and bool(data)

    def update_request(self, request: Request) -> None:
        self.page += 1
        request.params["page"] = self.page


@configspec
class GivenTokenAuth(OAuth2AuthBase):
    pass


@configspec
class UpperKeyAuth(APIKeyAuth):
    """Signs with a header whose name it chooses itself."""

    def __call__(self, request: Any) -> Any:
        request.headers["X-API-Key"] = self.api_key
        return request


def _paged(path: str, paginator: Any, **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url},
            "resources": [
                {"name": "posts", "endpoint": {"path": path, "paginator": paginator(), **endpoint}}
            ],
        }

    return config


def _secured(kind: str, auth: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url, "auth": auth()},
            "resources": [
                {
                    "name": "posts",
                    "endpoint": {"path": f"auth/{kind}/posts", "paginator": "single_page"},
                }
            ],
        }

    return config


def _children(base_url: str) -> dict[str, Any]:
    """One paginator object for a child resource: every parent's chain pages on its own copy."""
    return {
        "client": {"base_url": base_url},
        "resources": [
            {"name": "posts", "endpoint": {"path": "wrapped/posts", "paginator": "single_page"}},
            {
                "name": "comments",
                "endpoint": {
                    "path": "link/posts/{resources.posts.id}/comments",
                    "paginator": NextLinks(),
                    "params": {"per_page": 2},
                },
            },
        ],
    }


# registered at import: the session's one parity run builds every case's source, whichever
# module's test comes first (the names are unique to this module)
config_setup.register_paginator("json_body_cursor", JSONBodyCursor)
config_setup.register_auth("given_token", GivenTokenAuth)


def _registered_types(base_url: str) -> dict[str, Any]:
    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "given_token", "access_token": TOKEN},
        },
        "resources": [
            {
                "name": "posts",
                "endpoint": {
                    "path": "auth/bearer/posts",
                    "paginator": "single_page",
                },
            },
            {
                "name": "found",
                "endpoint": {
                    "path": "cursor/search",
                    "method": "POST",
                    "json": {"user_id": 1, "limit": 3},
                    "paginator": {"type": "json_body_cursor"},
                },
            },
        ],
    }


POST = {"method": "POST", "json": {"user_id": 2, "limit": 2}}
CASES = [
    Case("json_body_cursor", _paged("cursor/search", JSONBodyCursor, **POST), requests=True),
    Case("header_link_subclass", _paged("link/posts", NextLinks), requests=True),
    Case(
        "overridden_init_request",
        _paged("page/posts", lambda: SizedPages(base_page=1, total_path="total_pages")),
        requests=True,
    ),
    Case("own_paginator", _paged("page/posts", lambda: CountedPages(3)), requests=True),
    Case("child_chains", _children, requests=True),
    Case("oauth2_subclass_token", _secured("bearer", lambda: GivenTokenAuth(access_token=TOKEN))),
    Case("api_key_subclass", _secured("api_key", lambda: UpperKeyAuth(api_key=API_KEY))),
    Case(
        "bearer_subclass_wrong",
        _secured("api_key", lambda: GivenTokenAuth(access_token=TOKEN)),
        fails=True,
    ),
    Case("registered_types", _registered_types, requests=True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_custom_objects(case: Case, parity) -> None:
    check(case, parity)
