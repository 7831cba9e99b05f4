"""dlt table hints that dlt would refuse (late, as a TypeError or KeyError), each a ConfigError
with its exact path and message. The same table form as test_invalid_configs.py."""

from __future__ import annotations

from typing import Any

import pytest

import restsync
from tests.test_invalid_configs import expect_config_error, source, users

CASES = [
    pytest.param(
        users(columns={"id": "text"}),
        "resources[0].columns.id",
        "column 'id' is 'text'; give its hints as a dict, e.g. {'data_type': 'text', "
        "'nullable': false}",
        id="column-hints-not-a-dict",
    ),
    pytest.param(
        users(columns=[{"data_type": "text"}]),
        "resources[0].columns[0]",
        "a column in the list form needs a dict with a 'name', "
        "e.g. {'name': 'id', 'data_type': 'bigint'}",
        id="column-list-without-name",
    ),
    pytest.param(
        users(columns={"id": {"data_type": "txt"}}),
        "resources[0].columns.id.data_type",
        "data_type 'txt' is not supported; use one of: text, double, bool, timestamp, bigint, "
        "binary, json, decimal, wei, date, time",
        id="unknown-data-type",
    ),
    pytest.param(
        users(columns={"id": {"nullable": "yes"}}),
        "resources[0].columns.id.nullable",
        "nullable is 'yes'; set it to true or false",
        id="column-nullable-not-bool",
    ),
    pytest.param(
        users(columns={"id": {"primary": True}}),
        "resources[0].columns.id.primary",
        "unknown key 'primary' in the column hints; valid keys here are: cluster, data_type, "
        "dedup_sort, description, hard_delete, incremental, merge_key, name, nullable, "
        "parent_key, partition, precision, primary_key, root_key, row_key, scale, sort, "
        "timezone, unique, variant",
        id="unknown-column-hint",
    ),
    pytest.param(
        users(write_disposition={"strategy": "upsert"}),
        "resources[0].write_disposition",
        "write_disposition is missing 'disposition'; add one of: skip, append, replace, merge, "
        "e.g. {'disposition': 'merge', 'strategy': 'upsert'}",
        id="write-disposition-dict-without-disposition",
    ),
    pytest.param(
        users(write_disposition={"disposition": "merge", "strategy": "upsrt"}),
        "resources[0].write_disposition.strategy",
        "strategy 'upsrt' is not supported; use one of: cdc, delete-insert, insert-only, scd2, "
        "upsert",
        id="unknown-merge-strategy",
    ),
    pytest.param(
        users(
            write_disposition={
                "disposition": "merge",
                "strategy": "scd2",
                "validity_column_names": "valid",
            }
        ),
        "resources[0].write_disposition.validity_column_names",
        "validity_column_names is 'valid'; set it to a list",
        id="scd2-option-of-the-wrong-type",
    ),
    pytest.param(
        users(schema_contract="strict"),
        "resources[0].schema_contract",
        "schema_contract 'strict' is not supported; "
        "use one of: evolve, discard_value, freeze, discard_row",
        id="unknown-schema-contract",
    ),
    pytest.param(
        users(table_format="orc"),
        "resources[0].table_format",
        "table_format 'orc' is not supported; use one of: iceberg, delta, hive, native",
        id="unknown-table-format",
    ),
    pytest.param(
        users(references=[{"columns": ["team_id"]}]),
        "resources[0].references[0]",
        "the reference is missing 'referenced_table'; add it",
        id="reference-without-table",
    ),
    pytest.param(
        users(nested_hints={"roles": {"primary": "id"}}),
        "resources[0].nested_hints.roles.primary",
        "unknown key 'primary'; valid keys here are: columns, file_format, merge_key, "
        "parent_table_name, primary_key, references, schema_contract, table_format, "
        "write_disposition",
        id="unknown-nested-hint",
    ),
]


@pytest.mark.parametrize("config, path, message", CASES)
def test_invalid_table_hint(config: dict[str, Any], path: str, message: str) -> None:
    expect_config_error(config, path, message)


def test_valid_hints_in_dlt_forms_pass() -> None:
    resource = {
        "name": "users",
        "columns": [{"name": "id", "data_type": "bigint", "nullable": False, "x-custom": 1}],
        "write_disposition": {
            "disposition": "merge",
            "strategy": "scd2",
            "validity_column_names": ["valid_from", "valid_to"],
        },
        "schema_contract": {"columns": "freeze"},
        "references": [
            {"referenced_table": "teams", "columns": ["team_id"], "referenced_columns": ["id"]}
        ],
        "nested_hints": {"roles": {"primary_key": "id"}},
    }
    plan = restsync.plan_config(source(resource))
    assert plan.resources["users"].hints["schema_contract"] == {"columns": "freeze"}
