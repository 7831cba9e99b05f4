"""``incremental_dependency`` on a parent copied into the router (stripe's five streams): restsync
runs the first sync exactly as airbyte-cdk does (the copy read in full, as airbyte-cdk reads it
without state), and stops the stream, with one sentence, on a later run where airbyte-cdk would
resume the copy from the parent state it keeps in the child's state (restsync does not keep that
state yet). A full refresh reads it again. Both clients against one local server."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import dlt
import pytest
from aiohttp import web

import restsync
from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer

SESSIONS = [
    {"id": "s1", "updated": "2024-01-02"},
    {"id": "s2", "updated": "2024-01-03"},
    {"id": "s3", "updated": "2024-01-04"},
]


def serve(server: RoutedServer, asked: list[str]) -> None:
    @server.get("/sessions")
    async def sessions(request: web.Request) -> web.Response:
        low, high = request.query["from"], request.query["to"]
        asked.append(f"sessions {low}..{high}")
        rows = [s for s in SESSIONS if low <= s["updated"] <= high]
        return web.json_response({"data": rows})

    @server.get("/sessions/{session}/lines")
    async def lines(request: web.Request) -> web.Response:
        session = request.match_info["session"]
        asked.append(f"lines {session}")
        updated = next(s["updated"] for s in SESSIONS if s["id"] == session)
        rows = [{"id": f"{session}-{n}", "session_updated": updated} for n in range(2)]
        return web.json_response({"data": rows})


def _manifest(tmp_path: Path) -> Path:
    base = "{{ config['base_url'] }}"
    sessions = build.stream(
        "sessions",
        build.requester(base, "/sessions"),
        ["data"],
        primary_key="id",
        incremental_sync=build.days_cursor("updated", step="P1D", cursor_granularity="P1D"),
    )
    # the copy differs from the stream of its name where stripe's do: the child's $parameters
    copied = copy.deepcopy(sessions)
    copied["$parameters"] = {"path": "sessions/{{ stream_partition.session_id }}/lines"}
    router = build.substream(copied, "id", "session_id")
    router["parent_stream_configs"][0]["incremental_dependency"] = True
    cursor = {
        "type": "DatetimeBasedCursor",
        "cursor_field": "session_updated",
        "datetime_format": "%Y-%m-%d",
        "start_datetime": "{{ config['start_date'] }}",
        "end_datetime": "{{ config['end_date'] }}",
        "global_substream_cursor": True,
    }
    lines = build.stream(
        "lines",
        build.requester(base, "/sessions/{{ stream_partition.session_id }}/lines"),
        ["data"],
        primary_key="id",
        retriever={"partition_router": router},
        incremental_sync=cursor,
    )
    check = {"type": "CheckStream", "stream_names": ["lines"]}
    path = tmp_path / "lines.yaml"
    path.write_text(json.dumps(build.manifest(sessions, lines, version="6.44.0", check=check)))
    return path


CONFIG = {"start_date": "2024-01-01", "end_date": "2024-01-05"}


def test_the_first_sync_reads_what_airbyte_cdk_reads(server: RoutedServer, tmp_path: Path) -> None:
    asked: list[str] = []
    serve(server, asked)
    server.start()
    manifest = _manifest(tmp_path)
    config = {**CONFIG, "base_url": server.base_url}
    expected, errors = reference_records(manifest, config, ["lines"])
    assert errors == []
    cdk_asked = sorted(asked)
    asked.clear()
    got = restsync_records(manifest, config)
    assert len(expected["lines"]) == 6
    assert canonical(got["lines"]) == canonical(expected["lines"])
    assert canonical(got["sessions"]) == canonical(SESSIONS)
    asked.clear()
    list(restsync.airbyte_source(manifest, config, streams=["lines"]).resources["lines"])
    # the copy's daily windows and one request a session, as airbyte-cdk sends them
    assert sorted(asked) == cdk_asked
    plan = plan_manifest(manifest, config, streams=["lines"])
    notes = " ".join(plan.resources["lines"].notes)
    assert "incremental_dependency on a copy of 'sessions': read in full" in notes


def test_a_later_run_with_the_streams_cursor_stops_it_and_a_full_refresh_reads_it_again(
    server: RoutedServer, tmp_path: Path
) -> None:
    asked: list[str] = []
    serve(server, asked)
    server.start()
    manifest = _manifest(tmp_path)
    config = {**CONFIG, "base_url": server.base_url}
    pipeline = dlt.pipeline(
        pipeline_name="parent_state",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "lines.duckdb")),
        dataset_name="data",
    )

    def rows() -> list[tuple[Any, ...]]:
        with pipeline.sql_client() as client:
            return sorted(client.execute_sql("select id, session_updated from lines"))

    pipeline.run(restsync.airbyte_source(manifest, config, streams=["lines"]))
    first = rows()
    assert len(first) == 6
    state = pipeline.state["sources"]["airbyte"]["resources"]["lines"]["incremental"]
    assert state["session_updated"]["last_value"] == "2024-01-04"

    asked.clear()
    with pytest.raises(Exception) as stopped:  # dlt's PipelineStepFailed around restsync's
        pipeline.run(restsync.airbyte_source(manifest, config, streams=["lines"]))
    sentence = str(stopped.value)
    assert "stream 'lines' has a cursor from an earlier run" in sentence
    assert "its parent 'sessions' is read with incremental_dependency" in sentence
    assert "--full-refresh" in sentence
    assert not any(a.startswith("lines") for a in asked)  # no child request was sent
    assert rows() == first

    pipeline.run(
        restsync.airbyte_source(manifest, config, streams=["lines"]), refresh="drop_sources"
    )
    assert rows() == first


# --- a partitioned parent: the child's partition carries the parent's (parent_slice) ---------

# trustpilot's shape: configured_business_units lists the config's names (a ListPartitionRouter
# sent as ?name=), each answered by one business unit; private_reviews reads each unit's reviews
# incrementally. "a" is listed twice, and "c" names the same unit as "a".
UNITS = {"a": "u1", "b": "u2", "c": "u1"}


def serve_units(server: RoutedServer, asked: list[str]) -> None:
    @server.get("/units")
    async def units(request: web.Request) -> web.Response:
        name = request.query["name"]
        asked.append(f"units {name}")
        return web.json_response({"id": UNITS[name], "display": name.upper()})

    @server.get("/units/{unit}/reviews")
    async def reviews(request: web.Request) -> web.Response:
        unit = request.match_info["unit"]
        asked.append(f"reviews {unit}")
        rows = [{"id": f"{unit}-{n}", "day": "2024-01-02"} for n in range(2)]
        return web.json_response({"data": rows})


def _units_manifest(tmp_path: Path, incremental: bool) -> Path:
    base = "{{ config['base_url'] }}"
    units = build.stream(
        "units",
        build.requester(base, "/units"),
        [],
        primary_key="id",
        retriever={
            "partition_router": {
                "type": "ListPartitionRouter",
                "values": "{{ config['names'] }}",
                "cursor_field": "name",
                "request_option": build.option("name"),
            }
        },
    )
    more: dict[str, Any] = {"incremental_sync": build.days_cursor("day")} if incremental else {}
    reviews = build.stream(
        "reviews",
        build.requester(base, "/units/{{ stream_partition['unit_id'] }}/reviews"),
        ["data"],
        primary_key="id",
        retriever={"partition_router": build.substream(units, "id", "unit_id")},
        transformations=[
            {
                "type": "AddFields",
                "fields": [
                    {
                        "path": ["listed_as"],
                        "value": "{{ stream_partition['parent_slice']['name'] }}",
                    }
                ],
            }
        ],
        **more,
    )
    check = {"type": "CheckStream", "stream_names": ["reviews"]}
    path = tmp_path / "units.yaml"
    path.write_text(json.dumps(build.manifest(units, reviews, version="6.44.0", check=check)))
    return path


@pytest.mark.parametrize("incremental", [True, False], ids=["incremental", "full-refresh"])
def test_a_partitioned_parent_s_partition_is_the_child_s_parent_slice(
    server: RoutedServer, tmp_path: Path, incremental: bool
) -> None:
    asked: list[str] = []
    serve_units(server, asked)
    server.start()
    manifest = _units_manifest(tmp_path, incremental)
    config = {**CONFIG, "base_url": server.base_url, "names": ["a", "b", "a", "c"]}
    expected, errors = reference_records(manifest, config, ["reviews"])
    assert errors == []
    # units: airbyte-cdk's HTTP cache answers its second identical request for "a"
    cdk_asked = sorted(a for a in asked if a.startswith("reviews"))
    asked.clear()
    got = restsync_records(manifest, config)
    assert canonical(got["reviews"]) == canonical(expected["reviews"])
    # every review says under which listed name its unit was read; before, restsync's
    # parent_slice was empty (listed_as None) and the repeated "a" read u1 a third time
    assert sorted(r["listed_as"] for r in got["reviews"]) == sorted(
        ["a", "a", "b", "b", "c", "c"] + (["a", "a"] if not incremental else [])
    )
    asked.clear()
    list(restsync.airbyte_source(manifest, config, streams=["reviews"]).resources["reviews"])
    # the incremental stream reads the repeated partition (u1 under "a") once, the
    # full-refresh one for each parent record, as airbyte-cdk does
    assert sorted(a for a in asked if a.startswith("reviews")) == cdk_asked
    assert cdk_asked.count("reviews u1") == (2 if incremental else 3)


def test_a_tagged_parent_s_records_load_as_plain_rows(server: RoutedServer, tmp_path: Path) -> None:
    """The parent's records carry their partition to the child's slices and load as any
    record: both streams into one DuckDB file (the tagged records once lost every column)."""
    serve_units(server, [])
    server.start()
    manifest = _units_manifest(tmp_path, incremental=True)
    config = {**CONFIG, "base_url": server.base_url, "names": ["a", "b", "a", "c"]}
    pipeline = dlt.pipeline(
        pipeline_name="units",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "units.duckdb")),
        dataset_name="data",
    )
    pipeline.run(restsync.airbyte_source(manifest, config))
    with pipeline.sql_client() as client:
        units = sorted(client.execute_sql("select id, display from units"))
        reviews = sorted(client.execute_sql("select id from reviews"))
    # a full-refresh stream with a key appends, as its every record is loaded
    assert units == [("u1", "A"), ("u1", "A"), ("u1", "C"), ("u2", "B")]
    assert [r[0] for r in reviews] == ["u1-0", "u1-1", "u2-0", "u2-1"]
