"""Pages as Arrow tables: the columnar path past dlt's row-by-row normalizer (page_format arrow).

dlt loads an Arrow table by writing it to Parquet as it stands, so whatever layout the table has
is the layout in the destination. This module gives that layout the shape users know from the
default path where it can: nested objects become ``parent__child`` columns, declared column types
are applied, and one type per column is kept across pages. What differs (arrays stay in their row
as JSON, no ``_dlt_id`` column) is documented in docs/config.md#page_format.

A value that cannot take its column's type (``"n/a"`` in a column of numbers) sends its record to
the rejects table with the reason; the rest of the page loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from restsync.engine._records import Reject

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ArrowPages", "arrow_available"]

_SEPARATOR = "__"  # dlt's separator for flattened nested fields


def arrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


class ArrowPages:
    """Turns one resource's pages (lists of records) into Arrow tables with stable column types."""

    def __init__(
        self,
        resource: str,
        columns: Mapping[str, Any] | list[Any] | None,
        primary_key: tuple[str, ...] = (),
    ) -> None:
        import pyarrow as pa

        self._pa = pa
        self.resource = resource
        # dlt marks key and required columns not null; an Arrow field that says otherwise makes
        # dlt warn on every page. The record checks have already rejected nulls in them.
        self._not_null = {k.replace(".", _SEPARATOR) for k in primary_key} | _required(columns)
        declared = _declared_types(columns)
        self._keep_nested = {name for name, kind in declared.items() if kind == "json"}
        self._types: dict[str, pa.DataType] = {
            name: arrow_type
            for name, kind in declared.items()
            if (arrow_type := _ARROW_TYPES.get(kind, lambda _pa: None)(pa)) is not None
        }

    def convert(self, records: list[Any]) -> tuple[pa.Table | None, list[Reject]]:
        pa = self._pa
        rows = [r if isinstance(r, dict) else {"value": r} for r in records]
        try:
            table = pa.Table.from_struct_array(pa.array(rows))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            # mixed types inside one field: build it field by field to find the culprits
            table = None
        rejects: list[Reject] = []
        if table is not None:
            table = self._flatten(table)
            table, bad_rows = self._conform(table)
        else:
            table, bad_rows = self._by_column(rows)
        if bad_rows:
            rejects = [Reject(self.resource, reason, records[i]) for i, reason in bad_rows.items()]
            keep = pa.array([i not in bad_rows for i in range(len(rows))])
            table = table.filter(keep)
        if not table.num_rows:
            return None, rejects
        return self._mark_not_null(table), rejects

    def _mark_not_null(self, table: pa.Table) -> pa.Table:
        schema = table.schema
        marked = [
            f.with_nullable(False) if f.name in self._not_null and f.nullable else f
            for f in schema
        ]
        if all(a is b for a, b in zip(marked, schema, strict=True)):
            return table
        return table.cast(self._pa.schema(marked, metadata=schema.metadata))

    # --- layout --------------------------------------------------------------------------------

    def _flatten(self, table: pa.Table) -> pa.Table:
        pa = self._pa
        while True:
            nested = [
                i
                for i, f in enumerate(table.schema)
                if pa.types.is_struct(f.type) and f.name not in self._keep_nested
            ]
            if not nested:
                break
            columns, names = [], []
            for i, f in enumerate(table.schema):
                column = table.column(i)
                if i in nested and f.type.num_fields:
                    for child in range(f.type.num_fields):
                        names.append(f"{f.name}{_SEPARATOR}{f.type.field(child).name}")
                        columns.append(pa.chunked_array([c.field(child) for c in column.chunks]))
                elif i not in nested:
                    names.append(f.name)
                    columns.append(column)
                # an object that is always empty has no columns to give, as in dlt's normalizer
            table = pa.table(columns, names=names)
        return table

    def _conform(self, table: pa.Table) -> tuple[pa.Table, dict[int, str]]:
        """Cast every column to the type it has had so far (or was declared with)."""
        pa = self._pa
        bad_rows: dict[int, str] = {}
        columns = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            wanted = self._types.get(name)
            if _is_nested(pa, column.type) or (wanted is not None and _is_nested(pa, wanted)):
                # arrays and declared json objects land as JSON: any shape is fine
                columns.append(column)
                continue
            if pa.types.is_null(column.type):
                columns.append(column if wanted is None else column.cast(wanted))
                continue
            if wanted is None:
                column = _detect_timestamp(pa, column)
                self._types[name] = column.type
                columns.append(column)
                continue
            if column.type == wanted:
                columns.append(column)
                continue
            try:
                columns.append(column.cast(wanted))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                values = column.to_pylist()
                cast, bad = self._cast_values(name, values, wanted)
                bad_rows.update((i, reason) for i, reason in bad.items() if i not in bad_rows)
                columns.append(cast)
        return pa.table(columns, names=table.column_names), bad_rows

    def _by_column(self, rows: list[dict[str, Any]]) -> tuple[pa.Table, dict[int, str]]:
        pa = self._pa
        names = list(dict.fromkeys(k for row in rows for k in row))
        bad_rows: dict[int, str] = {}
        columns = []
        for name in names:
            values = [row.get(name) for row in rows]
            wanted = self._types.get(name)
            try:
                column = pa.array(values, type=wanted)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                if wanted is None:
                    wanted = _first_type(pa, values)
                column, bad = self._cast_values(name, values, wanted)
                bad_rows.update((i, reason) for i, reason in bad.items() if i not in bad_rows)
            columns.append(column)
        table = self._flatten(pa.table(columns, names=names))
        table, more = self._conform(table)
        for i, reason in more.items():
            bad_rows.setdefault(i, reason)
        return table, bad_rows

    def _cast_values(
        self, name: str, values: list[Any], wanted: pa.DataType
    ) -> tuple[pa.Array, dict[int, str]]:
        """The slow path, only for a column that did not cast whole: value by value."""
        pa = self._pa
        self._types.setdefault(name, wanted)
        good: list[Any] = []
        bad: dict[int, str] = {}
        for i, value in enumerate(values):
            try:
                good.append(pa.array([_loosely(value, wanted, pa)]).cast(wanted)[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
                good.append(None)
                bad[i] = (
                    f"field '{name}' is {_describe(value)}, but the column holds {wanted} "
                    "(page_format arrow keeps one type per column)"
                )
        return pa.array(good, type=wanted), bad


# dlt data types restsync casts to ahead of dlt, so the Parquet file already has the declared type
_ARROW_TYPES: dict[str, Any] = {
    "text": lambda pa: pa.string(),
    "bigint": lambda pa: pa.int64(),
    "double": lambda pa: pa.float64(),
    "bool": lambda pa: pa.bool_(),
    "timestamp": lambda pa: pa.timestamp("us", tz="UTC"),
    "date": lambda pa: pa.date32(),
}


def _declared_types(columns: Mapping[str, Any] | list[Any] | None) -> dict[str, str]:
    items: list[Mapping[str, Any]]
    if isinstance(columns, Mapping):
        items = [{"name": name, **(spec or {})} for name, spec in columns.items()]
    else:
        items = [c for c in columns or [] if isinstance(c, Mapping)]
    return {
        str(c["name"]): str(c["data_type"]) for c in items if c.get("name") and c.get("data_type")
    }


def _detect_timestamp(pa: Any, column: Any) -> Any:
    """An undeclared text column of ISO 8601 date-times becomes a timestamp column, as dlt's
    default ``iso_timestamp`` detection does on the default path."""
    if not pa.types.is_string(column.type):
        return column
    try:
        return column.cast(pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return column


def _is_nested(pa: Any, arrow_type: Any) -> bool:
    return bool(
        pa.types.is_struct(arrow_type)
        or pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or pa.types.is_map(arrow_type)
    )


def _loosely(value: Any, wanted: Any, pa: Any) -> Any:
    """A date-time string Arrow's strict cast refuses (a date alone, no offset), read as dlt
    would read it: ISO 8601, UTC when no offset is given."""
    if isinstance(value, str) and pa.types.is_timestamp(wanted):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _required(columns: Mapping[str, Any] | list[Any] | None) -> set[str]:
    if isinstance(columns, Mapping):
        return {n for n, spec in columns.items() if (spec or {}).get("nullable") is False}
    return {
        str(c["name"])
        for c in columns or []
        if isinstance(c, Mapping) and c.get("name") and c.get("nullable") is False
    }


def _first_type(pa: Any, values: list[Any]) -> Any:
    for value in values:
        if value is not None:
            try:
                return pa.array([value]).type
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                continue
    return pa.string()


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
