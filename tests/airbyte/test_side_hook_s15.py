"""Session 15: a stream's side reads (a DynamicSchemaLoader's schema, a PropertiesFromEndpoint's
properties) run as the engine's ``before`` step, once per run, before the stream's first
request, and send their requests with the side retriever's own error handler, as airbyte-cdk
7.39.1 does (its defaults where the side requester declares none), never the stream's."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from dlt.pipeline.exceptions import PipelineStepFailed

import restsync
from restsync import ExtractionError
from restsync._engine._request import Request
from restsync._load import build_source
from restsync._plan import ResourcePlan
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.test_components_s13 import serve_contacts
from tests.airbyte.test_components_s14 import _contacts_from_endpoint, _typed_stream
from tests.conftest import RoutedServer

_TOKEN = "tok-s15-secret-4242"
_CHECK = {"type": "CheckStream", "stream_names": ["items"]}


def _handler(*filters: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "DefaultErrorHandler", "response_filters": list(filters), **more}


def _filter(code: int, action: str) -> dict[str, Any]:
    return {"type": "HttpResponseFilter", "http_codes": [code], "action": action}


def serve_items(server: RoutedServer, fields: list[tuple[int, dict[str, str]]]) -> None:
    """``/fields`` answers with the statuses of ``fields`` in turn (the last one from then on),
    a 200 with the items' field list; ``/items`` three items whose numbers come as texts."""
    answers = list(fields)

    @server.get("/fields")
    async def described(request: web.Request) -> web.Response:
        status, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        if status != 200:
            return web.json_response({"error": "no"}, status=status, headers=headers)
        listed = [{"name": "ID", "type": "int"}, {"name": "Amount", "type": "float"}]
        return web.json_response({"meta": {"fields": listed}})

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        rows = [{"id": str(i), "amount": f"{i}.5"} for i in (1, 2, 3)]
        return web.json_response({"data": rows})


def _paths(server: RoutedServer) -> list[str]:
    return [r.path for r in server.requests]


def _as_airbyte_cdk(
    server: RoutedServer, tmp_path: Path, stream: dict[str, Any], reset: Any = None
) -> list[Any]:
    """The stream's records read by restsync, once checked equal to airbyte-cdk's; the server
    keeps only restsync's requests (``reset`` restores its state in between)."""
    path = tmp_path / "side.yaml"
    path.write_text(json.dumps(build.manifest(stream, version="6.44.0", check=_CHECK)))
    config = {"base_url": server.base_url, "token": _TOKEN}
    expected, errors = reference_records(path, config)
    assert errors == []
    server.requests.clear()
    if reset is not None:
        reset()
    got = restsync_records(path, config)["items"]
    assert canonical(got) == canonical(expected["items"])
    return got


def test_a_schema_read_retries_a_429_by_its_own_default_handler(server: RoutedServer) -> None:
    """The stream's handler fails on a 429; the schema retriever declares none, so airbyte-cdk's
    default retries it: the schema is read on the second try and types the records. restsync
    failed the stream before (the stream's handler on the schema read)."""
    serve_items(server, [(429, {"Retry-After": "0"}), (200, {})])
    server.start()
    stream = _typed_stream(server.base_url)
    stream["retriever"]["requester"]["error_handler"] = _handler(_filter(429, "FAIL"))
    source = restsync.airbyte_source(build.manifest(stream), {"token": _TOKEN})
    records = list(source.resources["items"])
    assert [(r["id"], r["amount"]) for r in records] == [(1, 1.5), (2, 2.5), (3, 3.5)]
    assert _paths(server) == ["/fields", "/fields", "/items"]


def test_a_500_the_schema_handler_ignores_reads_no_schema_as_airbyte_cdk(
    server: RoutedServer, tmp_path: Path
) -> None:
    """The schema retriever's own handler IGNOREs a 500: no schema, the records as they come,
    as airbyte-cdk's; restsync retried it by the stream's default handler, then failed."""
    serve_items(server, [(500, {"Retry-After": "0"})])
    server.start()
    stream = _typed_stream("{{ config['base_url'] }}")
    side = stream["schema_loader"]["retriever"]["requester"]
    side["error_handler"] = _handler(_filter(500, "IGNORE"))
    got = _as_airbyte_cdk(server, tmp_path, stream)
    assert got[0]["id"] == "1"  # no schema: not normalized
    assert _paths(server) == ["/fields", "/items"]


