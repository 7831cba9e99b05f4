"""Arrow pages as a pure function of a page of records and the schema it is laid out against
(``_relational.lay_out``): the tables restsync hands to dlt. Table-driven on real values, no
pipeline. Each layout is also compared with what dlt's own relational normalizer makes of the same
records (``Schema.normalize_data_item``): tables, parents, columns and values, with dlt's random
row ids replaced by the row they point to. tests/load proves the same into DuckDB."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from dlt.common.data_types.type_helpers import coerce_value
from dlt.common.destination.capabilities import DestinationCapabilitiesContext
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_table

from restsync._load._column_types import NotExact
from restsync._load._relational import LaidTable, Layout, lay_out

ROOT = "items"
ROW_IDS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id")


def _layout(columns: dict[str, Any] | None = None, max_nesting: int = 1000) -> Layout:
    schema = Schema("unit")
    schema.update_table(new_table(ROOT, columns=list((columns or {}).values())))
    return Layout(
        schema=schema,
        caps=DestinationCapabilitiesContext.generic_capabilities(),
        load_id="L1",
        root=ROOT,
        root_columns=schema.tables[ROOT]["columns"],
        root_key=False,
        max_nesting=max_nesting,
    )


def _by_row(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rows with their random ids replaced by (table, position) of the row they name, and
    null values dropped (dlt's normalizer leaves absent what Arrow holds as null)."""
    where = {
        row["_dlt_id"]: (name, i) for name, rows in tables.items() for i, row in enumerate(rows)
    }
    return {
        name: [
            {
                k: (where[v] if k in ROW_IDS and k != "_dlt_id" else v)
                for k, v in row.items()
                if v is not None and k != "_dlt_id"
            }
            for row in rows
        ]
        for name, rows in tables.items()
    }


def _restsync_rows(laid: list[LaidTable]) -> dict[str, list[dict[str, Any]]]:
    return _by_row({t.name: t.table.to_pylist() for t in laid})


def _dlt_rows(records: list[dict[str, Any]]) -> dict[str, Any]:
    schema = Schema("unit")
    tables: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for (table, _parents, _path), row in schema.normalize_data_item(record, "L1", ROOT):
            tables.setdefault(table, []).append(row)
    return _by_row(tables)


def _types(laid: LaidTable) -> dict[str, pa.DataType]:
    return {f.name: f.type for f in laid.table.schema if not f.name.startswith("_dlt_")}


