"""The paginator dlt's rest_api guesses from a chain's first response when the config gives none;
and reading the headers paginators look at (``Link``, cursor headers).

The guess is made once per chain of pages (a root resource, or one child per parent record), on
its first response, and then kept, as dlt does (so is the data selector's:
``restsync._selectors.detect_records_path``).

In dlt's order: a ``Link`` header with ``rel="next"``; a next-page URL (``http...`` or
``/...``) under the first key that starts with ``next`` (its value, or the ``href``/``url`` of an
object under it), searched depth-first through nested objects; a page count under
``total_pages``, ``pages`` or ``totalpages`` (then pages are numbered from 0 in ``page``); any
other value under that ``next...`` key, taken as a cursor for the ``cursor`` parameter; else one
page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restsync._plan import (
    CursorPaging,
    HeaderLinkPaging,
    JSONLinkPaging,
    PageNumberPaging,
    PagingPlan,
    SinglePaging,
)

__all__ = ["detect_paginator", "parse_link_header"]

_NEXT = re.compile("next")
_NEXT_IN_OBJECT = re.compile("href|url")
_TOTAL_PAGES = re.compile("^(total_pages|pages|totalpages)$")
_SCALAR = (str, int, float)  # bool is an int too, as in dlt


def detect_paginator(links: Mapping[str, str], body: Any) -> PagingPlan:
    """The paginator dlt would pick for this first response."""
    if links.get("next"):
        return HeaderLinkPaging()
    next_path, next_value = _find(body, _next_value)
    if next_path and isinstance(next_value, str) and next_value.startswith(("http", "/")):
        return JSONLinkPaging(next_url_path=".".join(next_path))
    total_path, total = _find(body, _total_pages)
    if total_path and _is_int(total):
        return PageNumberPaging(total_path=".".join(total_path), total_from_default=False)
    if next_path:
        return CursorPaging(
            cursor_path=".".join(next_path),
            cursor_param="cursor",
            stop_after_empty_page=False,
        )
    return SinglePaging()


def _next_value(key: str, value: Any) -> tuple[tuple[str, ...], Any] | None:
    if not _NEXT.match(key.lower()):
        return None
    if isinstance(value, dict):
        for inner, found in value.items():
            if _NEXT_IN_OBJECT.match(inner.lower()) and isinstance(found, _SCALAR):
                return (key, inner), found
        return None
    return ((key,), value) if isinstance(value, _SCALAR) else None


def _total_pages(key: str, value: Any) -> tuple[tuple[str, ...], Any] | None:
    if _TOTAL_PAGES.match(key.lower()) and isinstance(value, _SCALAR):
        return (key,), value
    return None


def _find(body: Any, match: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...] | None, Any]:
    """Depth-first: the first key ``match`` accepts, as (path, value)."""
    if not isinstance(body, dict):
        return None, None
    for key, value in body.items():
        hit = match(key, value)
        if hit is not None:
            return (*path, *hit[0]), hit[1]
        if isinstance(value, dict):
            found = _find(value, match, (*path, key))
            if found[0] is not None:
                return found
    return None, None


def _is_int(value: Any) -> bool:
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


# --- reading headers ----------------------------------------------------------------------


_LINK = re.compile(r"<([^>]*)>\s*;([^,]*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?')


def parse_link_header(value: str) -> dict[str, str]:
    links: dict[str, str] = {}
    for url, params in _LINK.findall(value):
        rel = _REL.search(params)
        if rel:
            for name in rel.group(1).split():
                links[name] = url
    return links
