"""Generated nested records load the same with Arrow pages as with dict pages (issue 11.1).

Records are drawn from a random shape (objects, lists of objects or of values, ints, floats,
booleans, text, ISO date-times with and without offsets, dates, nulls and missing fields), served
by a routed server in small pages, loaded both ways into real DuckDB files and compared with
tests/load/layout.py. Records that keep to their shape must take the fast path; records of any
shape at all (mixed types, variants, lists of lists) must still come out identical, through
whatever mix of Arrow and dict pages restsync chooses. Each example serves up to three record
sets as three resources of one source, so that one pair of pipeline runs checks three shapes
(a pipeline run costs far more than a resource; the suite must stay fast).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import restsync
from tests.conftest import RoutedServer
from tests.load.layout import assert_identical, load_both

KEYS = ["name", "createdAt", "Plan Tier", "price", "tags", "items", "meta", "x__y", "ÜberZahl"]
KINDS = ["int", "float", "bool", "text", "aware", "naive", "date"]
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
_WHEN = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1))

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "int": st.integers(-(10**15), 10**15),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.booleans(),
    "text": st.text(alphabet="abcxyz ÄÖé-", max_size=8),
    "aware": st.builds(lambda d, z: d.replace(tzinfo=z).isoformat(), _WHEN, _ZONES)
    | st.builds(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"), _WHEN),
    "naive": st.builds(lambda d: d.isoformat(), _WHEN),
    "date": st.builds(date.isoformat, st.dates(date(1971, 1, 1), date(2099, 1, 1))),
}

shapes = st.recursive(
    st.sampled_from(KINDS),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(KEYS), inner, min_size=1, max_size=4),
        st.lists(inner, min_size=1, max_size=1),  # [shape]: a list of that shape
    ),
    max_leaves=8,
)


def values_of(shape: Any) -> st.SearchStrategy[Any]:
    if isinstance(shape, str):
        return st.none() | VALUES[shape]
    if isinstance(shape, list):
        return st.none() | st.lists(values_of(shape[0]), max_size=3)
    fields = {key: values_of(inner) for key, inner in shape.items()}
    return st.none() | st.fixed_dictionaries({}, optional=fields)


@st.composite
def shaped_pages(draw: Any) -> list[dict[str, Any]]:
    shape = draw(st.dictionaries(st.sampled_from(KEYS), shapes, min_size=1, max_size=5))
    record = st.fixed_dictionaries({}, optional={k: values_of(s) for k, s in shape.items()})
    return draw(st.lists(record, min_size=1, max_size=30))


anything = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(-1e9, 1e9) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=10,
)
wild_pages = st.lists(st.dictionaries(st.sampled_from(KEYS), anything), min_size=1, max_size=20)
RESOURCES = 3  # record sets per example, each its own resource


@pytest.fixture(scope="module")
def api() -> Any:
    """One server for all examples: ``/things/<n>`` serves the records the example put in
    ``served[n]``."""
    server = RoutedServer()
    served: list[list[Any]] = []

    @server.get("/things/{n}")
    async def things(request: web.Request) -> web.Response:
        records = served[int(request.match_info["n"])]
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response({"data": records[offset : offset + limit]})

    server.start()
    yield server, served
    server.stop()


def _resource(n: int) -> dict[str, Any]:
    return {
        "name": f"things_{n}",
        "primary_key": "id",
        "endpoint": {
            "path": f"/things/{n}",
            "data_selector": "data",
            "paginator": {"type": "offset", "limit": 7},
        },
    }


def _load_both(
    api: Any, record_sets: list[list[dict[str, Any]]]
) -> tuple[Any, Any, dict[str, str | None]]:
    server, served = api
    served[:] = [[{"id": i, **r} for i, r in enumerate(records)] for records in record_sets]
    config = {
        "client": {"base_url": server.base_url},
        "resources": [_resource(n) for n in range(len(record_sets))],
    }

    def build(page_format: str) -> Any:
        return restsync.rest_api_source(config, page_format=page_format)

    with tempfile.TemporaryDirectory() as tmp:
        return load_both(Path(tmp), "data", build)


_SETTINGS = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(record_sets=st.lists(shaped_pages(), min_size=1, max_size=RESOURCES))
def test_records_that_keep_their_shape_load_identically_as_arrow_tables(api, record_sets) -> None:
    fast, dicts, fallbacks = _load_both(api, record_sets)
    assert_identical(fast, dicts)
    for fallback in fallbacks.values():
        assert fallback is None or "variant" in fallback, fallback


@_SETTINGS
@given(record_sets=st.lists(wild_pages, min_size=1, max_size=RESOURCES))
def test_records_of_any_shape_load_identically(api, record_sets) -> None:
    fast, dicts, _ = _load_both(api, record_sets)
    assert_identical(fast, dicts)
