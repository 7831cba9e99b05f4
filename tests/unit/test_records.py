"""Per-page record work as a pure function of the resource plan and a page of records: which
records are kept, which are rejected and why. Table-driven, no server; tests/engine and
tests/load prove the same checks end to end into DuckDB."""

from __future__ import annotations

from typing import Any

import pytest

import restsync
from restsync import PrimaryKeyError
from restsync._engine._records import RecordProcessor


def _processor(**resource: Any) -> RecordProcessor:
    plan = restsync.plan_config(
        {"client": {"base_url": "https://api.test"}, "resources": [{"name": "items", **resource}]}
    )
    return RecordProcessor(plan.resources["items"])


REQUIRED = [{"id": 1, "sku": "a"}, {"id": 2, "sku": None}, {"id": 3}]

PAGES = [
    # (resource keys, one page of records, ids kept, reasons of the rejected)
    pytest.param({}, [{"id": 1}, {"x": 2}], [1, None], [], id="no-checks-keeps-all"),
    pytest.param(
        {"primary_key": "id"},
        [{"id": 1}, {"id": None}, {"name": "n"}],
        [1],
        ["missing primary key 'id'", "missing primary key 'id'"],
        id="missing-key-rejected",
    ),
    pytest.param(
        {"primary_key": "id"},
        [{"id": 1}, {"id": 2}, {"id": 0}, {"id": ""}],
        [1, 2, 0, ""],
        [],
        id="falsy-keys-are-keys",
    ),
    pytest.param(
        {"primary_key": ["id", "region"]},
        [{"id": 1, "region": "eu"}, {"id": 2}, {"id": 3, "region": None}, {"region": "us"}],
        [1],
        [
            "missing primary key 'region'",
            "missing primary key 'region'",
            "missing primary key 'id'",
        ],
        id="compound-key-every-field",
    ),
    pytest.param(
        {"primary_key": "id", "processing_steps": [{"map": lambda r: r if r["id"] else [r]}]},
        [{"id": 1}, {"id": 0}],
        [1],
        ["the record is not an object"],
        id="a-keyed-resource-rejects-what-is-not-an-object",
    ),
    pytest.param(
        {"columns": {"sku": {"data_type": "text", "nullable": False}}},
        REQUIRED,
        [1],
        ["missing required field 'sku'", "missing required field 'sku'"],
        id="required-column-dict-form",
    ),
    pytest.param(
        {"columns": [{"name": "sku", "data_type": "text", "nullable": False}]},
        REQUIRED,
        [1],
        ["missing required field 'sku'", "missing required field 'sku'"],
        id="required-column-list-form",
    ),
    pytest.param(
        {"primary_key": "id", "columns": {"id": {"nullable": False}}},
        [{"id": 1}, {"id": None}],
        [1],
        ["missing primary key 'id'"],
        id="a-key-column-is-checked-as-the-key",
    ),
    pytest.param(
        {"processing_steps": [{"filter": lambda r: r["id"] > 1}, {"map": lambda r: {**r, "n": 1}}]},
        [{"id": 1}, {"id": 2}],
        [2],
        [],
        id="steps-run-in-order",
    ),
    pytest.param(
        {
            "primary_key": "id",
            "processing_steps": [{"yield_map": lambda r: [{"id": r["id"]}, {"id": None}]}],
        },
        [{"id": 1}],
        [1],
        ["missing primary key 'id'"],
        id="checks-run-after-the-steps",
    ),
]


@pytest.mark.parametrize("resource, records, kept, reasons", PAGES)
def test_a_page_of_records(
    resource: dict[str, Any], records: list[Any], kept: list[Any], reasons: list[str]
) -> None:
    good, rejects = _processor(**resource).process([dict(r) for r in records], None)
    assert [r.get("id") for r in good] == kept
    assert [r.reason for r in rejects] == reasons


def test_a_key_no_record_of_the_first_page_has_fails_the_resource() -> None:
    processor = _processor(primary_key="uuid")
    with pytest.raises(PrimaryKeyError, match="the records have no primary key 'uuid'"):
        processor.process([{"id": 1}, {"id": 2}], None)
