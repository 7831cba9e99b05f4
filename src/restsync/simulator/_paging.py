"""Serve pages the way a plan's paginator reads them.

Each paginator type has a small pager, registered under its type name in ``PAGERS``. A pager is a
pure function of the request (query, JSON body, URL) and the number of records: all paging state
travels in the request, so concurrent clients and retried requests always get the same page.

``Placement`` puts a page's records where ``data_selector`` looks for them, plus the paging fields.
``StopRule`` adds the fields a ``stop_condition`` tests (``done``, ``has_more``, ...), found by
evaluating the plan's own condition on sample pages, so served pages and condition always agree.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from yarl import URL

from restsync._expressions import Condition
from restsync.config import (
    CursorPaginator,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from restsync.simulator._data import dig, set_path
from restsync.simulator._options import SimulatorError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LINK_CURSOR_PARAM",
    "PAGERS",
    "Page",
    "PageRequest",
    "Pager",
    "PagingError",
    "Placement",
    "StopRule",
    "default_page_size",
    "derive_stop_rule",
    "make_pager",
]

DEFAULT_PAGE_SIZE = 25
# json_link and header_link have no cursor param of their own: the simulator picks this one
LINK_CURSOR_PARAM = "cursor"
_SIMPLE_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")


class PagingError(ValueError):
    """A paging parameter in the request is malformed; served as a 400."""


@dataclass(frozen=True)
class PageRequest:
    url: URL  # absolute; next-page links are built from it
    query: Mapping[str, str]
    body: Any = None
    # query params never echoed into next-page links (a credential sent in the query)
    hidden: frozenset[str] = frozenset()
    cursor_style: str = "token"


@dataclass(frozen=True)
class Page:
    start: int
    stop: int
    last: bool
    next: Any = None  # the cursor or link a client follows; None on the last page
    fields: Mapping[str, Any] = field(default_factory=dict)  # body fields by dotted path
    headers: Mapping[str, str] = field(default_factory=dict)


class Pager(Protocol):
    def page(self, request: PageRequest, total: int) -> Page: ...


# --- request values ---------------------------------------------------------------------------


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_offset(value: Any, param: str) -> int:
    """An offset from a token, or from a next-page URL that carries the token in ``param``."""
    text = str(value).strip()
    if text.startswith(("http://", "https://")):
        text = URL(text).query.get(param, "")
        if not text:
            return 0
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise PagingError(f"'{param}' is not a cursor this API issued") from None
    kind, _, number = raw.partition(":")
    if kind != "o" or not number.isdigit():
        raise PagingError(f"'{param}' is not a cursor this API issued")
    return int(number)


def _int_param(
    request: PageRequest, param: str | None, body_path: str | None, default: int, minimum: int
) -> int:
    raw: Any = request.query.get(param) if param else None
    if raw is None and body_path:
        raw = dig(request.body, dotted(body_path))
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise PagingError(f"'{param or body_path}' must be an integer, got '{raw}'") from None
    if value < minimum:
        raise PagingError(f"'{param or body_path}' must be >= {minimum}, got {value}")
    return value


def _link(request: PageRequest, param: str, value: str) -> str:
    query = {k: v for k, v in request.query.items() if k not in request.hidden and k != param}
    query[param] = value
    return str(request.url.with_query(query))


def _slice(start: int, size: int, total: int) -> tuple[int, int, bool]:
    start = min(start, total)
    stop = min(start + size, total)
    return start, stop, stop >= total


# --- pagers -----------------------------------------------------------------------------------


class CursorPager:
    def __init__(self, paginator: CursorPaginator) -> None:
        self.p = paginator
        self.cursor_path = dotted(paginator.cursor_path or paginator.cursor_param or "cursor")

    def page(self, request: PageRequest, total: int) -> Page:
        p = self.p
        param = p.cursor_param or "cursor"
        raw = request.query.get(param) if p.cursor_param else None
        if raw is None and p.cursor_body_path:
            raw = dig(request.body, dotted(p.cursor_body_path))
        start = decode_offset(raw, param) if raw not in (None, "") else 0
        size = _int_param(request, p.limit_param, None, p.limit or DEFAULT_PAGE_SIZE, 1)
        start, stop, last = _slice(start, size, total)
        value: Any = None
        if not last:
            value = encode_offset(stop)
            if request.cursor_style == "url" and p.cursor_param:
                value = _link(request, p.cursor_param, value)
        fields: dict[str, Any] = {self.cursor_path: value}
        if p.has_more_path:
            fields[dotted(p.has_more_path)] = not last
        return Page(start, stop, last, value, fields)


class OffsetPager:
    def __init__(self, paginator: OffsetPaginator) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> Page:
        p = self.p
        start = _int_param(request, p.offset_param, p.offset_body_path, p.offset, 0)
        size = _int_param(request, p.limit_param, p.limit_body_path, p.limit, 1)
        start, stop, last = _slice(start, size, total)
        fields: dict[str, Any] = {}
        if p.total_path:
            fields[dotted(p.total_path)] = total
        if p.has_more_path:
            fields[dotted(p.has_more_path)] = not last
        return Page(start, stop, last, None if last else stop, fields)


class PageNumberPager:
    def __init__(self, paginator: PageNumberPaginator) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> Page:
        p = self.p
        first = p.page if p.page is not None else p.base_page
        number = _int_param(request, p.page_param, p.page_body_path, first, p.base_page)
        size = _int_param(request, p.limit_param, None, p.limit or DEFAULT_PAGE_SIZE, 1)
        start, stop, last = _slice((number - p.base_page) * size, size, total)
        fields: dict[str, Any] = {}
        if p.total_path:
            fields[dotted(p.total_path)] = math.ceil(total / size)
        if p.has_more_path:
            fields[dotted(p.has_more_path)] = not last
        return Page(start, stop, last, None if last else number + 1, fields)


class _LinkPager:
    """Shared by json_link and header_link: the next page is a URL carrying a token."""

    def _window(self, request: PageRequest, total: int) -> tuple[int, int, bool, str | None]:
        raw = request.query.get(LINK_CURSOR_PARAM)
        start = decode_offset(raw, LINK_CURSOR_PARAM) if raw else 0
        size = _int_param(request, "limit", None, DEFAULT_PAGE_SIZE, 1)
        start, stop, last = _slice(start, size, total)
        link = None if last else _link(request, LINK_CURSOR_PARAM, encode_offset(stop))
        return start, stop, last, link


class JSONLinkPager(_LinkPager):
    def __init__(self, paginator: JSONLinkPaginator) -> None:
        self.next_path = dotted(paginator.next_url_path or "next")

    def page(self, request: PageRequest, total: int) -> Page:
        start, stop, last, link = self._window(request, total)
        return Page(start, stop, last, link, {self.next_path: link})


class HeaderLinkPager(_LinkPager):
    def __init__(self, paginator: HeaderLinkPaginator) -> None:
        self.rel = paginator.links_next_key

    def page(self, request: PageRequest, total: int) -> Page:
        start, stop, last, link = self._window(request, total)
        headers = {"Link": f'<{link}>; rel="{self.rel}"'} if link else {}
        return Page(start, stop, last, link, headers=headers)


class HeaderCursorPager:
    def __init__(self, paginator: HeaderCursorPaginator) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> Page:
        p = self.p
        raw = request.query.get(p.cursor_param)
        start = decode_offset(raw, p.cursor_param) if raw else 0
        size = _int_param(request, "limit", None, DEFAULT_PAGE_SIZE, 1)
        start, stop, last = _slice(start, size, total)
        value = None
        if not last:
            value = encode_offset(stop)
            if request.cursor_style == "url":
                value = _link(request, p.cursor_param, value)
        return Page(start, stop, last, value, headers={p.cursor_key: value} if value else {})


class OnePagePager:
    """single_page and auto: every record in one response, no paging fields."""

    def __init__(self, paginator: Any) -> None:
        pass

    def page(self, request: PageRequest, total: int) -> Page:
        return Page(0, total, True)


PAGERS: dict[str, Callable[[Any], Pager]] = {
    "cursor": CursorPager,
    "offset": OffsetPager,
    "page_number": PageNumberPager,
    "json_link": JSONLinkPager,
    "header_link": HeaderLinkPager,
    "header_cursor": HeaderCursorPager,
    "single_page": OnePagePager,
    "auto": OnePagePager,
}


def make_pager(paginator: Any, resource: str) -> Pager:
    kind = getattr(paginator, "type", None)
    if kind not in PAGERS:
        raise SimulatorError(
            f"resource '{resource}': the simulator cannot serve paginator type '{kind}'; "
            f"it serves {', '.join(PAGERS)}"
        )
    return PAGERS[kind](paginator)


def default_page_size(paginator: Any) -> int:
    return getattr(paginator, "limit", None) or DEFAULT_PAGE_SIZE


def dotted(path: str) -> str:
    """A config path (``next``, ``meta.next``, ``$.meta.next``) as a dotted path."""
    text = path.strip()
    if text.startswith("$."):
        text = text[2:]
    if text.endswith("[*]"):
        text = text[:-3]
    if not _SIMPLE_PATH.match(text):
        raise SimulatorError(
            f"the simulator places values only at dotted paths; cannot serve '{path}'"
        )
    return text


# --- where records go -------------------------------------------------------------------------


class Placement:
    """The body shape ``data_selector`` implies: records at a dotted path, a bare list, or (``$``
    with paging fields to carry) one record object per response."""

    def __init__(self, selector: str | None, *, needs_fields: bool) -> None:
        text = (selector or "data").strip()
        self.path: str | None = None if text in ("", "$", "[]") else dotted(text)
        self.one_object = self.path is None and needs_fields

    def body(self, records: Sequence[Any], fields: Mapping[str, Any]) -> Any:
        """``records`` are JSON values (dicts, or their JSON as orjson fragments); a one-object
        body merges ``fields`` into the first, which must then be a dict."""
        if self.path is None and not self.one_object:
            return list(records)
        if self.one_object:
            return with_fields(records[0] if records else {}, fields)
        body: dict[str, Any] = {}
        set_path(body, self.path, list(records))  # type: ignore[arg-type]
        for path, value in fields.items():
            set_path(body, path, value)
        return body


def with_fields(record: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record served as the whole body, with the page's fields; null fields are left out."""
    out = dict(record)
    for path, value in fields.items():
        if value is None:
            if "." not in path:
                out.pop(path, None)
        else:
            set_path(out, path, value)
    return out


