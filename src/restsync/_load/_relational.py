"""dlt's relational layout, built a page at a time in columns: the core of the fast path.

For a page of records this makes the tables dlt's relational normalizer makes row by row (read
dlt/common/normalizers/json/relational.py for the rules): nested objects flattened into
``parent__child`` columns, a nested table ``<table>__<field>`` for every list (keyed by
``_dlt_parent_id`` and ``_dlt_list_idx``, plus ``_dlt_root_id`` where dlt propagates it for merge),
``_dlt_id`` and ``_dlt_load_id`` as dlt sets them, names normalised by the schema's naming
convention and nesting limited by ``max_table_nesting``. Column order is the one dlt's schema
gets: known columns keep their place and a new column goes where its first non-null value
appears, row by row. Values are typed by ``_column_types``. Anything this cannot reproduce
exactly raises ``NotExact`` before any table is produced.
"""

from __future__ import annotations

import base64
import secrets
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import pyarrow as pa
from dlt.common.normalizers.json.helpers import get_nested_row_hash
from dlt.common.normalizers.json.helpers import normalize_identifier as dlt_column_name
from dlt.common.normalizers.json.helpers import normalize_table_identifier as dlt_table_name
from dlt.common.schema import Schema
from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns
from dlt.common.schema.utils import (
    has_default_column_prop_value,
    hint_to_column_prop,
    is_complete_column,
    merge_column,
)

from restsync._load._column_types import NotExact, column_array, infer_type

__all__ = ["LaidTable", "Layout", "lay_out", "random_row_ids"]

_EMPTY: dict[str, Any] = {}
_ID_BYTES = 10  # dlt's _dlt_id: 10 random bytes, base64 without padding (14 characters)
_AFTER_DATA = 1 << 30  # dlt appends its own columns after a row's data columns


@dataclass(frozen=True)
class Layout:
    """What a page is laid out against, read from dlt when the page arrives."""

    schema: Schema
    caps: Any
    load_id: str
    root: str  # the root table's normalised name
    root_columns: TTableSchemaColumns  # the schema's and the resource hints' columns, merged
    root_key: bool  # nested rows carry _dlt_root_id (dlt propagates it for merge)
    max_nesting: int


@dataclass
class LaidTable:
    name: str
    parent: str | None
    table: pa.Table
    new_columns: TTableSchemaColumns  # in order, to add to the schema before the rows


@dataclass
class _Level:
    """The rows of one table in one page, as dlt's normalizer sees them."""

    name: str
    parent: str | None
    idents: tuple[str, ...]  # the table's path: nested table names are built from it
    rows: list[dict[str, Any]]
    r_lvl: int  # nesting levels left (dlt counts backwards from max_table_nesting)
    parent_ids: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    root_ids: list[str] = field(default_factory=list)


@dataclass
class _Column:
    name: str
    values: list[Any]
    kinds: set[type]


@dataclass
class _List:
    path: tuple[str, ...]
    values: list[Any]
    r_lvl: int


def lay_out(records: list[Any], layout: Layout) -> list[LaidTable]:
    """The page's tables, the root first; raises ``NotExact`` when dlt's would differ."""
    return list(_Page(layout).tables(records))


def random_row_ids(count: int) -> pa.Array:
    """``count`` random ids in dlt's format, made without a Python loop per row."""
    raw = bytearray(secrets.token_bytes(12 * count))
    # 12 bytes with the last two zero encode to 16 characters whose first 14 are the encoding of
    # the first 10 bytes alone, so every id is exactly the string dlt would make from them
    raw[10::12] = bytes(count)
    raw[11::12] = bytes(count)
    text = bytearray(base64.b64encode(raw))
    del text[15::16]
    del text[14::15]
    offsets = array("i", range(0, 14 * count + 1, 14))
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(bytes(text)))


class _Absent:
    """What ``dict.get`` gives for a key a row lacks, while the rows' keys are checked."""


_ABSENT = _Absent()


