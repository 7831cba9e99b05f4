"""Shapes found in older real manifests (Airbyte's catalog, 2024): no root ``type``, a stream
whose retriever arrives through ``$parameters``, and a ``url_base`` built with ``{% set %}``
that renders with a leading blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from aiohttp import web

import restsync
from restsync.airbyte import is_manifest, plan_manifest
from tests.airbyte import manifests as build
from tests.conftest import count_rows

URL_BASE = (
    "{% set parts = config['api_url'].split('://') %} {{ parts[0] }}://{{ parts[1] }}/api/v4/"
)


def _manifest() -> dict[str, Any]:
    # no `type: DeclarativeSource` at the root, untyped components, a stream given as a
    # reference to its $parameters
    answers = {
        "$parameters": {
            "name": "answers",
            "primary_key": "id",
            "retriever": {
                "requester": {"$ref": "#/definitions/requester", "path": "answers"},
                "record_selector": {"extractor": {"field_path": ["items"]}},
            },
        },
    }
    definitions = {
        "requester": build.requester(URL_BASE, http_method="GET"),
        "answers": answers,
    }
    return build.manifest(
        "#/definitions/answers", version="0.50.0", typed=False, definitions=definitions
    )


def test_an_untyped_root_is_a_manifest_whose_streams_get_their_defaults() -> None:
    assert is_manifest(_manifest())
    plan = plan_manifest(_manifest(), {"api_url": "https://git.example.com"})
    assert plan.base_url == "https://git.example.com/api/v4/"
    assert plan.resources["answers"].primary_key == ("id",)


def test_a_retriever_given_as_a_parameter_runs(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/api/v4/answers")
    async def answers(request: web.Request) -> web.Response:
        return web.json_response({"items": [{"id": 1}, {"id": 2}, {"id": 3}]})

    server.start()
    source = restsync.airbyte_source(_manifest(), {"api_url": server.base_url.rstrip("/")})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "answers") == 3


def test_an_undefined_parameter_in_the_record_path_is_the_empty_key(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    """getlago's customer_usage reads field_path ["{{ parameters['name'] }}"] with no name in
    its parameters: airbyte-cdk 7.39.1 renders that as the empty key (checked with its
    DpathExtractor), not as the text 'None'."""

    @server.get("/usage")
    async def usage(request: web.Request) -> web.Response:
        return web.json_response({"": [{"id": 1}], "None": [{"id": 2}]})

    server.start()
    selector = {"extractor": {"field_path": ["{{ parameters['name'] }}"]}}
    retriever = {"requester": {"url_base": server.base_url, "path": "/usage"}}
    retriever["record_selector"] = selector
    manifest = {"version": "0.29.0", "streams": [{"name": "usage", "retriever": retriever}]}
    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, {}))
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        assert connection.sql("select id from data.usage").fetchall() == [(1,)]