LAYOUTS = [
    # (records, {table: {column: arrow type}} for the data columns, parent of each nested table)
    pytest.param(
        [{"id": 1, "name": "a", "price": 2.5, "ok": True}, {"id": 2, "name": None, "ok": False}],
        {ROOT: {"id": pa.int64(), "name": pa.string(), "price": pa.float64(), "ok": pa.bool_()}},
        id="scalars-and-nulls",
    ),
    pytest.param(
        [{"UserName": "a", "meta": {"Created At": "x", "deep": {"n": 1}}}],
        {
            ROOT: {
                "user_name": pa.string(),
                "meta__created_at": pa.string(),
                "meta__deep__n": pa.int64(),
            }
        },
        id="objects-flattened-names-normalized",
    ),
    pytest.param(
        [{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": []}],
        {ROOT: {"id": pa.int64()}, f"{ROOT}__tags": {"value": pa.string()}},
        id="list-of-scalars-to-child-table",
    ),
    pytest.param(
        [{"id": 1, "lines": [{"sku": "x", "parts": [{"n": 1}, {"n": 2}]}]}],
        {
            ROOT: {"id": pa.int64()},
            f"{ROOT}__lines": {"sku": pa.string()},
            f"{ROOT}__lines__parts": {"n": pa.int64()},
        },
        id="nested-lists-to-grandchild-tables",
    ),
    pytest.param(
        [{"at": "2024-05-01T10:20:30Z"}, {"at": "2024-05-02T00:00:00+02:00"}],
        {ROOT: {"at": pa.timestamp("us", tz="UTC")}},
        id="iso-timestamps",
    ),
    pytest.param(
        [{"id": 1}, {"id": 2, "late": "new column after the first row"}],
        {ROOT: {"id": pa.int64(), "late": pa.string()}},
        id="column-first-seen-later",
    ),
    pytest.param(
        [{"id": 1, "b": "x"}, {"id": 2, "c": True}, {"c": False, "id": 3}],
        {ROOT: {"id": pa.int64(), "b": pa.string(), "c": pa.bool_()}},
        id="rows-as-wide-as-the-first-with-other-keys",
    ),
    pytest.param(
        [{"m": {"x": 1, "y": "a"}}, {"m": None}, {"m": {"y": "b", "z": 2.5}}, {"m": 7}],
        {ROOT: {"m__x": pa.int64(), "m__y": pa.string(), "m__z": pa.float64(), "m": pa.int64()}},
        id="objects-missing-null-or-scalar-in-some-rows",
    ),
]


@pytest.mark.parametrize(("records", "types"), LAYOUTS)
def test_a_page_is_laid_out_as_dlt_normalizes_it(
    records: list[dict[str, Any]], types: dict[str, dict[str, pa.DataType]]
) -> None:
    laid = lay_out(records, _layout())
    assert {t.name: _types(t) for t in laid} == types
    assert all(t.parent == (None if t.name == ROOT else t.name.rsplit("__", 1)[0]) for t in laid)
    assert _restsync_rows(laid) == _coerced(_dlt_rows(records), laid)


def _coerced(tables: dict[str, Any], laid: list[LaidTable]) -> dict[str, Any]:
    """dlt's rows with each value coerced, as dlt's normalizer coerces it, to the type restsync
    gave its column (the relational step leaves an ISO timestamp as text)."""
    types = {(t.name, c): col["data_type"] for t in laid for c, col in t.new_columns.items()}
    return {
        name: [
            {
                k: coerce_value(types[name, k], "text", v) if isinstance(v, str) else v
                for k, v in row.items()
            }
            for row in rows
        ]
        for name, rows in tables.items()
    }


def test_timestamps_are_read_as_utc_instants() -> None:
    laid = lay_out([{"at": "2024-05-02T00:00:00+02:00"}], _layout())
    assert laid[0].table.column("at").to_pylist() == [datetime(2024, 5, 1, 22, tzinfo=UTC)]


def test_max_nesting_keeps_deeper_values_whole() -> None:
    records = [{"id": 1, "lines": [{"sku": "x"}], "meta": {"a": {"b": 1}}}]
    laid = lay_out(records, _layout(max_nesting=0))
    assert [t.name for t in laid] == [ROOT]  # no child table: the list stays in its row
    assert set(_types(laid[0])) == {"id", "lines", "meta"}
    assert laid[0].new_columns["lines"]["data_type"] == "json"


FALLBACKS = [
    # (declared columns, records, why): dlt's normalizer would add a variant column or refuse
    pytest.param(
        {},
        [{"price": 1}, {"price": "n/a"}],
        "needs a variant column",
        id="text-in-numbers-needs-variant",
    ),
    pytest.param(
        {},
        [{"price": 1}, {"price": 1.5}],
        "needs a variant column",
        id="double-after-bigint-needs-variant",
    ),
    pytest.param(
        {"at": {"name": "at", "data_type": "timestamp"}},
        [{"at": "01/05/2024"}],
        "date-time in a form not parsed",
        id="timestamp-arrow-cannot-read",
    ),
    pytest.param(
        {"d": {"name": "d", "data_type": "date"}},
        [{"d": "2024-5-1"}],
        "not a plain ISO date",
        id="date-not-iso",
    ),
    pytest.param(
        {"amount": {"name": "amount", "data_type": "decimal"}},
        [{"amount": "1.10"}],
        "data type decimal",
        id="type-restsync-does-not-write",
    ),
    pytest.param(
        {"id": {"name": "id", "data_type": "bigint", "nullable": False}},
        [{"id": 1}, {"name": "no id"}],
        "required column 'items.id' is null",
        id="required-column-missing",
    ),
    pytest.param(
        {}, [{"userId": 1, "user_id": 2}], "map to the column 'user_id'", id="two-fields-one-column"
    ),
    pytest.param(
        {}, [{"_dlt_id": "mine"}], "map to the column '_dlt_id'", id="field-named-like-dlt-column"
    ),
    pytest.param(
        {}, [{"grid": [[1, 2], 3]}], "holds lists and other values", id="lists-next-to-other-values"
    ),
]


@pytest.mark.parametrize(("columns", "records", "reason"), FALLBACKS)
def test_what_arrow_cannot_lay_out_exactly_falls_back_to_dicts(
    columns: dict[str, Any], records: list[dict[str, Any]], reason: str
) -> None:
    with pytest.raises(NotExact, match=re.escape(reason)):
        lay_out(records, _layout(columns))
