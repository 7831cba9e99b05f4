"""Parity: request bodies in ``data`` (form fields or a raw body) and ``json``, as requests sends
them for dlt; the server sees the same requests from both."""

from __future__ import annotations

from typing import Any

import pytest

from tests.parity.harness import Case, check, restsync_rejects_sooner

CURSOR = {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"}


def _search(paginator: Any = "single_page", **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        spec = {"path": "plain/search", "method": "POST", "paginator": paginator, **endpoint}
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": "found", "endpoint": spec, "primary_key": "id"}],
        }

    return config


def _child_search(base_url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url},
        "resources": [
            {"name": "post", "endpoint": {"path": "plain/posts/3", "paginator": "single_page"}},
            {
                "name": "by_author",
                "endpoint": {
                    "path": "plain/search",
                    "method": "POST",
                    "paginator": "single_page",
                    "data": {"user_id": "{resources.post.user_id}", "limit": 50},
                },
                "include_from_parent": ["id"],
            },
        ],
    }


CASES = [
    Case("form_fields", _search(data={"user_id": 2, "limit": 50}), requests=True),
    Case("form_fields_paged", _search(CURSOR, data={"user_id": 1, "limit": 2}), requests=True),
    Case("form_pairs", _search(data=[("user_id", "3"), ("limit", "50")]), requests=True),
    Case("form_none_dropped", _search(data={"user_id": 2, "limit": None}), requests=True),
    Case("form_true_as_text", _search(data={"user_id": 2, "flag": True}), requests=True),
    Case("form_from_parent", _child_search, requests=True),
    Case("raw_body", _search(data='{"user_id": 3, "limit": 50}'), requests=True),
    Case("raw_body_braces", _search(data='{{"user_id": 1}}'), requests=True),
    Case("empty_form_json_wins", _search(data={}, json={"user_id": 2}), requests=True),
    Case("json_body", _search(json={"user_id": 2, "limit": 50}), requests=True),
    Case(
        "json_and_form",
        _search(data={"user_id": 2}, json={"user_id": 3}),
        differs="json and data together",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bodies(case: Case, parity) -> None:
    check(case, parity, restsync_rejects_sooner if case.differs else None)
