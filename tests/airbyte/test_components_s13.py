"""Session 13's components, each run through airbyte-cdk 7.39.1 and restsync against one local
server, records compared per stream (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from restsync._errors import ConfigError
from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.conftest import RoutedServer

_CHECK = {"type": "CheckStream", "stream_names": ["items"]}


def _write(tmp_path: Path, name: str, *streams: Any) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(build.manifest(*streams, version="6.44.0", check=_CHECK)))
    return path


# --- HttpResponseFilter action RESET_PAGINATION (intercom's companies) ------------------------


def serve_scroll(server: RoutedServer, failures: dict[str, int]) -> None:
    """Seven items in pages of three by ``scroll``; the second page answers 500 while
    ``failures['left']`` is above zero (each 500 takes one off)."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        scroll = int(request.query.get("scroll", "0"))
        if scroll == 3 and failures["left"] > 0:
            failures["left"] -= 1
            return web.json_response({"errors": ["scroll broke"]}, status=500)
        rows = [{"id": i} for i in range(1, 8)][scroll : scroll + 3]
        following = scroll + 3 if rows else None
        return web.json_response({"data": rows, "scroll_param": following})


def _scroll_stream(base: str) -> dict[str, Any]:
    handler = {
        "type": "DefaultErrorHandler",
        "response_filters": [
            {"type": "HttpResponseFilter", "http_codes": [500], "action": "RESET_PAGINATION"}
        ],
    }
    paginator = build.paginator(
        {
            "type": "CursorPagination",
            "cursor_value": "{{ response.get('scroll_param') }}",
            "stop_condition": "{{ response.get('data', []) | length == 0 }}",
        },
        build.option("scroll"),
    )
    requester = build.requester(base, "/items", error_handler=handler)
    return build.stream("items", requester, ["data"], paginator=paginator)


