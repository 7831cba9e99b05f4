"""A row_order chain reads each page's cursor values through a path compiled once per plan:
a JSONPath cursor (``$['updated_at']``, which dlt takes) is parsed once, not once per page
(before: the scheduler compiled it again for every page of the chain)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
import restsync._selectors as selectors
from tests.conftest import RoutedServer, count_rows

PAGES = 5


def test_a_jsonpath_cursor_is_parsed_once_for_a_whole_chain(
    server: RoutedServer, make_pipeline: Any, duckdb_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @server.get("/events")
    async def events(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        more = {"next": f"{server.base_url}/events?page={page + 1}"} if page < PAGES else {}
        record = {"id": page, "updated_at": f"2024-01-{page:02d}"}
        return web.json_response({"data": [record], **more})

    server.start()
    source = restsync.rest_api_source(
        {
            "client": {"base_url": server.base_url},
            "resources": [
                {
                    "name": "events",
                    "page_format": "dicts",
                    "endpoint": {
                        "path": "/events",
                        "data_selector": "data",
                        "paginator": {"type": "json_link", "next_url_path": "next"},
                        "incremental": {
                            "cursor_path": "$['updated_at']",
                            "initial_value": "2024-01-01",
                            "end_value": "2025-01-01",
                            "row_order": "asc",
                        },
                    },
                }
            ],
        }
    )
    parsed: list[str] = []
    real_parse = selectors.parse_jsonpath

    def counting(expression: str) -> Any:
        parsed.append(expression)
        return real_parse(expression)

    monkeypatch.setattr(selectors, "parse_jsonpath", counting)
    restsync.sync(make_pipeline(), source)

    assert count_rows(duckdb_path, "data", "events") == PAGES
    assert len(server.requests) == PAGES
    assert parsed.count("$['updated_at']") == 1  # before: 4, once per page that had a next one
