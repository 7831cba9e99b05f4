"""Where the records sit in a response: ``data_selector`` as a dotted path or JSONPath.

``$``, ``[]`` or an empty selector mean the whole body. A selected list is the records; a selected
object is one record. With no selector the records are found the way users expect: a body that is
a list, else the list under a well-known key (``data``, ``results``, ``items``, ...), else the only
list in the body, else the body itself as one record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

__all__ = ["SelectorError", "compile_path", "compile_selector", "field_value", "find_records"]

Selector = Callable[[Any], list[Any]]

_SIMPLE = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")
_WELL_KNOWN = (
    "data",
    "results",
    "items",
    "records",
    "entries",
    "values",
    "objects",
    "list",
    "rows",
)


class SelectorError(ValueError):
    pass


def compile_selector(expression: str | None) -> Selector:
    if expression is None:
        return find_records
    path = compile_path(expression)
    return lambda body: _as_records(path(body))


def compile_path(expression: str, missing: Any = None) -> Callable[[Any], Any]:
    """A getter for one value, ``missing`` when the path is absent (a present ``null`` is
    ``None``); dotted paths skip JSONPath (hot path)."""
    expression = expression.strip()
    if expression in ("", "$", "[]"):
        return lambda body: body
    if expression.startswith("$."):
        stripped = expression[2:]
        if _SIMPLE.match(stripped):
            expression = stripped
    if _SIMPLE.match(expression):
        keys = expression.split(".")
        if len(keys) == 1:
            key = keys[0]
            return lambda body: body.get(key, missing) if isinstance(body, dict) else missing
        return lambda body: _dig(body, keys, missing)
    try:
        compiled = parse_jsonpath(expression)
    except (JsonPathParserError, Exception) as exc:
        raise SelectorError(f"'{expression}' is not a valid JSONPath ({exc})") from None

    def find(body: Any) -> Any:
        matches = [m.value for m in compiled.find(body)]
        if not matches:
            return missing
        return matches[0] if len(matches) == 1 else matches

    return find


def field_value(record: Any, path: str) -> Any:
    """The value at a dotted field path of a record (``None`` when any part is absent)."""
    return _dig(record, path.split("."))


def _dig(body: Any, keys: list[str], missing: Any = None) -> Any:
    for key in keys:
        if not isinstance(body, dict):
            return missing
        body = body.get(key, missing)
        if body is missing:
            return missing
    return body


def _as_records(selected: Any) -> list[Any]:
    if selected is None:
        return []
    if isinstance(selected, list):
        return selected
    return [selected]


def find_records(body: Any) -> list[Any]:
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        return [] if body is None else [body]
    for key in _WELL_KNOWN:
        value = body.get(key)
        if isinstance(value, list):
            return value
    lists = [value for value in body.values() if isinstance(value, list)]
    if len(lists) == 1:
        return lists[0]
    return [body] if body else []
