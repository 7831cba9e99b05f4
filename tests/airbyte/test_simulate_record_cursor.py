"""The simulator serves a page cursor read from the page's last record (``{{ last_record[...] }}``,
14 of the 497 manifest-only connectors): the record's own key, which the next request names
(``starting_after=<id>``), or a cursor the API writes into a page's last record."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.simulator._paging import RecordCursorPaging
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate, Simulated


def _manifest(strategy: dict[str, Any], token: dict[str, Any], **schema: Any) -> dict[str, Any]:
    described = build.properties(id="integer", name="string")
    described["properties"].update(schema)
    pages = build.paginator(
        {"type": "CursorPagination", **strategy}, token, size=build.option("limit")
    )
    clients = build.stream(
        "clients",
        build.requester("https://x.invalid", "/clients"),
        ["results"],
        primary_key=["id"],
        paginator=pages,
        schema=described,
    )
    return build.manifest(clients)


_AFTER = build.option("after")


def _read_in_order(run: Simulated) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The clients the simulator serves, once the source has read each of them in that order,
    and the requests that took."""
    served, records = run.served_and_read("clients")
    assert [r["id"] for r in records] == [r["id"] for r in served]
    return served, run.requests()


def test_a_cursor_that_is_the_last_records_key_pages_after_that_record(
    simulate: Simulate,
) -> None:
    # ruddr, systeme, easypost: starting_after=<last id>, and a has_more field ends the paging
    strategy = {
        "cursor_value": "{{ last_record['id'] }}",
        "stop_condition": "{{ not response.get('hasMore', False) }}",
        "page_size": 10,
    }
    run = simulate(_manifest(strategy, _AFTER), seed=3)
    paging = run.served.resources["clients"].paginator
    assert isinstance(paging, RecordCursorPaging) and not paging.in_record
    served, requests = _read_in_order(run)
    assert len(served) == 25
    # hasMore is false on the third page: no fourth request for an empty page
    assert requests == {"/clients": 3}


def test_a_key_cursor_without_a_stop_condition_ends_on_an_empty_page(simulate: Simulate) -> None:
    strategy = {"cursor_value": "{{ last_record.id }}", "page_size": 10}
    run = simulate(_manifest(strategy, _AFTER), seed=8)
    _, requests = _read_in_order(run)
    # the short third page still names its last record; the page after it is empty
    assert requests == {"/clients": 4}


def test_a_cursor_the_api_writes_into_the_last_record_is_followed(simulate: Simulate) -> None:
    # agilecrm's 'cursor', wrike's 'nextPageToken': on every page but the last
    strategy = {"cursor_value": "{{ last_record['cursor'] }}", "page_size": 10}
    run = simulate(_manifest(strategy, _AFTER, cursor={"type": "string"}), seed=2)
    paging = run.served.resources["clients"].paginator
    assert isinstance(paging, RecordCursorPaging) and paging.in_record
    served, records = run.served_and_read("clients")
    assert all("cursor" not in r for r in served)  # not a value of the records' own
    assert [r["id"] for r in records] == [r["id"] for r in served]
    assert [i for i, r in enumerate(records) if r.get("cursor")] == [9, 19]
    assert run.requests() == {"/clients": 3}


def test_a_next_page_url_in_the_last_record_is_followed(simulate: Simulate) -> None:
    # drift, persistiq: '{{ last_record['next'] }}' into RequestPath
    strategy = {"cursor_value": "{{ last_record['next'] }}", "page_size": 10}
    run = simulate(_manifest(strategy, {"type": "RequestPath"}), seed=5)
    _, requests = _read_in_order(run)
    assert requests == {"/clients": 3}


def test_a_cursor_cut_from_a_next_page_url_is_followed(simulate: Simulate) -> None:
    # outlook: the cursor is the $skiptoken of the '@odata.nextLink' URL (one key, dots and all)
    strategy = {
        "cursor_value": "{{ response.get('@odata.nextLink', '').split('$skiptoken=')[-1] if "
        "response.get('@odata.nextLink') else '' }}",
        "stop_condition": "{{ not response.get('@odata.nextLink') }}",
        "page_size": 10,
    }
    token = {
        "type": "RequestOption",
        "inject_into": "request_parameter",
        "field_name": "$skiptoken",
    }
    run = simulate(_manifest(strategy, token), seed=9)
    served, requests = _read_in_order(run)
    assert len(served) == 25
    assert requests == {"/clients": 3}


