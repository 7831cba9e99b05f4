"""ApiKeyAuthenticator into ``body_data`` (canny): the key is a form field of every request,
added to the request's own fields as airbyte-cdk adds it, and it is a secret of the plan."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync.airbyte import plan_manifest, stream_problems
from tests.airbyte.apis import FORM_KEY as KEY
from tests.airbyte.apis import serve_key_in_form
from tests.conftest import count_rows

MANIFEST = Path(__file__).parent / "manifests" / "key_in_form.yaml"


def test_the_streams_pass_check_and_the_key_is_a_secret() -> None:
    config = {"base_url": "http://127.0.0.1:9", "api_key": KEY}
    assert stream_problems(MANIFEST, config) == {}
    plan = plan_manifest(MANIFEST, config)
    assert KEY in plan.resources["boards"].paginator.secret_values(plan.base_url)
    assert KEY not in repr(plan.resources["boards"])


def test_every_request_carries_the_key_in_its_form(
    server: Any, make_pipeline: Any, duckdb_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forms = serve_key_in_form(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url, "api_key": KEY})
    with caplog.at_level(logging.DEBUG):
        restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "boards") == 2
    assert count_rows(duckdb_path, "data", "posts") == 3
    assert sorted(sorted(form.items()) for form in forms) == [
        [("apiKey", KEY)],
        [("apiKey", KEY), ("sort", "newest")],
        [("apiKey", KEY), ("sort", "newest")],
    ]
    assert KEY not in caplog.text
