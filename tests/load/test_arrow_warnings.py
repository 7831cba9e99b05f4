"""A json column laid out as Arrow travels as text by design (_load/_arrow.py ``_declare_json``),
so dlt's extractor found the resource's hint (json) and the Arrow type (text) different on every
page and warned each time; and a json column the config declares under its API name
(``filterTypes``) was declared again under the table's name (``filter_types``) on every page,
which dlt warned "collides". ``restsync demo`` printed 56 such lines. A run now logs neither, and
the column is still json."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer


@pytest.fixture
def dlt_warnings() -> Iterator[list[logging.LogRecord]]:
    """The WARNING records dlt's own logger emits (it does not propagate to the root)."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep(logging.WARNING)
    logger = logging.getLogger("dlt")
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)


def _serve_pages(server: RoutedServer) -> None:
    async def items(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        rows = [
            {"id": page * 10 + i, "filterTypes": ["a", "b"], "meta": {"k": i}} for i in range(3)
        ]
        return web.json_response({"data": rows if page <= 4 else []})

    server.route("GET", "/items", items)
    server.start()


def test_a_json_column_loads_as_json_without_a_warning_per_page(
    server: RoutedServer, make_pipeline: Any, duckdb_path: Path, dlt_warnings: list[Any]
) -> None:
    _serve_pages(server)
    config = {
        "client": {"base_url": server.base_url},
        "resources": [
            {
                "name": "items",
                "columns": {"filterTypes": {"data_type": "json"}, "meta": {"data_type": "json"}},
                "endpoint": {
                    "path": "items",
                    "data_selector": "data",
                    "paginator": {"type": "page_number", "base_page": 1, "total_path": None},
                },
            }
        ],
    }
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))

    with duckdb.connect(str(duckdb_path)) as db:
        types = dict(
            db.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'data' and table_name = 'items'"
            ).fetchall()
        )
        rows = db.execute("select count(*) from data.items").fetchone()
    assert types["filter_types"] == "JSON" and types["meta"] == "JSON"
    assert rows == (12,)
    assert [r.getMessage()[:90] for r in dlt_warnings] == []
