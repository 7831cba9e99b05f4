"""Requests and pages as values: easy to log (redacted), test, and show in ``restsync plan``.

Credentials are never part of a ``Request``: auth is applied when sending, so a logged or raised
request cannot leak them. ``redact`` also masks query values whose names look secret, for next-page
URLs that servers sign with tokens.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from restsync._plan import SECRET_PARAM_NAME
from restsync._selectors import set_field

__all__ = [
    "Page",
    "Request",
    "form_body",
    "header",
    "origin",
    "query_string",
    "redact",
    "split_url",
]


@dataclass(frozen=True)
class Request:
    method: str
    url: str  # absolute, without query string
    params: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    data: Any = None  # form fields or a raw body (dlt's endpoint ``data``)
    raw: bool = False  # the response's body is handed on as bytes, not parsed as JSON

    def with_params(self, **updates: Any) -> Request:
        kept = [(k, v) for k, v in self.params if k not in updates]
        added = [(k, _text(v)) for k, v in updates.items() if v is not None]
        return replace(self, params=tuple(kept + added))

    def with_url(self, url: str) -> Request:
        """Follow a next-page URL: its query wins, the original params it does not name are kept.

        A URL on another origin is followed exactly as given: the params the config set for
        the API stay with the API.
        """
        base, query = split_url(url)
        if origin(base) != origin(self.url):
            return replace(self, url=base, params=tuple(query))
        names = {k for k, _ in query}
        kept = [(k, v) for k, v in self.params if k not in names]
        return replace(self, url=base, params=tuple(query + kept))

    def at(self, url: str) -> Request:
        """Go to a next-page URL as given: its query replaces the params (dlt's next links)."""
        base, query = split_url(url)
        return replace(self, url=base, params=tuple(query))

    def with_json_values(self, values: Mapping[str | None, Any]) -> Request:
        """The request with ``values`` set in its JSON body at dotted paths (``a.b`` nests, as in
        dlt); a ``None`` path is skipped. The body is copied: a plan's body is never changed."""
        paths = {path: value for path, value in values.items() if path}
        if not paths:
            return self
        body = copy.deepcopy(self.json) if isinstance(self.json, dict) else {}
        for path, value in paths.items():
            set_field(body, path, value)
        return Request(self.method, self.url, self.params, self.headers, body)

    def full_url(self) -> str:
        return self.url + ("?" + query_string(self.params) if self.params else "")

    def identity(self) -> str:
        """What makes two requests the same fetch (headers aside: they never page)."""
        return self.full_url() + repr(self.json) + repr(self.data)

    def __str__(self) -> str:
        return f"{self.method} {redact(self.full_url())}"


@dataclass(frozen=True)
class Page:
    request: Request
    status: int
    headers: Mapping[str, str]
    body: Any
    records: list[Any]
    number: int  # 1 = first page of this traversal


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, its name in any case: aiohttp's headers are case-insensitive, the plain
    dict copies the engine keeps of them are not."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def split_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, parse_qsl(parts.query, keep_blank_values=True)


def origin(url: str) -> tuple[str, str]:
    """Scheme and ``host:port`` (default port filled in), the unit credentials are scoped to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:  # a port out of range or not a number: matches no real origin
        return scheme, parts.netloc.lower()
    return scheme, f"{(parts.hostname or '').lower()}:{port}"


def redact(url: str, secrets: Collection[str] = ()) -> str:
    """``url`` with userinfo and secret-looking query values masked."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [
        (k, "***" if SECRET_PARAM_NAME.search(k) or k in secrets else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), ""))


def query_string(params: tuple[tuple[str, str], ...]) -> str:
    """The query string; a bare key that is a path (TestRail's ``index.php?/api/v2/get_runs/7``,
    a PHP front controller's route) is sent as written, not as ``%2Fapi%2Fv2...=``."""
    return "&".join(
        quote(k, safe="/") if not v and k.startswith("/") else urlencode([(k, v)])
        for k, v in params
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_body(data: Any) -> tuple[bytes | None, str | None]:
    """dlt's ``data`` as ``requests`` encodes it: the body bytes and the Content-Type to send.
    Form fields (a dict or a list of pairs) are URL-encoded, a list value repeats its field and
    ``None`` drops it; a string or bytes is the raw body, with no Content-Type of its own."""
    if data is None:
        return None, None
    if isinstance(data, bytes):
        return data, None
    if isinstance(data, str):
        return data.encode(), None
    fields: list[tuple[str, str]] = []
    for key, value in data.items() if isinstance(data, Mapping) else data:
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                fields.append((key, item if isinstance(item, str) else str(item)))
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"