def _fields(rows: list[dict[str, Any]]) -> list[tuple[str, list[Any], set[type]]]:
    """Every key of the rows in order of first appearance, with its values (None where a row
    lacks it) and their types; the loops run in C (pages are big). When every row has as many
    keys as the first and none lacks one of the first's, every row has the first row's keys and
    they are the keys in order of appearance: found without walking every row's keys (a page
    of the 1M bench: ~1 ms of ~10 ms of layout, docs/benchmarks.md "Session 11: fast")."""
    count = len(rows)
    if count and set(map(len, rows)) == {len(rows[0])}:
        fields = []
        for key in rows[0]:
            values = list(map(dict.get, rows, repeat(key, count), repeat(_ABSENT, count)))
            kinds = set(map(type, values))
            if _Absent in kinds:
                break  # another key instead in some row: look at them all
            fields.append((key, values, kinds))
        else:
            return fields
    out = []
    for key in dict.fromkeys(chain.from_iterable(rows)):
        values = list(map(dict.get, rows, repeat(key, count)))
        out.append((key, values, set(map(type, values))))
    return out


class _Page:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.schema = layout.schema
        self.naming = layout.schema.naming
        self._names: dict[str, str] = {}
        self._dlt = {
            key: self.naming.normalize_identifier(key)
            for key in ("_dlt_id", "_dlt_load_id", "_dlt_root_id", "_dlt_parent_id")
        }
        self._list_idx = self.naming.normalize_identifier("_dlt_list_idx")
        self._reserved = {*self._dlt.values(), self._list_idx}
        self._value = self.naming.normalize_identifier("value")

    def tables(self, records: list[Any]) -> Iterator[LaidTable]:
        rows = records  # a page of objects, checked in C; other values become {"value": ...}
        if set(map(type, records)) != {dict}:
            # a dict subclass (an Airbyte parent's record tagged with its partition) as a dict
            rows = [
                r if type(r) is dict else dict(r) if isinstance(r, dict) else {self._value: r}
                for r in records
            ]
        root = _Level(self.layout.root, None, (self.layout.root,), rows, self.layout.max_nesting)
        levels = deque([root])
        seen: set[str] = set()
        while levels:
            level = levels.popleft()
            if level.name in seen:
                raise NotExact(f"two lists map to the nested table '{level.name}'")
            seen.add(level.name)
            columns: list[_Column] = []
            lists: list[_List] = []
            self._collect(level.rows, level, (), level.r_lvl, columns, lists)
            ids = self._row_ids(level)
            yield self._table(level, columns, ids)
            if lists:
                root_ids = level.root_ids or ids.to_pylist()
                children = (self._child(level, item, ids.to_pylist(), root_ids) for item in lists)
                levels.extend(child for child in children if child.rows)

    # --- flattening (dlt's _flatten, a column at a time) -----------------------------------

    def _collect(
        self,
        rows: list[dict[str, Any]],
        level: _Level,
        path: tuple[str, ...],
        r_lvl: int,
        columns: list[_Column],
        lists: list[_List],
    ) -> None:
        for key, values, kinds in _fields(rows):
            whole = kinds == {dict}  # every value an object, none missing or null
            kinds.discard(type(None))
            if not kinds:
                continue  # only nulls: dlt makes no column of it
            name = self._column_name(key, path)
            if not kinds & {dict, list} or self._is_json(level.name, name, r_lvl):
                columns.append(_Column(name, values, kinds))
                continue
            # dlt flattens the objects, makes nested rows of the lists and keeps other values in
            # a column of the field's own name, row by row
            if dict in kinds:
                nested = values if whole else [v if type(v) is dict else _EMPTY for v in values]
                inner = (*path, self._ident(key))
                self._collect(nested, level, inner, r_lvl - 1, columns, lists)
            if list in kinds:
                items = [v if type(v) is list else None for v in values]
                lists.append(_List((*path, self._table_ident(key)), items, level.r_lvl - 1))
            scalars = kinds - {dict, list}
            if scalars:
                plain = [None if type(v) in (dict, list) else v for v in values]
                columns.append(_Column(name, plain, scalars))

    def _ident(self, key: str) -> str:
        name = self._names.get(key)
        if name is None:
            empty = not key or key.isspace()
            name = "_empty" if empty else dlt_column_name(self.schema, self.naming, key)
            self._names[key] = name
        return name

    def _table_ident(self, key: str) -> str:
        if not key or key.isspace():
            raise NotExact("a list under an empty key")
        return str(dlt_table_name(self.schema, self.naming, key))

    def _column_name(self, key: str, path: tuple[str, ...]) -> str:
        ident = self._ident(key)
        return str(self.naming.shorten_fragments(*path, ident)) if path else ident

    def _is_json(self, table: str, name: str, r_lvl: int) -> bool:
        """dlt keeps an object or list whole (a json column) at the nesting limit or when the
        column is typed json (dlt's is_nested_type)."""
        if r_lvl <= 0:
            return True
        column = self._known(table).get(name)
        data_type = column.get("data_type") if column else None
        return (data_type or self.schema.get_preferred_type(name)) == "json"

    def _known(self, table: str) -> TTableSchemaColumns:
        if table == self.layout.root:
            return self.layout.root_columns
        known = self.schema.tables.get(table)
        if known is not None and not known.get("parent"):
            raise NotExact(f"'{table}' is a root table of the schema, not a nested one")
        return known["columns"] if known else {}

    # --- nested tables ---------------------------------------------------------------------

    def _child(self, level: _Level, item: _List, ids: list[str], root_ids: list[str]) -> _Level:
        idents = (*level.idents, *item.path)
        elements = [
            (parent, position, value)
            for parent, values in enumerate(item.values)
            for position, value in enumerate(values or ())
        ]
        kinds = {type(value) for _, _, value in elements} - {type(None)}
        r_lvl = item.r_lvl
        if list in kinds:
            if kinds != {list}:
                raise NotExact(f"the list '{'__'.join(idents)}' holds lists and other values")
            # dlt makes a row {"list": inner} one level deeper for each inner list
            r_lvl -= 1
        rows = [self._element_row(value) for _, _, value in elements]
        return _Level(
            str(self.naming.shorten_fragments(*idents)),
            level.name,
            idents,
            rows,
            r_lvl,
            parent_ids=[ids[p] for p, _, _ in elements],
            positions=[i for _, i, _ in elements],
            root_ids=[root_ids[p] for p, _, _ in elements],
        )

    def _element_row(self, value: Any) -> dict[str, Any]:
        kind = type(value)
        if kind is dict:
            return value  # type: ignore[no-any-return]
        if kind is list:
            return {"list": value}
        return {self._value: value}

    def _row_ids(self, level: _Level) -> pa.Array:
        if level.parent is None:
            return random_row_ids(len(level.rows))
        hashes = zip(level.parent_ids, level.positions, strict=True)
        return pa.array([get_nested_row_hash(p, level.name, i) for p, i in hashes], pa.string())

    # --- one table --------------------------------------------------------------------------

    def _table(self, level: _Level, columns: list[_Column], ids: pa.Array) -> LaidTable:
        known = self._known(level.name)
        arrays: dict[str, pa.Array] = {}
        schemas: dict[str, TColumnSchema] = {}
        first_row: dict[str, int] = {}
        for column in columns:
            if column.name in arrays or column.name in self._reserved:
                raise NotExact(f"two fields of '{level.name}' map to the column '{column.name}'")
            schema = self._column_schema(known, column, first_row)
            caps = self.layout.caps
            arrays[column.name] = column_array(column.values, column.kinds, schema, caps)
            schemas[column.name] = schema
        for name, values in self._dlt_columns(level, ids):
            existing = known.get(name)
            schemas[name] = self._dlt_column_schema(existing, name, values)
            if schemas[name] is not existing:
                first_row[name] = 0
            arrays[name] = values
        self._check_required(level.name, known, schemas, arrays)
        order = self._order(level, known, arrays, first_row)
        fields = [pa.field(n, arrays[n].type, schemas[n].get("nullable", True)) for n in order]
        table = pa.Table.from_arrays([arrays[n] for n in order], schema=pa.schema(fields))
        new = {name: schemas[name] for name in order if name in first_row}
        return LaidTable(level.name, level.parent, table, new)

    def _column_schema(
        self, known: TTableSchemaColumns, column: _Column, first_row: dict[str, int]
    ) -> TColumnSchema:
        existing = known.get(column.name)
        if existing is not None and is_complete_column(existing):
            return existing
        first = next(i for i, v in enumerate(column.values) if v is not None)
        first_row[column.name] = first
        data_type = infer_type(self.schema, column.name, column.values[first])
        inferred = self._new_column(column.name, data_type)
        # an incomplete column (hints without a type) overrides what is inferred, as in dlt
        return merge_column(inferred, existing) if existing else inferred

    def _dlt_column_schema(
        self, existing: TColumnSchema | None, name: str, values: pa.Array
    ) -> TColumnSchema:
        if existing is not None and is_complete_column(existing):
            if existing.get("data_type") != ("bigint" if name == self._list_idx else "text"):
                raise NotExact(f"dlt's column '{name}' has another type in the schema")
            return existing
        return self._new_column(name, infer_type(self.schema, name, values[0].as_py()))

    def _new_column(self, name: str, data_type: str) -> TColumnSchema:
        """A column as dlt's normalizer infers it: its type plus the schema's default hints."""
        schema = self.schema
        column: TColumnSchema = {
            "name": name,
            "data_type": data_type,  # type: ignore[typeddict-item]
            "nullable": not schema._infer_hint("not_null", name),
        }
        for hint in schema._compiled_hints:
            if hint == "not_null":
                continue
            prop = hint_to_column_prop(hint)
            value = schema._infer_hint(hint, name)
            if not has_default_column_prop_value(prop, value):
                column[prop] = value
        return column

    def _check_required(
        self,
        table: str,
        known: TTableSchemaColumns,
        schemas: dict[str, TColumnSchema],
        arrays: dict[str, pa.Array],
    ) -> None:
        """A non-nullable column missing or null in a page is dlt's to report (or to load)."""
        required = {**known, **schemas}
        for name, column in required.items():
            if is_complete_column(column) and column.get("nullable", True) is False:
                values = arrays.get(name)
                if values is None or values.null_count:
                    raise NotExact(f"the required column '{table}.{name}' is null in a record")

    def _dlt_columns(self, level: _Level, ids: pa.Array) -> list[tuple[str, pa.Array]]:
        """dlt's own columns, in the order dlt adds them to a row."""
        dlt = self._dlt
        if level.parent is None:
            load_id = pa.repeat(pa.scalar(self.layout.load_id, pa.string()), len(level.rows))
            return [(dlt["_dlt_load_id"], load_id), (dlt["_dlt_id"], ids)]
        columns = []
        if self.layout.root_key:
            columns.append((dlt["_dlt_root_id"], pa.array(level.root_ids, pa.string())))
        columns.append((dlt["_dlt_parent_id"], pa.array(level.parent_ids, pa.string())))
        columns.append((self._list_idx, pa.array(level.positions, pa.int64())))
        columns.append((dlt["_dlt_id"], ids))
        return columns

    # --- column order ------------------------------------------------------------------------

    def _order(
        self,
        level: _Level,
        known: TTableSchemaColumns,
        arrays: dict[str, pa.Array],
        first_row: dict[str, int],
    ) -> list[str]:
        """Known columns where the schema has them; new ones where dlt's schema would put them:
        by the row of their first non-null value, then by their place in that row."""
        order = [name for name in known if name in arrays and name not in first_row]
        places: dict[int, dict[str, int]] = {}
        for row in set(first_row.values()):
            places[row] = self._row_places(level.rows[row], level.name, level.r_lvl)
        dlt_order = {name: i for i, name in enumerate(n for n in arrays if n in first_row)}

        def place(name: str) -> tuple[int, int]:
            row = first_row[name]
            return row, places[row].get(name, _AFTER_DATA + dlt_order[name])

        return order + sorted(first_row, key=place)

    def _row_places(self, row: dict[str, Any], table: str, r_lvl: int) -> dict[str, int]:
        """The order dlt's _flatten puts one row's columns in: a dict's own values first, then
        its nested objects, the last one first (dlt walks them with a stack)."""
        places: dict[str, int] = {}
        stack: list[tuple[dict[str, Any], int, tuple[str, ...]]] = [(row, r_lvl, ())]
        while stack:
            current, lvl, path = stack.pop()
            for key, value in current.items():
                name = self._column_name(key, path)
                kind = type(value)
                if kind in (dict, list) and not self._is_json(table, name, lvl):
                    if kind is dict:
                        stack.append((value, lvl - 1, (*path, self._ident(key))))
                    continue
                places.setdefault(name, len(places))
        return places
