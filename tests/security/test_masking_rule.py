"""Which configured header values are masked: secrets first, but not every harmless value.

A masked value is replaced wherever it occurs, so masking ``X-Api-Version: 2024-06-01`` hid
every such date in every message, and ``X-Tenant: acme`` hid the host ``acme.example.com``
(before: both shown as ``***``). A credential stays masked under any name that says nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._plan._credentials import header_secrets
from tests.conftest import RoutedServer, run_restsync

CASES = [
    # (header, value, masked)
    ("X-Api-Version", "2024-06-01", False),
    ("Notion-Version", "2022-06-28", False),
    ("X-Api-Version", "beta", False),  # a version header: its value says which API, not who
    ("X-Page-Size", "500", False),
    ("X-Since", "2024-06-01T00:00:00Z", False),
    ("X-Tenant", "acme", False),  # a label of the host, api.acme.example.com
    ("X-Tenant", "globex", True),  # a word that could be a password
    ("X-Custom", "custom-header-credential-5150", True),
    ("X-Custom", "4f9a8b7c6d5e", True),  # hex starting with a digit, but letters in it
    ("X-Custom", "12345678901234567890", False),  # all digits: a number
    ("X-Api-Key", "2024", True),  # a credential's name: masked whatever the value
    ("X-Auth-Version", "2024-06-01", True),
    ("Authorization", "Bearer abcdef", True),
    ("X-Access-Token", "acme", True),
    ("X-Client-Id", "12345", True),
    ("X-Session", "acme", True),
    ("Cookie", "sid=1234", True),
    ("PRIVATE-TOKEN", "glpat-xyz", True),
    ("Accept", "application/json", False),
]


@pytest.mark.parametrize(("name", "value", "masked"), CASES)
def test_a_header_value_is_masked_unless_it_cannot_be_a_credential(
    name: str, value: str, masked: bool
) -> None:
    found = list(header_secrets({name: value}, "https://api.acme.example.com/v1"))
    assert found == ([value] if masked else [])


def test_restsync_plan_shows_the_host_and_dates_and_hides_the_key(tmp_path: Path) -> None:
    config = tmp_path / "tenant.yaml"
    config.write_text(
        """
client:
  base_url: https://acme.example.com/api
  headers:
    X-Tenant: acme
    X-Api-Version: "2024-06-01"
    X-Partner: sk_live_4f9a8b7c6d5e
resources:
  - name: orders
    endpoint:
      path: /orders
      params: {since: "2024-06-01", partner: sk_live_4f9a8b7c6d5e}
"""
    )
    done = run_restsync("plan", config)
    assert done.returncode == 0, done.stderr
    assert "base_url=https://acme.example.com/api" in done.stdout  # before: https://***.example.com
    assert "'since': '2024-06-01'" in done.stdout  # before: '***'
    assert "sk_live_4f9a8b7c6d5e" not in done.stdout + done.stderr
    assert "'partner': '***'" in done.stdout


def test_an_error_keeps_the_date_and_masks_the_echoed_credential(
    server: RoutedServer, make_pipeline: Any
) -> None:
    @server.get("/orders")
    async def orders(request: web.Request) -> web.Response:
        if "echo" in request.query:
            raise web.HTTPNotFound()
        # a next link that echoes the credential it got: the failing URL shows it masked
        echo = request.headers["X-Partner"]
        next_url = f"{server.base_url}/orders?since={request.query['since']}&echo={echo}"
        return web.json_response({"data": [{"id": 1}], "next": next_url})

    server.start()
    source = restsync.rest_api_source(
        {
            "client": {
                "base_url": server.base_url,
                "headers": {"X-Api-Version": "2024-06-01", "X-Partner": "pk4f9a8b7c6d5e"},
                "paginator": {"type": "json_link", "next_url_path": "next"},
                "error_handler": {"max_retries": 0},
            },
            "resources": [
                {
                    "name": "orders",
                    "endpoint": {"path": "/orders", "params": {"since": "2024-06-01"}},
                }
            ],
        }
    )
    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), source)
    message = str(caught.value)
    assert "HTTP 404" in message
    assert "since=2024-06-01&echo=***" in message  # before: since=***&echo=***
    assert "pk4f9a8b7c6d5e" not in message
