"""Contracts of the fourth Airbyte sample the simulator serves as the API carries them: an item
of a list that a transformation reads (high-level's ``record['items'][0]['name']``)."""

from __future__ import annotations

from typing import Any

from tests.airbyte.conftest import Simulate


def _stream(name: str, path: str, field_path: list[str]) -> dict[str, Any]:
    return {
        "type": "DeclarativeStream",
        "name": name,
        "primary_key": ["id"],
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {"type": "HttpRequester", "url_base": "https://x.invalid/", "path": path},
            "record_selector": {
                "type": "RecordSelector",
                "extractor": {"type": "DpathExtractor", "field_path": field_path},
            },
        },
        "schema_loader": {
            "type": "InlineSchemaLoader",
            "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
    }


def _manifest(*streams: dict[str, Any]) -> dict[str, Any]:
    return {"version": "6.0.0", "type": "DeclarativeSource", "streams": list(streams)}


def _add(stream: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    stream.setdefault("transformations", []).append(
        {"type": "AddFields", "fields": [{"path": [field], "value": value}]}
    )
    return stream


def test_an_item_of_a_listed_field_a_transformation_reads_is_served_as_a_list(
    simulate: Simulate,
) -> None:
    # high-level's Order: the schema says items is an array of objects (a generic json column),
    # and AddFields reads the first item's name: served as a dict, the read failed the stream
    orders = _add(
        _stream("orders", "/orders", ["data"]), "product", "{{ record['items'][0]['name'] }}"
    )
    orders["schema_loader"]["schema"]["properties"]["items"] = {
        "type": ["array", "null"],
        "items": {"type": ["object", "null"], "properties": {"name": {"type": "string"}}},
    }
    _add(orders, "first_tag", "{{ record.tags[0] }}")
    run = simulate(_manifest(orders), seed=3)
    served = run.sim.dataset()["orders"]
    records = list(run.source.resources["orders"])
    assert len(records) == len(served) > 0
    for record in records:
        assert isinstance(record["items"], list) and record["items"]
        assert record["product"] == record["items"][0]["name"]
        assert isinstance(record["product"], str)
        assert record["first_tag"] == record["tags"][0]
