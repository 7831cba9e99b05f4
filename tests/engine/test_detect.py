"""dlt's guesses from a first response: the paginator and where the records are."""

from __future__ import annotations

from typing import Any

import pytest

from restsync._engine._detect import detect_paginator
from restsync._selectors import detect_records_path

URL = "https://api.example.com/items?page=2"


@pytest.mark.parametrize(
    "links, body, kind, settings",
    [
        ({"next": URL}, {"next": "abc"}, "header_link", {}),
        ({}, {"data": [], "next": URL}, "json_link", {"next_url_path": "next"}),
        ({}, {"data": [], "next_page": "/items?p=2"}, "json_link", {"next_url_path": "next_page"}),
        ({}, {"meta": {"nextLink": URL}}, "json_link", {"next_url_path": "meta.nextLink"}),
        ({}, {"next": {"href": URL}}, "json_link", {"next_url_path": "next.href"}),
        ({}, {"data": [], "total_pages": "4"}, "page_number", {"total_path": "total_pages"}),
        ({}, {"paging": {"pages": 3}}, "page_number", {"total_path": "paging.pages"}),
        ({}, {"next_cursor": "c2"}, "cursor", {"cursor_path": "next_cursor"}),
        ({}, {"next": 17}, "cursor", {"cursor_path": "next"}),
        ({}, {"next": None, "total": 9}, "single_page", {}),
        ({}, [{"id": 1}], "single_page", {}),
    ],
)
def test_paginator_detection(
    links: dict[str, str], body: Any, kind: str, settings: dict[str, Any]
) -> None:
    paginator = detect_paginator(links, body)
    assert paginator.type == kind
    for key, value in settings.items():
        assert getattr(paginator, key) == value


@pytest.mark.parametrize(
    "body, path",
    [
        ([{"id": 1}], "$"),
        ({"id": 1}, "$"),
        ({"meta": {"tags": ["a"]}, "data": [{"id": 1}]}, "data"),
        ({"warnings": ["w"], "posts": [{"id": 1}]}, "warnings"),
        ({"payload": {"records": [{"id": 1}]}}, "payload.records"),
        ({"a": {"b": {"c": [1]}}}, "a.b.c"),
        ({"a": {"b": {"c": {"items": [1]}}}}, "$"),
        ({"data": {"id": 1, "tags": ["x"]}}, "data.tags"),
    ],
)
def test_records_detection(body: Any, path: str) -> None:
    assert detect_records_path(body) == path
