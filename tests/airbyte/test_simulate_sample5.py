"""Contracts of the fifth Airbyte sample the simulator serves as the manifest reads them: a
next-page link in the shape a computed cursor template reads (shortcut's token cut from a URL
by a regex, sparkpost's link picked from a list by its ``rel``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate


def _cursor(cursor_value: str, stop_condition: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "CursorPagination",
        "cursor_value": cursor_value,
        "stop_condition": stop_condition,
        **more,
    }


def _read_all(simulate: Simulate, stream: dict[str, Any], *, seed: int) -> None:
    run = simulate(build.manifest(stream), seed=seed)
    name = stream["name"]
    served = run.sim.dataset()[name]
    records = list(run.source.resources[name])
    assert len(served) > 2
    assert [r["id"] for r in records] == [r["id"] for r in served]
    # every page was asked for: more requests than one
    assert sum(run.sim.counters()["requests"].values()) > 1


def test_a_token_a_regex_cuts_from_a_next_url_is_served_in_the_alphabet_it_admits(
    simulate: Simulate,
) -> None:
    # shortcut's search_epics: '{{ response.next | regex_search('next=([0-9a-fA-F~]+)') }}',
    # sent back as 'next' with a page size of 2 as 'page_size'
    epics = build.stream(
        "epics",
        build.requester("https://x.invalid", "/search/epics"),
        ["data"],
        primary_key=["id"],
        paginator=build.paginator(
            _cursor(
                "{{ response.next | regex_search('next=([0-9a-fA-F~]+)') }}",
                "{{ response.next is none }}",
                page_size=2,
            ),
            build.option("next"),
            build.option("page_size"),
        ),
        schema=build.properties(id="integer", name="string"),
    )
    _read_all(simulate, epics, seed=21)


def test_a_link_picked_from_a_list_of_links_by_its_rel_is_served_as_that_list(
    simulate: Simulate,
) -> None:
    # sparkpost's message_events: the next link is the href of the item of 'links' whose rel is
    # 'next', requested as the next path (RequestPath); the last page has no such item
    events = build.stream(
        "events",
        build.requester("https://x.invalid", "/events/message"),
        ["results"],
        primary_key=["id"],
        paginator=build.paginator(
            _cursor(
                "{{ response.get('links', []) | selectattr('rel', 'equalto', 'next')"
                " | map(attribute='href') | first }}",
                "{{ not response.get('links', []) | selectattr('rel', 'equalto', 'next') | list }}",
            ),
            {"type": "RequestPath"},
        ),
        schema=build.properties(id="integer", name="string"),
    )
    _read_all(simulate, events, seed=22)


_RFC_2822 = "%a, %d %b %Y %H:%M:%S %z"


def _parsed_with(field: str, output: str) -> str:
    return f"{{{{ format_datetime(record['{field}'], '{output}', '{_RFC_2822}') }}}}"


def test_a_time_a_template_parses_with_an_input_format_is_served_in_that_format(
    simulate: Simulate,
) -> None:
    # shopwired: AddFields parse createdAt (RFC 2822) into created_at_utc, the incremental
    # cursor, and updatedAt into updated_at_utc; served as ISO text, both clients failed
    orders = build.stream(
        "orders",
        build.requester("https://x.invalid", "/orders"),
        [],
        primary_key=["id"],
        schema=build.properties(
            id="integer", createdAt="string", updatedAt="string", created_at_utc="string"
        ),
        incremental_sync={
            "type": "DatetimeBasedCursor",
            "cursor_field": "created_at_utc",
            "datetime_format": "%Y-%m-%dT%H:%M:%S",
            "start_datetime": {
                "type": "MinMaxDatetime",
                "datetime": "{{ config['start_date'] }}",
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
            },
        },
        transformations=[
            {
                "type": "AddFields",
                "fields": [
                    {
                        "path": ["created_at_utc"],
                        "value": _parsed_with("createdAt", "%Y-%m-%dT%H:%M:%S"),
                    },
                    {"path": ["updated_day"], "value": _parsed_with("updatedAt", "%Y-%m-%d")},
                ],
            }
        ],
    )
    run = simulate(build.manifest(orders), {"start_date": "2020-01-01T00:00:00Z"}, seed=23)
    served = run.sim.dataset()["orders"]
    records = list(run.source.resources["orders"])
    assert len(served) > 2
    assert [r["id"] for r in records] == [r["id"] for r in served]
    for record in records:
        created = datetime.strptime(record["createdAt"], _RFC_2822)
        assert record["created_at_utc"] == created.strftime("%Y-%m-%dT%H:%M:%S")
        updated = datetime.strptime(record["updatedAt"], _RFC_2822)
        assert record["updated_day"] == updated.strftime("%Y-%m-%d")
    # the cursor is the API's own field: it grows record by record
    times = [r["created_at_utc"] for r in records]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_streams_at_one_route_told_apart_by_a_literal_body_text_are_served_together(
    simulate: Simulate,
) -> None:
    # less-annoying-crm: every stream POSTs to '/' with {"Function": "Get..."}; the child's
    # body also carries its parent's id. Routed by path alone, parent and child could not both
    # be served, so the child was never compared
    def rpc(function: str, **more: Any) -> dict[str, Any]:
        return build.requester(
            "https://x.invalid",
            "/",
            http_method="POST",
            request_body_json={"Function": function, **more},
        )

    contacts = build.stream(
        "contacts",
        rpc("GetContacts"),
        ["Results"],
        primary_key=["id"],
        schema=build.properties(id="integer", name="string"),
    )
    notes = build.stream(
        "notes",
        rpc("GetNotes", Parameters={"ContactId": "{{ stream_partition.contact_id }}"}),
        ["Notes"],
        primary_key=["id"],
        schema=build.properties(id="integer", text="string"),
        retriever={
            "partition_router": {
                "type": "SubstreamPartitionRouter",
                "parent_stream_configs": [
                    {
                        "type": "ParentStreamConfig",
                        "parent_key": "id",
                        "partition_field": "contact_id",
                        "stream": contacts,
                    }
                ],
            }
        },
    )
    run = simulate(build.manifest(contacts, notes), seed=24)
    dataset = run.sim.dataset()
    assert len(dataset["contacts"]) > 1 and len(dataset["notes"]) > len(dataset["contacts"])
    for name in ("contacts", "notes"):
        records = list(run.source.resources[name])
        assert sorted(r["id"] for r in records) == sorted(r["id"] for r in dataset[name])
        assert set(records[0]) >= set(dataset[name][0])


def test_a_next_path_computed_from_a_response_number_is_served_as_a_path_position(
    simulate: Simulate,
) -> None:
    # xkcd: '{{ config["comic_number"] or 1 }}/info.0.json', then the next path is
    # '{{ response["num"]+1 or 0 }}/info.0.json' (RequestPath) until a response lacks num
    comics = build.stream(
        "comics",
        build.requester("https://x.invalid", '{{ config["comic_number"] or 1 }}/info.0.json'),
        [],
        primary_key=["num"],
        paginator=build.paginator(
            _cursor(
                '{{ response["num"]+1 or 0 }}/info.0.json',
                '{{ not response.get("num", {}) }}',
            ),
            {"type": "RequestPath"},
        ),
        schema=build.properties(num="integer", title="string"),
    )
    run = simulate(build.manifest(comics), {"comic_number": "2960"}, seed=25)
    records = list(run.source.resources["comics"])
    assert [r["num"] for r in records] == [2960]
    assert records[0]["title"] == run.sim.dataset()["comics"][0]["title"]
    # the first position, then the next one, past the last: an object without num
    assert run.sim.counters()["requests"] == {"/{position}/info.0.json": 2}
