"""Parity: the differences the generated cases (test_parity_generated.py) found, kept as fixed
cases after the fix, each in the shape hypothesis drew (shrunk by hand) and its near variants."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.parity.harness import Case, Outcome, check, dlt_loads_restsync_rejects

END = "2024-01-01T20:00:00Z"


def _events(name: str, path: str, cursor_path: str = "updated_at", **incremental: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        cursor = {"cursor_path": cursor_path, "initial_value": "2024-01-01T05:00:00Z"}
        return {
            "client": {"base_url": base_url},
            "resources": [
                {
                    "name": name,
                    "endpoint": {
                        "path": path,
                        "params": {"since": "{incremental.start_value}"},
                        "incremental": {**cursor, **incremental},
                    },
                }
            ],
        }

    return config


def _ignored_page(name: str, path: str, paginator: dict[str, Any]) -> Any:
    """Posts whose page with "Post 3" in it a response action ignores (the second page)."""

    def config(base_url: str) -> dict[str, Any]:
        endpoint = {
            "path": path,
            "paginator": paginator,
            "data_selector": "$.data",
            "response_actions": [{"status_code": 200, "content": '"Post 3"', "action": "ignore"}],
        }
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": name, "endpoint": endpoint}],
        }

    return config


def _acted(name: str, path: str, *actions: Any) -> Any:
    """Posts on one page, with the given response actions."""

    def config(base_url: str) -> dict[str, Any]:
        endpoint = {"path": path, "paginator": "single_page", "response_actions": list(actions)}
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": name, "endpoint": endpoint}],
        }

    return config


def _stamp(response: Any) -> Any:
    import json

    body = response.json()
    for row in body["data"]:
        row["seen"] = response.status_code
    response._content = json.dumps(body).encode("utf-8")
    return response


def _drop_title(response: Any) -> Any:
    import json

    body = response.json()
    for row in body["data"]:
        row.pop("title", None)
    response._content = json.dumps(body).encode("utf-8")
    return response


TWICE = {"rounds": 2, "requests": True}
CASES = [
    # row_order "asc" with an end_value: dlt closes the resource at the first page with a
    # record at or past end_value and asks for no further page; restsync fetched them all
    Case(
        "row_order_asc_stops_at_end_value",
        _events("found_asc_link", "link/events", end_value=END, row_order="asc"),
        **TWICE,
    ),
    Case(  # the cursor as JSONPath, as dlt also takes it: the chain still ends at end_value
        "row_order_asc_jsonpath_cursor",
        _events(
            "found_asc_jsonpath", "link/events", "$.updated_at", end_value=END, row_order="asc"
        ),
        **TWICE,
    ),
    Case(
        "row_order_asc_with_a_total",  # the total would let restsync fetch the pages ahead
        _events("found_asc_offset", "offset/events", end_value=END, row_order="asc"),
        **TWICE,
    ),
    # "desc": the first page of the first run holds records before the start value; in the
    # second, dlt also stops at the record it loaded last time at the start value (a row of
    # docs/dlt-differences.md: restsync asks for the next page too)
    Case(
        "row_order_desc",
        _events("found_desc_link", "wrapped/events", row_order="desc"),
        **TWICE,
    ),
    Case(
        "row_order_desc_second_run",
        _events("found_desc_second", "link/events", row_order="desc"),
        differs="row_order desc, second run",
        **TWICE,
    ),
    Case(
        "row_order_without_end_value",  # nothing ends the range: every page, as before
        _events("found_asc_open", "next_url/events", row_order="asc"),
        **TWICE,
    ),
    # an ignored page ends dlt's paging there; restsync, knowing the total from the first page,
    # had already asked for the pages after it (same tables, 2 requests more)
    Case(
        "ignored_page_with_a_total",
        _ignored_page(
            "found_ignored_offset",
            "offset/posts",
            {"type": "offset", "limit": 2, "total_path": "total", "maximum_offset": 6},
        ),
        **TWICE,
    ),
    Case(
        "ignored_page_numbers",
        _ignored_page(
            "found_ignored_pages",
            "page/posts",
            {"type": "page_number", "base_page": 1, "total_path": "total_pages"},
        ),
        **TWICE,
    ),
    # a list of status codes in one action: dlt refuses the config (one code per action);
    # restsync took it and never matched it, so nothing was ignored (seed 4040 drew it)
    Case(
        "action_status_code_list",
        _acted("found_codes", "wrapped/posts", {"status_code": [200, 201], "action": _drop_title}),
    ),
    # a code as text: dlt takes it and never matches it (it compares "200" with 200), so the
    # action silently does nothing; restsync refuses it (a row of docs/dlt-differences.md)
    Case(
        "action_status_code_as_text",
        _acted("found_text_code", "wrapped/posts", {"status_code": "200", "action": _drop_title}),
        differs="status_code as text",
    ),
    Case(
        "action_content_not_text",
        _acted("found_content", "wrapped/posts", {"content": 3, "action": "ignore"}),
    ),
    Case(
        "action_functions_in_order",
        _acted(
            "found_order", "wrapped/posts", {"status_code": 200, "action": [_stamp, _drop_title]}
        ),
        requests=True,
    ),
]


def _more_requests_same_tables(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """The same tables; restsync sent every request dlt sent, and more."""
    if not dlt_side.kind == restsync_side.kind == "tables":
        return False
    extra = Counter(restsync_side.requests) - Counter(dlt_side.requests)
    missing = Counter(dlt_side.requests) - Counter(restsync_side.requests)
    return dlt_side.tables == restsync_side.tables and bool(extra) and not missing


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_generated_found(case: Case, parity) -> None:
    if case.differs == "status_code as text":
        check(case, parity, dlt_loads_restsync_rejects)
        return
    check(case, parity, _more_requests_same_tables)
