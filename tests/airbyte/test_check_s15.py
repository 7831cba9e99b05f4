"""Session 15: a ``class_name`` beside a type that is not ``Custom*`` is an unknown field
airbyte-cdk 7.39.1 keeps and never reads (freshdesk's ``tickets`` requester is
``$ref: base_requester`` with ``class_name: SimpleRetriever``); restsync runs such a component
as its type too, and still refuses a ``Custom*`` or untyped component naming a Python class.
What a template builds itself it may change, as in airbyte-cdk; a requester's
``fetch_properties_from_endpoint`` runs as the QueryProperties it stands for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from restsync.airbyte import stream_problems
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.test_components_s13 import serve_contacts
from tests.airbyte.test_components_s14 import _contacts_from_endpoint, serve_properties
from tests.conftest import RoutedServer

_CHECK = {"type": "CheckStream", "stream_names": ["tickets"]}


def _serve_tickets(server: RoutedServer) -> None:
    """``/tickets`` in pages of two (``page``), five tickets in all; the token is required."""

    @server.get("/tickets")
    async def tickets(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer tok-s15":
            return web.json_response({"error": "unauthorized"}, status=401)
        page = int(request.query.get("page", "1"))
        rows = [{"id": i, "subject": f"t{i}"} for i in range(1, 6)]
        return web.json_response(rows[(page - 1) * 2 : page * 2])


def _freshdesk_like(base: str) -> dict[str, Any]:
    """freshdesk's shape: the stream's requester a ``$ref`` to an HttpRequester definition,
    with ``class_name: SimpleRetriever`` beside it."""
    auth = {"type": "BearerAuthenticator", "api_token": "{{ config['token'] }}"}
    requester = {"$ref": "#/definitions/base_requester", "class_name": "SimpleRetriever"}
    paginator = build.paginator(
        {"type": "PageIncrement", "page_size": 2, "start_from_page": 1},
        build.option("page"),
    )
    stream = build.stream("tickets", {**requester, "path": "/tickets"}, [], paginator=paginator)
    definitions = {"base_requester": build.requester(base, authenticator=auth)}
    return build.manifest(stream, version="6.44.0", check=_CHECK, definitions=definitions)


def test_a_class_name_beside_an_http_requester_runs_as_airbyte_cdk_runs_it(
    server: RoutedServer, tmp_path: Path
) -> None:
    """Refused before as "HttpRequester (custom Python class SimpleRetriever)"; now the records
    are airbyte-cdk's, all three pages of them."""
    _serve_tickets(server)
    server.start()
    path = tmp_path / "freshdesk_like.yaml"
    path.write_text(json.dumps(_freshdesk_like("{{ config['base_url'] }}")))
    config = {"base_url": server.base_url, "token": "tok-s15"}
    expected, errors = reference_records(path, config)
    assert errors == []
    assert len(expected["tickets"]) == 5
    got = restsync_records(path, config)
    assert canonical(got["tickets"]) == canonical(expected["tickets"])


def _extracted_by(extractor: dict[str, Any]) -> dict[str, Any]:
    selector = {"type": "RecordSelector", "extractor": extractor}
    stream = build.stream("tickets", build.requester("https://x.invalid", "/t"), selector)
    return build.manifest(stream)


@pytest.mark.parametrize(
    ("extractor", "refused"),
    [
        (
            {"type": "CustomRecordExtractor", "class_name": "components.Mine"},
            "stream 'tickets' uses CustomRecordExtractor (custom Python class components.Mine)",
        ),
        (
            {"class_name": "components.Mine", "field_path": []},
            "stream 'tickets' uses Custom component (custom Python class components.Mine)",
        ),
    ],
)
def test_a_class_name_beside_a_custom_type_or_none_is_still_refused(
    extractor: dict[str, Any], refused: str
) -> None:
    assert refused in str(stream_problems(_extracted_by(extractor), {})["tickets"])


def test_a_class_name_beside_a_built_in_extractor_is_ignored() -> None:
    extractor = {"type": "DpathExtractor", "class_name": "components.Mine", "field_path": []}
    assert stream_problems(_extracted_by(extractor), {}) == {}


def test_a_class_name_beside_a_built_in_decoder_is_ignored() -> None:
    requester = build.requester("https://x.invalid", "/t")
    stream = build.stream("tickets", requester, [])
    stream["retriever"]["decoder"] = {"type": "JsonDecoder", "class_name": "components.Mine"}
    assert stream_problems(build.manifest(stream), {}) == {}
    stream["retriever"]["decoder"] = {"type": "CustomDecoder", "class_name": "components.Mine"}
    assert "custom Python class components.Mine" in str(
        stream_problems(build.manifest(stream), {})["tickets"]
    )


# --- what a template builds, it may change: the same values as airbyte-cdk's ------------------

