"""Parity: child resources (resolve params and {resources.<parent>.<field>} placeholders),
include_from_parent, and processing steps."""

from __future__ import annotations

from typing import Any

import pytest

from tests.parity.harness import Case, check

POSTS = {"name": "posts", "endpoint": {"path": "link/posts"}}


def _family(*children: dict[str, Any], parent: dict[str, Any] = POSTS) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {"client": {"base_url": base_url}, "resources": [parent, *children]}

    return config


def _comments(path: str = "plain/posts/{resources.posts.id}/comments", **more: Any) -> Any:
    return {"name": "comments", "endpoint": {"path": path}, **more}


RESOLVE = {"type": "resolve", "resource": "posts", "field": "id"}


def _title_upper(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "title": record["title"].upper()}


def _even(record: dict[str, Any]) -> bool:
    return record["id"] % 2 == 0


def _split(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**record, "part": part} for part in ("a", "b")]


def _reads_parent_title(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "headline": f"{record['_posts_title']}: {record['body']}"}


def _steps(*steps: dict[str, Any]) -> list[dict[str, Any]]:
    return list(steps)


CASES = [
    Case("placeholder_in_path", _family(_comments()), requests=True),
    Case(
        "resolve_param",
        _family(
            {
                "name": "comments",
                "endpoint": {
                    "path": "plain/posts/{post_id}/comments",
                    "params": {"post_id": RESOLVE},
                },
            }
        ),
        requests=True,
    ),
    Case(
        "resolve_param_and_other_params",
        _family(
            {
                "name": "comments",
                "endpoint": {
                    "path": "plain/posts/{post_id}/comments",
                    "params": {"post_id": RESOLVE, "per_page": 2},
                },
            }
        ),
        requests=True,
    ),
    Case("include_from_parent", _family(_comments(include_from_parent=["title"]))),
    Case(
        "include_two_fields",
        _family(_comments(include_from_parent=["title", "user_id", "author"])),
    ),
    Case("paged_child", _family(_comments("next_url/posts/{resources.posts.id}/comments"))),
    Case(
        "placeholder_in_params",
        _family(
            {
                "name": "comments",
                "endpoint": {
                    "path": "plain/posts/1/comments",
                    "params": {"of": "{resources.posts.id}", "title": "{resources.posts.title}"},
                },
            }
        ),
        requests=True,
    ),
    Case(
        "placeholder_in_json",
        _family(
            {
                "name": "found",
                "endpoint": {
                    "path": "body_cursor/search",
                    "method": "POST",
                    "json": {
                        "user_id": "{resources.posts.user_id}",
                        "note": "for {resources.posts.id}",
                    },
                    "paginator": "single_page",
                },
            },
            parent={"name": "posts", "endpoint": {"path": "plain/posts"}},
        ),
        requests=True,
    ),
    Case(
        "placeholder_in_headers",
        _family(
            {
                "name": "comments",
                "endpoint": {
                    "path": "plain/posts/{resources.posts.id}/comments",
                    "headers": {"X-Post": "{resources.posts.id}"},
                },
            }
        ),
    ),
    Case("only_the_child", _family(_comments()), select=("comments",), requests=True),
    Case(
        "parent_deselected",
        _family(_comments(), parent={**POSTS, "selected": False}),
        requests=True,
    ),
    Case(
        "single_entity_child",
        _family({"name": "details", "endpoint": "wrapped/posts/{resources.posts.id}"}),
        requests=True,
    ),
    Case(
        "grandchildren",
        _family(
            {"name": "details", "endpoint": "plain/posts/{resources.posts.id}"},
            {"name": "authors", "endpoint": "plain/users/{resources.details.user_id}"},
            parent={"name": "posts", "endpoint": {"path": "plain/posts"}},
        ),
    ),
    Case(
        "escaped_braces",
        _family(
            {
                "name": "comments",
                "endpoint": {
                    "path": "plain/posts/{resources.posts.id}/comments",
                    "params": {"q": "{{literal}}"},
                },
            }
        ),
        requests=True,
    ),
    Case(
        "escaped_braces_root",
        lambda base: {
            "client": {"base_url": base},
            "resources": [
                {"name": "posts", "endpoint": {"path": "plain/posts", "params": {"q": "{{x}}"}}}
            ],
        },
        requests=True,
    ),
    Case("parallelized_child", _family(_comments(parallelized=True))),
    Case(
        "child_primary_key_merge",
        _family(_comments(primary_key="id", write_disposition="merge")),
    ),
    # processing steps
    Case("filter", _family(parent={**POSTS, "processing_steps": _steps({"filter": _even})})),
    Case(
        "map",
        _family(parent={**POSTS, "processing_steps": _steps({"map": _title_upper})}),
    ),
    Case(
        "yield_map",
        _family(parent={**POSTS, "processing_steps": _steps({"yield_map": _split})}),
    ),
    Case(
        "steps_in_order",
        _family(
            parent={
                **POSTS,
                "processing_steps": _steps({"filter": _even}, {"map": _title_upper}),
            }
        ),
    ),
    Case(
        "filtered_parent_feeds_children",
        _family(_comments(), parent={**POSTS, "processing_steps": _steps({"filter": _even})}),
        requests=True,
    ),
    Case(
        "step_reads_parent_fields",
        _family(
            _comments(
                include_from_parent=["title"],
                processing_steps=_steps({"map": _reads_parent_title}),
            )
        ),
    ),
    Case(
        "step_filters_on_parent_fields",
        _family(
            _comments(
                include_from_parent=["user_id"],
                processing_steps=_steps({"filter": lambda r: r["_posts_user_id"] == 2}),
            )
        ),
    ),
    Case(
        "failing_step",
        _family(parent={**POSTS, "processing_steps": _steps({"map": lambda r: r["nope"]})}),
        fails=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_resolve(case: Case, parity) -> None:
    check(case, parity)
