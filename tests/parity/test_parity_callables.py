"""Parity: functions where dlt takes them in a config: ``table_name`` as a function of the
record."""

from __future__ import annotations

from typing import Any

import pytest

from tests.parity.harness import Case, check


def _by_user(item: Any) -> str:
    return f"posts_of_user_{item['user_id']}"


def _tabled(path: str, table_name: Any, **resource: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url},
            "resources": [
                {"name": "posts", "table_name": table_name, "endpoint": path, **resource}
            ],
        }

    return config


def _tabled_defaults(base_url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url},
        "resource_defaults": {"table_name": lambda item: "with_kind" if "kind" in item else "rest"},
        "resources": [
            {"name": "posts", "endpoint": {"path": "plain/posts", "paginator": "single_page"}},
            {"name": "events", "endpoint": {"path": "plain/events", "paginator": "single_page"}},
        ],
    }


def _tabled_child(base_url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url},
        "resources": [
            {"name": "posts", "endpoint": {"path": "plain/posts", "paginator": "single_page"}},
            {
                "name": "comments",
                "endpoint": "plain/posts/{resources.posts.id}/comments",
                "include_from_parent": ["title"],
                # the parent's field is in the record when the table name is computed
                "table_name": lambda item: f"comments_{item['_posts_title'][-1]}",
            },
        ],
    }


CASES = [
    Case("table_name_by_record", _tabled("plain/posts", _by_user)),
    Case("table_name_paged", _tabled("link/posts", _by_user), requests=True),
    Case(
        "table_name_merge",
        _tabled("page/posts", _by_user, primary_key="id", write_disposition="merge"),
    ),
    Case("table_name_in_defaults", _tabled_defaults),
    Case("table_name_on_child", _tabled_child),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_callables(case: Case, parity) -> None:
    check(case, parity)
