"""Parity: dlt resource objects mixed into ``resources``; they join the source as they are.

Each config builds fresh resources (a dlt resource is bound to one source).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
import pytest
import requests

import restsync
from tests.parity.harness import Case, check, dlt_loads_restsync_rejects

POSTS = {"name": "posts", "endpoint": {"path": "plain/posts", "paginator": "single_page"}}


def _labels() -> Any:
    return dlt.resource([{"id": 1, "label": "red"}, {"id": 2, "label": "blue"}], name="labels")


def _numbers() -> Any:
    @dlt.resource(name="numbers", primary_key="id", write_disposition="merge")
    def numbers() -> Iterator[dict[str, Any]]:
        for i in range(1, 6):
            yield {"id": i, "square": i * i, "tags": [f"t{i}", f"u{i}"]}

    return numbers


def _mixed(*make: Any, defaults: dict[str, Any] | None = None) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "client": {"base_url": base_url},
            "resources": [POSTS, *(m() for m in make)],
        }
        if defaults:
            spec["resource_defaults"] = defaults
        return spec

    return config


def _with_transformer(base_url: str) -> dict[str, Any]:
    numbers = _numbers()

    @dlt.transformer(data_from=numbers, name="halves")
    def halves(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield {"id": item["id"], "half": item["square"] / 2}

    return {
        "client": {"base_url": base_url},
        "resources": [numbers, POSTS, halves],
    }


def _dlt_parent(base_url: str) -> dict[str, Any]:
    @dlt.resource(name="post_ids")
    def ids() -> Iterator[list[dict[str, Any]]]:
        yield [{"id": 1}, {"id": 2}]  # one page: dlt's child resources iterate pages

    return {
        "client": {"base_url": base_url},
        "resources": [
            POSTS,
            ids(),
            {"name": "picked", "endpoint": "plain/posts/{resources.post_ids.id}"},
        ],
    }


def _seed_list_parent(base_url: str) -> dict[str, Any]:
    """dlt's documented pattern: an unselected seed list of parent ids, read by a resolve param."""

    @dlt.resource(name="seed_ids", selected=False)
    def ids() -> Iterator[list[dict[str, Any]]]:
        yield [{"post": 3}, {"post": 5}, {"post": 8}]

    return {
        "client": {"base_url": base_url},
        "resource_defaults": {"primary_key": "id"},
        "resources": [
            {
                "name": "comments",
                "endpoint": {
                    "path": "wrapped/posts/{post}/comments",
                    "params": {
                        "post": {"type": "resolve", "resource": "seed_ids", "field": "post"}
                    },
                },
                "include_from_parent": ["post"],
            },
            ids(),
        ],
    }


def _counted_parent(base_url: str) -> dict[str, Any]:
    """A selected dlt resource that is a parent, with a side effect (a request to the API) and
    a run counter in its records: dlt iterates it once and forks its items to its table and to
    the child, so every row says run 1 and the API sees the side effect once."""
    runs: list[int] = []

    @dlt.resource(name="counted_ids", primary_key="id", write_disposition="merge")
    def ids() -> Iterator[list[dict[str, Any]]]:
        runs.append(1)
        requests.get(f"{base_url}plain/posts/3", timeout=10).raise_for_status()
        yield [{"id": 1, "run": len(runs)}, {"id": 2, "run": len(runs)}]

    return {
        "client": {"base_url": base_url},
        # defaults apply to the config resources only, not to the dlt resource (as in dlt)
        "resource_defaults": {
            "write_disposition": "append",
            "columns": {"x": {"data_type": "text"}},
        },
        "resources": [
            ids(),
            {
                "name": "counted_posts",
                "endpoint": "plain/posts/{resources.counted_ids.id}",
                "include_from_parent": ["run"],
            },
        ],
    }


