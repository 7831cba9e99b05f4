"""An API that changed shape fails its resource, naming the selector and the body's shape (never
its values); an empty page stays an empty page."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._engine._shape import describe_shape
from tests.conftest import RoutedServer, count_rows

SECRET = "value-that-must-not-be-shown"

# resource -> (body bytes, status, data_selector, the error it fails with or None for an empty page)
CASES: dict[str, tuple[bytes, int, str | None, str | None]] = {
    "bare_string": (b'"' + SECRET.encode() + b'"', 200, None, "the response is a JSON string"),
    "bare_number": (b"42", 200, "data", "the response is a JSON number"),
    "bare_null": (b"null", 200, None, "the response is JSON null"),
    "bare_boolean": (b"true", 200, "data", "the response is a JSON boolean"),
    "selector_absent": (
        b'{"items": [{"id": "' + SECRET.encode() + b'"}], "total": 1}',
        200,
        "data",
        "data_selector 'data' is not in the response, which is an object "
        "{'items': list, 'total': number}; the API may have changed: fix data_selector",
    ),
    "nested_selector_absent": (
        b'[{"id": 1, "name": "' + SECRET.encode() + b'"}]',
        200,
        "result.rows",
        "data_selector 'result.rows' is not in the response, which is a list of 1 "
        "(the first is an object {'id': number, 'name': string})",
    ),
    # legitimate empty pages
    "empty_list": (b"[]", 200, None, None),
    "empty_list_selected": (b'{"data": []}', 200, "data", None),
    "null_selected": (b'{"data": null}', 200, "data", None),
    "empty_object": (b"{}", 200, "data", None),
    "no_content": (b"", 204, "data", None),
    "no_match_for_a_filter": (b'{"data": [{"n": 1}]}', 200, "$.data[?(@.n > 5)]", None),
}


def test_a_changed_shape_fails_and_an_empty_page_does_not(
    server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    async def answer(request: web.Request) -> web.Response:
        body, status, _, _ = CASES[request.match_info["case"]]
        return web.Response(body=body, status=status, content_type="application/json")

    async def good(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}]})

    server.route("GET", "/case/{case}", answer)
    server.route("GET", "/good", good)
    server.start()

    def resource(name: str, path: str, selector: str | None) -> dict[str, Any]:
        endpoint: dict[str, Any] = {"path": path, "paginator": "single_page"}
        if selector is not None:
            endpoint["data_selector"] = selector
        return {"name": name, "endpoint": endpoint}

    resources = [resource(n, f"/case/{n}", case[2]) for n, case in CASES.items()]
    config = {
        "client": {"base_url": server.base_url},
        "resources": [*resources, resource("good", "/good", "data")],
    }
    source = restsync.rest_api_source(config)
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), source)

    failed = {f.resource: f for f in caught.value.failures}
    expected = {name: case[3] for name, case in CASES.items() if case[3] is not None}
    assert sorted(failed) == sorted(expected)
    for name, fragment in expected.items():
        assert isinstance(failed[name], restsync.ResponseFormatError)
        assert fragment in failed[name].message, name
        assert failed[name].url == f"{server.base_url}/case/{name}"
    assert SECRET not in str(caught.value)
    report = restsync.runtime_of(source).last_report
    assert report is not None
    for name in set(CASES) - set(expected):
        assert report.resources[name].status == "ok" and report.resources[name].records == 0
    assert count_rows(duckdb_path, "data", "good") == 2


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        (
            {"a": 1, "b": "x", "c": None, "d": [1], "e": {"f": 1}, "g": True},
            "an object {'a': number, 'b': string, 'c': null, 'd': list, 'e': object, 'g': boolean}",
        ),
        (
            {f"k{i}": i for i in range(10)},
            "an object {'k0': number, 'k1': number, 'k2': number, 'k3': number, 'k4': number, "
            "'k5': number, 'k6': number, 'k7': number, ... (10 keys)}",
        ),
        ({"x" * 50: 1}, "an object {'" + "x" * 40 + "...': number}"),
        ([], "an empty list"),
        (["a", "b"], "a list of 2 (the first is string)"),
        (1.5, "a JSON number"),
        (None, "JSON null"),
    ],
)
def test_a_shape_names_keys_and_types_only(value: Any, shape: str) -> None:
    assert describe_shape(value) == shape
