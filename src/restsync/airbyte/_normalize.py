"""``schema_normalization: Default``: record values converted to the types the stream's JSON
schema declares, as Airbyte's declarative CDK converts them.

For every schema property present in a record (and, below it, every nested object's properties
and every array's items), a value is converted to the one non-null type declared: ``str(v)`` for
string, ``float(v)`` for number (so ``5`` becomes ``5.0``), ``int(v)`` for integer, a truth test
for boolean (strings read as yes/no words), and a plain value wrapped in a list for an array
whose items' types are given as a list of plain types (or not given). A value that does not
convert is kept as it was; ``None`` stays ``None`` where the schema allows null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["normalize"]

_PLAIN = (str, float, int, bool, type(None))
_PLAIN_TYPES = {"string", "number", "integer", "boolean", "null"}
_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0"}


def normalize(value: Any, schema: Any) -> Any:
    """``value`` converted as the schema says (objects and lists are converted in place)."""
    if not isinstance(schema, Mapping):
        return value
    value = _convert(value, schema)
    _descend(value, schema)
    return value


def _descend(value: Any, schema: Mapping[str, Any]) -> None:
    properties = schema.get("properties")
    if isinstance(value, dict) and isinstance(properties, Mapping):
        for key, subschema in properties.items():
            if key in value:
                value[key] = normalize(value[key], subschema)
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        for index, item in enumerate(value):
            value[index] = normalize(item, items)
    for keyword in ("anyOf", "oneOf", "allOf"):
        for subschema in schema.get(keyword) or ():
            if isinstance(subschema, Mapping):
                _descend(value, subschema)


def _convert(value: Any, schema: Mapping[str, Any]) -> Any:
    declared = schema.get("type", [])
    if value is None and "null" in declared:
        return None
    if isinstance(declared, list):
        concrete = [t for t in declared if t != "null"]
        if len(concrete) != 1:
            return value
        declared = concrete[0]
    try:
        if declared == "string":
            return str(value)
        if declared == "number":
            return float(value)
        if declared == "integer":
            return int(value)
        if declared == "boolean":
            return _boolean(value)
        if declared == "array":
            # Airbyte takes set() of the items' type: a list of types is read as types, but a
            # single type written as a string becomes a set of its letters and never matches
            item_types = set((schema.get("items") or {}).get("type") or ())
            if item_types <= _PLAIN_TYPES and type(value) in _PLAIN:
                return [value]
    except (ValueError, TypeError, OverflowError):
        return value
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        word = value.lower().strip()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(f"'{value}' is not a yes/no word")
    return bool(value)
