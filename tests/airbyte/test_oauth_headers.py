"""OAuthAuthenticator ``refresh_request_headers`` (gong, pinterest): the token request carries
the headers; with an Authorization header the client's id and secret go there only, not in
the form, as airbyte-cdk sends them (providers reject them in both places)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync.airbyte import stream_problems
from tests.airbyte.apis import OAUTH_BASIC as BASIC
from tests.airbyte.apis import OAUTH_SECRETS as SECRETS
from tests.airbyte.apis import serve_oauth_headers
from tests.conftest import count_rows

MANIFEST = Path(__file__).parent / "manifests" / "oauth_headers.yaml"


def test_the_stream_passes_check() -> None:
    assert stream_problems(MANIFEST, {**SECRETS, "base_url": "http://127.0.0.1:9"}) == {}


def test_the_token_request_sends_the_header_not_the_form_credentials(
    server: Any, make_pipeline: Any, duckdb_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forms = serve_oauth_headers(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {**SECRETS, "base_url": server.base_url})
    with caplog.at_level(logging.DEBUG):
        restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "calls") == 2
    assert forms == [
        {"grant_type": "refresh_token", "refresh_token": "r-1", "authorization": BASIC}
    ]
    assert BASIC.split()[1] not in caplog.text
