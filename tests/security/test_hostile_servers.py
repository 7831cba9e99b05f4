"""The hostile-server matrix: one resource's server misbehaves, the run still ends within a bound,
fails that resource by name with a clear message, loads the others exactly, and no secret shows
up anywhere: stdout, stderr, logs, the exception text, the DuckDB file or the pipeline's files.

The bound is enforced by running the sync in a thread joined with a timeout; retries never
really wait (backoff 0, Retry-After capped at 0.01 s), so the bound is generous on purpose.
A server that never finishes (a body that stalls or drips, an answer that never comes) meets
``timeout_seconds``: the total time of one request, not the time between two reads. A body past
``max_response_bytes`` (counted decompressed) fails at once, unread beyond the cap.
"""

from __future__ import annotations

import asyncio
import functools
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows
from tests.security.bounded import sync_within_bound

API_KEY = "hostile-matrix-api-key"
HEADER_SECRET = "hostile-matrix-header-secret"

RETRIES = {"max_retries": 2, "backoff_factor": 0, "max_backoff_seconds": 0.01}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _echoing_secrets(request: web.Request) -> str:
    # a hostile server sends back what it received, hoping an error message repeats it
    return f"{request.path_qs} {request.headers.get('X-Secret', '')}"


async def non_json(request: web.Request) -> web.Response:
    return web.Response(text=f"<html>{_echoing_secrets(request)}</html>", content_type="text/html")


async def truncated_json(request: web.Request) -> web.Response:
    body = '{"data": [{"id": "' + _echoing_secrets(request)
    return web.Response(text=body, content_type="application/json")


async def truncated_transfer(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "1000"})
    await response.prepare(request)
    await response.write(b'{"data": [')
    assert request.transport is not None
    request.transport.close()  # the connection drops 990 bytes short
    return response


