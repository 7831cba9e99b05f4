"""What today's manifest-only connectors write that older manifests did not: references read as
written (akeneo's schema key ends in a blank)."""

from __future__ import annotations

from typing import Any

import pytest

from restsync import ConfigError
from restsync.airbyte import plan_manifest


def _manifest(schema_key: str, reference: str) -> dict[str, Any]:
    return {
        "version": "6.48.0",
        "type": "DeclarativeSource",
        "schemas": {
            schema_key: {
                "type": "object",
                "properties": {"code": {"type": "string"}, "level": {"type": "integer"}},
            }
        },
        "streams": [
            {
                "type": "DeclarativeStream",
                "name": "categories",
                "retriever": {
                    "type": "SimpleRetriever",
                    "requester": {
                        "type": "HttpRequester",
                        "url_base": "https://x.invalid",
                        "path": "/categories",
                    },
                    "record_selector": {
                        "type": "RecordSelector",
                        "extractor": {"type": "DpathExtractor", "field_path": []},
                    },
                },
                "schema_loader": {"type": "InlineSchemaLoader", "schema": {"$ref": reference}},
            }
        ],
    }


def test_a_reference_is_read_as_written_blank_included() -> None:
    plan = plan_manifest(_manifest("categories ", "#/schemas/categories "), {})
    columns = plan.resources["categories"].hints["columns"]
    assert columns["level"]["data_type"] == "bigint"


def test_a_reference_to_no_key_is_still_a_config_error() -> None:
    with pytest.raises(ConfigError, match="reference '#/schemas/categories ' points at nothing"):
        plan_manifest(_manifest("categories", "#/schemas/categories "), {})