def test_the_property_read_retries_by_its_own_handler_not_the_streams_ignore(
    server: RoutedServer, tmp_path: Path
) -> None:
    """The contacts stream IGNOREs a 500; the property endpoint's own handler retries it (a
    short constant backoff): the properties are read on the second try, and the chunks and
    records are airbyte-cdk's. restsync ignored the 500 before: no properties were asked."""
    failed: list[int] = []

    @server.get("/properties")
    async def listed(request: web.Request) -> web.Response:
        if not failed:
            failed.append(500)
            return web.json_response({"error": "busy"}, status=500)
        names = [{"name": n} for n in ("email", "phone", "city", "zip")]
        return web.json_response({"results": names, "next": None})

    serve_contacts(server)
    server.start()
    stream = _contacts_from_endpoint("{{ config['base_url'] }}")
    requester = stream["retriever"]["requester"]
    requester["error_handler"] = _handler(_filter(500, "IGNORE"))
    side = requester["request_parameters"]["properties"]["property_list"]["retriever"]
    side["requester"]["error_handler"] = _handler(
        backoff_strategies=[{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 0.01}]
    )
    got = _as_airbyte_cdk(server, tmp_path, stream, failed.clear)
    assert set(got[0]["properties"]) == {"name", "email", "phone", "city", "zip"}
    assert _paths(server).count("/properties") == 2


def test_a_failed_schema_read_fails_its_stream_before_any_page(server: RoutedServer) -> None:
    """A 403 on the schema endpoint (not retried by the default handler): the stream fails with
    one sentence naming it, and its own endpoint is never asked."""
    serve_items(server, [(403, {})])
    server.start()
    source = restsync.airbyte_source(
        build.manifest(_typed_stream(server.base_url)), {"token": _TOKEN}
    )
    with pytest.raises(Exception, match="resource 'items'") as failed:
        list(source.resources["items"])
    assert f"{server.base_url}/fields): the API answered HTTP 403" in str(failed.value)
    assert _TOKEN not in str(failed.value)
    assert _paths(server) == ["/fields"]


# --- the engine's hook, on a plain config ------------------------------------------------------


def test_the_engine_runs_a_before_step_once_for_every_chain(
    server: RoutedServer, make_pipeline: Any
) -> None:
    """A child of three parent records: its before step runs once, in the first chain, the
    other chains wait for it, and every chain sends the request of the resource it returned."""

    @server.get("/posts")
    async def posts(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}, {"id": 3}])

    @server.get("/version")
    async def version(request: web.Request) -> web.Response:
        return web.json_response({"current": "v7"})

    @server.get("/posts/{post}/c")
    async def post_comments(request: web.Request) -> web.Response:
        post = request.match_info["post"]
        return web.json_response([{"id": f"{post}-{request.query.get('api')}"}])

    server.start()
    plan = restsync.plan_config(
        {
            "client": {"base_url": server.base_url},
            "resources": [
                "posts",
                {"name": "comments", "endpoint": "posts/{resources.posts.id}/c"},
            ],
        }
    )

    async def ask_version(resource: ResourcePlan, fetch: Any, sleep: Any) -> ResourcePlan:
        answer = await fetch(Request("GET", f"{server.base_url}/version"))
        return replace(resource, params={**resource.params, "api": answer.body["current"]})

    comments = replace(plan.resources["comments"], before=(ask_version,))
    plan = replace(plan, resources={**plan.resources, "comments": comments})
    make_pipeline().run(build_source(plan))
    paths = _paths(server)
    assert paths.count("/version") == 1 and paths.index("/version") < paths.index("/posts/1/c")
    assert (
        sorted(r.query_string for r in server.requests if r.path.endswith("/c")) == ["api=v7"] * 3
    )


def test_a_failed_before_step_fails_its_resource_alone(
    server: RoutedServer, make_pipeline: Any
) -> None:
    """The step's failure is the resource's: no page of it is asked, the others load."""

    @server.get("/posts")
    async def posts(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}])

    server.start()
    plan = restsync.plan_config(
        {"client": {"base_url": server.base_url}, "resources": ["posts", "users"]}
    )

    async def refuse(resource: ResourcePlan, fetch: Any, sleep: Any) -> ResourcePlan:
        raise ExtractionError(resource.name, "the version list is not readable")

    users = replace(plan.resources["users"], before=(refuse,))
    plan = replace(plan, resources={**plan.resources, "users": users})
    with pytest.raises(PipelineStepFailed) as caught:
        make_pipeline().run(build_source(plan))
    assert "resource 'users'" in str(caught.value) and "version list" in str(caught.value)
    assert _paths(server) == ["/posts"]
