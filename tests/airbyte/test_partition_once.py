"""A partition named by several parent records is read once in an incremental stream, as
airbyte-cdk's per-partition cursor reads it (revenuecat's offerings_packages_products: 729
records against airbyte-cdk's 81); a full-refresh stream reads it once per parent record, as
airbyte-cdk does too. Both clients against one local server, records compared per stream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer

# account 1 and 2 are listed twice (a parent API that repeats records across its pages)
ACCOUNTS = [{"id": 1}, {"id": 2}, {"id": 1}, {"id": 3}, {"id": 2}]


def serve_accounts(server: RoutedServer, asked: list[str]) -> None:
    @server.get("/accounts")
    async def accounts(request: web.Request) -> web.Response:
        return web.json_response({"data": ACCOUNTS})

    @server.get("/accounts/{account}/events")
    async def events(request: web.Request) -> web.Response:
        account = request.match_info["account"]
        asked.append(account)
        rows = [{"id": f"{account}-{n}", "day": "2024-01-02"} for n in range(2)]
        return web.json_response({"data": rows})


def _manifest(tmp_path: Path, cursor: dict[str, Any] | None) -> Path:
    base = "{{ config['base_url'] }}"
    accounts = build.stream("accounts", build.requester(base, "/accounts"), ["data"])
    more: dict[str, Any] = {"incremental_sync": cursor} if cursor else {}
    events = build.stream(
        "events",
        build.requester(base, "/accounts/{{ stream_partition.account_id }}/events"),
        ["data"],
        primary_key="id",
        retriever={"partition_router": build.substream(accounts, "id", "account_id")},
        **more,
    )
    check = {"type": "CheckStream", "stream_names": ["events"]}
    path = tmp_path / "events.yaml"
    path.write_text(json.dumps(build.manifest(accounts, events, version="6.44.0", check=check)))
    return path


CONFIG = {"start_date": "2024-01-01", "end_date": "2024-01-03"}


# revenuecat's window: from the start date to now, in milliseconds (a window ending now can end
# at another millisecond for each parent record: partitions are told apart without it)
UNTIL_NOW = {
    "type": "DatetimeBasedCursor",
    "cursor_field": "day",
    "datetime_format": "%ms",
    "cursor_datetime_formats": ["%Y-%m-%d"],
    "start_datetime": {"datetime": "{{ config['start_date'] }}", "datetime_format": "%Y-%m-%d"},
}


@pytest.mark.parametrize(
    "cursor",
    [
        build.days_cursor("day"),
        build.days_cursor("day", step="P1D", cursor_granularity="P1D"),
        UNTIL_NOW,
    ],
    ids=["one-window", "daily-windows", "window-until-now"],
)
def test_an_incremental_stream_reads_a_repeated_partition_once_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path, cursor: dict[str, Any]
) -> None:
    asked: list[str] = []
    serve_accounts(server, asked)
    server.start()
    manifest = _manifest(tmp_path, cursor)
    config = {**CONFIG, "base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    windows = asked.count("3")  # account 3 is listed once: its requests are one per window
    assert sorted(asked) == sorted(["1", "2", "3"] * windows)
    cdk_asked = sorted(asked)
    asked.clear()
    got = restsync_records(manifest, config)
    assert canonical(got["events"]) == canonical(expected["events"])
    # restsync asked accounts 1 and 2 twice before; every window of a partition is still asked
    assert sorted(asked) == cdk_asked


def test_a_full_refresh_stream_reads_it_per_parent_record_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    asked: list[str] = []
    serve_accounts(server, asked)
    server.start()
    manifest = _manifest(tmp_path, None)
    config = {**CONFIG, "base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    asked.clear()
    got = restsync_records(manifest, config)
    assert canonical(got["events"]) == canonical(expected["events"])
    assert sorted(asked) == ["1", "1", "2", "2", "3"]
    assert len(got["events"]) == 10
