"""Compare what two pipelines loaded: tables, columns, types, rows and the parent/child links.

Two loads of the same data are identical when every table has the same columns in the same order
with the same DuckDB types and nullability, the dlt schemas agree on every column hint, and the
rows agree once ``_dlt_id`` values (random for root rows) are replaced by what they identify: a
root row by its data, a nested row by its parent's identity and its ``_dlt_list_idx``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.schema.utils import remove_column_defaults

DLT_KEYS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id")

# Both page formats are staged alike, so that only the page format differs. (Staged as jsonl,
# which restsync run uses for page_format dicts, DuckDB rewrites JSON values: it reads nested
# objects as structs across rows, adding the keys of other rows as nulls.)
STAGING = "parquet"


def load_both(
    folder: Path, dataset: str, build: Callable[[str], Any], runs: int = 1
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str | None]]:
    """Load ``build(page_format)`` ``runs`` times into a DuckDB file per page format; return
    what each loaded (``describe``) and, per resource, why Arrow pages fell back to dicts in
    any run (None when they never did). Failed resources (``SyncFailed``) are allowed: they
    fail alike."""
    import restsync

    loaded: dict[str, dict[str, Any]] = {}
    fallbacks: dict[str, str | None] = {}
    for page_format in ("arrow", "dicts"):
        path = folder / f"{page_format}.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name=f"{dataset}_{page_format}",
            destination=dlt.destinations.duckdb(str(path)),
            dataset_name=dataset,
            pipelines_dir=str(folder / "pipelines"),
        )
        for _ in range(runs):
            source = build(page_format)
            try:
                restsync.sync(pipeline, source, loader_file_format=STAGING)
            except restsync.SyncFailed:
                pass
            if page_format == "arrow":
                steps = restsync.runtime_of(source).arrow_steps
                for name, step in steps.items():  # a fallback in any run counts
                    fallbacks[name] = fallbacks.get(name) or step.fallback
        loaded[page_format] = describe(path, dataset, pipeline.default_schema)
    return loaded["arrow"], loaded["dicts"], fallbacks


def describe(path: Path, dataset: str, schema: Any) -> dict[str, Any]:
    """Everything that must be identical between two loads of the same data."""
    with duckdb.connect(str(path), read_only=True) as db:
        return {
            "columns": _columns(db, dataset),
            "rows": _rows(db, dataset),
            "schema": _schema_tables(schema),
        }


def assert_identical(fast: dict[str, Any], dicts: dict[str, Any]) -> None:
    assert fast["columns"].keys() == dicts["columns"].keys()
    for table, columns in dicts["columns"].items():
        assert (table, fast["columns"][table]) == (table, columns)
        assert (table, fast["schema"][table]) == (table, dicts["schema"][table])
        assert fast["rows"][table] == dicts["rows"][table], table


def _columns(db: Any, dataset: str) -> dict[str, list[tuple[str, str, str]]]:
    rows = db.sql(
        "select table_name, column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = ? and table_name not like '\\_dlt\\_%' escape '\\' "
        "order by table_name, ordinal_position",
        params=[dataset],
    ).fetchall()
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, data_type, nullable in rows:
        tables.setdefault(table, []).append((column, data_type, nullable))
    return tables


# not the table's shape: dlt's bookkeeping of what it has seen
_RUN_KEYS = ("columns", "x-normalizer")


def _schema_tables(schema: Any) -> dict[str, Any]:
    """The data tables of the dlt schema, column order included. A column's hints are compared
    without dlt's defaults: dlt's Arrow path writes ``nullable: true`` where its normalizer
    leaves it out, which means the same (``is_nullable_column``)."""
    return {
        table["name"]: {
            **{k: v for k, v in table.items() if k not in _RUN_KEYS},
            "columns": [remove_column_defaults(dict(c)) for c in table["columns"].values()],
        }
        for table in schema.data_tables()
    }


def _rows(db: Any, dataset: str) -> dict[str, Counter[Any]]:
    """Each table's rows with dlt's ids replaced by the identity of the row they point to;
    also checks that every nested row's _dlt_root_id is its root row's _dlt_id."""
    tables = _columns(db, dataset)
    identity: dict[str, Any] = {}  # _dlt_id -> what the row is
    roots: dict[str, str] = {}  # _dlt_id -> the _dlt_id of its root row
    out: dict[str, Counter[Any]] = {}
    # parents before children: a nested table's name extends its parent's
    for table in sorted(tables, key=lambda t: t.count("__")):
        names = [c[0] for c in tables[table]]
        found = db.sql(f'select * from "{dataset}"."{table}"').fetchall()
        counted: Counter[Any] = Counter()
        for values in found:
            row = dict(zip(names, values, strict=True))
            data = tuple(
                (k, _plain(v)) for k, v in row.items() if k not in DLT_KEYS and v is not None
            )
            parent = row.get("_dlt_parent_id")
            key = (identity[parent], row["_dlt_list_idx"]) if parent else data
            identity[row["_dlt_id"]] = key
            roots[row["_dlt_id"]] = roots[parent] if parent else row["_dlt_id"]
            if "_dlt_root_id" in row:
                assert row["_dlt_root_id"] == roots[row["_dlt_id"]], f"{table}: _dlt_root_id"
            counted[(key if parent else None, data)] += 1
        out[table] = counted
    return out


def _plain(value: Any) -> Any:
    # DuckDB hands JSON columns back as text; compare what the text means
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value
