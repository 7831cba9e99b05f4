"""Value types the config model shares: checked where pydantic meets them, so a bad one is a
``ConfigError`` with its path before anything downstream (dlt, aiohttp, orjson) chokes on it.

A validator here raises ``ValueError`` whose text reads after the value: "'[[' is not a JSONPath
...". ``_parse`` puts the key and the value in front.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from pydantic import AfterValidator, BeforeValidator

__all__ = ["BaseUrl", "CursorPath", "FormBody", "Headers", "JsonBody", "check_base_url"]


def _cursor_path(value: str) -> str:
    """dlt's incremental finds the cursor with a JSONPath: refuse what dlt cannot compile.

    dlt compiles a path string with jsonpath-ng's ``ext`` parser (``dlt.common.jsonpath``); it
    is called here directly, so that checking a config does not import dlt (a test pins that dlt
    still compiles that way)."""
    from jsonpath_ng.ext.parser import parse as compile_path

    try:
        compile_path(value)
    except Exception as exc:  # jsonpath-ng raises lexer, parser and plain exceptions
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "no path"
        raise ValueError(
            f"is not a JSONPath dlt can read ({reason}); name the record field, e.g. 'updated_at'"
        ) from None
    return value


def _json_body(value: Any) -> Any:
    """The body is sent with orjson: refuse what it cannot encode (sets, bytes, deep nesting)."""
    if value is None:
        return value
    try:
        orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValueError(
            f"cannot be sent as JSON ({str(exc)[:100]}); use only dicts, lists, strings, "
            "numbers, true/false and null"
        ) from None
    return value


def _form_body(value: Any) -> Any:
    """dlt's ``data``, sent as ``requests`` sends it: a dict (or a list of pairs) form-encoded,
    a string or bytes as the raw body. Values are sent as their text."""
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        pairs = list(value.items())
    elif isinstance(value, list | tuple) and all(
        isinstance(p, list | tuple) and len(p) == 2 and isinstance(p[0], str) for p in value
    ):
        pairs = [tuple(p) for p in value]
    else:
        raise ValueError(
            "cannot be sent as a body; give a dict of form fields, e.g. {'grant_type': 'x'}, "
            "or the raw body as a string"
        )
    for _, item in pairs:
        items = item if isinstance(item, list | tuple) else [item]
        if not all(i is None or isinstance(i, str | int | float | bool) for i in items):
            raise ValueError(
                "has a form field that is not text or a number; give form fields as strings, "
                "numbers or lists of them (None leaves a field out)"
            )
    return value


def _header_values(value: Any) -> Any:
    """A number in a header (YAML reads ``X-Version: 2`` as one) is sent as its text."""
    if isinstance(value, dict):
        return {
            k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for k, v in value.items()
        }
    return value


def check_base_url(value: str) -> str:
    """An http(s) URL with a host: anything else fails at the first request, after the check."""
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme.lower(), parts.hostname
        parts.port  # noqa: B018 - raises for a port that is no number
    except ValueError:  # "https://[::1", "http://x:abc/"
        scheme, host = "", None
    if scheme not in ("http", "https") or not host or _SPACE.search(value):
        raise ValueError(
            "is not an http(s) URL with a host; write it like 'https://api.example.com/v1'"
        )
    return value


_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")


CursorPath = Annotated[str, AfterValidator(_cursor_path)]
JsonBody = Annotated[dict[str, Any] | list[Any] | None, AfterValidator(_json_body)]
FormBody = Annotated[Any, AfterValidator(_form_body)]
Headers = Annotated[dict[str, str], BeforeValidator(_header_values)]
BaseUrl = Annotated[str, AfterValidator(check_base_url)]
