"""Parity: configs dlt rejects when the source is built are rejected by restsync too (and the
other way round: what dlt builds, restsync builds)."""

from __future__ import annotations

from typing import Any

import pytest
from dlt.common.schema import Schema

from tests.parity.harness import (
    Case,
    check,
    dlt_fails_restsync_loads,
    dlt_loads_restsync_rejects,
    restsync_rejects_sooner,
)


def _with(*resources: Any, client: dict[str, Any] | None = None, **top: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url, **(client or {})},
            "resources": list(resources),
            **top,
        }

    return config


def _posts(**endpoint: Any) -> dict[str, Any]:
    return {"name": "posts", "endpoint": {"path": "plain/posts", **endpoint}}


def _paged(paginator: Any) -> dict[str, Any]:
    """An endpoint that fails at once: a side that accepts a paginator config the other
    rejects must not page forever through a body that always has records."""
    return _posts(path="status/404", paginator=paginator)


PARENT = {"name": "parent", "endpoint": "plain/posts"}
RESOLVE = {"type": "resolve", "resource": "parent", "field": "id"}
INCREMENTAL = {"type": "incremental", "cursor_path": "updated_at", "initial_value": "2024"}
CASES = [
    Case("empty_resources", _with(), differs="an empty resources list"),
    Case("missing_client", lambda base: {"resources": ["plain"]}),
    Case("missing_base_url", lambda base: {"client": {}, "resources": ["plain"]}),
    Case("base_url_not_a_string", lambda base: {"client": {"base_url": 1}, "resources": ["x"]}),
    Case("resources_not_a_list", lambda base: {"client": {"base_url": base}, "resources": "x"}),
    Case("unknown_top_level_key", _with(_posts(), extra=1)),
    Case("unknown_resource_key", _with({"name": "posts", "endpiont": "plain/posts"})),
    Case("unknown_endpoint_key", _with(_posts(pth="x"))),
    Case("resource_without_name", _with({"endpoint": "plain/posts"})),
    Case("duplicate_names", _with(_posts(), _posts())),
    Case("unknown_method", _with(_posts(method="FETCH"))),
    Case("unknown_paginator_type", _with(_paged({"type": "nope"}))),
    Case("unknown_paginator_name", _with(_paged("nope"))),
    Case("offset_without_limit", _with(_paged({"type": "offset"}))),
    Case("offset_by_name_needs_limit", _with(_paged("offset"))),
    Case(
        "cursor_param_and_body_path",
        _with(_paged({"type": "cursor", "cursor_param": "c", "cursor_body_path": "c"})),
    ),
    Case(
        "offset_param_and_body_path",
        _with(
            _paged(
                {
                    "type": "offset",
                    "limit": 5,
                    "offset_param": "o",
                    "offset_body_path": "o",
                }
            )
        ),
    ),
    Case(
        "page_number_that_never_stops",
        _with(
            _paged(
                {
                    "type": "page_number",
                    "total_path": None,
                    "stop_after_empty_page": False,
                }
            )
        ),
    ),
    Case("paginator_without_type", _with(_paged({"next_url_path": "next"}))),
    Case("unknown_auth_type", _with(_posts(), client={"auth": {"type": "nope", "token": "t"}})),
    Case("bearer_without_token", _with(_posts(), client={"auth": {"type": "bearer"}})),
    Case("auth_type_only", _with(_posts(), client={"auth": "bearer"})),
    Case("unknown_param_type", _with(_posts(params={"x": {"type": "nope"}}))),
    Case(
        "resolve_unknown_parent",
        _with(
            PARENT,
            {
                "name": "child",
                "endpoint": {
                    "path": "plain/posts/{x}",
                    "params": {"x": {**RESOLVE, "resource": "nope"}},
                },
            },
        ),
    ),
    Case(
        "placeholder_unknown_parent",
        _with(PARENT, {"name": "child", "endpoint": "plain/posts/{resources.nope.id}"}),
    ),
    Case(
        "placeholder_without_field",
        _with(PARENT, {"name": "child", "endpoint": "plain/posts/{resources.parent}"}),
    ),
    Case(
        "two_parents",
        _with(
            PARENT,
            {"name": "other", "endpoint": "plain/posts"},
            {"name": "child", "endpoint": "plain/{resources.parent.id}/{resources.other.id}"},
        ),
    ),
    Case(
        "include_without_parent",
        _with({**_posts(), "include_from_parent": ["id"]}),
    ),
    Case(
        "resolve_param_not_in_path",
        _with(
            PARENT, {"name": "child", "endpoint": {"path": "plain/posts", "params": {"x": RESOLVE}}}
        ),
    ),
    Case(
        "path_placeholder_without_param",
        _with(_posts(path="plain/posts/{post_id}")),
    ),
    Case(
        "path_placeholder_from_params",
        _with(_posts(path="plain/posts/{post_id}", params={"post_id": 3})),
    ),
    Case("unknown_context_in_params", _with(_posts(params={"x": "{unknown.x}"}))),
    Case("unknown_context_in_path", _with(_posts(path="plain/{unknown.x}"))),
    Case("unknown_context_in_json", _with(_posts(method="POST", json={"x": "{unknown.x}"}))),
    Case("bare_placeholder_in_params", _with(_posts(params={"x": "{id}"}))),
    Case(
        "incremental_placeholder_without_incremental",
        _with(_posts(params={"since": "{incremental.start_value}"})),
    ),
    Case(
        "param_incremental_with_end_value",
        _with(_posts(params={"since": {**INCREMENTAL, "end_value": "2025"}})),
    ),
    Case(
        "param_incremental_with_falsy_end_value",
        _with(
            _posts(
                params={
                    "since": {
                        "type": "incremental",
                        "cursor_path": "id",
                        "initial_value": -5,
                        "end_value": 0,
                    }
                }
            )
        ),
        differs="a falsy end_value in an incremental param",
    ),
    Case(
        "base_url_not_http",
        lambda base_url: {"client": {"base_url": "ftp://127.0.0.1/"}, "resources": ["plain"]},
        fails=True,  # dlt fails at the first request
        differs="a base_url that is not http(s)",
    ),
    Case(
        "param_incremental_with_end_param",
        _with(_posts(params={"since": {**INCREMENTAL, "end_param": "until"}})),
    ),
    Case(
        "two_incremental_params",
        _with(_posts(params={"since": INCREMENTAL, "after": INCREMENTAL})),
    ),
    Case(
        "incremental_without_cursor",
        _with(_posts(incremental={"initial_value": 1})),
        differs="an incremental block without cursor_path",
    ),
    Case(
        "bad_jsonpath",
        _with(_posts(data_selector="$[", paginator="single_page")),
        fails=True,  # dlt parses it at the first response
        differs="a data_selector that is not JSONPath",
    ),
    Case(
        "bad_next_url_path",
        _with(_paged({"type": "json_link", "next_url_path": "$["})),
    ),
    Case("unknown_step", _with({**_posts(), "processing_steps": [{"reduce": len}]})),
    Case(
        "name_and_schema",  # dlt names a source after its schema and refuses both
        _with("plain"),
        kwargs={"name": "other", "schema": Schema("parity_schema")},
    ),
    # accepted by both
    Case("endpoint_without_path", _with({"name": "plain", "endpoint": {"params": {"a": 1}}})),
    Case("resource_without_endpoint", _with({"name": "plain", "primary_key": "id"})),
    Case("minimal", _with("plain")),
    # documented differences
    Case(
        "implied_parent_placeholder",
        _with(
            {"name": "posts", "endpoint": "plain/posts", "primary_key": "id"},
            {"name": "comments", "endpoint": "plain/posts/{post_id}/comments"},
        ),
        differs="implied parent placeholders",
    ),
]


DIFFERENCES = {
    "implied parent placeholders": dlt_fails_restsync_loads,
    "an empty resources list": dlt_loads_restsync_rejects,
    "an incremental block without cursor_path": dlt_loads_restsync_rejects,
    "a data_selector that is not JSONPath": restsync_rejects_sooner,
    "a falsy end_value in an incremental param": dlt_loads_restsync_rejects,
    "a base_url that is not http(s)": restsync_rejects_sooner,
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_validation(case: Case, parity) -> None:
    check(case, parity, DIFFERENCES.get(case.differs or ""))
