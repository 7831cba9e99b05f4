"""Is a response the shape the config expects? An API that changed shape must fail the resource,
not load an empty table.

A page is empty, legitimately, when the body is empty (HTTP 204, or a 200 with no body), an empty
list, an empty object, or when the selected field is present and ``null`` or ``[]``. It is a
failure when the body is a bare JSON string, number, boolean or ``null``, or when a configured
``data_selector`` that names one place (a path, no wildcard or filter) is absent from a non-empty
body. The error shows the body's *shape* (keys and
value types), never a value: bodies carry personal data and, on a misrouted request, secrets.
"""

from __future__ import annotations

from typing import Any

from restsync._errors import ResponseFormatError
from restsync._selectors import compile_path

__all__ = ["ShapeCheck", "describe_shape"]

_ABSENT = object()
_MAX_KEYS = 8
_MAX_KEY_LENGTH = 40


class ShapeCheck:
    """The shape rules for one resource's pages."""

    def __init__(self, resource: str, data_selector: str | None) -> None:
        self.resource = resource
        self.selector = data_selector
        # a wildcard or a filter may match nothing on a good page: only a path is checked
        self._find = None
        if data_selector and not any(c in data_selector for c in "*?["):
            self._find = compile_path(data_selector, _ABSENT)

    def check(self, body: Any, *, empty_body: bool, selected: list[Any], url: str) -> None:
        """Raise ``ResponseFormatError`` when ``body`` cannot be a page of this resource."""
        if empty_body or isinstance(body, dict | list):
            if selected or not body or self._find is None or self._find(body) is not _ABSENT:
                return
            raise ResponseFormatError(
                self.resource,
                f"data_selector '{self.selector}' is not in the response, which is "
                f"{describe_shape(body)}; the API may have changed: fix data_selector",
                url,
            )
        raise ResponseFormatError(
            self.resource,
            f"the response is {describe_shape(body)}, not an object or a list of records; "
            "check the endpoint path",
            url,
        )


def describe_shape(value: Any) -> str:
    """``an object {'data': list, 'total': number}``: names and types, never values."""
    if isinstance(value, dict):
        fields = [f"{_key(k)}: {_type(v)}" for k, v in list(value.items())[:_MAX_KEYS]]
        more = f", ... ({len(value)} keys)" if len(value) > _MAX_KEYS else ""
        return "an object {" + ", ".join(fields) + more + "}"
    if isinstance(value, list):
        if not value:
            return "an empty list"
        first = describe_shape(value[0]) if isinstance(value[0], dict) else _type(value[0])
        return f"a list of {len(value)} (the first is {first})"
    return {"null": "JSON null"}.get(_type(value), f"a JSON {_type(value)}")


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def _key(key: Any) -> str:
    text = str(key)
    return repr(text if len(text) <= _MAX_KEY_LENGTH else text[:_MAX_KEY_LENGTH] + "...")
