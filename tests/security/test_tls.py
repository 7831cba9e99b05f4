"""TLS certificates are verified by default; a certificate that does not verify fails the resource
at once (another try cannot fix it), and ``verify_tls: false`` is the explicit way out."""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows


@pytest.fixture
def https_server(server: RoutedServer) -> RoutedServer:
    """The API over TLS, with a certificate from a CA nobody trusts."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)

    async def items(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}]})

    server.route("GET", "/items", items)
    server.start(ssl_context=context)
    return server


def _config(base_url: str, **client: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, **client},
        "resources": [
            {"name": "items", "endpoint": {"path": "/items", "paginator": "single_page"}}
        ],
    }


def test_a_certificate_that_does_not_verify_fails_at_once(
    https_server: RoutedServer, make_pipeline
) -> None:
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), restsync.rest_api_source(_config(https_server.base_url)))
    (failure,) = caught.value.failures
    assert failure.resource == "items"
    assert failure.message == (
        "the request failed (TLS error); the server's TLS certificate did not verify; fix it, "
        "or for a host you trust set client.verify_tls: false"
    )  # no "after N attempts": a certificate error is not retried
    assert isinstance(failure.__cause__, aiohttp.ClientConnectorCertificateError)
    assert https_server.requests == []  # nothing was sent over the unverified connection


def test_verify_tls_false_accepts_the_certificate(
    https_server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    config = _config(https_server.base_url, verify_tls=False)
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    assert count_rows(duckdb_path, "data", "items") == 2