_BUILT = {
    "plus": "{% set l = [] + config['ids'] %}{% set _ = l.append('c') %}{{ l | join(',') }}",
    "plus_right": "{% set l = config['ids'] + [] %}{% set _ = l.append('c') %}{{ l | join() }}",
    "times": "{% set l = [0] * 2 %}{% set _ = l.append(1) %}{{ l | join('-') }}",
    "listed": "{% set l = config['ids'] | list %}{% set _ = l.append('c') %}{{ l | join() }}",
    "sorted": (
        "{% set l = config['reports'] | sort(attribute='name') | map(attribute='name') | list %}"
        "{% set _ = l.append('z') %}{{ l | join(',') }}"
    ),
    "sliced": "{% set l = config['ids'][1:] %}{% set _ = l.append('c') %}{{ l | join() }}",
    "split": "{% set l = config['csv'].split(',') %}{% set _ = l.append('c') %}{{ l | join() }}",
    "copied": "{% set d = dict(config['m']) %}{% set _ = d.update({'z': 2}) %}{{ d.k + d.z }}",
    # google-analytics-data-api's shape: a namespace set in a loop
    "ns": (
        '{% set ns = namespace(cursor="") %}{% for f in ["date", "year"] %}'
        "{% if not ns.cursor and f in config['dims'] %}{% set ns.cursor = f %}{% endif %}"
        "{% endfor %}{{ ns.cursor }}"
    ),
}


def test_what_a_template_builds_it_changes_as_in_airbyte_cdk(
    server: RoutedServer, tmp_path: Path
) -> None:
    """Each parameter builds a value (``[] + x``, ``x | list``, ``x[1:]``, ``dict(x)``,
    ``namespace()``...) and changes it; restsync refused each one (or, for ``dict`` and
    ``namespace``, left the parameter out) before. The server echoes the query."""

    @server.get("/built")
    async def built(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1, **request.query}]})

    server.start()
    requester = build.requester(server.base_url, "/built", request_parameters=_BUILT)
    check = {"type": "CheckStream", "stream_names": ["built"]}
    path = tmp_path / "built.yaml"
    path.write_text(
        json.dumps(build.manifest(build.stream("built", requester, ["data"]), check=check))
    )
    config = {
        "ids": ["a", "b"],
        "reports": [{"name": "refunds"}, {"name": "orders"}],
        "csv": "x,y",
        "m": {"k": 1},
        "dims": ["country", "year"],
    }
    given = json.loads(json.dumps(config))
    expected, errors = reference_records(path, config)
    assert errors == []
    got = restsync_records(path, config)
    assert canonical(got["built"]) == canonical(expected["built"])
    assert got["built"][0] == {
        "id": 1,
        "plus": "a,b,c",
        "plus_right": "abc",
        "times": "0-0-1",
        "listed": "abc",
        "sorted": "orders,refunds,z",
        "sliced": "bc",
        "split": "xyc",
        "copied": "3",
        "ns": "year",
    }
    assert config == given


# --- a requester's fetch_properties_from_endpoint (hubspot's CRM search streams) --------------


def _fetching_stream(base: str) -> dict[str, Any]:
    """test_components_s14's contacts, their properties listed by the requester's older
    ``fetch_properties_from_endpoint`` and sent from the slice's ``extra_fields``."""
    stream = _contacts_from_endpoint(base)
    requester = stream["retriever"]["requester"]
    listed = requester["request_parameters"].pop("properties")["property_list"]
    requester["fetch_properties_from_endpoint"] = listed
    requester["request_parameters"]["properties"] = (
        "{{ ','.join(stream_slice.extra_fields['query_properties']) }}"
    )
    return stream


def test_fetch_properties_from_endpoint_reads_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """Refused before as "PropertiesFromEndpoint (not supported)"; now the properties are read
    once and the records are airbyte-cdk's, every property in one request per page."""
    serve_properties(server, [])
    serve_contacts(server)
    server.start()
    path = tmp_path / "fetching.yaml"
    check = {"type": "CheckStream", "stream_names": ["items"]}
    document = build.manifest(
        _fetching_stream("{{ config['base_url'] }}"), version="6.44.0", check=check
    )
    path.write_text(json.dumps(document))
    config = {"base_url": server.base_url, "token": "tok-s15"}
    expected, errors = reference_records(path, config)
    assert errors == []
    cdk_requests = sorted((r.path, r.query_string) for r in server.requests)
    server.requests.clear()
    got = restsync_records(path, config)
    assert canonical(got["items"]) == canonical(expected["items"])
    assert sorted((r.path, r.query_string) for r in server.requests) == cdk_requests
    assert got["items"][0]["asked"] == "email,phone,city,zip"


def test_fetch_properties_beside_a_query_properties_is_refused_as_airbyte_cdk_refuses_it() -> None:
    stream = _contacts_from_endpoint("https://api.example.com")
    requester = stream["retriever"]["requester"]
    requester["fetch_properties_from_endpoint"] = _fetching_stream("https://api.example.com")[
        "retriever"
    ]["requester"]["fetch_properties_from_endpoint"]
    message = str(stream_problems(build.manifest(stream), {"token": "t"})["items"])
    assert "fetch_properties_from_endpoint: stream 'items' uses PropertiesFromEndpoint" in message
    assert "airbyte-cdk refuses too" in message
