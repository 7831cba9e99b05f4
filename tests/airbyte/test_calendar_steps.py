"""DatetimeBasedCursor steps in months and years (``P1M``, ``P1Y``): windows follow the
calendar as Airbyte cuts them, the day clamped to the month's last day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync.airbyte import stream_problems
from restsync.airbyte._dates import CalendarStep, parse_step
from tests.airbyte import manifests as build
from tests.conftest import count_rows


def _manifest(step: str) -> dict[str, Any]:
    cursor = build.days_cursor("day", step=step, cursor_granularity="P1D")
    # the record selector and the request options untyped, as older manifests write them
    return build.manifest(
        build.stream(
            "numbers",
            build.requester("{{ config['base_url'] }}", "numbers"),
            {"extractor": {"field_path": ["items"]}},
            incremental_sync=cursor,
        )
    )


def test_month_steps_cut_calendar_windows(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/numbers")
    async def numbers(request: web.Request) -> web.Response:
        return web.json_response({"items": [{"day": request.query["from"]}]})

    server.start()
    config = {"base_url": server.base_url, "start_date": "2024-01-31", "end_date": "2024-04-15"}
    restsync.sync(make_pipeline(), restsync.airbyte_source(_manifest("P1M"), config))
    windows = [(r.query["from"], r.query["to"]) for r in server.requests]
    assert sorted(windows) == [
        ("2024-01-31", "2024-02-28"),  # Jan 31 + 1 month is Feb 29 (leap year), less a day
        ("2024-02-29", "2024-03-28"),  # then Mar 29: each step from the last window's start
        ("2024-03-29", "2024-04-15"),  # the last window ends at the end
    ]
    assert count_rows(duckdb_path, "data", "numbers") == 3


def test_year_and_mixed_steps() -> None:
    start = datetime(2023, 2, 28, tzinfo=UTC)
    assert parse_step("P1Y").after(start) == datetime(2024, 2, 28, tzinfo=UTC)
    assert parse_step("P1M2D").after(start) == datetime(2023, 3, 30, tzinfo=UTC)
    assert parse_step("PT6H") == CalendarStep(0, parse_step("PT6H").rest)
    assert parse_step("PT6H").after(start) == datetime(2023, 2, 28, 6, tzinfo=UTC)


@pytest.mark.parametrize("step", ["P0D", "PT0S"])
def test_a_step_that_does_not_advance_is_rejected_at_check(step: str) -> None:
    config = {
        "base_url": "http://127.0.0.1:9",
        "start_date": "2024-01-01",
        "end_date": "2024-02-01",
    }
    problems = stream_problems(_manifest(step), config)
    assert "does not advance" in str(problems["numbers"])
