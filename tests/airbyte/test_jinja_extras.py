"""Jinja as airbyte-cdk renders it, inside restsync's sandbox: the ``tojson`` filter and
``"...".format(...)`` run through Jinja's sandboxed formatter, with bounds on what a format
may produce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync.airbyte._jinja import Interpolator, TemplateError
from tests.conftest import RoutedServer, count_rows

MANIFEST = Path(__file__).parent / "manifests" / "jinja_extras.yaml"
OFFSET = '["1593","<2>"]'  # chargebee's next_offset: a JSON text, with HTML-escaped characters


def serve_jinja_extras(server: RoutedServer) -> None:
    @server.get("/api/items")
    async def items(request: web.Request) -> web.Response:
        if request.query.get("offset") == OFFSET:
            return web.json_response({"list": [{"id": 3}]})
        return web.json_response({"list": [{"id": 1}, {"id": 2}], "next_offset": OFFSET})


def test_format_and_tojson_run_as_in_airbyte_cdk(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    # airbyte-cdk 7.39.1 on this manifest and server: 3 records, the second request's offset
    # is the next_offset text as the API sent it
    serve_jinja_extras(server)
    server.start()
    host = server.base_url.removeprefix("http://")
    source = restsync.airbyte_source(MANIFEST, {"host": host})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "items") == 3
    assert [r.query.get("offset") for r in server.requests] == [None, OFFSET]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ "https://{}/v1/".format(config["host"]) }}', "https://h.io/v1/"),
        ('{{ "{0}-{name}".format(1, name=config["host"]) }}', "1-h.io"),
        ('{{ "{:>5}".format("a") }}', "    a"),
        ("{{ config|tojson }}", {"host": "h.io"}),
        ("{{ '<a>'|tojson }}", "<a>"),
    ],
)
def test_what_renders(template: str, expected: Any) -> None:
    assert Interpolator({"host": "h.io"}).eval(template) == expected


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ('{{ "{:>100000000}".format(1) }}', "widths up to 1000"),
        ('{{ "{:{}}".format(1, 5) }}', "format spec '{}' is not allowed"),
        ('{{ ("{0}" * 200000).format("x" * 1000) }}', "more than 1,000,000 characters"),
        ('{{ "{0}".format_map(config) }}', "calling format_map is not allowed"),
    ],
)
def test_what_the_sandbox_refuses(template: str, reason: str) -> None:
    with pytest.raises(TemplateError, match=reason):
        Interpolator({"host": "h.io"}).eval(template)


def test_a_format_field_cannot_reach_private_attributes() -> None:
    rendered = Interpolator({"host": "h.io"}).eval('{{ "{0.__class__}".format(config) }}')
    assert rendered is None  # Jinja's sandboxed formatter refuses it; nothing is shown
