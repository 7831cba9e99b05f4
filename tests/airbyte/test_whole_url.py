"""A requester with ``url`` (a whole address, no ``url_base``), as modern manifests write it
(outlook's Graph streams): a partition inside the address, ``--base-url`` moving it to the test
server's origin with its path kept, and the simulator serving it at that path. A template the
sandbox refuses in an address is a check error naming the stream, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web

import restsync
from restsync import ConfigError
from restsync.airbyte import plan_manifest, stream_problems
from tests.airbyte import manifests as build
from tests.airbyte.apis import requires
from tests.airbyte.conftest import Simulate
from tests.conftest import RoutedServer

MESSAGES = [{"id": f"m{i}", "subject": f"s{i}"} for i in range(1, 4)]


def _stream(name: str, url: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    bearer = {"type": "BearerAuthenticator", "api_token": "{{ config['t'] }}"}
    return build.stream(
        name,
        build.requester(url=url, http_method="GET", authenticator=bearer),
        ["value"],
        primary_key=["id"],
        retriever=extra,
        schema=build.properties(id="string", subject="string"),
    )


MESSAGES_STREAM = _stream("messages", "https://graph.invalid/v1.0/me/messages")
MESSAGE_DETAILS = _stream(
    "message_details",
    "https://graph.invalid/v1.0/me/messages/{{ stream_partition['message_id'] }}",
    {
        "record_selector": {
            "type": "RecordSelector",
            "extractor": {"type": "DpathExtractor", "field_path": []},
        },
        "partition_router": build.substream(MESSAGES_STREAM, "id", "message_id"),
    },
)
MANIFEST = build.manifest(MESSAGES_STREAM, MESSAGE_DETAILS, version="6.60.0")


def _serve(server: Any) -> None:
    authorised = requires("Authorization", "Bearer tk")

    @server.get("/v1.0/me/messages")
    async def messages(request: web.Request) -> web.Response:
        authorised(request)
        return web.json_response({"value": MESSAGES})

    @server.get("/v1.0/me/messages/{id}")
    async def message(request: web.Request) -> web.Response:
        authorised(request)
        found = next(m for m in MESSAGES if m["id"] == request.match_info["id"])
        return web.json_response({**found, "subject": found["subject"] + "!"})


def test_a_whole_url_moves_to_the_base_url_with_its_path(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    _serve(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {"t": "tk"}, base_url=server.base_url)
    restsync.sync(make_pipeline(), source)
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        details = db.sql("select id, subject from data.message_details order by id").fetchall()
    assert details == [("m1", "s1!"), ("m2", "s2!"), ("m3", "s3!")]
    # the parent stream is the same resource as the router's parent: read once
    assert sorted(r.path for r in server.requests) == [
        "/v1.0/me/messages",
        "/v1.0/me/messages/m1",
        "/v1.0/me/messages/m2",
        "/v1.0/me/messages/m3",
    ]


def test_without_a_base_url_the_address_is_the_manifests() -> None:
    plan = plan_manifest(MANIFEST, {"t": "tk"})
    requests = plan.resources["message_details"].paginator
    assert getattr(requests, "url_origin", None) == ""


def test_the_simulator_serves_a_whole_url_at_its_path(simulate: Simulate) -> None:
    run = simulate(MANIFEST, {"t": "tk"}, seed=3)
    assert run.served.resources["message_details"].path == "v1.0/me/messages/{message_id}"
    served = run.sim.dataset()
    parents = list(run.source.resources["messages"])
    children = list(run.source.resources["message_details"])
    assert len(parents) == len(served["messages"]) > 0
    assert len(children) == len(served["message_details"]) > 0


def test_a_refused_template_in_an_address_is_a_check_error() -> None:
    # str.format runs (Jinja's sandboxed formatter, as in airbyte-cdk); format_map does not
    manifest = build.manifest(
        _stream("jobs", "{{ 'https://{host}/v1'.format_map(config) }}"), version="6.60.0"
    )
    problems = stream_problems(manifest, {"t": "tk", "host": "h"})
    assert "jobs" in problems
    assert "streams[0].retriever.requester.url" in str(problems["jobs"])
    assert "format" in str(problems["jobs"])
    with pytest.raises(ConfigError, match="stream 'jobs' uses template"):
        plan_manifest(manifest, {"t": "tk", "host": "h"})


def _on(base: str, name: str) -> dict[str, Any]:
    stream = _stream(name, "")
    requester = stream["retriever"]["requester"]
    del requester["url"], requester["authenticator"]
    requester.update({"url_base": base, "path": "/items"})
    return stream


def test_each_url_base_is_its_own_without_a_base_url(make_pipeline: Any) -> None:
    # shortio: two APIs on two hosts; only a base URL the user gives replaces a url_base
    first, second = RoutedServer(), RoutedServer()
    try:
        for server, rows in ((first, [{"id": "a1"}]), (second, [{"id": "b1"}, {"id": "b2"}])):

            async def items(request: web.Request, rows: Any = rows) -> web.Response:
                return web.json_response({"value": rows})

            server.route("GET", "/api/items", items)
            server.start()
        manifest = build.manifest(
            _on(first.base_url + "/api", "a"), _on(second.base_url + "/api", "b"), version="6.60.0"
        )
        source = restsync.airbyte_source(manifest, {})
        assert [r["id"] for r in source.resources["a"]] == ["a1"]
        assert [r["id"] for r in source.resources["b"]] == ["b1", "b2"]
        assert [r.path for r in first.requests] == ["/api/items"]
        assert [r.path for r in second.requests] == ["/api/items"]
    finally:
        first.stop()
        second.stop()
