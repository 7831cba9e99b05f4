"""Contracts of sample7's manifests the simulator serves as the manifest reads them (session
14): cursor templates that read one response path through a quoted key with dots in it, a
``.get`` default, a ``| default(...)`` filter or an ``a or b`` chain (microsoft-teams,
partnerize, mention); records given the fields an ``AddFields`` reads when the schema names
none (savvycal); a child path that takes apart a key its parent builds from its fields
(hugging-face-datasets)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.airbyte.paging import pages_every_record


@pytest.mark.parametrize(
    ("strategy", "token"),
    [
        # microsoft-teams: the whole next URL at one key with dots in it, a {} default
        (
            {
                "cursor_value": '{{ response.get("@odata.nextLink", {}) }}',
                "stop_condition": '{{ not response.get("@odata.nextLink", {}) }}',
            },
            {"type": "RequestPath"},
        ),
        # partnerize: the first of two fields that is set
        (
            {
                "cursor_value": "{{ response.get('hypermedia', {}).get('pagination', {})"
                ".get('next_page') or response.get('cursor_id') }}",
                "stop_condition": "{{ not response.get('hypermedia', {}).get('pagination', {})"
                ".get('next_page') and not response.get('cursor_id') }}",
            },
            {"type": "RequestPath"},
        ),
        # mention: an attribute path and a default filter, sent as a query parameter
        (
            {
                "cursor_value": "{{ response._links.more.params.cursor | default(None) }}",
                "stop_condition": "{{ response._links.more is not defined or "
                "response._links.more is none }}",
                "page_size": 4,
            },
            build.option("cursor"),
        ),
    ],
    ids=["dotted_key", "or_chain", "default_filter"],
)
def test_a_cursor_read_through_a_get_default_a_filter_or_an_or_chain_pages_every_record(
    simulate: Simulate, strategy: dict[str, Any], token: dict[str, Any]
) -> None:
    pages_every_record(simulate, strategy, token, seed=41)


def test_fields_an_add_fields_reads_are_served_when_the_schema_names_none(
    simulate: Simulate,
) -> None:
    # savvycal's events: 'properties: {}', and AddFields reading record["scheduler"][...]
    add = {
        "type": "AddFields",
        "fields": [
            {"path": ["scheduler_name"], "value": '{{ record["scheduler"]["display_name"] }}'},
            {"path": ["scheduler_email"], "value": '{{ record["scheduler"]["email"] }}'},
        ],
    }
    events = build.stream(
        "events",
        build.requester("https://x.invalid", "/events"),
        ["entries"],
        primary_key=["id"],
        schema={"type": "object", "properties": {}},
        transformations=[add],
    )
    run = simulate(build.manifest(events), seed=42)
    served, read = run.served_and_read("events")
    assert len(read) == len(served) > 2
    for record, raw in zip(read, served, strict=True):
        assert record["scheduler_name"] == raw["scheduler"]["display_name"] is not None
        assert record["scheduler_email"] == raw["scheduler"]["email"] is not None


def test_a_path_taking_apart_a_key_the_parent_builds_is_bound_to_the_parent_fields(
    simulate: Simulate,
) -> None:
    # hugging-face-datasets: splits adds key = dataset::config::split; rows asks with the
    # key's second and third parts as query parameters
    join = '{{ "::".join([record["dataset"], record["config"], record["split"]]) }}'
    splits = build.stream(
        "splits",
        build.requester("https://x.invalid", "/splits"),
        ["splits"],
        schema=build.properties(dataset="string", config="string", split="string"),
        transformations=[{"type": "AddFields", "fields": [{"path": ["key"], "value": join}]}],
    )
    path = (
        '/rows?config={{ stream_partition.key.split("::")[1] }}'
        '&split={{ stream_partition.key.split("::")[2] }}'
    )
    rows = build.stream(
        "rows",
        build.requester("https://x.invalid", path),
        ["rows"],
        primary_key=["id"],
        schema=build.properties(id="integer"),
        retriever={"partition_router": build.substream(splits, "key", "key")},
        transformations=[
            {
                "type": "AddFields",
                "fields": [{"path": ["partition"], "value": "{{ stream_partition.key }}"}],
            }
        ],
    )
    run = simulate(build.manifest(rows, splits), seed=43)
    parents = run.sim.dataset()["splits"]
    served, read = run.served_and_read("rows")
    assert len(parents) > 1 and len(served) > len(parents)
    assert sorted(r["id"] for r in read) == sorted(r["id"] for r in served)
    # each row read once, under the partition of the parent it is served for
    keys = {"::".join([p["dataset"], p["config"], p["split"]]) for p in parents}
    assert {r["partition"] for r in read} <= keys
    assert len({r["partition"] for r in read}) > 1


def test_a_childs_page_number_sent_nowhere_is_one_short_answer_per_parent(
    simulate: Simulate,
) -> None:
    # mention's mention_children: PageIncrement of 10 with no page_token_option: every request
    # for a parent is the same, so the parent's one answer, shorter than a page, is all of it
    alerts = build.stream(
        "alerts",
        build.requester("https://x.invalid", "/alerts"),
        ["alerts"],
        primary_key=["id"],
        schema=build.properties(id="integer"),
    )
    pages = {
        "type": "DefaultPaginator",
        "page_size_option": build.option("limit"),
        "pagination_strategy": {"type": "PageIncrement", "page_size": 10},
    }
    children = build.stream(
        "children",
        build.requester("https://x.invalid", "/alerts/{{ stream_partition.alert_id }}/children"),
        ["children"],
        primary_key=["id"],
        paginator=pages,
        schema=build.properties(id="integer"),
        retriever={"partition_router": build.substream(alerts, "id", "alert_id")},
    )
    run = simulate(build.manifest(children, alerts), seed=45)
    parents = run.sim.dataset()["alerts"]
    served, read = run.served_and_read("children")
    assert len(served) > len(parents) > 1
    assert sorted(r["id"] for r in read) == sorted(r["id"] for r in served)
    # one request per parent: each answer ended the paging
    assert run.requests()["/alerts/{alert_id}/children"] == len(parents)
