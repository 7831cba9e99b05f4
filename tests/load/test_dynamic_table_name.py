"""A table name that is a function of the record (dlt's dynamic ``table_name``), given in the
config or applied to a built source with ``apply_hints``: Arrow pages fall back to dicts for
that resource, and the tables, nested ones included, are those of ``page_format: dicts``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer
from tests.load.layout import assert_identical, load_both

RECORDS = [
    {"id": i, "kind": "even" if i % 2 == 0 else "odd", "tags": [f"t{i}", f"u{i}"]}
    for i in range(1, 12)
]


def _by_kind(item: Any) -> str:
    return f"items_{item['kind']}"


@pytest.mark.parametrize("given", ["config", "apply_hints"])
def test_a_table_name_function_loads_as_dicts_do(
    server: RoutedServer, tmp_path: Path, given: str
) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response(RECORDS)

    server.start()

    def build(page_format: str) -> Any:
        resource: dict[str, Any] = {
            "name": "items",
            "endpoint": {"path": "/items", "paginator": "single_page"},
            "page_format": page_format,
        }
        if given == "config":
            resource["table_name"] = _by_kind
        source = restsync.rest_api_source(
            {"client": {"base_url": server.base_url}, "resources": [resource]}
        )
        if given == "apply_hints":
            source.resources["items"].apply_hints(table_name=_by_kind)
        return source

    fast, dicts, fallbacks = load_both(tmp_path, "dynamic", build)
    assert fallbacks["items"] == "the resource's hints depend on the data"
    assert sorted(dicts["columns"]) == [
        "items_even",
        "items_even__tags",
        "items_odd",
        "items_odd__tags",
    ]
    assert len(dicts["rows"]["items_odd"]) == 6
    assert_identical(fast, dicts)