# --- stop conditions --------------------------------------------------------------------------


_NEXT = object()  # stands for "the next cursor or link" in a stop field's value
_CANDIDATE_VALUES: tuple[tuple[Any, Any], ...] = (
    (True, False),
    (False, True),
    (None, _NEXT),
    (0, 1),
    (1, 0),
)
_RESERVED = {
    "response", "headers", "records", "get", "is", "not", "and", "or", "in", "none", "None",
    "true", "false", "True", "False", "defined", "undefined", "length", "if", "else",
}
_FIELD_IN_CALL = re.compile(r"""(?:\.get\(|\[)\s*['"]([^'"]+)['"]""")
_NAME = re.compile(r"""(?<!['"\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*""")
_STRINGS = re.compile(r"""'[^']*'|"[^"]*\"""")


@dataclass(frozen=True)
class StopRule:
    """Fields set so that ``stop_condition`` holds on the last page and only there."""

    flags: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # path -> (last, other)

    def fields(self, page: Page) -> dict[str, Any]:
        out = {}
        for path, (on_last, on_other) in self.flags.items():
            value = on_last if page.last else on_other
            out[path] = (page.next or "more") if value is _NEXT else value
        return out


def derive_stop_rule(
    condition: Condition | None, pager: Pager, placement: Placement, resource: str
) -> StopRule:
    if condition is None:
        return StopRule()
    sample = PageRequest(url=URL("http://simulator.invalid/sample"), query={})
    more, last = pager.page(sample, 10**6), pager.page(sample, 1)
    if more.last:  # a one-page paginator: nothing to signal
        return StopRule()

    def agrees(rule: StopRule) -> bool:
        return _holds(condition, placement, last, rule) is True and _holds(
            condition, placement, more, rule
        ) is False

    if agrees(StopRule()):
        return StopRule()
    for name in _condition_fields(condition.source):
        for pair in _CANDIDATE_VALUES:
            rule = StopRule({name: pair})
            if agrees(rule):
                return rule
    raise SimulatorError(
        f"resource '{resource}': cannot serve pages on which stop_condition "
        f"'{condition.source}' is true on the last page only; the simulator serves conditions "
        "that test one response field (e.g. 'done', 'response.next is none', 'not has_more')"
    )


def _holds(condition: Condition, placement: Placement, page: Page, rule: StopRule) -> bool | None:
    records = [{"id": 1}]
    body = placement.body(records, {**page.fields, **rule.fields(page)})
    try:
        return condition(response=body, headers=dict(page.headers), records=records)
    except Exception:  # a candidate that makes the expression fail is just not the answer
        return None


def _condition_fields(source: str) -> list[str]:
    """Response fields an expression may test, in order of appearance."""
    names = list(_FIELD_IN_CALL.findall(source))
    for token in _NAME.findall(_STRINGS.sub("''", source)):
        head, _, rest = token.partition(".")
        if head == "response":
            token = rest
        elif head in ("headers", "records"):
            continue
        token = ".".join(p for p in token.split(".") if p not in _RESERVED)
        if token and token.split(".")[0] not in _RESERVED:
            names.append(token)
    return list(dict.fromkeys(names))