def _incremental_parent(base_url: str) -> dict[str, Any]:
    """A parent dlt resource with an incremental: restsync cannot load it in dlt's place, so it
    joins the source as it is (and is read a second time for the child)."""

    @dlt.resource(name="cursor_ids")
    def ids(
        updated: Any = dlt.sources.incremental("id", initial_value=2),  # noqa: B008 (dlt's way)
    ) -> Iterator[list[dict[str, Any]]]:
        yield [{"id": 1}, {"id": 2}, {"id": 3}]

    return {
        "client": {"base_url": base_url},
        "resources": [
            ids(),
            {"name": "cursor_posts", "endpoint": "plain/posts/{resources.cursor_ids.id}"},
        ],
    }


def _parent_with_a_transformer(base_url: str) -> dict[str, Any]:
    """A selected parent dlt resource that also feeds a dlt transformer."""

    @dlt.resource(name="numbers", primary_key="id")
    def numbers() -> Iterator[list[dict[str, Any]]]:
        yield [{"id": i, "square": i * i} for i in range(1, 4)]  # one page, as a parent yields

    @dlt.transformer(data_from=numbers, name="halves")
    def halves(page: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        yield [{"id": item["id"], "half": item["square"] / 2} for item in page]

    child = {"name": "numbered_posts", "endpoint": "plain/posts/{resources.numbers.id}"}
    return {"client": {"base_url": base_url}, "resources": [numbers, halves, child]}


def _only_dlt(base_url: str) -> dict[str, Any]:
    return {"client": {"base_url": base_url}, "resources": [_labels()]}


def _only_dlt_without_base_url(base_url: str) -> dict[str, Any]:
    return {"client": {"headers": {"X-Api": "1"}}, "resources": [_labels()]}


def _only_dlt_with_transformer(base_url: str) -> dict[str, Any]:
    numbers = _numbers()

    @dlt.transformer(data_from=numbers, name="doubles")
    def doubles(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield {"id": item["id"], "double": item["square"] * 2}

    return {"client": {"base_url": base_url}, "resources": [numbers, doubles]}


CASES = [
    Case("list_resource", _mixed(_labels)),
    Case("generator_with_hints", _mixed(_numbers, _labels)),
    # resource_defaults are not applied to a dlt resource, as in dlt
    Case("defaults_skip_dlt_resources", _mixed(_labels, defaults={"primary_key": "id"})),
    Case("with_a_transformer", _with_transformer),
    Case("selected", _mixed(_numbers, _labels), select=("posts", "labels")),
    Case("dlt_resource_as_parent", _dlt_parent, requests=True),
    Case("seed_list_parent_unselected", _seed_list_parent, requests=True),
    Case("selected_parent_iterated_once", _counted_parent, requests=True),
    Case("parent_not_selected_later", _counted_parent, requests=True, select=("counted_posts",)),
    Case("incremental_parent", _incremental_parent, requests=True),
    Case("parent_with_a_transformer", _parent_with_a_transformer, requests=True),
    # dlt builds a source of just those resources (the client is still checked)
    Case("only_dlt_resources", _only_dlt),
    Case("only_dlt_resources_with_a_transformer", _only_dlt_with_transformer),
    Case("only_dlt_resources_without_base_url", _only_dlt_without_base_url),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_dlt_resources(case: Case, parity) -> None:
    check(case, parity, dlt_loads_restsync_rejects if case.differs else None)


def _clash(base_url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url},
        "resources": [dlt.resource([{"id": 1}], name="posts"), POSTS],
    }


@pytest.mark.parametrize(
    ("config", "path", "message"),
    [
        (
            _clash,
            "resources[0]",
            "the dlt resource 'posts' has the name of resources[1]; rename one, "
            "e.g. with resource.with_name('posts_2')",
        ),
    ],
    ids=["name-clash"],
)
def test_what_restsync_refuses_says_where(config: Any, path: str, message: str) -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.rest_api_source(config("https://api.example.com/"))
    assert (caught.value.path, caught.value.message) == (path, message)
