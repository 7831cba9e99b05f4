"""Parity: HTTP errors, response_actions that ignore some of them, and functions that change
responses (dlt calls them with a ``requests.Response``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException

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


def _tag_posts(response: Any) -> Any:
    """dlt's documented way to change records: rewrite ``response._content``."""
    payload = response.json()
    for post in payload["data"]:
        post["tag"] = f"{response.status_code} {response.headers['Content-Type']}"
        post.pop("author", None)
    response._content = json.dumps(payload).encode("utf-8")
    return response


def _substitute(response: Any) -> None:
    response.status_code = 200
    response._content = b'[{"id": 1, "note": "instead of a 404"}]'


def _mark_for_skipping(response: Any) -> None:
    if "Post 3" in response.text:
        response._content = b'{"data": [], "note": "skip me"}'


def _stop_after_page_2(response: Any) -> None:
    if "page=2" in response.url:
        del response.headers["Link"]


def _fail(response: Any) -> None:
    raise ValueError(f"refused a page of {response.url.rsplit('/', 1)[-1]}")


def _count_first(response: Any) -> None:
    payload = response.json()
    payload["data"] = payload["data"][:2]
    response._content = json.dumps(payload).encode()


def _title_upper(response: Any) -> None:
    payload = response.json()
    for post in payload["data"]:
        post["title"] = post["title"].upper()
    response._content = json.dumps(payload).encode()


def _substitute_missing_user(response: Any) -> None:
    if response.status_code == 404:
        response.status_code = 200
        response._content = b'{"id": 0, "name": "nobody"}'


def _ignore_by_raising(response: Any) -> None:
    raise IgnoreResponseException


def _windows_1252(response: Any) -> None:
    response.encoding = "windows-1252"


def _add_field(response: Any) -> None:
    # dlt parses the body as text in the encoding an earlier function set
    payload = response.json()
    for post in payload["data"]:
        post["custom_field"] = response.encoding
    response._content = json.dumps(payload).encode("utf-8")


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
    Case("function_changes_records", _one("wrapped/posts", [_tag_posts])),
    Case(
        "function_on_a_status",
        _one("status/404", [{"status_code": 404, "action": _substitute}]),
    ),
    Case(
        "functions_on_content",
        _one("wrapped/posts", [{"content": "Post 2", "action": [_count_first, _title_upper]}]),
    ),
    Case(
        "function_not_matching",
        _one("wrapped/posts", [{"status_code": 500, "action": _count_first}]),
    ),
    Case(
        "function_then_ignore",
        # the second action sees the body the first one wrote
        _one("wrapped/posts", [_mark_for_skipping, {"content": "skip me", "action": "ignore"}]),
    ),
    Case(
        "function_without_condition_in_a_dict",
        _one("wrapped/posts", [{"action": _title_upper}]),
    ),
    Case("ignore_without_condition", _one("wrapped/posts", [{"action": "ignore"}])),
    Case(
        "function_changes_headers",
        _one("link/posts", [_stop_after_page_2], paginator="header_link"),
        requests=True,
    ),
    Case(
        "function_on_child",
        _with_child("plain/users/{resources.posts.id}", [_substitute_missing_user]),
        requests=True,
    ),
    Case("function_raises", _one("wrapped/posts", [_fail]), fails=True),
    Case(
        "function_raises_ignore",
        _with_child(
            "plain/users/{resources.posts.id}",
            [{"status_code": 404, "action": _ignore_by_raising}],
        ),
        requests=True,
    ),
    Case(
        "functions_in_order_with_encoding",
        _one("wrapped/posts", [_windows_1252, {"status_code": 200, "action": _add_field}]),
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
