"""Parity: every paginator, given explicitly, as a string, on the client, or detected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.parity.harness import Case, check, dlt_fails_restsync_loads


def _posts(path: str, paginator: Any = None, **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"path": path, **endpoint}
        if paginator is not None:
            spec["paginator"] = paginator
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": "posts", "endpoint": spec}],
        }

    return config


def _client_paginator(path: str, paginator: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url, "paginator": paginator},
            "resources": [{"name": "posts", "endpoint": {"path": path}}],
        }

    return config


def _search(paginator: dict[str, Any]) -> Any:
    return _posts("body_page/search", paginator, method="POST", json={"user_id": 2, "limit": 2})


NUMBERED = {"type": "page_number", "base_page": 1}
CASES = [
    # header links
    Case("link_header", _posts("link/posts", {"type": "header_link"}), requests=True),
    Case("link_header_string", _posts("link/posts", "header_link"), requests=True),
    Case("link_header_auto", _posts("link/posts"), requests=True),
    Case("link_header_page_size", _posts("link/posts", params={"per_page": 4}), requests=True),
    # next-page URLs in the body
    Case("json_link", _posts("next_url/posts", {"type": "json_link", "next_url_path": "next"})),
    Case("json_link_string", _posts("next_url/posts", "json_link"), requests=True),
    Case("json_response_alias", _posts("next_url/posts", {"type": "json_response"})),
    Case("json_link_auto", _posts("next_url/posts"), requests=True),
    Case("json_link_next_page_auto", _posts("next_page/posts"), requests=True),
    Case(
        "json_link_next_page",
        _posts("next_page/posts", {"type": "json_link", "next_url_path": "next_page"}),
    ),
    Case("json_link_links_next_auto", _posts("links_next/posts"), requests=True),
    Case(
        "json_link_links_next",
        _posts("links_next/posts", {"type": "json_link", "next_url_path": "links.next"}),
    ),
    Case("json_link_href_auto", _posts("next_href/posts"), requests=True),
    Case(
        "json_link_href",
        _posts("next_href/posts", {"type": "json_link", "next_url_path": "_links.next.href"}),
    ),
    Case("json_link_relative_auto", _posts("relative_next/posts"), requests=True),
    Case(
        "json_link_followed_as_given",
        _posts("relative_next/posts", "json_link", params={"per_page": 4}),
        requests=True,
    ),
    Case(
        "json_link_absolute_keeps_params",
        _posts("next_url/posts", "json_link", params={"per_page": 3}),
        requests=True,
    ),
    # cursors
    Case(
        "cursor",
        _posts("cursor/posts", {"type": "cursor", "cursor_path": "next_cursor"}),
        requests=True,
    ),
    Case(
        "cursor_param",
        _posts(
            "cursor/posts",
            {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
            params={"limit": 4},
        ),
        requests=True,
    ),
    Case("cursor_auto", _posts("cursor/posts"), requests=True),
    Case("cursor_nested_auto", _posts("cursor_meta/posts"), requests=True),
    Case(
        "cursor_nested", _posts("cursor_meta/posts", {"type": "cursor", "cursor_path": "meta.next"})
    ),
    Case(
        "cursor_empty_string_stops",
        _posts("cursor_done/posts", {"type": "cursor", "cursor_path": "cursor"}),
        requests=True,
    ),
    Case(
        "cursor_has_more",
        _posts(
            "cursor_done/posts",
            {"type": "cursor", "cursor_path": "cursor", "has_more_path": "done"},
        ),
    ),
    Case("cursor_string_defaults", _posts("cursor/posts", "cursor")),
    Case(
        "header_cursor",
        _posts("header_cursor/posts", {"type": "header_cursor", "cursor_key": "X-Next"}),
        requests=True,
    ),
    # offsets
    Case("offset", _posts("offset/posts", {"type": "offset", "limit": 5, "total_path": "total"})),
    Case("offset_default_total", _posts("offset/posts", {"type": "offset", "limit": 5})),
    Case("offset_limit_7", _posts("offset/posts", {"type": "offset", "limit": 7}), requests=True),
    Case(
        "offset_start",
        _posts("offset/posts", {"type": "offset", "limit": 4, "offset": 6}),
        requests=True,
    ),
    Case(
        "offset_no_total_empty_page",
        _posts("offset_nototal/posts", {"type": "offset", "limit": 5, "total_path": None}),
    ),
    Case(
        "offset_has_more",
        _posts(
            "offset_more/posts",
            {"type": "offset", "limit": 5, "total_path": None, "has_more_path": "has_more"},
        ),
    ),
    Case(
        "offset_maximum",
        _posts(
            "offset_nototal/posts",
            {"type": "offset", "limit": 5, "total_path": None, "maximum_offset": 10},
        ),
        requests=True,
    ),
    Case(
        "offset_custom_params",
        _posts(
            "offset/posts",
            {"type": "offset", "limit": 5, "offset_param": "offset", "limit_param": "limit"},
        ),
    ),
    # page numbers
    Case(
        "page_number",
        _posts("page/posts", {**NUMBERED, "total_path": "total_pages"}),
        requests=True,
    ),
    Case("page_number_default_total", _posts("page_total/posts", NUMBERED), requests=True),
    Case("page_number_auto", _posts("page/posts"), requests=True),
    Case(
        "page_number_maximum_is_exclusive",
        _posts("page/posts", {**NUMBERED, "total_path": None, "maximum_page": 3}),
        requests=True,
    ),
    Case(
        "page_number_has_more",
        _posts("page_more/posts", {**NUMBERED, "total_path": None, "has_more_path": "has_more"}),
    ),
    Case(
        "page_number_first_page",
        _posts("page/posts", {**NUMBERED, "page": 3, "total_path": "total_pages"}),
        requests=True,
    ),
    Case(
        "page_number_page_size",
        _posts("page/posts", {**NUMBERED, "total_path": "total_pages"}, params={"per_page": 6}),
        requests=True,
    ),
    # a single page, and paginators set once for the whole client
    Case("single_page", _posts("next_url/posts", {"type": "single_page"}), requests=True),
    Case("single_page_string", _posts("link/posts", "single_page"), requests=True),
    Case("auto_explicit", _posts("next_url/posts", {"type": "auto"}), requests=True),
    Case("auto_string", _posts("link/posts", "auto"), requests=True),
    Case("plain_list_auto", _posts("plain/posts"), requests=True),
    Case("wrapped_list_auto", _posts("wrapped/posts"), requests=True),
    Case("client_paginator", _client_paginator("next_url/posts", "json_link")),
    Case(
        "client_paginator_overridden",
        _client_paginator("link/posts", {"type": "json_link"}),
    ),
    # paging through a JSON body
    Case(
        "body_page_number",
        _search({**NUMBERED, "page_body_path": "page", "total_path": "total_pages"}),
        requests=True,
    ),
    Case(
        "body_offset",
        _posts(
            "body_offset/search",
            {
                "type": "offset",
                "limit": 2,
                "offset_body_path": "offset",
                "limit_body_path": "limit",
            },
            method="POST",
            json={"user_id": 3},
        ),
        requests=True,
    ),
    Case(
        "body_cursor",
        _posts(
            "body_cursor/search",
            {"type": "cursor", "cursor_path": "next_cursor", "cursor_body_path": "cursor"},
            method="POST",
            json={"user_id": 1, "limit": 2},
        ),
        requests=True,
    ),
    # documented differences
    Case(
        "offset_without_total",
        _posts("offset_nototal/posts", {"type": "offset", "limit": 5}),
        fails=True,
        differs="offset paging without a total",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_pagination(case: Case, parity) -> None:
    check(case, parity, dlt_fails_restsync_loads)
