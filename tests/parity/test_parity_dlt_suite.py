"""Parity: configs from dlt's own rest_api tests, run through both against the fake API.

The shapes of dlt's ``tests/sources/rest_api/integration/test_processing_steps.py`` and
``test_offline.py``: steps that change records in place, steps in both orders, steps on children
with ``include_from_parent``, ``yield_map`` that flattens a list, JSON bodies with placeholders and
escaped braces, ``parallelized`` children. Paths and fields are the fake API's; the steps do what
dlt's tests do.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.parity.harness import Case, check

POSTS = {"name": "posts", "endpoint": "next_url/posts"}
RESOLVED = {
    "path": "plain/posts/{post_id}/comments",
    "params": {"post_id": {"type": "resolve", "resource": "posts", "field": "id"}},
}
PLACEHOLDER = "plain/posts/{resources.posts.id}/comments"
TAGGED = {"path": "shape/tagged", "data_selector": "data", "paginator": "single_page"}


def _source(*resources: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    def config(base_url: str) -> dict[str, Any]:
        return {"client": {"base_url": base_url}, "resources": copy.deepcopy(list(resources))}

    return config


def _steps(resource: dict[str, Any], *steps: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "processing_steps": list(steps)}


# --- steps as dlt's tests write them: most change the record in place -------------------------


def _pop_title(record: dict[str, Any]) -> dict[str, Any]:
    record.pop("title")
    return record


def _dummy_title(record: dict[str, Any]) -> dict[str, Any]:
    record["title"] = "dummy"
    return record


def _lower_title(record: dict[str, Any]) -> dict[str, Any]:
    record["title"] = record["title"].lower()
    return record


def _id_by_10(record: dict[str, Any]) -> dict[str, Any]:
    record["id"] = record["id"] * 10
    return record


def _body_with_parent_title(record: dict[str, Any]) -> dict[str, Any]:
    record["body"] = f"{record['_posts_title']} - {record['body']}"
    return record


def _flatten_tags(post: dict[str, Any]) -> Iterator[dict[str, Any]]:
    rest = copy.deepcopy(post)
    rest.pop("tags")
    for tag in post["tags"]:
        yield {"tag": tag, **rest}


def _flatten_parent_tags(comment: dict[str, Any]) -> Iterator[dict[str, Any]]:
    rest = copy.deepcopy(comment)
    rest.pop("_posts_tags")
    for tag in comment["_posts_tags"]:
        yield {"_posts_tag": tag, **rest}


def _first_comment(record: dict[str, Any]) -> bool:
    return record["id"] % 100 == 0


def _filtered_child(endpoint: Any) -> Callable[[str], dict[str, Any]]:
    return _source(
        _steps(POSTS, {"filter": lambda r: r["id"] in (1, 2, 3)}),
        _steps({"name": "comments", "endpoint": endpoint}, {"filter": _first_comment}),
    )


def _mapped_child(endpoint: Any) -> Callable[[str], dict[str, Any]]:
    return _source(
        _steps(POSTS, {"filter": lambda r: r["id"] in (2, 3)}),
        {
            **_steps(
                {"name": "comments", "endpoint": endpoint},
                {"map": _body_with_parent_title},
                {"filter": lambda r: r["body"].startswith("Post 3")},
            ),
            "include_from_parent": ["title"],
        },
    )


def _yield_mapped_child(endpoint: Any) -> Callable[[str], dict[str, Any]]:
    return _source(
        _steps({"name": "posts", "endpoint": TAGGED}, {"filter": lambda r: r["id"] in (2, 4, 5)}),
        {
            **_steps(
                {"name": "comments", "endpoint": endpoint},
                {"map": _body_with_parent_title},
                {"yield_map": _flatten_parent_tags},
            ),
            "include_from_parent": ["title", "tags"],
        },
    )


# --- JSON bodies and parallelized children, as in dlt's offline tests -------------------------

NESTED_BODY = {
    "user_id": 2,
    "limit": 3,
    "escaped_braces": "{{not_this}}",
    "nested": {"kept": "{{not_this_either}}", "list": ["{{not_in_lists}}", 1]},
}


def _parallel_children(**child: Any) -> Callable[[str], dict[str, Any]]:
    return _source(
        {**POSTS, "endpoint": "plain/posts"},
        {"name": "comments", "endpoint": PLACEHOLDER, "parallelized": True, **child},
    )


def _post_details(params: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    """A child whose parent value goes in the query (dlt's ``post_detail`` tests)."""
    return _source(
        {**POSTS, "endpoint": "plain/posts"},
        {
            "name": "post_details",
            "endpoint": {
                "path": "wrapped/posts",
                "params": {"post_id": "{resources.posts.id}", **params},
                "paginator": "single_page",
            },
        },
    )


def _comments_with(**endpoint: Any) -> Callable[[str], dict[str, Any]]:
    return _source(
        {**POSTS, "endpoint": "plain/posts"},
        {"name": "comments", "endpoint": {"path": PLACEHOLDER, **endpoint}},
    )


CASES = [
    Case("steps_filter", _source(_steps(POSTS, {"filter": lambda r: r["id"] == 1}))),
    Case("steps_map_pops_a_column", _source(_steps(POSTS, {"map": _pop_title}))),
    Case("steps_map_anonymizes", _source(_steps(POSTS, {"map": _dummy_title}))),
    Case("steps_map_in_place", _source(_steps(POSTS, {"map": _lower_title}))),
    Case(
        "steps_in_both_orders",
        _source(
            _steps(POSTS, {"map": _id_by_10}, {"filter": lambda r: r["id"] == 10}),
            _steps(
                {**POSTS, "name": "posts_2"},
                {"filter": lambda r: r["id"] == 10},
                {"map": _id_by_10},
            ),
        ),
    ),
    Case("steps_child_resolved", _filtered_child(RESOLVED), requests=True),
    Case("steps_child_placeholder", _filtered_child(PLACEHOLDER), requests=True),
    Case("steps_child_map_resolved", _mapped_child(RESOLVED), requests=True),
    Case("steps_child_map_placeholder", _mapped_child(PLACEHOLDER), requests=True),
    Case(
        "yield_map",
        _source(_steps({"name": "posts", "endpoint": TAGGED}, {"yield_map": _flatten_tags})),
    ),
    Case(
        "filter_then_yield_map",
        _source(
            _steps(
                {"name": "posts", "endpoint": TAGGED},
                {"filter": lambda r: r["id"] != 1},
                {"yield_map": _flatten_tags},
            )
        ),
    ),
    Case(
        "yield_map_then_filter",
        _source(
            _steps(
                {"name": "posts", "endpoint": TAGGED},
                {"yield_map": _flatten_tags},
                {"filter": lambda r: r["tag"] != "t0"},
            )
        ),
    ),
    Case("yield_map_child_resolved", _yield_mapped_child(RESOLVED), requests=True),
    Case("yield_map_child_placeholder", _yield_mapped_child(PLACEHOLDER), requests=True),
    Case(
        "json_body_escapes",
        _source(
            {
                "name": "found",
                "endpoint": {
                    "path": "cursor/search",
                    "method": "POST",
                    "json": NESTED_BODY,
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "next_cursor",
                        "cursor_body_path": "cursor",
                    },
                },
            }
        ),
        requests=True,
    ),
    Case(
        "json_body_from_parent",
        _source(
            {**POSTS, "endpoint": "plain/posts"},
            {
                "name": "by_user",
                "endpoint": {
                    "path": "body_page/search",
                    "method": "POST",
                    "json": {"user_id": "{resources.posts.user_id}", "title": "{{raw}}"},
                    "paginator": "single_page",
                },
            },
        ),
        requests=True,
    ),
    Case("records_under_results", _source({"name": "posts", "endpoint": "links_next/posts"})),
    Case("records_without_key", _source({"name": "posts", "endpoint": "plain/posts"})),
    Case("parallelized_child", _parallel_children(), requests=True),
    Case(
        "parallelized_include_from_parent",
        _parallel_children(include_from_parent=["title", "user_id"]),
        requests=True,
    ),
    Case("query_parent_value", _post_details({}), requests=True),
    Case("query_parent_value_and_static", _post_details({"sort": "desc"}), requests=True),
    Case("query_empty_static", _post_details({"sort": "desc", "locale": ""}), requests=True),
    Case("query_escaped_braces", _post_details({"braces": "{{not_this}}"}), requests=True),
    Case("get_without_json", _comments_with(), requests=True),
    Case("get_with_empty_json", _comments_with(method="GET", json={}), requests=True),
    Case(
        "paginated_child",
        _source(
            {**POSTS, "endpoint": "plain/posts"},
            {
                "name": "comments",
                "endpoint": {
                    "path": "link/posts/{resources.posts.id}/comments",
                    "params": {"per_page": 1},
                },
            },
        ),
        requests=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_dlt_suite(case: Case, parity) -> None:
    check(case, parity)
