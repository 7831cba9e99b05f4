"""A JSON body that reads next_page_token, and the record transformations in order:
DpathFlattenFields, KeysReplace, KeysToLower, AddFields (nested path, value_type), RemoveFields
(with a `*` pointer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

import restsync
from tests.airbyte.apis import serve_transforms

MANIFEST = Path(__file__).parent / "manifests" / "transforms.yaml"


def test_body_paging_and_transformations(server: Any) -> None:
    serve_transforms(server)
    server.start()
    config = {"base_url": server.base_url, "query": "active"}
    source = restsync.airbyte_source(MANIFEST, config, streams=["accounts"])
    records = sorted(source.resources["accounts"], key=lambda r: r["id"])
    assert len(records) == 5
    assert records[0] == {
        "id": 1,
        "score": 2,
        "links": {"self": "/a/1"},
        "p_first_name": "a1",
        "p_tier": "gold",
        "meta": {"source": "api"},
        "big": False,
    }
    assert records[4]["big"] is True


def test_an_added_value_that_renders_empty_is_an_empty_text(server: Any) -> None:
    """As airbyte-cdk: AddFields whose template renders nothing adds "" (found on opsgenie,
    whose manifest reads a partition key that is not there); "None" still adds None."""

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}])

    server.start()
    fields = [
        {"path": ["empty"], "value": "{{ record['missing'] }}"},
        {"path": ["none"], "value": "{{ None }}"},
        {"path": ["kept"], "value": "{{ record['id'] }}"},
    ]
    manifest = {
        "version": "6.0.0",
        "type": "DeclarativeSource",
        "streams": [
            {
                "type": "DeclarativeStream",
                "name": "items",
                "retriever": {
                    "type": "SimpleRetriever",
                    "requester": {"url_base": server.base_url, "path": "items"},
                    "record_selector": {"extractor": {"field_path": []}},
                },
                "transformations": [{"type": "AddFields", "fields": fields}],
            }
        ],
    }
    source = restsync.airbyte_source(manifest, {})
    assert [dict(r) for r in source.resources["items"]] == [
        {"id": 1, "empty": "", "none": None, "kept": 1}
    ]