def test_reset_pagination_starts_the_chain_again_once_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """A 500 on the second page restarts from the first page (its records come twice), as
    airbyte-cdk's PaginationTracker allows once per slice; restsync refused the stream."""
    failures = {"left": 0}
    serve_scroll(server, failures)
    server.start()
    manifest = _write(tmp_path, "reset", _scroll_stream("{{ config['base_url'] }}"))
    config = {"base_url": server.base_url}
    failures["left"] = 1
    expected, errors = reference_records(manifest, config)
    assert errors == [] and failures["left"] == 0
    failures["left"] = 1
    got = restsync_records(manifest, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert [r["id"] for r in got["items"]].count(1) == 2  # the first page, read twice


def test_a_second_reset_fails_the_stream_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    failures = {"left": 0}
    serve_scroll(server, failures)
    server.start()
    manifest = _write(tmp_path, "reset_twice", _scroll_stream("{{ config['base_url'] }}"))
    config = {"base_url": server.base_url}
    failures["left"] = 2
    expected, errors = reference_records(manifest, config)
    assert errors and failures["left"] == 0
    failures["left"] = 2
    try:
        restsync_records(manifest, config)
    except Exception as exc:  # noqa: BLE001 - the stream must fail, whatever the class
        assert "items" in str(exc)
    else:
        raise AssertionError("restsync read the stream past a second pagination reset")


# --- field_pointers given as a text (jira) ----------------------------------------------------


def _with_transformation(transformation: dict[str, Any], base: str) -> dict[str, Any]:
    requester = build.requester(base, "/items")
    return build.stream("items", requester, ["data"], transformations=[transformation])


def test_a_custom_transformation_is_refused_for_its_class_not_its_fields_shapes() -> None:
    """jira's issues end with a CustomTransformation (RemoveEmptyFields) whose field_pointers
    is a list of texts: airbyte-cdk hands those to the custom class unchecked, so the stream's
    reason is the custom class; restsync named the shape of a field the class owns."""
    custom = {
        "type": "CustomTransformation",
        "class_name": "source_declarative_manifest.components.RemoveEmptyFields",
        "field_pointers": ["renderedFields", "fields"],
    }
    manifest = build.manifest(_with_transformation(custom, "https://api.example.com"))
    with pytest.raises(ConfigError) as refused:
        plan_manifest(manifest, {})
    assert refused.value.path == "streams[0].transformations[0]"
    assert "custom Python class source_declarative_manifest.components.RemoveEmptyFields" in (
        str(refused.value)
    )


def test_remove_fields_with_texts_for_pointers_is_refused_as_airbyte_cdk_refuses_it(
    server: RoutedServer, tmp_path: Path
) -> None:
    """A RemoveFields whose field_pointers are texts, not lists: airbyte-cdk's model refuses
    the manifest (List[List[str]]), so no record is read; restsync refuses the stream at check."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1, "a": 2}]})

    server.start()
    remove = {"type": "RemoveFields", "field_pointers": ["a", "b"]}
    manifest = _write(tmp_path, "texts", _with_transformation(remove, "{{ config['base_url'] }}"))
    expected, errors = reference_records(manifest, {"base_url": server.base_url})
    assert errors and not expected.get("items")
    with pytest.raises(ConfigError) as refused:
        plan_manifest(manifest, {"base_url": server.base_url})
    assert refused.value.path == "streams[0].transformations[0].field_pointers[0]"


# --- ParentStreamConfig lazy_read_pointer (stripe's invoice_line_items) -----------------------


def serve_invoices(server: RoutedServer) -> None:
    """Three invoices; the first two embed their first page of lines (``lines``), the third
    none. The lines endpoint pages by ``starting_after``; its records say where they came
    from, so a client that asks the endpoint for the first page reads other records."""
    lines = {f"in_{i}": [{"id": f"li_{i}_{n}"} for n in range(1, 6)] for i in (1, 2, 3)}

    def listing(rows: list[dict[str, Any]], more: bool, source: str) -> dict[str, Any]:
        return {"data": [{**r, "source": source} for r in rows], "has_more": more}

    @server.get("/invoices")
    async def invoices(request: web.Request) -> web.Response:
        rows: list[dict[str, Any]] = [
            {"id": "in_1", "lines": listing(lines["in_1"][:2], True, "embedded")},
            {"id": "in_2", "lines": listing(lines["in_2"][:5], False, "embedded")},
            {"id": "in_3"},
        ]
        return web.json_response({"data": rows, "has_more": False})

    @server.get("/invoices/{invoice}/lines")
    async def invoice_lines(request: web.Request) -> web.Response:
        rows = lines[request.match_info["invoice"]]
        after = request.query.get("starting_after")
        start = next((i + 1 for i, r in enumerate(rows) if r["id"] == after), 0)
        return web.json_response(listing(rows[start : start + 2], start + 2 < len(rows), "api"))


def _stripe_paginator() -> dict[str, Any]:
    # stripe's own templates: on in_3's missing pointer airbyte-cdk's paginator reads {} (its
    # JsonDecoder's view of an empty list), so the stop condition holds and nothing fails
    return build.paginator(
        {
            "type": "CursorPagination",
            "cursor_value": '{{ response["data"][-1]["id"] }}',
            "stop_condition": '{{ not response.get("has_more", False) }}',
        },
        build.option("starting_after"),
    )


def _lazy_streams(base: str, pointer: Any = ("lines",)) -> tuple[Any, Any]:
    invoices = build.stream("invoices", build.requester(base, "/invoices"), ["data"])
    router = build.substream(invoices, "id", "invoice_id")
    router["parent_stream_configs"][0]["lazy_read_pointer"] = list(pointer)
    router["parent_stream_configs"][0]["extra_fields"] = [["id"]]
    requester = build.requester(base, "/invoices/{{ stream_partition.invoice_id }}/lines")
    lines = build.stream(
        "items",
        requester,
        ["data"],
        paginator=_stripe_paginator(),
        retriever={"partition_router": router},
        transformations=[
            {
                "type": "AddFields",
                "fields": [{"path": ["invoice"], "value": "{{ stream_slice.extra_fields.id }}"}],
            }
        ],
    )
    return invoices, lines


def test_lazy_read_pointer_reads_the_first_page_from_the_parent_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """Each invoice's embedded lines are the first page, the endpoint serves the pages after
    it (in_1: 2 embedded + 3 fetched; in_2: 5 embedded, no request; in_3: none embedded, so
    no records and no request); restsync refused the stream."""
    serve_invoices(server)
    server.start()
    manifest = _write(tmp_path, "lazy", *_lazy_streams("{{ config['base_url'] }}"))
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    before = len(server.requests)
    got = restsync_records(manifest, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert sorted((r["id"], r["source"]) for r in got["items"])[:3] == [
        ("li_1_1", "embedded"),
        ("li_1_2", "embedded"),
        ("li_1_3", "api"),
    ]
    asked = [r.path for r in server.requests[before:]]
    assert asked.count("/invoices/in_1/lines") == 2 and "/invoices/in_2/lines" not in asked


def test_a_wildcard_in_lazy_read_pointer_is_refused_as_airbyte_cdk_refuses_it() -> None:
    manifest = build.manifest(*_lazy_streams("https://api.example.com", ("lines", "*")))
    with pytest.raises(ConfigError) as refused:
        plan_manifest(manifest, {})
    assert refused.value.path.endswith("parent_stream_configs[0].lazy_read_pointer")


# --- stream_state in a template (open-exchange-rates) -----------------------------------------


def test_stream_state_in_a_template_is_refused_as_airbyte_cdk_refuses_it(
    server: RoutedServer, tmp_path: Path
) -> None:
    """open-exchange-rates' path reads ``stream_state``: airbyte-cdk 7.39.1 fails the stream
    ("`stream_state` is no longer supported for interpolation") and reads nothing; restsync
    refuses it at check, naming the template's place and the replacement."""

    @server.get("/historical/{day}")
    async def historical(request: web.Request) -> web.Response:
        return web.json_response({"rates": [{"day": request.match_info["day"]}]})

    server.start()
    path = "/historical/{{ config['start'] if not stream_state else stream_state['ts'] }}.json"
    stream = build.stream("items", build.requester("{{ config['base_url'] }}", path), ["rates"])
    manifest = _write(tmp_path, "stream_state", stream)
    config = {"base_url": server.base_url, "start": "2024-01-01"}
    expected, errors = reference_records(manifest, config)
    assert not expected.get("items")
    assert any("`stream_state` is no longer supported" in e for e in errors)
    with pytest.raises(ConfigError) as refused:
        plan_manifest(manifest, config)
    assert refused.value.path == "streams[0].retriever.requester.path"
    assert "stream_interval instead" in str(refused.value)
    assert server.requests == []


# --- QueryProperties with PropertyChunking (hubspot-like) -------------------------------------

_PROPERTIES = {"name": "n", "email": "e", "phone": "p", "city": "c", "zip": "z"}


def serve_contacts(server: RoutedServer) -> None:
    """Five contacts (ids 'c1'..'c5') in pages of two by ``page``; each answers only the
    properties its request names in ``properties`` (comma-separated), under ``properties``,
    and says which chunk it came from under ``asked`` (the last chunk's value wins a merge)."""

    @server.get("/contacts")
    async def contacts(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        names = [n for n in request.query.get("properties", "").split(",") if n]
        rows = [
            {
                "id": f"c{i}",
                "asked": request.query.get("properties"),
                "properties": {n: f"{_PROPERTIES.get(n, '?')}{i}" for n in names},
            }
            for i in range(1, 6)
        ][(page - 1) * 2 : page * 2]
        return web.json_response({"results": rows, "more": page * 2 < 5})


def _contacts_stream(base: str, query: dict[str, Any]) -> dict[str, Any]:
    paginator = build.paginator(
        {
            "type": "PageIncrement",
            "page_size": 2,
            "start_from_page": 1,
        },
        build.option("page"),
    )
    requester = build.requester(
        base, "/contacts", request_parameters={"archived": "false", "properties": query}
    )
    return build.stream("items", requester, ["results"], paginator=paginator)


def _run_both(server: RoutedServer, tmp_path: Path, query: dict[str, Any]) -> list[Any]:
    manifest = _write(tmp_path, "query", _contacts_stream("{{ config['base_url'] }}", query))
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    cdk_queries = sorted(r.query_string for r in server.requests)
    server.requests.clear()
    got = restsync_records(manifest, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert sorted(r.query_string for r in server.requests) == cdk_queries
    return got["items"]


def test_query_properties_chunked_by_count_merge_records_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """Two properties a request, ``name`` in every one: each page is asked three times and
    the three answers of a contact are merged into one record; restsync refused it."""
    serve_contacts(server)
    server.start()
    query = {
        "type": "QueryProperties",
        "property_list": ["email", "phone", "city", "zip"],
        "always_include_properties": ["name"],
        "property_chunking": {
            "type": "PropertyChunking",
            "property_limit_type": "property_count",
            "property_limit": 2,
        },
    }
    records = _run_both(server, tmp_path, query)
    assert len(records) == 5
    assert records[0]["properties"] == {
        "name": "n1",
        "email": "e1",
        "phone": "p1",
        "city": "c1",
        "zip": "z1",
    }


def test_query_properties_by_characters_and_without_chunking(
    server: RoutedServer, tmp_path: Path
) -> None:
    """A limit in characters (3 a delimiter) splits the list differently; without a
    PropertyChunking one request names every property and nothing is merged."""
    serve_contacts(server)
    server.start()
    by_characters = {
        "type": "QueryProperties",
        "property_list": ["email", "phone", "city", "zip"],
        "property_chunking": {
            "type": "PropertyChunking",
            "property_limit_type": "characters",
            "property_limit": 16,
            "record_merge_strategy": {"type": "GroupByKeyMergeStrategy", "key": ["id"]},
        },
    }
    assert len(_run_both(server, tmp_path, by_characters)) == 5
    server.requests.clear()
    whole = {"type": "QueryProperties", "property_list": ["email", "zip"]}
    assert len(_run_both(server, tmp_path, whole)) == 5


# --- GroupingPartitionRouter over a ListPartitionRouter ---------------------------------------


def _grouped_stream(base: str, **grouping: Any) -> dict[str, Any]:
    listed = {
        "type": "ListPartitionRouter",
        "cursor_field": "board",
        "values": ["a", "b", "c", "a", "d"],
    }
    router = {"type": "GroupingPartitionRouter", "underlying_partition_router": listed}
    requester = build.requester(
        base, "/boards", request_parameters={"ids": "{{ stream_partition.board | join(',') }}"}
    )
    return build.stream(
        "items",
        requester,
        ["data"],
        retriever={"partition_router": {**router, **grouping}},
        transformations=[
            {
                "type": "AddFields",
                "fields": [{"path": ["group"], "value": "{{ stream_partition.board }}"}],
            }
        ],
    )


def test_grouping_partition_router_sends_groups_of_partitions_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """Five listed values (one repeated) in groups of two: three requests with deduplication
    (a,b / c,d), three without (a,b / c,a / d); restsync refused the router."""

    @server.get("/boards")
    async def boards(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": i} for i in request.query["ids"].split(",")]})

    server.start()
    config = {"base_url": server.base_url}
    for name, grouping, asked in (
        ("dedup", {"group_size": 2}, ["a,b", "c,d"]),
        ("all", {"group_size": 2, "deduplicate": False}, ["a,b", "c,a", "d"]),
    ):
        manifest = _write(tmp_path, name, _grouped_stream("{{ config['base_url'] }}", **grouping))
        server.requests.clear()
        expected, errors = reference_records(manifest, config)
        assert errors == []
        assert sorted(r.query["ids"] for r in server.requests) == asked
        server.requests.clear()
        got = restsync_records(manifest, config)
        assert canonical(got["items"]) == canonical(expected["items"])
        assert sorted(r.query["ids"] for r in server.requests) == asked


def test_grouping_over_a_substream_router_is_refused_by_name() -> None:
    parent = build.stream("boards", build.requester("https://api.example.com", "/b"), ["data"])
    grouping = {
        "type": "GroupingPartitionRouter",
        "group_size": 2,
        "underlying_partition_router": build.substream(parent, "id", "board"),
    }
    requester = build.requester("https://api.example.com", "/items")
    stream = build.stream("items", requester, ["data"], retriever={"partition_router": grouping})
    with pytest.raises(ConfigError) as refused:
        plan_manifest(build.manifest(stream), {})
    assert refused.value.path.endswith("partition_router.underlying_partition_router")
    assert "SubstreamPartitionRouter" in str(refused.value)


# --- the simulator serves the streams these components read -----------------------------------


def test_the_simulator_serves_lazy_and_query_property_streams(simulate: Simulate) -> None:
    """A stream read lazily or per chunk of properties is served as any stream (it used to
    be taken for a report-job stream, and the simulator failed an assertion)."""
    query = {
        "type": "QueryProperties",
        "property_list": ["email", "zip"],
        "property_chunking": {
            "type": "PropertyChunking",
            "property_limit_type": "property_count",
            "property_limit": 1,
        },
    }
    invoices, lines = _lazy_streams("https://api.example.com")
    contacts = {
        **_contacts_stream("https://api.example.com", query),
        "name": "contacts",
        "schema_loader": {"type": "InlineSchemaLoader", "schema": build.properties(id="string")},
    }
    run = simulate(build.manifest(invoices, lines, contacts), {}, seed=2)
    assert run.served.resources["items"].produce is None
    assert run.served.resources["contacts"].produce is None
    assert list(run.source.resources["contacts"])  # merged by their text ids
    assert isinstance(list(run.source.resources["items"]), list)
