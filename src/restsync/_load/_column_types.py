"""One flattened column of a page, typed the way dlt's normalizer types it row by row.

dlt gives a new column the type of its first non-null value (after its type detections: ISO 8601
date-times become timestamps by default) and then coerces every later value to the column's
type, adding a variant column (``price__v_text``) for a value it cannot coerce. Here a whole
column is typed at once: values that already have the column's Python type go to Arrow as they
are, any other value goes through dlt's own ``coerce_value``, and text for timestamp and date
columns is parsed by Arrow where the text is in a form both parsers read alike (checked by
``tests/load/test_column_types.py``). Whatever would need a variant column, or is not covered
here, raises ``NotExact``: the caller then leaves the page to dlt's normalizer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.data_types.type_helpers import coerce_value, py_type_to_sc_type
from dlt.common.json import json
from dlt.common.libs.pyarrow import get_py_arrow_datatype
from dlt.common.schema import Schema
from dlt.common.schema.typing import TColumnSchema
from dlt.common.schema.utils import autodetect_sc_type

__all__ = ["NotExact", "column_array", "infer_type"]


class NotExact(Exception):
    """This page cannot be laid out here exactly as dlt's normalizer would; the reason says why."""


# the Python type a JSON value has when it needs no coercion into a column of this data type
_NATIVE: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "bigint": (int,),
    "double": (float,),
    "bool": (bool,),
    "json": (dict, list),
}

# Date-times Arrow and dlt (pendulum) read to the same instant: RFC 3339 with a 'T', seconds, at
# most microseconds, and either an offset (aware) or nothing (naive, which dlt takes as UTC).
_AWARE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
_NAIVE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(\.\d{1,6})?$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_UTC = "UTC"


def infer_type(schema: Schema, name: str, value: Any) -> str:
    """The data type dlt gives a new column ``name`` whose first non-null value is ``value``."""
    kind = type(value)
    detected = autodetect_sc_type(schema._type_detections, kind, value)
    preferred = schema.get_preferred_type(name)
    return str(preferred or detected or py_type_to_sc_type(kind))


def column_array(
    values: list[Any], kinds: set[type], column: TColumnSchema, caps: Any
) -> pa.Array:
    """``values`` (with ``None`` for missing) as an Arrow array of ``column``'s type, the types
    dlt's own writer gives it, so Parquet files are the ones dlt would write."""
    data_type = str(column["data_type"])
    arrow_type = get_py_arrow_datatype(column, caps, _UTC)
    if data_type == "timestamp":
        return _timestamps(values, kinds, column, arrow_type, caps)
    if data_type == "date":
        return _dates(values, kinds, arrow_type)
    native = _NATIVE.get(data_type)
    if native is None:
        raise NotExact(f"column '{column['name']}' has data type {data_type}")
    if not kinds <= set(native):
        values = _coerced(values, data_type, native, str(column["name"]))
    if data_type == "json":
        # dlt's Parquet writer stores JSON as text made by dlt's json; strings stay as they are
        values = [v if v is None or isinstance(v, str) else json.dumps(v) for v in values]
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise NotExact(f"column '{column['name']}': {exc}") from None


def _coerced(values: list[Any], data_type: str, native: tuple[type, ...], name: str) -> list[Any]:
    """Values of another type, coerced one by one with dlt's ``coerce_value``, as dlt does."""
    out: list[Any] = []
    for value in values:
        if value is None or type(value) in native:
            out.append(value)
            continue
        try:
            coerced = coerce_value(data_type, py_type_to_sc_type(type(value)), value)  # type: ignore[arg-type]
        except (ValueError, SyntaxError, TypeError):
            raise NotExact(f"a value of column '{name}' needs a variant column") from None
        if callable(coerced):  # dlt's variant marker
            raise NotExact(f"a value of column '{name}' needs a variant column")
        out.append(coerced)
    return out


def _timestamps(
    values: list[Any], kinds: set[type], column: TColumnSchema, arrow_type: Any, caps: Any
) -> pa.Array:
    name = str(column["name"])
    if column.get("timezone") is False or arrow_type.tz != _UTC or arrow_type.unit != "us":
        raise NotExact(f"column '{name}' is a timestamp other than UTC microseconds")
    if kinds and all(issubclass(kind, datetime) for kind in kinds):
        return _datetimes(values, arrow_type, name)
    if not kinds <= {str}:
        raise NotExact(f"column '{name}' is a timestamp and a value is not text")
    text = pa.array(values, type=pa.string())
    aware = _matches(text, _AWARE)
    if pc.all(aware).as_py() is not False:  # every value (or none at all) carries an offset
        return _parsed(text, arrow_type, name)
    naive = _matches(text, _NAIVE)
    if not pc.all(pc.or_(aware, naive)).as_py():
        raise NotExact(f"column '{name}' has a date-time in a form not parsed here")
    # dlt reads a date-time without offset as UTC (its default context timezone)
    as_naive = pc.if_else(naive, text, pa.scalar(None, pa.string()))
    as_aware = pc.if_else(aware, text, pa.scalar(None, pa.string()))
    naive_ts = _parsed(as_naive, pa.timestamp("us"), name).cast(arrow_type)
    return pc.if_else(naive, naive_ts, _parsed(as_aware, arrow_type, name))


def _datetimes(values: list[Any], arrow_type: Any, name: str) -> pa.Array:
    # parsed cursor values (Airbyte-style incremental_sync) arrive as datetimes; Arrow converts
    # aware ones to UTC as dlt does, a naive one could be read either way: dlt's normalizer decides
    if any(v is not None and v.tzinfo is None for v in values):
        raise NotExact(f"column '{name}' has a date-time without a time zone")
    return pa.array(values, type=arrow_type)


def _dates(values: list[Any], kinds: set[type], arrow_type: Any) -> pa.Array:
    if not kinds <= {str}:
        raise NotExact("a date column has a value that is not text")
    text = pa.array(values, type=pa.string())
    if pc.all(_matches(text, _DATE)).as_py() is False:
        raise NotExact("a date column has a value that is not a plain ISO date")
    return _parsed(text, arrow_type, "date")


def _matches(text: pa.Array, pattern: str) -> pa.Array:
    # nulls count as matching: they stay null whatever the column's type
    return pc.fill_null(pc.match_substring_regex(text, pattern), True)


def _parsed(text: pa.Array, arrow_type: Any, name: str) -> pa.Array:
    try:
        return text.cast(arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. February 30th
        raise NotExact(f"column '{name}' has a date-time Arrow cannot read") from None

