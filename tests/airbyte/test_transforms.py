"""A JSON body that reads next_page_token, and the record transformations in order:
DpathFlattenFields, KeysReplace, KeysToLower, AddFields (nested path, value_type), RemoveFields
(with a `*` pointer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
