"""A DatetimeBasedCursor ``lookback_window`` in months (brex's and timely's ``P1M``): a later
run starts one calendar month before the saved cursor, as airbyte-cdk subtracts isodate's
Duration (Mar 31 - P1M is Feb 29), never before the start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync.airbyte import stream_problems
from restsync.airbyte._dates import parse_step
from tests.airbyte import manifests as build


def _manifest(lookback: str) -> dict[str, Any]:
    cursor = build.days_cursor("day", lookback_window=lookback)
    events = build.stream(
        "events",
        build.requester("{{ config['base_url'] }}", "events"),
        {"extractor": {"field_path": ["items"]}},
        primary_key="id",
        incremental_sync=cursor,
    )
    return build.manifest(events)


def test_a_month_lookback_passes_check() -> None:
    config = {
        "base_url": "http://127.0.0.1:9",
        "start_date": "2024-01-01",
        "end_date": "2024-04-15",
    }
    assert stream_problems(_manifest("P1M"), config) == {}


def test_a_later_run_starts_a_calendar_month_before_the_saved_cursor(
    server: Any, make_pipeline: Any
) -> None:
    @server.get("/events")
    async def events(request: web.Request) -> web.Response:
        return web.json_response({"items": [{"id": 1, "day": "2024-03-31"}]})

    server.start()
    config = {"base_url": server.base_url, "start_date": "2024-01-01", "end_date": "2024-04-15"}
    pipeline = make_pipeline()
    for _ in range(2):
        restsync.sync(pipeline, restsync.airbyte_source(_manifest("P1M"), config))
    assert [r.query["from"] for r in server.requests] == ["2024-01-01", "2024-02-29"]


@pytest.mark.parametrize(
    ("saved", "lookback", "start"),
    [  # what isodate (airbyte-cdk 7.39.1's parse_duration) gives for the same subtraction
        ("2024-03-31T10:00:00", "P1M", "2024-02-29T10:00:00"),
        ("2024-03-31T10:00:00", "P1Y", "2023-03-31T10:00:00"),
        ("2024-03-31T10:00:00", "P1M2DT3H", "2024-02-27T07:00:00"),
        ("2024-01-31T00:00:00", "P2M", "2023-11-30T00:00:00"),
        ("2023-03-29T00:00:00", "P1M", "2023-02-28T00:00:00"),
    ],
)
def test_calendar_subtraction_as_isodate(saved: str, lookback: str, start: str) -> None:
    moment = datetime.fromisoformat(saved).replace(tzinfo=UTC)
    assert parse_step(lookback).before(moment) == datetime.fromisoformat(start).replace(tzinfo=UTC)
