"""Records: deterministic by seed, shaped by field hints, cursors increasing, add_records newer."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import pytest
from sim_plans import one_resource, plan_of, seed_plan
from sim_walker import fetch, walk_plan

from restsync.simulator import Simulator, SimulatorError, SimulatorOptions, serve_in_thread

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_same_seed_same_records_other_seed_other_records() -> None:
    plan = seed_plan("video_rooms")
    one = Simulator(plan, SimulatorOptions(seed=7)).dataset()
    assert one == Simulator(plan, SimulatorOptions(seed=7)).dataset()
    assert one != Simulator(plan, SimulatorOptions(seed=8)).dataset()


def test_default_record_shape() -> None:
    record = Simulator(one_resource({}, paginator="single_page")).dataset()["items"][0]
    assert list(record) == ["id", "name", "created_at", "updated_at", "active", "tags", "metadata"]
    assert isinstance(record["tags"], list) and isinstance(record["metadata"], dict)
    assert ISO.match(record["created_at"]) and isinstance(record["active"], bool)


def test_fields_hints_shape_the_records() -> None:
    fields: dict[str, dict[str, Any]] = {
        "id": {"data_type": "text"},
        "createdAt": {"data_type": "timestamp"},
        "isActive": {},
        "tags": {"data_type": "json"},
        "properties": {"data_type": "json"},
        "url": {"data_type": "text"},
        "variablesCount": {"data_type": "bigint"},
        "lastValue": {"data_type": "double"},
        "description": {"data_type": "text", "nullable": True},
    }
    sim = Simulator(one_resource({}), SimulatorOptions(records_per_resource=40),
                    fields={"items": fields})
    records = sim.dataset()["items"]
    assert all(list(r) == list(fields) for r in records)
    assert len({r["id"] for r in records}) == 40 and isinstance(records[0]["id"], str)
    assert all(ISO.match(r["createdAt"]) for r in records)
    assert all(isinstance(r["isActive"], bool) for r in records)
    assert all(isinstance(r["tags"], list) and isinstance(r["properties"], dict) for r in records)
    assert all(r["url"].startswith("https://") for r in records)
    assert all(isinstance(r["variablesCount"], int) for r in records)
    assert all(isinstance(r["lastValue"], float) for r in records)
    assert any(r["description"] is None for r in records)


def test_column_hints_in_the_config_are_the_fallback() -> None:
    plan = plan_of({"client": {"base_url": "https://x.example"}, "resources": [{
        "name": "items", "primary_key": "uuid",
        "columns": {"uuid": {"data_type": "text"}, "score": {"data_type": "bigint"}}}]})
    records = Simulator(plan).dataset()["items"]
    assert list(records[0]) == ["uuid", "score"]
    assert len({r["uuid"] for r in records}) == len(records)


def test_counts_follow_scale_and_records_per_resource() -> None:
    plan = one_resource({"paginator": {"type": "offset", "limit": 20}})
    assert len(Simulator(plan).dataset()["items"]) == 50  # 2.5 pages
    assert len(Simulator(plan, SimulatorOptions(scale=2)).dataset()["items"]) == 100
    options = SimulatorOptions(records_per_resource=7, scale=3)
    assert len(Simulator(plan, options).dataset()["items"]) == 21


def test_incremental_cursor_increases_and_add_records_is_newer() -> None:
    plan = seed_plan("device_management")  # activities: cursor activityTime, offset paging
    with serve_in_thread(plan) as sim:
        before = sim.dataset()["activities"]
        stamps = [r["activityTime"] for r in before]
        assert stamps == sorted(set(stamps)) and all(ISO.match(s) for s in stamps)
        assert stamps[0] > "2024-01-01T00:00:00Z"
        sim.add_records("activities", 5)
        after = walk_plan(sim.base_url, plan, sim.credential)["activities"].records
    assert len(after) == len(before) + 5
    assert after[: len(before)] == before
    assert min(r["activityTime"] for r in after[len(before):]) > max(stamps)


def test_add_records_to_a_child_spreads_over_parents() -> None:
    plan = seed_plan("webhook_service")
    with serve_in_thread(plan) as sim:
        before = len(sim.dataset()["endpoints"])
        sim.add_records("endpoints", 4)
        walks = walk_plan(sim.base_url, plan, sim.credential)
    assert len(walks["endpoints"].records) == before + 4


def test_new_parents_get_children() -> None:
    plan = seed_plan("webhook_service")
    sim = Simulator(plan, SimulatorOptions(seed=0))
    before = len(sim.dataset()["endpoints"])
    sim.add_records("applications", 2)
    assert len(sim.dataset()["endpoints"]) == before + 6


def test_add_records_refuses_one_object_resources_and_unknown_names() -> None:
    sim = Simulator(seed_plan("video_rooms"))
    with pytest.raises(SimulatorError, match="one object per response"):
        sim.add_records("template_settings", 1)
    with pytest.raises(SimulatorError, match="unknown resource 'nope'"):
        sim.add_records("nope", 1)


def test_start_param_filters_on_the_server() -> None:
    plan = plan_of({"client": {"base_url": "https://x.example"}, "resources": [{
        "name": "items", "endpoint": {"path": "/items", "paginator": "single_page"},
        "incremental_sync": {"cursor_field": "updated", "start_datetime": "2024-01-01T00:00:00Z",
                             "datetime_format": "%Y-%m-%d %H:%M", "start_param": "since"}}]})
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=10)) as sim:
        stamps = [r["updated"] for r in sim.dataset()["items"]]
        assert stamps[0] == "2024-01-01 01:00"  # the configured datetime_format
        since = fetch(sim.base_url + "/items", params={"since": stamps[6]}).json()["data"]
        assert [r["updated"] for r in since] == stamps[6:]
        assert fetch(sim.base_url + "/items", params={"since": "garbage"}).status == 400


def test_numeric_dlt_incremental_with_start_param() -> None:
    plan = plan_of({"client": {"base_url": "https://x.example"}, "resources": [{
        "name": "items", "endpoint": {"path": "/items", "paginator": "single_page",
                                      "incremental": {"cursor_path": "seq", "start_param": "after",
                                                      "initial_value": 100}}}]})
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=5)) as sim:
        assert [r["seq"] for r in sim.dataset()["items"]] == [101, 102, 103, 104, 105]
        body = fetch(sim.base_url + "/items", params={"after": 103}).json()
    assert [r["seq"] for r in body["data"]] == [103, 104, 105]


def test_a_later_start_date_moves_the_cursor_epoch() -> None:
    plan = plan_of({"client": {"base_url": "https://x.example"}, "resources": [{
        "name": "items", "endpoint": "/items",
        "incremental_sync": {"cursor_field": "updated",
                             "start_datetime": "2025-03-01T00:00:00Z"}}]})
    first = Simulator(plan).dataset()["items"][0]["updated"]
    assert datetime.strptime(first, "%Y-%m-%dT%H:%M:%SZ") > datetime(2025, 3, 1)


def _keyed(**resource: Any) -> Any:
    return plan_of({"client": {"base_url": "https://x.example"}, "resources": [
        {"name": "items", "endpoint": {"path": "/items", "paginator": "single_page"},
         **resource}]})


def test_break_records_drops_a_required_field() -> None:
    plan = _keyed(primary_key="id", columns={
        "id": {"data_type": "bigint", "nullable": False},
        "note": {"data_type": "text"},
        "name": {"data_type": "text", "nullable": False},
    })
    options = SimulatorOptions(records_per_resource=30)
    records = Simulator(plan, options, break_records={"items": 3}).dataset()["items"]
    broken = [r for r in records if "name" not in r]
    assert len(records) == 30 and len(broken) == 3  # still served, just without the field
    assert all(isinstance(r["id"], int) and "note" in r for r in records)
    assert "name" in records[0]
    again = Simulator(plan, options, break_records={"items": 3}).dataset()["items"]
    other = Simulator(plan, SimulatorOptions(seed=1, records_per_resource=30),
                      break_records={"items": 3}).dataset()["items"]
    assert again == records
    assert [r["id"] for r in other if "name" not in r] != [r["id"] for r in broken]


def test_without_required_fields_break_records_drops_the_primary_key() -> None:
    plan = _keyed(primary_key="uuid")
    for seed in range(20):  # whatever the seed, the first record keeps its key
        options = SimulatorOptions(seed=seed, records_per_resource=4)
        records = Simulator(plan, options, break_records={"items": 3}).dataset()["items"]
        assert "uuid" in records[0]
        assert [r for r in records if "uuid" not in r] == records[1:]


def test_break_records_spares_each_parents_first_child() -> None:
    plan = seed_plan("webhook_service")  # endpoints: children of applications, keyed by id
    options = SimulatorOptions(seed=2, records_per_resource=5)  # 5 per application
    sim = Simulator(plan, options, break_records={"endpoints": 6})
    served = Simulator(plan, options).dataset()["endpoints"]
    records = sim.dataset()["endpoints"]
    assert len(records) == len(served) == 20  # 4 of 5 applications have children
    assert sum("id" not in r for r in records) == 6
    assert all("id" in r for r in records[::5])  # each parent's first child


def test_break_records_it_cannot_honour_is_an_error() -> None:
    with pytest.raises(SimulatorError, match="carry neither a primary key nor a required"):
        Simulator(_keyed(), break_records={"items": 1})
    with pytest.raises(SimulatorError, match="carry neither a primary key nor a required"):
        Simulator(_keyed(primary_key="id"), fields={"items": {"name": {}}},
                  break_records={"items": 1})
    with pytest.raises(SimulatorError, match="asks for 4 broken records of 'items', but only 3"):
        Simulator(_keyed(primary_key="id"), SimulatorOptions(records_per_resource=4),
                  break_records={"items": 4})
    with pytest.raises(SimulatorError, match="break_records names unknown resource 'nope'"):
        Simulator(_keyed(primary_key="id"), break_records={"nope": 1})


def test_unknown_resource_in_fields_is_an_error() -> None:
    with pytest.raises(SimulatorError, match="fields names unknown resource 'nope'"):
        Simulator(one_resource({}), fields={"nope": {}})


# Pinned served bytes: the values each field kind draws, in which order, and how they are written.
# A change here changes every dataset a user's tests were written against.
_PINNED_FIELDS: dict[str, dict[str, dict[str, Any]]] = {
    "events": {
        "id": {"data_type": "bigint"}, "name": {"data_type": "text"}, "email": {}, "status": {},
        "region": {}, "created_at": {"data_type": "timestamp"},
        "updated_at": {"data_type": "timestamp"}, "active": {"data_type": "bool"},
        "score": {"data_type": "bigint"}, "amount": {"data_type": "double"},
        "metadata": {"data_type": "json"},
    },
    "kinds": {
        "uuid": {}, "createdAt": {"data_type": "timestamp"}, "isActive": {},
        "tags": {"data_type": "json"}, "properties": {"data_type": "json"},
        "url": {"data_type": "text"}, "variablesCount": {"data_type": "bigint"},
        "lastValue": {"data_type": "double"},
        "description": {"data_type": "text", "nullable": True}, "a.b": {},
        "a.c": {"nullable": True}, "day_date": {}, "at_time": {"data_type": "time"},
        "blob": {"data_type": "binary"}, "email": {"nullable": True}, "owner_id": {},
        "owner_ref": {"data_type": "bigint"}, "kind": {}, "last_seen": {}, "num_x": {},
        "price": {},
    },
}
_FIRST_EVENTS = (
    b'{"data":[{"id":1,"name":"Juniper Prairie 1","email":"ember.1@example.com",'
    b'"status":"failed","region":"eu-west-1","created_at":"2023-01-01T00:14:19Z",'
    b'"updated_at":"2023-01-19T21:23:54Z","active":false,"score":178,"amount":74.21,'
    b'"metadata":{"source":"cobalt","priority":4,"nested":{"enabled":true,"label":"delta"}}},'
    b'{"id":2,"name":"Juniper Juniper 2","email":"lumen.2@example.com","status":"pending",'
    b'"region":"ap-south-1","created_at":"2023-01-01T19:08:13Z",'
    b'"updated_at":"2023-01-09T03:48:10Z","active":false,"score":59,"amount":891.82,'
    b'"metadata":{"source":"cobalt","priority":1,"nested":{"enabled":false,"label":"granite"}}}]}'
)
_FOURTH_KIND = (
    b'{"data":[{"uuid":"89dd5ce3-70cc-4e95-8bb7-dc0600000003","createdAt":"2023-01-01T04:30:55Z",'
    b'"isActive":true,"tags":["ember","tundra"],"properties":{"source":"cobalt","priority":2,'
    b'"nested":{"enabled":true,"label":"kestrel"}},"url":"https://example.com/lumen/4",'
    b'"variablesCount":333,"lastValue":325.47,"description":"The sierra birch for item 4.",'
    b'"a":{"b":"Maple Quartz 4","c":"Kestrel Maple 4"},"day_date":"2023-06-15",'
    b'"at_time":"11:22:00","blob":"3553b2a5188e5032","email":"indigo.4@example.com",'
    b'"owner_id":"own_08492","owner_ref":4991,"kind":"primary",'
    b'"last_seen":"2023-01-20T08:44:58Z","num_x":52,"price":405.3}]}'
)


def test_served_bytes_are_pinned() -> None:
    paging = {"type": "offset", "limit": 5000}
    plan = plan_of({"client": {"base_url": "https://api.example.com"}, "resources": [
        {"name": "events", "primary_key": "id",
         "endpoint": {"path": "/events", "paginator": paging}},
        {"name": "kinds", "primary_key": "uuid",
         "endpoint": {"path": "/kinds", "paginator": paging}}]})
    options = SimulatorOptions(seed=1, records_per_resource=40)
    with serve_in_thread(plan, options, fields=_PINNED_FIELDS) as sim:
        first = fetch(sim.base_url + "/events", params={"offset": 0, "limit": 2}).raw
        fourth = fetch(sim.base_url + "/kinds", params={"offset": 3, "limit": 1}).raw
        events = fetch(sim.base_url + "/events", params={"limit": 40}).raw
        kinds = fetch(sim.base_url + "/kinds", params={"limit": 40}).raw
    assert first == _FIRST_EVENTS
    assert fourth == _FOURTH_KIND
    # whole pages, nulls included, by digest
    assert hashlib.sha256(events).hexdigest() == (
        "a6e215e4a02c886e42d348e3362284992ff295f31331c02d62a2a936ece7b268")
    assert hashlib.sha256(kinds).hexdigest() == (
        "4cdc092f0675ed10152fe8094b481425c365c4e27dfd9b7890a661ee3f259ba3")