async def redirect_loop(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": "/hostile?again=1"})


async def server_error(request: web.Request) -> web.Response:
    return web.Response(status=500, text=_echoing_secrets(request))


def too_many_requests(retry_after: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": retry_after})

    return handler


async def unauthorized_mid_run(request: web.Request) -> web.Response:
    page = int(request.query.get("page", "1"))
    if page == 1:
        return web.json_response({"data": [{"id": 1}, {"id": 2}], "next": 2})
    return web.json_response({"error": _echoing_secrets(request)}, status=401)


class Holds:
    """A handler that holds its connection until the test releases it (so the server can stop
    at the end of the test without waiting for it)."""

    def __init__(self, make: Callable[[asyncio.Event], Handler]) -> None:
        self.make = make


def stalled(release: asyncio.Event) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"data": [')
        await release.wait()  # the body never finishes: released when the test is over
        return response

    return handler


def silent(release: asyncio.Event) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await release.wait()  # accepts the connection, reads the request, never answers
        return web.Response(status=204)

    return handler


def dripping(release: asyncio.Event) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        while not release.is_set():  # one byte a second, forever: each read is quick
            await response.write(b" ")
            try:
                await asyncio.wait_for(release.wait(), 1)
            except TimeoutError:
                pass
        return response

    return handler


_ROW = b'{"id": 1, "pad": "' + b"x" * 1000 + b'"},'


async def endless_body(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"data": [')
    for _ in range(2**31 // (64 * len(_ROW))):  # 2 GB, unless the client hangs up first
        await response.write(_ROW * 64)
    return response


async def declared_huge(request: web.Request) -> web.StreamResponse:
    headers = {"Content-Type": "application/json", "Content-Length": str(2**31)}
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    for _ in range(2**31 // (64 * len(_ROW))):
        await response.write(_ROW * 64)
    return response


@functools.cache
def _bomb(wbits: int) -> bytes:
    """64 MiB of JSON whitespace compressed to about 64 KiB (gzip: wbits 31; deflate: 15)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [squeeze.compress(b'{"data": [')]
    parts += [squeeze.compress(b" " * 2**20) for _ in range(64)]
    return b"".join([*parts, squeeze.flush()])


def compression_bomb(encoding: str, wbits: int) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
        return web.Response(body=_bomb(wbits), headers=headers)

    return handler


def raw_json(body: bytes) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return handler


async def same_cursor(request: web.Request) -> web.Response:
    return web.json_response({"data": [{"id": 1}], "next": 1})


_CAP = {"max_response_bytes": 1_000_000}
_TOO_LARGE = "the response is larger than client.max_response_bytes (1,000,000 bytes)"

# case -> (handler, client settings, what the error says, requests the hostile path gets, rows)
CASES: dict[str, tuple[Any, dict[str, Any], str, int, int]] = {
    "non_json_200": (non_json, {}, "the response is not valid JSON (text/html", 3, 0),
    "truncated_json": (truncated_json, {}, "the response is not valid JSON", 3, 0),
    "truncated_transfer": (truncated_transfer, {}, "incomplete response body", 3, 0),
    "redirect_loop": (redirect_loop, {}, "redirected more than 10 times", 11, 0),
    "stalled_body": (
        Holds(stalled),
        {"timeout_seconds": 1},
        "the request timed out after 3 attempts",
        3,
        0,
    ),
    "never_answers": (
        Holds(silent),
        {"timeout_seconds": 1},
        "the request timed out after 3 attempts",
        3,
        0,
    ),
    "slow_drip_body": (
        Holds(dripping),
        {"timeout_seconds": 1},
        "the request timed out after 3 attempts",
        3,
        0,
    ),
    "endless_body": (endless_body, _CAP, _TOO_LARGE, 1, 0),
    "declared_2gb_body": (declared_huge, _CAP, _TOO_LARGE, 1, 0),
    "gzip_bomb": (compression_bomb("gzip", 31), _CAP, _TOO_LARGE, 1, 0),
    "deflate_bomb": (compression_bomb("deflate", 15), _CAP, _TOO_LARGE, 1, 0),
    "nested_100k_deep": (
        raw_json(b"[" * 100_000 + b"]" * 100_000),
        {},
        "the response is not valid JSON (application/json",
        3,
        0,
    ),
    "nan_and_infinity": (
        raw_json(b'{"data": [{"id": NaN, "v": Infinity}]}'),
        {},
        "the response is not valid JSON (application/json",
        3,
        0,
    ),
    "not_utf8": (
        raw_json(b'{"data": [{"id": "\xff\xfe\xfa"}]}'),
        {},
        "the response is not valid JSON (application/json",
        3,
        0,
    ),
    "same_cursor_forever": (same_cursor, {}, "the API returned the same cursor twice", 2, 0),
    "500_forever": (server_error, {}, "the API answered HTTP 500 after 3 attempts", 3, 0),
    "429_absurd_retry_after": (
        too_many_requests("1000000000"),
        {},
        "HTTP 429 after 3 attempts",
        3,
        0,
    ),
    "429_garbage_retry_after": (
        too_many_requests("soon-ish"),
        {},
        "HTTP 429 after 3 attempts",
        3,
        0,
    ),
    "429_negative_retry_after": (too_many_requests("-5"), {}, "HTTP 429 after 3 attempts", 3, 0),
    "429_retry_after_date_in_9999": (
        too_many_requests("Fri, 31 Dec 9999 23:59:59 GMT"),
        {},
        "HTTP 429 after 3 attempts",
        3,
        0,
    ),
    "401_mid_run": (
        unauthorized_mid_run,
        {},
        "HTTP 401; check the credential (token or API key)",
        2,
        2,
    ),
}


def _config(base_url: str, **client: Any) -> dict[str, Any]:
    def resource(name: str, **paginator: Any) -> dict[str, Any]:
        return {
            "name": name,
            "primary_key": "id",
            "endpoint": {"path": f"/{name}", "data_selector": "data", "paginator": paginator},
        }

    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "api_key", "name": "api_key", "api_key": API_KEY, "location": "query"},
            "headers": {"X-Secret": HEADER_SECRET},
            "error_handler": {**RETRIES, "max_retry_after_seconds": 0.01},
            **client,
        },
        "resources": [
            resource("hostile", type="cursor", cursor_path="next", cursor_param="page"),
            resource("users", type="page_number", base_page=1, total_path="pages"),
            resource("orders", type="cursor", cursor_path="next", cursor_param="after"),
        ],
    }


def _serve_healthy(server: RoutedServer) -> None:
    async def users(request: web.Request) -> web.Response:
        page = int(request.query["page"])
        return web.json_response({"data": [{"id": f"u{page}-{i}"} for i in range(3)], "pages": 2})

    async def orders(request: web.Request) -> web.Response:
        after = int(request.query.get("after", "0"))
        rows = [{"id": f"o{after}-{i}"} for i in range(4)]
        return web.json_response({"data": rows, "next": after + 1 if after < 2 else None})

    server.route("GET", "/users", users)
    server.route("GET", "/orders", orders)


def _every_stored_text(tmp_path: Path, duckdb_path: Path) -> str:
    """Every value in every table of the DuckDB file, and the raw bytes of every file written."""
    parts = []
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        tables = db.sql("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            parts.append(str(db.sql(f'select * from "{schema}"."{table}"').fetchall()))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_server_fails_one_resource_within_a_bound(
    case: str, server: RoutedServer, make_pipeline, duckdb_path, tmp_path, capfd, caplog
) -> None:
    handler, client, message, requests, rows = CASES[case]
    release = asyncio.Event()
    server.route(
        "GET", "/hostile", handler.make(release) if isinstance(handler, Holds) else handler
    )
    _serve_healthy(server)
    server.start()
    try:
        error = sync_within_bound(_config(server.base_url, **client), make_pipeline)
    finally:
        server._loop.call_soon_threadsafe(release.set)

    assert isinstance(error, restsync.SyncFailed), error
    (failure,) = error.failures
    assert failure.resource == "hostile"
    assert message in failure.message
    hostile = [r for r in server.requests if r.path == "/hostile"]
    assert len(hostile) == requests
    assert all(r.query["api_key"] == API_KEY for r in hostile)  # it had the secret to echo
    assert count_rows(duckdb_path, "data", "users") == 6
    assert count_rows(duckdb_path, "data", "orders") == 12
    if rows:
        assert count_rows(duckdb_path, "data", "hostile") == rows
    captured = capfd.readouterr()
    outputs = {
        "exception": str(error),
        "stdout": captured.out,
        "stderr": captured.err,
        "logs": caplog.text,
        "files": _every_stored_text(tmp_path, duckdb_path),
    }
    assert "o2-3" in outputs["files"]  # the scan does read the loaded rows
    leaks = {
        where: s for where, text in outputs.items() for s in (API_KEY, HEADER_SECRET) if s in text
    }
    assert leaks == {}
