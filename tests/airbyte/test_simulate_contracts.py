"""The simulator serves a manifest's contract where the API carries it: an incremental cursor
copied by AddFields, records behind a '*' step of the record path."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import SimulatorError
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate

# linkedin-pages' time-bound statistics: the cursor timeRangeEnd (epoch milliseconds) is added
# from the API's record['timeRange']['end'], which is then removed
STATISTICS = build.manifest(
    build.stream(
        "statistics",
        build.requester("https://x.invalid", "/statistics"),
        ["elements"],
        primary_key=[],
        schema=build.properties(clicks="integer", timeRangeEnd="number"),
        transformations=[
            {
                "type": "AddFields",
                "fields": [{"path": ["timeRangeEnd"], "value": "{{ record['timeRange']['end'] }}"}],
            },
            {"type": "RemoveFields", "field_pointers": [["timeRange", "end"]]},
        ],
        incremental_sync={
            "type": "DatetimeBasedCursor",
            "cursor_field": "timeRangeEnd",
            "datetime_format": "%ms",
            "start_datetime": {
                "type": "MinMaxDatetime",
                "datetime": "{{ config['start_date'] }}",
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
            },
            "start_time_option": {"inject_into": "request_parameter", "field_name": "start"},
        },
    )
)


def test_a_cursor_added_from_a_record_path_is_served_at_that_path(simulate: Simulate) -> None:
    run = simulate(STATISTICS, {"start_date": "2024-01-01T00:00:00Z"}, seed=4)
    incremental = run.served.resources["statistics"].incremental
    assert incremental is not None and incremental.cursor_path == "timeRange.end"
    raw, records = run.served_and_read("statistics")
    start_ms = 1704067200000
    assert raw and all(r["timeRange"]["end"] >= start_ms for r in raw)
    # every record passes dlt's incremental: its added cursor is the served epoch milliseconds
    assert sorted(r["timeRangeEnd"] for r in records) == sorted(r["timeRange"]["end"] for r in raw)
    assert all("end" not in r.get("timeRange", {}) for r in records)


def _wrapped_stream(name: str, field_path: list[str]) -> dict[str, Any]:
    pages = build.paginator({"type": "PageIncrement", "page_size": 7}, build.option("page"))
    requester = build.requester("https://x.invalid", name)
    schema = build.properties(id="integer")
    return build.stream(
        name, requester, field_path, primary_key="id", paginator=pages, schema=schema
    )


def test_records_behind_a_star_step_are_served_in_wrappers(simulate: Simulate) -> None:
    """chargify's ['*', 'customer'] (an object of wrappers at the top: airbyte-cdk reads a list
    body item by item) and ['data', '*', 'attributes'] (a list of wrappers under a path)."""
    manifest = build.manifest(
        _wrapped_stream("customers", ["*", "customer"]),
        _wrapped_stream("items", ["data", "*", "attributes"]),
    )
    run = simulate(manifest, seed=6)
    dataset = run.sim.dataset()
    got = {name: list(run.source.resources[name]) for name in ("customers", "items")}
    for name in ("customers", "items"):
        assert len(dataset[name]) > 7  # more than one page
        assert sorted(r["id"] for r in got[name]) == sorted(r["id"] for r in dataset[name])


def test_records_behind_two_star_steps_are_served_in_groups(simulate: Simulate) -> None:
    """cal-com's ['data', 'eventTypeGroups', '*', 'eventTypes', '*']: a list of groups, each
    holding a list of records; paged by offset, so every page spans several groups."""
    stream = _wrapped_stream("event_types", ["data", "eventTypeGroups", "*", "eventTypes", "*"])
    run = simulate(build.manifest(stream), seed=7)
    served, records = run.served_and_read("event_types")
    assert len(served) > 7  # more than one page
    assert [r["id"] for r in records] == [r["id"] for r in served]


@pytest.mark.parametrize("strategy", ["OffsetIncrement", "PageIncrement"])
def test_paging_without_a_page_size_runs_until_an_empty_page(
    simulate: Simulate, strategy: str
) -> None:
    # northpass-lms: an OffsetIncrement with no page_size; the clients page until a page is
    # empty, and the simulator serves its own page size
    people = build.stream(
        "people",
        build.requester("https://x.invalid", "/people"),
        ["data"],
        primary_key=["id"],
        paginator=build.paginator({"type": strategy}, build.option("page")),
        schema=build.properties(id="integer"),
    )
    manifest = build.manifest(people)
    run = simulate(manifest, {}, seed=5)
    served, records = run.served_and_read("people")
    assert len(served) > 25  # more than one of the simulator's pages
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in served)


def _events_and_invitees(key_template: str) -> dict[str, Any]:
    # calendly: scheduled_events add 'id' cut from 'uri'; event_invitees partition on that id
    def stream(name: str, path: str, extra: dict[str, Any]) -> dict[str, Any]:
        # a text id ('sch_000001' by default) must end the URI in characters the regex takes
        schema = build.properties(uri="string", id="string")
        requester = build.requester("https://x.invalid", path)
        return build.stream(
            name, requester, ["collection"], primary_key=["uri"], schema=schema, **extra
        )

    add_id = {
        "type": "AddFields",
        "fields": [{"path": ["id"], "value": key_template}],
    }
    events = stream("scheduled_events", "/scheduled_events", {"transformations": [add_id]})
    invitees = stream(
        "event_invitees", "/scheduled_events/{{ stream_partition.event_id }}/invitees", {}
    )
    invitees["retriever"]["partition_router"] = build.substream(events, "id", "event_id")
    return build.manifest(events, invitees)


def test_a_partition_key_cut_from_a_uri_by_the_parents_add_fields_is_served(
    simulate: Simulate,
) -> None:
    manifest = _events_and_invitees("{{ record['uri'] | regex_search('/([a-zA-Z0-9-]*)$') }}")
    run = simulate(manifest, seed=5)
    dataset = run.sim.dataset()
    # the API's uri ends in the event's id, which the AddFields cuts out again
    assert all(e["uri"].endswith(f"/{e['id']}") for e in dataset["scheduled_events"])
    events = list(run.source.resources["scheduled_events"])
    assert sorted(str(e["id"]) for e in events) == sorted(
        str(e["id"]) for e in dataset["scheduled_events"]
    )
    invitees = list(run.source.resources["event_invitees"])
    assert len(dataset["event_invitees"]) > 3  # children of several events
    assert sorted(r["uri"] for r in invitees) == sorted(r["uri"] for r in dataset["event_invitees"])
    assert set(run.sim.counters()["status"]) == {"200"}


def test_a_partition_key_the_parents_add_fields_computes_otherwise_is_named() -> None:
    manifest = _events_and_invitees("{{ record['uri'] | length }}")
    plan = plan_manifest(manifest, {})
    with pytest.raises(SimulatorError, match="'event_invitees'.*'id' is computed by the parent"):
        simulator_plan(plan)


def test_a_partition_inside_a_json_body_text_is_bound(simulate: Simulate) -> None:
    # rollbar's items_metrics POSTs item_counters: "[{{ stream_partition['item_id'] }}]",
    # which both clients send as the list [<id>]
    items = _wrapped_stream("items", ["result"])
    requester = build.requester(
        "https://x.invalid",
        "/metrics/items",
        http_method="POST",
        request_body_json={"item_counters": "[{{ stream_partition['item_id'] }}]"},
    )
    metrics = build.stream(
        "items_metrics",
        requester,
        ["result", "metrics"],
        primary_key=["item_counter"],
        retriever={"partition_router": build.substream(items, "id", "item_id")},
        schema=build.properties(item_counter="integer"),
    )
    manifest = build.manifest(items, metrics)
    run = simulate(manifest, seed=3, streams=["items_metrics"])
    served, records = run.served_and_read("items_metrics")
    assert len(served) > 3  # children of several parents
    assert sorted(r["item_counter"] for r in records) == sorted(r["item_counter"] for r in served)
    assert set(run.sim.counters()["status"]) == {"200"}
