"""Parity: where the records are in a response (data_selector, given or detected)."""

from __future__ import annotations

from typing import Any

import pytest
from dlt.common.schema import Schema

from tests.parity.harness import (
    Case,
    both_load_other_columns,
    check,
    dlt_empty_restsync_fails,
    dlt_fails_restsync_loads,
    dlt_loads_restsync_fails_shape,
)


def _posts(path: str, selector: Any = None, **resource: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        endpoint: dict[str, Any] = {"path": path, "paginator": "single_page"}
        if selector is not None:
            endpoint["data_selector"] = selector
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": "posts", "endpoint": endpoint, **resource}],
        }

    return config


def _schema() -> Schema:
    """A schema of the caller's: its settings (a preferred type) shape the table."""
    schema = Schema("parity_schema")
    schema.update_preferred_types({"re:^user_id$": "text"})
    return schema


SHAPES = (
    "nested meta_first unknown_key two_lists deep entities object data_object empty scalars tagged"
)
CASES = [
    *(Case(f"detected_{shape}", _posts(f"shape/{shape}/posts")) for shape in SHAPES.split()),
    Case("dotted", _posts("shape/nested/posts", "payload.records")),
    Case("jsonpath_root", _posts("shape/nested/posts", "$.payload.records")),
    Case("jsonpath_wildcard", _posts("wrapped/posts", "$.data[*]")),
    Case("jsonpath_filter", _posts("wrapped/posts", "$.data[?(@.user_id == 2)]")),
    Case("jsonpath_index", _posts("wrapped/posts", "data[0]")),
    Case("jsonpath_field_of_each", _posts("wrapped/posts", "data[*].author")),
    Case("deep_path", _posts("shape/deep/posts", "result.page.rows")),
    Case(
        "list_form",
        _posts("shape/nested/posts", ["payload", "records"]),
        differs="a list data_selector",
    ),
    Case("whole_body", _posts("plain/posts", "$")),
    Case("whole_object", _posts("shape/object/posts", "$")),
    Case("object_under_key", _posts("shape/data_object/posts", "data")),
    Case(
        "missing_key",
        _posts("wrapped/posts", "nothing_here"),
        differs="a data_selector absent from a page that should have records",
    ),
    Case("scalars", _posts("shape/scalars/posts", "data")),
    # legitimately empty pages: no records on either side (restsync's shape check lets them by)
    Case("selected_null", _posts("shape/null_data/posts", "data")),
    Case("empty_object_body", _posts("shape/empty_object/posts", "data")),
    Case("empty_list_body", _posts("shape/empty_list/posts")),
    Case(
        "bare_string_body",
        _posts("shape/bare_string/posts"),
        differs="a bare JSON value as the body",
    ),
    Case("one_match_of_many", _posts("shape/two_lists/posts", "posts")),
    # hints that shape the tables
    Case("primary_key", _posts("wrapped/posts", "data", primary_key="id")),
    Case("table_name", _posts("wrapped/posts", "data", table_name="articles")),
    Case(
        "columns",
        _posts("wrapped/posts", "data", columns={"user_id": {"data_type": "text"}}),
    ),
    Case("max_table_nesting", _posts("wrapped/posts", "data", max_table_nesting=0)),
    Case("nested_tables", _posts("shape/tagged/posts", "data", primary_key="id")),
    Case("nested_tables_no_nesting", _posts("shape/tagged/posts", "data", max_table_nesting=0)),
    Case(
        "merge",
        _posts("wrapped/posts", "data", primary_key="id", write_disposition="merge"),
    ),
    Case("replace", _posts("wrapped/posts", "data", write_disposition="replace")),
    Case("source_nesting", _posts("wrapped/posts", "data"), kwargs={"max_table_nesting": 1}),
    Case("source_schema", _posts("wrapped/posts", "data"), kwargs={"schema": _schema()}),
    Case("source_section", _posts("wrapped/posts", "data"), kwargs={"section": "elsewhere"}),
    Case("resource_string", lambda base: {"client": {"base_url": base}, "resources": ["plain"]}),
    Case(
        "endpoint_string",
        lambda base: {
            "client": {"base_url": base},
            "resources": [{"name": "posts", "endpoint": "wrapped/posts"}],
        },
    ),
    Case(
        "default_columns_merged",
        lambda base: {
            "client": {"base_url": base},
            "resource_defaults": {
                "columns": {"user_id": {"data_type": "text"}, "id": {"nullable": False}},
            },
            # one resource: dlt merges into the defaults' own column dicts, so the other
            # resources would inherit posts' "id" hints (a dlt quirk, documented)
            "resources": [
                {
                    "name": "posts",
                    "endpoint": {"path": "wrapped/posts", "data_selector": "data"},
                    "columns": {"title": {"data_type": "text"}, "id": {"data_type": "text"}},
                },
            ],
        },
    ),
    Case(
        "default_columns_shared",
        lambda base: {
            "client": {"base_url": base},
            "resource_defaults": {"columns": {"id": {"nullable": False}}},
            "resources": [
                {"name": "plain", "endpoint": {"path": "wrapped/posts", "data_selector": "data"}},
                {
                    "name": "posts",
                    "endpoint": {"path": "wrapped/posts", "data_selector": "data"},
                    "columns": {"id": {"data_type": "text"}},
                },
            ],
        },
        differs="a resource's column hints leak into resource_defaults",
    ),
    Case(
        "defaults_merged",
        lambda base: {
            "client": {"base_url": base},
            "resource_defaults": {
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {"params": {"per_page": 4}, "paginator": "json_link"},
            },
            "resources": [
                {"name": "posts", "endpoint": {"path": "next_url/posts", "params": {"x": 1}}},
                {"name": "more", "endpoint": {"path": "link/posts", "paginator": "header_link"}},
            ],
        },
        requests=True,
    ),
]


DIFFERENCES = {
    "missing_key": dlt_empty_restsync_fails,
    "bare_string_body": dlt_loads_restsync_fails_shape,
    "default_columns_shared": both_load_other_columns,
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_selectors(case: Case, parity) -> None:
    check(case, parity, DIFFERENCES.get(case.name, dlt_fails_restsync_loads))
