"""Offline runs: the simulator serves a manifest (its schemas as records, its pagination
contract, its auth), and the manifest runs against it end to end into DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

import restsync
from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import SimulatorError
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.conftest import count_rows, fetch_rows

MANIFESTS = Path(__file__).parent / "manifests"
FANOUT = {
    "base_url": "http://api.invalid",
    "token": "t-1",
    "regions": ["eu", "us"],
    "start_date": "2024-01-01",
    "end_date": "2024-03-01",
}


def test_fanout_manifest_runs_offline_against_the_simulator(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    run = simulate(MANIFESTS / "fanout.yaml", FANOUT, seed=3)
    assert run.served.resources["tasks"].path == "projects/{project_id}/tasks"
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    requests = run.requests()
    active = {p["id"] for p in dataset["projects"] if p.get("active")}
    assert 0 < len(active) < len(dataset["projects"])  # the RecordFilter has work to do
    assert count_rows(duckdb_path, "data", "projects") == len(active)
    # one tasks request per active project: partitions come from the filtered parent records
    assert requests["/projects/{project_id}/tasks"] == len(active)
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        loaded = {
            r[0] for r in connection.sql("select distinct project_id from data.tasks").fetchall()
        }
    assert loaded <= active and loaded
    assert count_rows(duckdb_path, "data", "metrics") > 0


def test_core_manifest_runs_offline_and_sends_the_configs_key(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    config = {"base_url": "http://api.invalid", "api_key": "k-9", "status": "open"}
    streams = ["users", "orders", "pages"]
    run = simulate(MANIFESTS / "core.yaml", config, seed=1, streams=streams)
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    for stream in ("users", "orders", "pages"):
        assert count_rows(duckdb_path, "data", stream) == len(dataset[stream]), stream


def test_a_selector_ending_in_a_star_is_served(simulate: Simulate) -> None:
    """core.yaml's tags: ``["tags", "*"]`` (each item of the list under ``tags``)."""
    config = {"base_url": "http://api.invalid", "api_key": "k", "status": "open"}
    run = simulate(MANIFESTS / "core.yaml", config, seed=1, streams=["tags"])
    dataset, got = run.served_and_read("tags")
    assert dataset and len(got) == len(dataset)


@pytest.mark.parametrize(
    ("name", "field", "strategy"),
    [
        # opsgenie: the next page's URL at response.paging.next, read with .get() and empty
        # defaults
        (
            "alerts",
            "data",
            {
                "cursor_value": '{{ response.get("paging", {}).get("next", {}) }}',
                "stop_condition": '{{ not response.get("paging", {}).get("next") }}',
            },
        ),
        # mailgun: the link behind a guard, which is the clients' to evaluate
        (
            "events",
            "items",
            {"cursor_value": "{{ response['paging']['next'] if response['items'] }}"},
        ),
    ],
    ids=["nested_gets", "guarded"],
)
def test_a_next_page_url_is_served_at_the_path_the_cursor_reads(
    name: str,
    field: str,
    strategy: dict[str, str],
    simulate: Simulate,
    make_pipeline: Any,
    duckdb_path: Path,
) -> None:
    """The simulator serves a next-page link at response.paging.next, and every record arrives."""
    pages = build.paginator({"type": "CursorPagination", **strategy}, {"type": "RequestPath"})
    stream = build.stream(
        name,
        build.requester("http://api.invalid", name),
        {"extractor": {"field_path": [field]}},
        primary_key="id",
        paginator=pages,
    )
    run = simulate(build.manifest(stream), seed=5)
    assert run.served.resources[name].paginator.next_url_path == "paging.next"  # type: ignore[union-attr]
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    assert count_rows(duckdb_path, "data", name) == len(dataset[name])
    assert run.requests()[f"/{name}"] > 1


