"""Session 14's components, each run through airbyte-cdk 7.39.1 and restsync against one local
server, records compared: a DynamicSchemaLoader's schema read from the API before the stream
(hubspot-like), and a QueryProperties' PropertiesFromEndpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web

import restsync
from restsync._errors import ConfigError
from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.test_components_s13 import serve_contacts
from tests.conftest import RoutedServer

_CHECK = {"type": "CheckStream", "stream_names": ["items"]}
_AUTH = {"type": "BearerAuthenticator", "api_token": "{{ config['token'] }}"}
_TOKEN = "tok-s14-secret-9876"


def _write(tmp_path: Path, name: str, *streams: Any) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(build.manifest(*streams, version="6.44.0", check=_CHECK)))
    return path


# --- DynamicSchemaLoader -----------------------------------------------------------------------


def serve_typed_items(server: RoutedServer, heard: list[str | None]) -> None:
    """``/fields`` describes the items' fields (the API's own type names), ``/items`` serves
    three items whose numbers come as texts; both note the Authorization header in ``heard``."""

    @server.get("/fields")
    async def fields(request: web.Request) -> web.Response:
        heard.append(request.headers.get("Authorization"))
        described = [
            {"name": "ID", "type": "int"},
            {"name": "Amount", "type": "float"},
            {"name": "Created", "type": "datetime"},
            {"name": "Label"},
            {"name": "Secret", "type": "text"},
            {"name": "Tags", "type": "list"},
            {"name": "Closed", "type": "datetime"},
        ]
        return web.json_response({"meta": {"fields": described}})

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        heard.append(request.headers.get("Authorization"))
        rows = [
            {
                "id": str(i),
                "amount": f"{i}.5",
                "created": f"2024-01-0{i}T10:00:00Z",
                "label": i,
                "secret": "s",
                "tags": ["a", "b"],
                "closed": None,
            }
            for i in (1, 2, 3)
        ]
        return web.json_response({"data": rows})


def _typed_stream(base: str, **loader: Any) -> dict[str, Any]:
    selector = {
        "type": "RecordSelector",
        "extractor": {"type": "DpathExtractor", "field_path": ["data"]},
        "schema_normalization": "Default",
    }
    stream = build.stream(
        "items", build.requester(base, "/items", authenticator=_AUTH), selector, primary_key="id"
    )
    schema_loader = {
        "type": "DynamicSchemaLoader",
        "retriever": {
            "type": "SimpleRetriever",
            "requester": build.requester(base, "/fields", authenticator=_AUTH),
            "record_selector": {
                "type": "RecordSelector",
                "extractor": {"type": "DpathExtractor", "field_path": []},
            },
        },
        "schema_type_identifier": {
            "type": "SchemaTypeIdentifier",
            "schema_pointer": ["meta", "fields"],
            "key_pointer": ["name"],
            "type_pointer": ["type"],
            "types_mapping": [
                {"type": "TypesMap", "current_type": "int", "target_type": "integer"},
                {"type": "TypesMap", "current_type": "float", "target_type": "number"},
                {
                    "type": "TypesMap",
                    "current_type": "datetime",
                    "target_type": "timestamp_with_timezone",
                },
                {"type": "TypesMap", "current_type": "text", "target_type": "string"},
                {
                    "type": "TypesMap",
                    "current_type": "list",
                    "target_type": {
                        "type": "ComplexFieldType",
                        "field_type": "array",
                        "items": "string",
                    },
                },
            ],
        },
        "schema_filter": {"type": "RecordFilter", "condition": "{{ 'Secret' not in record }}"},
        "schema_transformations": [{"type": "KeysToLower"}],
        **loader,
    }
    return {**stream, "schema_loader": schema_loader}


def test_a_dynamic_schema_types_the_records_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path, make_pipeline: Any, duckdb_path: Path
) -> None:
    """The schema read from ``/fields`` (with the stream's token) normalizes the records as
    airbyte-cdk's does (``"1"`` -> 1, ``"1.5"`` -> 1.5, ``1`` -> ``"1"``) and types the loaded
    columns; restsync refused the stream before."""
    heard: list[str | None] = []
    serve_typed_items(server, heard)
    server.start()
    manifest = _write(tmp_path, "typed", _typed_stream("{{ config['base_url'] }}"))
    config = {"base_url": server.base_url, "token": _TOKEN}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    server.requests.clear()
    got = restsync_records(manifest, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert got["items"][0]["id"] == 1 and got["items"][0]["label"] == "1"
    assert got["items"][0]["amount"] == 1.5
    # one schema read, then the page; each with the stream's credential
    assert [r.path for r in server.requests] == ["/fields", "/items"]
    assert set(heard) == {f"Bearer {_TOKEN}"}

    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, config))
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        types = dict(
            connection.sql(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'items'"
            ).fetchall()
        )
    assert types["id"] == "BIGINT"
    assert types["amount"] == "DOUBLE"
    assert types["created"] == "TIMESTAMP WITH TIME ZONE"
    assert types["label"] == "VARCHAR"
    assert types["closed"] == "TIMESTAMP WITH TIME ZONE"  # no value says so: the schema does


def test_a_schema_loader_list_with_an_inline_schema(server: RoutedServer, tmp_path: Path) -> None:
    """A CompositeSchemaLoader: the dynamic loader first (its properties win), an inline one
    after; the records are the same as airbyte-cdk's."""
    heard: list[str | None] = []
    serve_typed_items(server, heard)
    server.start()
    stream = _typed_stream("{{ config['base_url'] }}")
    inline = {
        "type": "InlineSchemaLoader",
        "schema": build.properties(id="string", extra="integer"),
    }
    stream["schema_loader"] = [stream["schema_loader"], inline]
    manifest = _write(tmp_path, "composite", stream)
    config = {"base_url": server.base_url, "token": _TOKEN}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    got = restsync_records(manifest, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert got["items"][0]["id"] == 1


def test_a_schema_endpoint_with_another_authenticator_is_refused_by_name() -> None:
    stream = _typed_stream("https://api.example.com")
    stream["schema_loader"]["retriever"]["requester"]["authenticator"] = {
        "type": "ApiKeyAuthenticator",
        "api_token": "{{ config['token'] }}",
        "header": "X-Other",
    }
    with pytest.raises(ConfigError) as refused:
        plan_manifest(build.manifest(stream), {"token": _TOKEN})
    assert refused.value.path == "streams[0].schema_loader.retriever.requester"
    assert "authenticator or origin other than its stream's" in str(refused.value)


# --- QueryProperties with PropertiesFromEndpoint -----------------------------------------------


def serve_properties(server: RoutedServer, heard: list[str | None]) -> None:
    """``/properties`` lists the contacts' properties in pages of two (``after``)."""
    names = ["email", "phone", "city", "zip"]

    @server.get("/properties")
    async def properties(request: web.Request) -> web.Response:
        heard.append(request.headers.get("Authorization"))
        after = int(request.query.get("after", "0"))
        page = [{"name": n, "label": n.title()} for n in names[after : after + 2]]
        following = after + 2 if after + 2 < len(names) else None
        return web.json_response({"results": page, "next": following})


def _contacts_from_endpoint(base: str) -> dict[str, Any]:
    listed = build.stream(
        "unused",
        build.requester(base, "/properties", authenticator=_AUTH),
        ["results"],
        paginator=build.paginator(
            {
                "type": "CursorPagination",
                "cursor_value": "{{ response.get('next') }}",
                "stop_condition": "{{ response.get('next') is none }}",
            },
            build.option("after"),
        ),
    )["retriever"]
    query = {
        "type": "QueryProperties",
        "property_list": {
            "type": "PropertiesFromEndpoint",
            "property_field_path": ["{{ parameters.key }}"],
            "retriever": listed,
            "$parameters": {"key": "name"},
        },
        "always_include_properties": ["name"],
        "property_chunking": {
            "type": "PropertyChunking",
            "property_limit_type": "property_count",
            "property_limit": 2,
        },
    }
    requester = build.requester(
        base,
        "/contacts",
        authenticator=_AUTH,
        request_parameters={"archived": "false", "properties": query},
    )
    paginator = build.paginator(
        {"type": "PageIncrement", "page_size": 2, "start_from_page": 1}, build.option("page")
    )
    return build.stream("items", requester, ["results"], paginator=paginator)


def test_properties_from_an_endpoint_are_read_then_chunked_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """The properties are read from ``/properties`` (two pages, the stream's token) once, then
    each contacts page is asked once per chunk and merged: the records and the requests are
    airbyte-cdk's; restsync refused the stream before."""
    heard: list[str | None] = []
    serve_properties(server, heard)
    serve_contacts(server)
    server.start()
    manifest = _write(tmp_path, "endpoint", _contacts_from_endpoint("{{ config['base_url'] }}"))
    config = {"base_url": server.base_url, "token": _TOKEN}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    cdk_queries = sorted((r.path, r.query_string) for r in server.requests)
    server.requests.clear()
    got = restsync_records(manifest, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert sorted((r.path, r.query_string) for r in server.requests) == cdk_queries
    assert [r.path for r in server.requests].count("/properties") == 2
    assert got["items"][0]["properties"] == {
        "name": "n1",
        "email": "e1",
        "phone": "p1",
        "city": "c1",
        "zip": "z1",
    }
    assert set(heard) == {f"Bearer {_TOKEN}"}


def test_a_property_selector_stays_refused_by_name() -> None:
    stream = _contacts_from_endpoint("https://api.example.com")
    query = stream["retriever"]["requester"]["request_parameters"]["properties"]
    query["property_selector"] = {"type": "JsonSchemaPropertySelector"}
    with pytest.raises(ConfigError) as refused:
        plan_manifest(build.manifest(stream), {"token": _TOKEN})
    assert refused.value.path.endswith("request_parameters.properties.property_selector")
    assert "uses PropertySelector" in str(refused.value)


def test_base_url_moves_the_side_reads_with_their_stream(server: RoutedServer) -> None:
    """--base-url (the simulator, an offline run): the schema and the property reads go to the
    given origin with the stream's requests, never to the API the manifest names."""
    heard: list[str | None] = []
    serve_typed_items(server, heard)
    serve_properties(server, heard)
    serve_contacts(server)
    server.start()
    typed = _typed_stream("https://api.example.com")
    listed = {**_contacts_from_endpoint("https://api.example.com"), "name": "contacts"}
    manifest = build.manifest(typed, listed, version="6.44.0", check=_CHECK)
    config = {"token": _TOKEN}
    source = restsync.airbyte_source(manifest, config, base_url=server.base_url)
    assert len(list(source.resources["items"])) == 3
    assert len(list(source.resources["contacts"])) == 5
    assert {r.path for r in server.requests} == {"/fields", "/items", "/properties", "/contacts"}


def test_the_schema_is_read_once_for_all_partitions(server: RoutedServer) -> None:
    """Three partitions, their pages in flight at once: one schema read, before them all."""
    heard: list[str | None] = []
    serve_typed_items(server, heard)
    server.start()
    stream = _typed_stream(server.base_url)
    stream["retriever"]["partition_router"] = {
        "type": "ListPartitionRouter",
        "cursor_field": "region",
        "values": ["eu", "us", "ap"],
        "request_option": build.option("region"),
    }
    source = restsync.airbyte_source(build.manifest(stream), {"token": _TOKEN})
    records = list(source.resources["items"])
    assert len(records) == 9 and {r["amount"] for r in records} == {1.5, 2.5, 3.5}
    paths = [r.path for r in server.requests]
    assert paths[0] == "/fields" and paths.count("/fields") == 1 and paths.count("/items") == 3
