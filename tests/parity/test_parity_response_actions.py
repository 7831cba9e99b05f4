"""Parity: HTTP errors, and response_actions that ignore some of them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.parity.harness import Case, check


def _one(path: str, actions: Any = None, **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"path": path, "paginator": "single_page", **endpoint}
        if actions is not None:
            spec["response_actions"] = actions
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": "things", "endpoint": spec}],
        }

    return config


def _with_child(child_path: str, actions: Any = None) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        child: dict[str, Any] = {"path": child_path}
        if actions is not None:
            child["response_actions"] = actions
        return {
            "client": {"base_url": base_url},
            "resources": [
                {"name": "posts", "endpoint": {"path": "plain/posts", "paginator": "single_page"}},
                {"name": "post_users", "endpoint": child},
            ],
        }

    return config


IGNORE_404 = [{"status_code": 404, "action": "ignore"}]
CASES = [
    Case("ignore_404", _one("status/404", IGNORE_404)),
    Case("ignore_by_content", _one("status/422", [{"content": "as asked", "action": "ignore"}])),
    Case(
        "ignore_by_status_and_content",
        _one("status/422", [{"status_code": 422, "content": "as asked", "action": "ignore"}]),
    ),
    Case(
        "ignore_a_success",
        _one("wrapped/posts", [{"status_code": 200, "content": "Post 3", "action": "ignore"}]),
    ),
    Case(
        "not_matching_action",
        _one("wrapped/posts", [{"status_code": 404, "action": "ignore"}]),
    ),
    Case(
        "child_404s_ignored",
        _with_child("plain/users/{resources.posts.id}", IGNORE_404),
        requests=True,
    ),
    Case("unhandled_404", _one("status/404"), fails=True),
    Case("unhandled_422", _one("status/422"), fails=True),
    Case("unhandled_401", _one("auth/bearer/posts"), fails=True),
    Case(
        "other_status_not_ignored",
        _one("status/418", IGNORE_404),
        fails=True,
    ),
    Case("child_404_fails", _with_child("plain/users/{resources.posts.id}"), fails=True),
    Case("unknown_parent_field", _with_child("plain/users/{resources.posts.nope}"), fails=True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_response_actions(case: Case, parity) -> None:
    check(case, parity)
