"""The comparison harness (scripts/airbyte_corpus_diff.py) serves a stream whose partition
routers multiply (nylas' events: a list of two SubstreamPartitionRouters, every grant with every
calendar of every grant) smaller, in a round of its own, and says so in the verdict. At the
default size nylas' 125 grants x 300 calendars were 37,500 requests, which airbyte-cdk could
not send within the harness's budget (unfinished); the other streams keep the default size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.airbyte import manifests as build
from tests.airbyte._script import load_script

SPEC = build.spec(api_key={"type": "string", "airbyte_secret": True})
BASE = "https://calendar.example.invalid/v3/"


def _requester(path: str) -> dict[str, Any]:
    bearer = {"type": "BearerAuthenticator", "api_token": "{{ config['api_key'] }}"}
    return build.requester(BASE, path, authenticator=bearer)


def _manifest() -> dict[str, Any]:
    pages = build.paginator(
        {
            "type": "CursorPagination",
            "cursor_value": "{{ response.get('next_cursor') }}",
            "stop_condition": "{{ not response.get('next_cursor') }}",
            "page_size": 4,
        },
        build.option("page_token"),
        build.option("limit"),
    )
    grants = build.stream(
        "grants", _requester("grants"), ["data"], primary_key=["id"], paginator=pages
    )
    calendars = build.stream(
        "calendars",
        _requester("grants/{{ stream_partition['grant_id'] }}/calendars"),
        ["data"],
        primary_key=["id"],
        retriever={"partition_router": build.substream(grants, "id", "grant_id")},
    )
    by_calendar = build.substream(calendars, "id", "calendar_id")
    by_calendar["parent_stream_configs"][0]["request_option"] = build.option("calendar_id")
    events = build.stream(
        "events",
        _requester("grants/{{ stream_partition['grant_id'] }}/events"),
        ["data"],
        primary_key=["id"],
        retriever={"partition_router": [build.substream(grants, "id", "grant_id"), by_calendar]},
    )
    check = {"type": "CheckStream", "stream_names": ["grants"]}
    return build.manifest(grants, calendars, events, spec=SPEC, check=check)


def test_a_product_of_parent_streams_is_served_smaller_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "calendar"
    folder.mkdir()
    (folder / "manifest.yaml").write_text(yaml.safe_dump(_manifest()))

    assert load_script("airbyte_corpus_diff").main(str(tmp_path), "--timeout", "300") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["calendar", "identical"], lines
    verdicts = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines[1:4]}
    # 8 grants x 64 calendars (8 a grant) = 512 partitions, each the events of its grant
    assert verdicts["events"].startswith("identical ("), verdicts
    assert verdicts["events"].endswith(
        " records); served at 8 records a resource and a parent: its partition routers "
        "multiply their parents' records"
    )
    # the parents, compared in their own round, keep the default size: 2.5 pages of grants
    assert verdicts["grants"] == "identical (10 records)"
    assert verdicts["calendars"].startswith("identical (")
    assert "served at" not in verdicts["calendars"]
