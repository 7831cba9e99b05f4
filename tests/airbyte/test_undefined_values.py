"""Templates airbyte-cdk reads as an ``InterpolatedString`` (an added field, a page cursor):
an attribute of an undefined value fails the stream, as it fails in airbyte-cdk (checked with
airbyte-cdk 7.39: "'dict object' has no attribute 'app'"); an undefined value alone is ''."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync

MANIFEST = Path(__file__).parent / "manifests" / "undefined.yaml"


def _serve(server: Any, records: list[dict[str, Any]]) -> None:
    @server.get("/apps")
    async def apps(request: web.Request) -> web.Response:
        return web.json_response(records)

    server.start()


def test_a_present_attribute_is_added_and_an_undefined_value_is_empty_text(server: Any) -> None:
    _serve(server, [{"id": 1, "app": {"ext_id": "e-1"}}])
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url})
    assert [dict(r) for r in source.resources["apps"]] == [
        {"id": 1, "app": {"ext_id": "e-1"}, "ext_id": "e-1", "empty": ""}
    ]


def test_an_attribute_of_an_undefined_value_fails_the_stream(
    server: Any, make_pipeline: Any
) -> None:
    _serve(server, [{"id": 1}])
    source = restsync.airbyte_source(MANIFEST, {"base_url": server.base_url})
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert [f.resource for f in failed.value.failures] == ["apps"]
    assert "has no attribute 'app'" in str(failed.value)
