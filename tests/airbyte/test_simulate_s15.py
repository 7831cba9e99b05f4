"""Contracts of sample8's manifests the simulator now serves so that both clients are compared
(session 15): a top-level ``*`` record path (breezy-hr's pipelines), a next link that the
manifest splits out of the raw Link header by hand (cisco-meraki), a cursor read from a body
field and sent by a request parameter's own template (track-pms's reservations).

Each test serves the manifest from the simulator and reads it with airbyte-cdk (the reference
environment) and with restsync, on one server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dlt.extract.exceptions import ResourceExtractionError

from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate, Simulated
from tests.airbyte.paging import cursor_items

_BASE = "{{ config['base_url'] }}"


def _serve(
    simulate: Simulate, tmp_path: Path, stream: dict[str, Any], seed: int
) -> tuple[Path, dict[str, Any], Simulated]:
    """The manifest of ``stream`` written and served by the simulator: its path, the config
    that points a client at the server, the run."""
    manifest = tmp_path / "manifest.yaml"
    check = {"type": "CheckStream", "stream_names": [stream["name"]]}
    manifest.write_text(json.dumps(build.manifest(stream, version="6.44.0", check=check)))
    run = simulate(manifest, {"base_url": "http://api.invalid"}, seed=seed)
    return manifest, {"base_url": run.sim.base_url}, run


def _both(
    simulate: Simulate, tmp_path: Path, stream: dict[str, Any], seed: int
) -> tuple[Simulated, dict[str, list[Any]], list[str], dict[str, list[Any]]]:
    """The manifest of ``stream`` served by the simulator, then read by airbyte-cdk (its
    records and errors) and by restsync, both pointed at that server."""
    manifest, config, run = _serve(simulate, tmp_path, stream, seed)
    expected, errors = reference_records(manifest, config, timeout=120)
    return run, expected, errors, restsync_records(manifest, config)


def test_a_top_level_star_record_path_is_served_as_the_cdk_reads_it(
    simulate: Simulate, tmp_path: Path
) -> None:
    # breezy-hr's pipelines: field_path ["*"]; a list body made both clients fail alike
    pipelines = build.stream(
        "pipelines",
        build.requester(_BASE, "/pipelines"),
        ["*"],
        primary_key=["id"],
        schema=build.properties(id="string", name="string"),
    )
    run, expected, errors, got = _both(simulate, tmp_path, pipelines, seed=151)
    assert errors == []
    served = run.sim.dataset()["pipelines"]
    assert len(expected["pipelines"]) == len(served) > 0
    assert canonical(got["pipelines"]) == canonical(expected["pipelines"])


def test_a_cursor_cut_from_the_raw_link_header_pages_every_record(
    simulate: Simulate, tmp_path: Path
) -> None:
    # the raw Link header text, the token cut out of it with a regex and sent as 'after'
    strategy = {
        "cursor_value": "{{ headers.get('Link', '') | regex_search('after=([^&>]+)') }}",
        "stop_condition": "{{ 'rel=\"next\"' not in headers.get('Link', '') }}",
    }
    items = cursor_items(strategy, build.option("after"), url_base=_BASE)
    run, expected, errors, got = _both(simulate, tmp_path, items, seed=152)
    assert errors == []
    served = run.sim.dataset()["items"]
    assert len(expected["items"]) == len(served) > 4
    assert canonical(got["items"]) == canonical(expected["items"])
    assert run.requests()["/items"] > 2  # paged on both sides


_SPLIT_BY_HAND = (
    "{{ headers.get('Link', '').split(',') | map('trim') | selectattr('contains', 'rel=next') "
    "| map('regex_search', 'endingBefore=([^&]+)') | map('first') | first | default(None) }}"
)


def test_a_link_header_stop_condition_true_on_every_page_is_served_one_page(
    simulate: Simulate, tmp_path: Path
) -> None:
    # cisco-meraki's organization_saml: regex_search without a group gives '', so the stop
    # condition holds on every page, next link or not: neither client asks for a second page
    strategy = {
        "cursor_value": _SPLIT_BY_HAND,
        "stop_condition": "{{ not (headers.get('Link', '') | string | regex_search('rel=next')) }}",
    }
    items = cursor_items(strategy, {"type": "RequestPath"}, url_base=_BASE)
    run, expected, errors, got = _both(simulate, tmp_path, items, seed=153)
    assert errors == []
    served = run.sim.dataset()["items"]
    assert len(expected["items"]) == len(served) > 4
    assert canonical(got["items"]) == canonical(expected["items"])


def test_a_link_header_template_the_cdk_fails_on_is_served_a_next_link(
    simulate: Simulate, tmp_path: Path
) -> None:
    # cisco-meraki's cursor value with a stop condition that lets a next link through:
    # selectattr('contains', 'rel=next') names a Jinja test that does not exist, so airbyte-cdk
    # fails on every page with a next link; the simulator serves one (a partition that fits
    # on one page would hide it) and both sides meet it
    strategy = {
        "cursor_value": _SPLIT_BY_HAND,
        "stop_condition": "{{ 'rel=' not in headers.get('Link', '') }}",
    }
    items = cursor_items(strategy, {"type": "RequestPath"}, url_base=_BASE)
    manifest, config, run = _serve(simulate, tmp_path, items, seed=154)
    expected, errors = reference_records(manifest, config, timeout=120)
    # its first page (one record) is read; the next link it carries fails
    assert len(expected["items"]) == 1 < len(run.sim.dataset()["items"])
    assert any("No test named 'rel=next'" in error for error in errors), errors
    with pytest.raises(ResourceExtractionError, match="No test named 'rel=next'"):
        restsync_records(manifest, config)


def test_a_body_cursor_sent_back_by_a_parameter_template_pages_every_record(
    simulate: Simulate, tmp_path: Path
) -> None:
    # track-pms's reservations: no page_token_option; the 'scroll' parameter's own template
    # sends the cursor back, and '1' on the first request; the clients stop on an empty page
    pages = {
        "type": "DefaultPaginator",
        "pagination_strategy": {
            "type": "CursorPagination",
            "cursor_value": "{{ response.scroll }}",
            "stop_condition": "{{ not response._embedded.reservations }}",
        },
    }
    scroll = "{{ next_page_token['next_page_token'] if next_page_token else '1' }}"
    reservations = build.stream(
        "reservations",
        build.requester(_BASE, "/reservations", request_parameters={"scroll": scroll}),
        ["_embedded", "reservations"],
        primary_key=["id"],
        paginator=pages,
        schema=build.properties(id="integer", name="string"),
    )
    run, expected, errors, got = _both(simulate, tmp_path, reservations, seed=155)
    assert errors == []
    served = run.sim.dataset()["reservations"]
    assert len(expected["reservations"]) == len(served) > 25  # more than one page
    assert canonical(got["reservations"]) == canonical(expected["reservations"])
    assert run.requests()["/reservations"] > 2


def test_a_number_partition_through_an_int_filter_is_bound_in_the_path(
    simulate: Simulate, tmp_path: Path
) -> None:
    # track-pms's folios_transactions: '{{ stream_partition.folio_id | int }}' of a number key
    folios = build.stream(
        "folios",
        build.requester(_BASE, "/folios"),
        ["data"],
        primary_key=["id"],
        schema=build.properties(id="number", name="string"),
    )
    transactions = build.stream(
        "transactions",
        build.requester(_BASE, "/folios/{{ stream_partition.folio_id | int }}/transactions"),
        ["data"],
        primary_key=["id"],
        schema=build.properties(id="integer", amount="number"),
        retriever={"partition_router": build.substream(folios, "id", "folio_id")},
    )
    run, expected, errors, got = _both(simulate, tmp_path, transactions, seed=156)
    assert errors == []
    served = run.sim.dataset()["transactions"]
    assert len(expected["transactions"]) == len(served) > 0
    assert canonical(got["transactions"]) == canonical(expected["transactions"])
    # served where each parent's number is bound, asked once per parent
    assert run.requests()["/folios/{folio_id}/transactions"] > 1


def test_an_object_partition_built_by_the_parents_add_fields_is_bound_in_the_path(
    simulate: Simulate, tmp_path: Path
) -> None:
    # microsoft-lists' listitems: the parent 'items' (asked for per list) adds item_info as an
    # object of its own partition and its record's id; the child's path takes both apart
    lists = build.stream(
        "lists",
        build.requester(_BASE, "/lists"),
        ["value"],
        primary_key=["id"],
        schema=build.properties(id="string", name="string"),
    )
    info = {
        "type": "AddedFieldDefinition",
        "path": ["item_info"],
        "value": '{{ { "list_id": stream_partition.list, "item_id": record.id } }}',
    }
    items = build.stream(
        "items",
        build.requester(_BASE, "/lists/{{ stream_partition.list }}/items"),
        ["value"],
        primary_key=["id"],
        schema=build.properties(id="string", name="string"),
        retriever={"partition_router": build.substream(lists, "id", "list")},
        transformations=[{"type": "AddFields", "fields": [info]}],
    )
    path = (
        "/lists/{{ stream_partition.item_info.list_id }}/items/"
        "{{ stream_partition.item_info.item_id }}"
    )
    item = build.stream(
        "listitems",
        build.requester(_BASE, path),
        [],
        primary_key=["id"],
        schema=build.properties(id="string", title="string"),
        retriever={"partition_router": build.substream(items, "item_info", "item_info")},
    )
    run, expected, errors, got = _both(simulate, tmp_path, item, seed=157)
    assert errors == []
    served = run.sim.dataset()["listitems"]
    assert len(expected["listitems"]) == len(served) > 3
    assert canonical(got["listitems"]) == canonical(expected["listitems"])
    # each item asked for under the list it was listed in, found there
    assert run.requests()["/lists/{list}/items/{id}"] > 3
