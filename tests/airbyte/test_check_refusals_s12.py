"""Session 12's check refusals, each read against what airbyte-cdk 7.39.1 does with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer


def _manifest(**requester_keys: Any) -> dict[str, Any]:
    requester = build.requester("https://api.example.com", "/items", **requester_keys)
    return build.manifest(build.stream("items", requester, ["data"]))


def test_error_handlers_under_a_requester_are_ignored_as_airbyte_cdk_ignores_them() -> None:
    """linkedin-ads writes ``error_handlers`` (CompositeErrorHandler's field) as a mapping
    under its requesters; HttpRequester has no such field and its model allows unknown keys,
    so airbyte-cdk runs the default error handler. restsync used to refuse the stream."""
    extra = {
        "type": "CustomErrorHandler",
        "class_name": "source_declarative_manifest.components.LinkedInAdsErrorHandler",
        "backoff_strategies": [{"type": "ExponentialBackoffStrategy", "factor": 5}],
    }
    plain = plan_manifest(_manifest(), {}).resources["items"]
    with_key = plan_manifest(_manifest(error_handlers=extra), {}).resources["items"]
    assert with_key.retry == plain.retry
    assert with_key.response_actions == plain.response_actions


def serve_numbered(server: RoutedServer) -> None:
    """Seven items, pages of three by ``page``; each record carries the query it was asked
    with (its parameters sorted), so the records show what each client sent."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        query = "&".join(sorted(request.query_string.split("&")))
        rows = [{"id": i, "query": query} for i in range(1, 8)][(page - 1) * 3 : page * 3]
        return web.json_response({"results": rows})


def test_a_page_size_option_whose_name_renders_empty_is_sent_as_airbyte_cdk_sends_it(
    server: RoutedServer, tmp_path: Path
) -> None:
    """tmdb's ``page_size_option`` is named ``{{ config['nothing'] }}``: airbyte-cdk sends the
    size under an empty name (``?=3``). restsync refused the stream; now it sends the same."""
    serve_numbered(server)
    server.start()
    paginator = build.paginator(
        {"type": "PageIncrement", "page_size": 3, "start_from_page": 1},
        build.option("page"),
        build.option("{{ config['nothing'] }}"),
    )
    requester = build.requester("{{ config['base_url'] }}", "/items")
    stream = build.stream("items", requester, ["results"], paginator=paginator)
    manifest = tmp_path / "empty_name.yaml"
    manifest.write_text(json.dumps(build.manifest(stream, version="6.44.0", check=_CHECK)))
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    got = restsync_records(manifest, config)
    assert errors == []
    assert canonical(got["items"]) == canonical(expected["items"])
    assert sorted({r["query"] for r in got["items"]}) == ["=3", "=3&page=2", "=3&page=3"]


_CHECK = {"type": "CheckStream", "stream_names": ["items"]}


def test_query_properties_inside_request_parameters_are_never_sent_as_text() -> None:
    """hubspot's forms stream puts a QueryProperties in ``request_parameters``: restsync sent
    the mapping's text as the parameter; session 12 refused it, session 13 runs it
    (tests/airbyte/test_components_s13.py compares its records with airbyte-cdk's)."""
    properties = {
        "type": "QueryProperties",
        "property_list": ["name", "email"],
        "property_chunking": {"type": "PropertyChunking", "property_limit_type": "property_count"},
    }
    plan = plan_manifest(_manifest(request_parameters={"properties": properties}), {})
    items = plan.resources["items"]
    assert "properties" not in (items.paginator.params or {})  # type: ignore[attr-defined]
    assert items.produce is not None