def test_a_stop_condition_that_raises_a_type_error_reads_as_its_own_text(
    simulate: Simulate,
) -> None:
    # oncehub: without a Link header `"next" in None` raises TypeError; airbyte-cdk 7.39 then
    # takes the template for static text (non-empty: true) and stops after the first page
    strategy = {
        "cursor_value": "{{ last_record['id'] }}",
        "stop_condition": "{{ not \"next\" in headers.get('Link') }}",
        "page_size": 10,
    }
    run = simulate(_manifest(strategy, _AFTER), seed=4)
    served, records = run.served_and_read("clients")
    assert [r["id"] for r in records] == [r["id"] for r in served[:10]]
    assert run.requests() == {"/clients": 1}


def test_a_cursor_inside_a_json_text_is_read_back_from_the_body(simulate: Simulate) -> None:
    # bunny-inc's GraphQL: the cursor is the text '{"after": "<endCursor>"}', which both clients
    # read back as an object and send as the body's 'variables'
    strategy = {
        "cursor_value": "{{ '{\"after\": \"' + response.data.plans.pageInfo.endCursor + '\"}' "
        'if response.data.plans.pageInfo.endCursor else "" }}',
        "stop_condition": "{{ response.data.plans.pageInfo.hasNextPage is false }}",
    }
    token = {"type": "RequestOption", "inject_into": "body_json", "field_name": "variables"}
    manifest = _manifest(strategy, token)
    retriever = manifest["streams"][0]["retriever"]
    del retriever["paginator"]["page_size_option"]
    retriever["requester"].update(
        path="/graphql",
        http_method="POST",
        request_body_json={"query": "query($after: String) { plans(first: 25, after: $after) }"},
    )
    retriever["record_selector"]["extractor"]["field_path"] = ["data", "plans", "nodes", "*"]
    run = simulate(manifest, seed=6)
    served, requests = _read_in_order(run)
    assert len(served) > 50
    assert requests == {"/graphql": 3}
    # the simulator serves the hasNextPage the stop_condition reads
    condition = run.served.resources["clients"].stop_condition
    assert condition is not None and "hasNextPage" in condition.source


@pytest.mark.parametrize(
    ("stop", "requests"), [("{{ response.result.summary.page > 1 }}", 2), (None, 4)]
)
def test_a_page_number_echoed_by_the_api_pages_the_body(
    simulate: Simulate, stop: str | None, requests: int
) -> None:
    # serpstat: POST '/' with params.page = (next_page_token or 0) + 1, the cursor the page
    # number the response echoes (the token also goes into a header, which the API ignores)
    strategy = {"cursor_value": "{{ response.result.summary.page }}"}
    if stop:
        strategy["stop_condition"] = stop
    token = {"type": "RequestOption", "inject_into": "header", "field_name": "X-page"}
    manifest = _manifest(strategy, token)
    retriever = manifest["streams"][0]["retriever"]
    del retriever["paginator"]["page_size_option"]
    retriever["requester"].update(
        path="/",
        http_method="POST",
        request_body_json={
            "method": "Procedure.getClients",
            "params": {"page": "{{ (next_page_token['next_page_token'] or 0) + 1 }}", "size": 10},
        },
    )
    retriever["record_selector"]["extractor"]["field_path"] = ["result", "data"]
    run = simulate(manifest, seed=1)
    served, records = run.served_and_read("clients")
    assert len(served) == 25
    # two pages when the stop_condition ends at page 2; else all three and an empty fourth
    assert [r["id"] for r in records] == [r["id"] for r in served[: 10 * min(requests, 3)]]
    assert run.requests() == {"/": requests}


def test_a_cursor_read_from_the_last_item_of_the_record_list_pages_after_it(
    simulate: Simulate,
) -> None:
    # persona: page[after] is the id of the last item of 'data', the record list itself; an
    # empty list ends the paging
    strategy = {
        "cursor_value": "{{ response.get('results', [])[-1].get('id') if "
        "response.get('results') else None }}",
        "stop_condition": "{{ response.get('results')|length == 0 }}",
        "page_size": 10,
    }
    run = simulate(_manifest(strategy, _AFTER), seed=11)
    paging = run.served.resources["clients"].paginator
    assert isinstance(paging, RecordCursorPaging) and not paging.in_record
    served, requests = _read_in_order(run)
    assert len(served) == 25
    # three full or short pages, then the empty page the stop_condition wants
    assert requests == {"/clients": 4}


def test_a_last_item_cursor_outside_the_record_list_is_not_taken_for_a_record_key(
    simulate: Simulate,
) -> None:
    # the list the cursor reads is not where the records are: no last-record contract
    strategy = {"cursor_value": "{{ response['others'][-1]['id'] }}", "page_size": 10}
    with pytest.raises(Exception, match="cursors read from a response field"):
        simulate(_manifest(strategy, _AFTER), seed=11)