def test_fields_a_transformation_reads_are_served_though_the_schema_lacks_them(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    """opsgenie's alert_recipients: AddFields reads the API's raw ``record['user']['id']`` and
    RemoveFields drops ``user``; the schema describes the output only. The simulator serves
    ``user`` too, so the stream's output is what the API's records would give."""
    selector = {
        "type": "RecordSelector",
        "extractor": {"type": "DpathExtractor", "field_path": ["data"]},
        # fails on a null score: a filtered field is served with a value
        "record_filter": {"condition": "{{ record['score'] >= 0 }}"},
    }
    add = {
        "type": "AddFields",
        "fields": [
            {"path": ["user_id"], "value": "{{ record['user']['id'] }}"},
            {"path": ["login"], "value": "{{ record.get('user').username }}"},
        ],
    }
    schema = build.properties(user_id="string", login="string", state="string")
    schema["properties"]["score"] = {"type": ["null", "integer"]}
    recipients = build.stream(
        "recipients",
        # a path with its own '?' (callrail) is routed without it
        build.requester("https://x.invalid", "recipients.json?"),
        selector,
        primary_key="user_id",
        schema=schema,
        transformations=[add, {"type": "RemoveFields", "field_pointers": [["user"]]}],
    )
    manifest = build.manifest(recipients)
    run = simulate(manifest, seed=2)
    columns = run.served.resources["recipients"].hints["columns"]
    assert set(columns) == {"user_id", "login", "state", "score", "user.id", "user.username"}
    assert columns["score"]["nullable"] is False and columns["state"]["nullable"] is True
    assert run.served.resources["recipients"].path == "recipients.json"
    raw = run.sim.dataset()["recipients"]
    restsync.sync(make_pipeline(), run.source)
    loaded = fetch_rows(duckdb_path, "select user_id, login from data.recipients")
    assert sorted(loaded) == sorted((r["user"]["id"], r["user"]["username"]) for r in raw)
    assert len(loaded) > 0


@pytest.mark.parametrize(
    "strategy",
    [
        {"type": "CursorPagination", "cursor_value": "{{ response.nextCursor }}", "page_size": 3},
        {"type": "OffsetIncrement", "page_size": 3},
        {"type": "PageIncrement", "page_size": 3, "start_from_page": 1},
    ],
)
def test_a_page_token_in_the_json_body_is_served(
    strategy: dict[str, Any], simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    """ashby's contract: POST with the page token and size in the JSON body."""
    pages = build.paginator(
        strategy, build.option("cursor", "body_json"), size=build.option("limit", "body_json")
    )
    requester = build.requester("https://x.invalid", "candidate.list", http_method="POST")
    candidates = build.stream(
        "candidates", requester, ["results"], primary_key="id", paginator=pages
    )
    manifest = build.manifest(candidates)
    run = simulate(manifest, seed=4)
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    requests = run.requests()["/candidate.list"]
    assert count_rows(duckdb_path, "data", "candidates") == len(dataset["candidates"]) > 3
    assert requests >= len(dataset["candidates"]) // 3


def _listing(name: str, path: str, **retriever: Any) -> dict[str, Any]:
    requester = build.requester("https://x.invalid", path)
    return build.stream(name, requester, ["data"], primary_key="id", retriever=retriever)


@pytest.mark.parametrize(
    "inject_into", ["request_parameter", "header", "path query", "request_parameters"]
)
def test_a_partition_sent_as_a_request_option_is_served(
    inject_into: str, simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    """appfollow/auth0: the parent's id goes in a query parameter (or header), not the path;
    getlago writes it into the path's own query ('subscriptions?customer={{ ... }}')."""
    parent = _listing("projects", "projects")
    path = "tasks"
    if inject_into == "path query":
        path, inject_into = "tasks?project_id={{ stream_partition.project }}&all=1", ""
    parameters = {}
    if inject_into == "request_parameters":  # appfollow renders it from the slice
        parameters, inject_into = {"project_id": "p-{{ stream_slice.project }}"}, ""
    router = build.substream(parent, "id", "project")
    if inject_into:
        option = {"type": "RequestOption", "inject_into": inject_into, "field_name": "project_id"}
        router["parent_stream_configs"][0]["request_option"] = option
    child = _listing("tasks", path, partition_router=router)
    child["retriever"]["requester"]["request_parameters"] = parameters
    manifest = {"version": "6.0.0", "type": "DeclarativeSource", "streams": [parent, child]}
    run = simulate(manifest, seed=6)
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    requests = run.requests()["/tasks"]
    assert count_rows(duckdb_path, "data", "tasks") == len(dataset["tasks"]) > 0
    assert requests == len(dataset["projects"])  # one partition per parent, one page each


def test_two_streams_at_one_route_asking_for_different_things_are_named() -> None:
    """serpstat's streams all POST to '/' and differ only by their JSON body: the simulator,
    which routes by method and path, would serve one stream's records for both."""

    def stream(name: str) -> dict[str, Any]:
        requester = {"url_base": "http://api.invalid", "path": "/", "http_method": "POST"}
        # a templated text (no literal one the simulator could route by; session 12)
        requester["request_body_json"] = {"method": "{{ 'Serpstat.' }}" + name}
        retriever = {"requester": requester, "record_selector": {"extractor": {}}}
        return {"type": "DeclarativeStream", "name": name, "retriever": retriever}

    manifest = {"version": "6.0.0", "streams": [stream("history"), stream("keywords")]}
    with pytest.raises(SimulatorError, match="streams 'history' and 'keywords' are both at POST"):
        simulator_plan(plan_manifest(manifest, {}))
    alone = simulator_plan(plan_manifest(manifest, {}, streams=["keywords"]))
    assert list(alone.resources) == ["keywords"]


def test_a_path_computed_from_the_time_window_is_named() -> None:
    """A path cut from the window's start that is not its year, month or day (here the
    year's last two digits; nytimes' year and month are served, test_simulate_s13.py): the
    simulator says so rather than serving the stream at an empty path."""
    path = "/archive/{{ stream_slice['start_time'][2:4] | int }}.json"
    retriever = {"requester": {"url_base": "http://api.invalid", "path": path}}
    retriever["record_selector"] = {"extractor": {"field_path": ["docs"]}}
    cursor = {
        "type": "DatetimeBasedCursor",
        "cursor_field": "pub_date",
        "datetime_format": "%Y-%m",
        "start_datetime": "2024-01",
        "end_datetime": "2024-03",
        "step": "P1M",
        "cursor_granularity": "PT1S",
    }
    stream = {"name": "archive", "retriever": retriever, "incremental_sync": cursor}
    manifest = {"version": "6.0.0", "streams": [stream]}
    with pytest.raises(SimulatorError, match="stream 'archive': its path is computed"):
        simulator_plan(plan_manifest(manifest, {}))


def test_two_streams_of_one_route_are_served_the_fields_both_read(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    """captain-data's jobs and successful_jobs read the same endpoint, the second keeping
    records with 'total_row_count > 0': the records served carry that count (never null) for
    both, where the first stream's own dataset would have had nulls that fail the filter."""

    def stream(name: str, condition: str | None) -> dict[str, Any]:
        selector: dict[str, Any] = {"extractor": {"field_path": []}}
        if condition:
            selector["record_filter"] = {"condition": condition}
        schema = {"type": "object", "properties": {"uid": {"type": "string"}}}
        schema["properties"]["total_row_count"] = {"type": ["null", "integer"]}
        return {
            "name": name,
            "primary_key": "uid",
            "retriever": {
                "requester": {"url_base": "http://api.invalid", "path": "/jobs"},
                "record_selector": selector,
            },
            "schema_loader": {"type": "InlineSchemaLoader", "schema": schema},
        }

    condition = "{{ record['total_row_count'] > 0 }}"
    manifest = {"version": "6.0.0", "streams": [stream("jobs", None), stream("done", condition)]}
    run = simulate(manifest, seed=2)
    for name in ("jobs", "done"):
        hint = run.served.resources[name].hints["columns"]["total_row_count"]
        assert hint["nullable"] is False, name
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    served_jobs = next(rows for rows in dataset.values())
    assert count_rows(duckdb_path, "data", "jobs") == len(served_jobs)
    positive = [r for r in served_jobs if r["total_row_count"] > 0]
    assert count_rows(duckdb_path, "data", "done") == len(positive)
