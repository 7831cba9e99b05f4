"""Where the records sit in a response: ``data_selector`` as a dotted path or JSONPath.

``$``, ``[]`` or an empty selector mean the whole body. A selected list is the records; a selected
object is one record. With no selector the records are found as dlt finds them
(``detect_records_path``): a body that is not an object is the records; otherwise the first list
(depth-first, at most three keys deep) under a record-like key (``data``, ``items``, ``results``,
...), else the first list found at all, else the body itself as one record. The engine decides
that once per chain, on its first page, and keeps it, as dlt does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext.parser import parse as parse_jsonpath

__all__ = [
    "SelectorError",
    "compile_path",
    "compile_selector",
    "detect_records_path",
    "field_value",
    "find_records",
    "set_field",
]

Selector = Callable[[Any], list[Any]]

_SIMPLE = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")
_RECORD_KEYS = frozenset(
    "data items results entries records rows entities payload content objects values".split()
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


def set_field(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted field path (``a.b`` nests), making the dicts on the way."""
    *parents, leaf = path.split(".")
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[leaf] = value


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
    """The records of one body by dlt's detection rule (see the module docstring)."""
    return _as_records(compile_path(detect_records_path(body))(body))


def detect_records_path(body: Any) -> str:
    """The data selector dlt would pick for this body (``$`` is the whole body)."""
    if not isinstance(body, dict):
        return "$"
    lists: list[tuple[str, ...]] = []
    _find_lists(body, (), lists)
    if not lists:
        return "$"
    record_like = [path for path in lists if path[-1] in _RECORD_KEYS]
    return ".".join((record_like or lists)[0])


def _find_lists(body: dict[str, Any], path: tuple[str, ...], found: list[tuple[str, ...]]) -> None:
    if len(path) > 2:
        return
    for key, value in body.items():
        if isinstance(value, list):
            found.append((*path, key))
        elif isinstance(value, dict):
            _find_lists(value, (*path, key), found)
