"""A parent record without a ParentStreamConfig's ``extra_fields`` field gives the child's slice
None there, as airbyte-cdk's (its dpath lookup's KeyError); restsync gave an empty list, so a
template rendered ``[]`` where airbyte-cdk renders ``None`` (an API-listed stream named
``[]_table`` against ``none_table``). Both clients against one local server."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer


def test_a_missing_extra_field_is_none_as_in_airbyte_cdk(
    server: RoutedServer, tmp_path: Path
) -> None:
    @server.get("/accounts")
    async def accounts(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1, "title": "one"}, {"id": 2}]})

    @server.get("/accounts/{account}/events")
    async def events(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": f"e{request.match_info['account']}"}]})

    server.start()
    base = "{{ config['base_url'] }}"
    accounts_stream = build.stream("accounts", build.requester(base, "/accounts"), ["data"])
    router = build.substream(accounts_stream, "id", "account_id")
    router["parent_stream_configs"][0]["extra_fields"] = [["title"]]
    add = {
        "type": "AddFields",
        "fields": [{"path": ["title"], "value": "t-{{ stream_slice.extra_fields.title }}"}],
    }
    events_stream = build.stream(
        "events",
        build.requester(base, "/accounts/{{ stream_partition.account_id }}/events"),
        ["data"],
        retriever={"partition_router": router},
        transformations=[add],
    )
    check = {"type": "CheckStream", "stream_names": ["accounts"]}
    manifest = tmp_path / "extra.yaml"
    manifest.write_text(json.dumps(build.manifest(accounts_stream, events_stream, check=check)))
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    got = restsync_records(manifest, config)
    assert canonical(got["events"]) == canonical(expected["events"])
    assert sorted(r["title"] for r in got["events"]) == ["t-None", "t-one"]
