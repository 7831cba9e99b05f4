"""Parity: incremental loading, run twice (the second run against changed data): the cursor
as a param, as an endpoint block, in placeholders, on a child resource; events without a cursor
value; an scd2 merge (the second run retires the rows it does not return)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dlt
import pytest

from tests.parity.harness import Case, Outcome, check

START = "2024-01-01T05:00:00Z"


def _events(name: str, path: str = "wrapped/events", **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url},
            "resources": [{"name": name, "endpoint": {"path": path, **endpoint}}],
        }

    return config


def _param(**more: Any) -> dict[str, Any]:
    return {"type": "incremental", "cursor_path": "updated_at", "initial_value": START, **more}


def _block(**more: Any) -> dict[str, Any]:
    return {"cursor_path": "updated_at", "initial_value": START, **more}


def _scd2(name: str, **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        config = _events(name, **endpoint)(base_url)
        config["resources"][0]["write_disposition"] = {"disposition": "merge", "strategy": "scd2"}
        return config

    return config


def _cursor_then_posts(base_url: str) -> dict[str, Any]:
    """A cursor with a start param, then a resource without one; both take the defaults'
    params."""
    return {
        "client": {"base_url": base_url},
        "resource_defaults": {"endpoint": {"params": {"lang": "en"}}},
        "resources": [
            {
                "name": "ev_then_posts",
                "endpoint": {"path": "wrapped/events", "incremental": _block(start_param="since")},
            },
            {"name": "posts_after_cursor", "endpoint": "wrapped/posts"},
        ],
    }


def _object_param(base_url: str) -> dict[str, Any]:
    cursor = dlt.sources.incremental("updated_at", initial_value=START)
    return _events("ev_object", params={"since": cursor})(base_url)


def _child(name: str, **endpoint: Any) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url},
            "resources": [
                {"name": f"{name}_posts", "endpoint": "link/posts"},
                {
                    "name": name,
                    "endpoint": {
                        "path": "plain/posts/{resources." + name + "_posts.id}/comments",
                        **endpoint,
                    },
                },
            ],
        }

    return config


TWICE = {"rounds": 2}
CHILD_CURSOR = "a child's incremental start value"
LEAKED = "an incremental start_param with resource_defaults params"
CASES = [
    Case("param", _events("ev_param", params={"since": _param()}), requests=True, **TWICE),
    Case(
        "param_merge",
        lambda base: {
            "client": {"base_url": base},
            "resources": [
                {
                    "name": "ev_merge",
                    "primary_key": "id",
                    "write_disposition": "merge",
                    "endpoint": {"path": "wrapped/events", "params": {"since": _param()}},
                }
            ],
        },
        **TWICE,
    ),
    Case(
        "param_paged",
        _events("ev_paged", "next_url/events", params={"since": _param()}),
        requests=True,
        **TWICE,
    ),
    Case(
        "block_start_param",
        _events("ev_block", incremental=_block(start_param="since")),
        requests=True,
        **TWICE,
    ),
    Case(
        "block_end_param",
        _events(
            "ev_end",
            incremental=_block(
                start_param="since", end_param="until", end_value="2024-01-01T20:00:00Z"
            ),
        ),
        requests=True,
        **TWICE,
    ),
    Case(
        "block_filters_only",
        _events("ev_filter", incremental=_block()),
        **TWICE,
    ),
    Case(
        "placeholder_start_value",
        _events("ev_start", params={"since": "{incremental.start_value}"}, incremental=_block()),
        requests=True,
        **TWICE,
    ),
    Case(
        "placeholder_last_value",
        _events("ev_last", params={"since": "{incremental.last_value}"}, incremental=_block()),
        requests=True,
        **TWICE,
    ),
    Case(
        "placeholder_initial_value",
        _events(
            "ev_initial", params={"since": "{incremental.initial_value}"}, incremental=_block()
        ),
        requests=True,
        **TWICE,
    ),
    Case(
        "placeholder_lag",
        _events(
            "ev_lag_ph",
            params={"since": "{incremental.start_value}", "lag": "{incremental.lag}"},
            incremental=_block(lag=3600),
        ),
        requests=True,
        **TWICE,
    ),
    Case("object_in_params", _object_param, requests=True, **TWICE),
    Case(
        "convert",
        _events("ev_convert", incremental=_block(start_param="since", convert=lambda v: v[:13])),
        requests=True,
        **TWICE,
    ),
    Case(
        "lag",
        _events("ev_lag", incremental=_block(start_param="since", lag=7200)),
        requests=True,
        **TWICE,
    ),
    Case(
        "min_cursor",
        _events(
            "ev_min",
            incremental=_block(
                start_param="since",
                last_value_func="min",
                initial_value="2024-01-01T10:00:00Z",
            ),
        ),
    ),
    Case(
        "range_start_open",
        _events("ev_open", incremental=_block(start_param="since", range_start="open")),
        **TWICE,
    ),
    Case(
        "missing_cursor_included",
        _events(
            "ev_missing",
            incremental={
                "cursor_path": "nope",
                "initial_value": START,
                "on_cursor_value_missing": "include",
            },
        ),
    ),
    # every 7th event has no updated_at, every 11th a null one
    Case(
        "sparse_cursor_excluded",
        _events(
            "ev_sparse_ex",
            path="wrapped/sparse",
            incremental=_block(start_param="since", on_cursor_value_missing="exclude"),
        ),
        requests=True,
        **TWICE,
    ),
    Case(
        "sparse_cursor_raises",
        _events("ev_sparse_raise", path="wrapped/sparse", incremental=_block(start_param="since")),
        fails=True,
    ),
    # 48 rows after two runs, the 30 of the first run not returned again retired (_dlt_valid_to)
    Case(
        "scd2_two_runs",
        _scd2("ev_scd2", path="page/events", incremental=_block(start_param="since")),
        requests=True,
        **TWICE,
    ),
    # dlt writes the cursor's param into the defaults' params (the endpoint has none of its
    # own), which the resources it builds after the cursor's share: they send since=... too
    Case("start_param_with_default_params", _cursor_then_posts, requests=True, differs=LEAKED),
    Case(
        "missing_cursor_raises",
        _events("ev_raise", incremental={"cursor_path": "nope", "initial_value": START}),
        fails=True,
    ),
    # a child's cursor carries over from one parent to the next, as in dlt
    Case(
        "child_param",
        _child(
            "inc_comments",
            params={
                "since": {
                    "type": "incremental",
                    "cursor_path": "created_at",
                    "initial_value": "2024-01-01T00:00:00Z",
                }
            },
        ),
        differs=CHILD_CURSOR,
        **TWICE,
    ),
    Case(
        "child_block",
        _child(
            "inc_block_comments",
            incremental={
                "start_param": "since",
                "cursor_path": "created_at",
                "initial_value": "2024-01-01T00:00:00Z",
            },
        ),
        differs=CHILD_CURSOR,
        **TWICE,
    ),
]


def _more_child_rows(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """dlt sends each parent's request with the cursor's value at that point of its own
    extraction order and so skips child rows older than rows already read for other parents;
    restsync sends the run's start value for every parent: the same tables, except that the
    child has every row dlt has, and the ones dlt skipped."""
    if not dlt_side.kind == restsync_side.kind == "tables":
        return False
    ours, theirs = restsync_side.tables, dlt_side.tables
    differing = [name for name in theirs if theirs[name] != ours.get(name)]
    if ours.keys() != theirs.keys() or len(differing) != 1:
        return False
    child, theirs_child = ours[differing[0]], theirs[differing[0]]
    missing = Counter(theirs_child["rows"]) - Counter(child["rows"])
    return child["columns"] == theirs_child["columns"] and not missing


def _no_leaked_param(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """The same tables; the same requests but that dlt's for the posts carry ``since``."""

    def without_since(requests: list[Any]) -> list[Any]:
        return [
            (*r[:3], tuple(q for q in r[3] if q[0] != "since" or "events" in r[2]), *r[4:])
            for r in requests
        ]

    leaked = [r for r in dlt_side.requests if "posts" in r[2] and dict(r[3]).get("since")]
    return (
        dlt_side.tables == restsync_side.tables
        and bool(leaked)
        and without_since(dlt_side.requests) == restsync_side.requests
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_incremental(case: Case, parity) -> None:
    check(case, parity, _no_leaked_param if case.differs == LEAKED else _more_child_rows)
