"""What the second sample of today's catalog (session 10) changed: a login whose body is a
``request_body`` and whose address is a whole ``url`` (feishu), ``ConditionalStreams``
(tiktok-marketing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync.airbyte import plan_manifest, stream_problems
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.conftest import count_rows

ROWS = [{"record_id": f"r{i}"} for i in range(1, 6)]


def _stream(name: str, path: str, authenticator: Any = None) -> dict[str, Any]:
    at = build.requester(
        url="{{ config['host'] }}" + path, http_method="GET", authenticator=authenticator
    )
    return build.stream(
        name, at, ["data", "items"], primary_key="record_id", schema={"type": "object"}
    )


def _manifest(*streams: Any) -> dict[str, Any]:
    return build.manifest(*streams, version="7.4.2")


# --- a login with a request_body, at a whole url (feishu) ---------------------------------------

LOGIN: dict[str, Any] = {
    "type": "SessionTokenAuthenticator",
    "login_requester": {
        "type": "HttpRequester",
        "url": "{{ config['host'] }}/auth/v3/app_access_token/internal",
        "http_method": "POST",
        "request_body": {
            "type": "RequestBodyJsonObject",
            "value": {"app_id": "{{ config['app_id'] }}", "app_secret": "{{ config['secret'] }}"},
        },
    },
    "session_token_path": ["tenant_access_token"],
    "request_authentication": {"type": "Bearer"},
    "expiration_duration": "PT2H",
}
CONFIG = {"app_id": "app-1", "secret": "s3cret-value"}


def _login_manifest(duration: str = "PT2H") -> dict[str, Any]:
    return _manifest(
        _stream("records", "/bitable/records", {**LOGIN, "expiration_duration": duration})
    )


def test_a_login_posts_its_request_body_to_its_whole_url(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    logins: list[Any] = []

    async def login(request: web.Request) -> web.Response:
        logins.append(await request.json())
        return web.json_response({"tenant_access_token": "t-1"})

    server.route("POST", "/auth/v3/app_access_token/internal", login)

    @server.get("/bitable/records")
    async def records(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer t-1":
            return web.json_response({"error": "no token"}, status=401)
        return web.json_response({"data": {"items": ROWS}})

    server.start()
    source = restsync.airbyte_source(_login_manifest(), {**CONFIG, "host": server.base_url})
    restsync.sync(make_pipeline(), source)
    assert logins == [{"app_id": "app-1", "app_secret": "s3cret-value"}]
    assert count_rows(duckdb_path, "data", "records") == len(ROWS)


def test_the_login_body_is_a_secret_and_moves_with_the_base_url() -> None:
    plan = plan_manifest(_login_manifest(), {**CONFIG, "host": "https://open.example.invalid"})
    auth = plan.resources["records"].auth
    assert "s3cret-value" not in repr(auth)
    secrets = [s.get_secret_value() for s in auth.secret_inputs]  # type: ignore[union-attr]
    assert "s3cret-value" in secrets
    moved = plan_manifest(
        _login_manifest(),
        {**CONFIG, "host": "https://open.example.invalid"},
        base_url="http://127.0.0.1:9",
    )
    login_url = moved.resources["records"].auth.login_url  # type: ignore[union-attr]
    assert login_url == "http://127.0.0.1:9/auth/v3/app_access_token/internal"


def test_the_simulator_serves_a_whole_url_login(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    run = simulate(_login_manifest(), {**CONFIG, "host": "https://open.example.invalid"}, seed=3)
    restsync.sync(make_pipeline(), run.source)
    requests = run.sim.counters()["requests"]
    assert requests["/auth/v3/app_access_token/internal"] == 1
    assert count_rows(duckdb_path, "data", "records") == len(run.sim.dataset()["records"]) > 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"expiration_duration": "7200"}, "'7200' is not an ISO 8601 duration"),
        (
            {
                "login_requester": {
                    **LOGIN["login_requester"],
                    "request_body": {
                        "type": "RequestBodyPlainText",
                        "value": "app={{ config['app_id'] }}",
                    },
                }
            },
            "RequestBodyPlainText (a login body other than a JSON object or form fields)",
        ),
    ],
)
def test_a_login_airbyte_cdk_refuses_or_restsync_cannot_send_is_named(
    change: dict[str, Any], expected: str
) -> None:
    manifest = _manifest(_stream("records", "/records", {**LOGIN, **change}))
    message = str(stream_problems(manifest, {**CONFIG, "host": "https://x.invalid"})["records"])
    assert "stream 'records'" in message and expected in message


# --- ConditionalStreams, a quoted url_base (tiktok-marketing) ----------------------------------


def _conditional() -> dict[str, Any]:
    always = _stream("accounts", "/accounts")
    sandbox = {
        "type": "ConditionalStreams",
        "condition": "{{ config.get('environment', {}).get('secret') is not none }}",
        "streams": [_stream("reports", "/reports"), _stream("pixels", "/pixels")],
    }
    return _manifest(always, sandbox)


def test_conditional_streams_are_listed_when_their_condition_holds() -> None:
    manifest, host = _conditional(), {"host": "https://x.invalid"}
    assert list(plan_manifest(manifest, host).resources) == ["accounts"]
    config = {**host, "environment": {"secret": "s"}}
    assert list(plan_manifest(manifest, config).resources) == ["accounts", "reports", "pixels"]


def test_a_conditional_stream_restsync_cannot_run_is_named_at_its_path() -> None:
    manifest = _conditional()
    pixels = manifest["streams"][1]["streams"][1]
    pixels["retriever"]["partition_router"] = {"class_name": "components.Custom"}
    config = {"host": "https://x.invalid", "environment": {"secret": "s"}}
    message = str(stream_problems(manifest, config)["pixels"])
    assert message.startswith("streams[1].streams[1].retriever.partition_router: ")
    assert "accounts, reports" in message  # the other streams still run


def test_a_quoted_url_base_is_read_as_the_text_inside_the_quotes(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/open_api/accounts")
    async def accounts(request: web.Request) -> web.Response:
        return web.json_response({"data": {"items": ROWS}})

    server.start()
    stream = _stream("accounts", "")
    requester = stream["retriever"]["requester"]
    del requester["url"]
    requester["url_base"] = "\"{{ config['host'] }}/open_api/\""
    requester["path"] = "accounts"
    source = restsync.airbyte_source(_manifest(stream), {"host": server.base_url})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "accounts") == len(ROWS)


def test_a_header_option_whose_name_renders_empty_is_named_as_such() -> None:
    """A header cannot go without a name (requests refuses it in airbyte-cdk); a query
    parameter can: tests/airbyte/test_check_refusals_s12.py."""
    stream = _stream("articles", "/articles")
    stream["incremental_sync"] = {
        "type": "DatetimeBasedCursor",
        "cursor_field": "updated_at",
        "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
        "start_datetime": "2024-01-01T00:00:00Z",
        "start_time_option": {
            "type": "RequestOption",
            "inject_into": "header",
            "field_name": "{{ parameters['cursor_filter'] }}",
        },
    }
    message = str(stream_problems(_manifest(stream), {"host": "https://x.invalid"})["articles"])
    assert "field_name \"{{ parameters['cursor_filter'] }}\" renders empty here" in message


# --- a login that carries an API key (retailexpress-by-maropost) -------------------------------


def test_a_login_sends_its_own_api_key(server: Any, make_pipeline: Any, duckdb_path: Path) -> None:
    keys: list[str | None] = []

    @server.get("/v2/auth/token")
    async def login(request: web.Request) -> web.Response:
        keys.append(request.headers.get("x-api-key"))
        return web.json_response({"access_token": "t-2"})

    @server.get("/v2/records")
    async def records(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer t-2":
            return web.json_response({"error": "no token"}, status=401)
        return web.json_response({"data": {"items": ROWS}})

    server.start()
    auth = {
        "type": "SessionTokenAuthenticator",
        "login_requester": {
            "type": "HttpRequester",
            "url_base": "{{ config['host'] }}/v2/auth",
            "path": "token",
            "http_method": "GET",
            "authenticator": {
                "type": "ApiKeyAuthenticator",
                "api_token": '{{ config["api_key"] }}',
                "inject_into": {
                    "type": "RequestOption",
                    "field_name": "x-api-key",
                    "inject_into": "header",
                },
            },
        },
        "session_token_path": ["access_token"],
        "expiration_duration": "PT1H",
        "request_authentication": {"type": "Bearer"},
    }
    manifest = _manifest(_stream("records", "/v2/records", auth))
    config = {"host": server.base_url, "api_key": "key-secret-9"}
    plan = plan_manifest(manifest, config)
    assert "key-secret-9" not in repr(plan.resources["records"].auth)
    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, config))
    assert keys == ["key-secret-9"]
    assert count_rows(duckdb_path, "data", "records") == len(ROWS)


def test_a_transformation_restsync_cannot_run_is_named_under_its_stream() -> None:
    stream = _stream("orders", "/orders")
    stream["transformations"] = [{"class_name": "components.DateTimeTransformer"}]
    message = str(stream_problems(_manifest(stream), {"host": "https://x.invalid"})["orders"])
    assert message.startswith("streams[0].transformations[0]: stream 'orders' uses")


# --- a cursor read from a Link header's own parameters (sentry) --------------------------------


def test_a_cursor_is_read_from_a_link_parameter(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/api/events")
    async def events(request: web.Request) -> web.Response:
        page = int(request.query.get("cursor", "0:0:0").split(":")[1]) // 2
        more = "true" if page < 2 else "false"
        following = f"0:{(page + 1) * 2}:0"
        link = (
            f'<{server.base_url}/api/events?cursor=0:0:1>; rel="previous"; results="false"; '
            f'cursor="0:0:1", <{server.base_url}/api/events?cursor={following}>; rel="next"; '
            f'results="{more}"; cursor="{following}"'
        )
        rows = [{"record_id": f"p{page}-{i}"} for i in range(2)]
        return web.json_response({"data": {"items": rows}}, headers={"Link": link})

    server.start()
    stream = _stream("events", "/api/events")
    stream["retriever"]["paginator"] = {
        "type": "DefaultPaginator",
        "page_token_option": {
            "type": "RequestOption",
            "inject_into": "request_parameter",
            "field_name": "cursor",
        },
        "pagination_strategy": {
            "type": "CursorPagination",
            "cursor_value": '{{ headers["link"].get("next", {}).get("cursor", {}) }}',
            "stop_condition": '{{ headers["link"]["next"]["results"] == "false" }}',
        },
    }
    source = restsync.airbyte_source(_manifest(stream), {"host": server.base_url})
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "events") == 6  # three pages of two
