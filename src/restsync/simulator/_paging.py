"""Serve pages the way a plan's paginator reads them.

Each paginator type has a small pager, registered for its plan paging class in ``PAGERS``. A pager
is a pure function of the request (query, JSON body, URL) and the number of records: all paging
state travels in the request, so concurrent clients and retried requests always get the same page.
What it decides for one request is a ``ServedPage``: which records, and the paging signals (next
cursor or link, body fields, headers) that lead a client to the next one.

Where the records and fields sit in the body is ``_placement``'s business; the fields a
``stop_condition`` tests are ``_stop_rule``'s.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from yarl import URL

from restsync._plan import (
    AutoPaging,
    CursorPaging,
    HeaderCursorPaging,
    HeaderLinkPaging,
    JSONLinkPaging,
    OffsetPaging,
    PageNumberPaging,
    PagingPlan,
    SinglePaging,
)
from restsync._selectors import field_value
from restsync.simulator._options import SimulatorError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LINK_CURSOR_PARAM",
    "ECHOED_MEANINGS",
    "EchoedPagePaging",
    "EchoedPositionPaging",
    "TextPositionPaging",
    "LinkCursorPaging",
    "LinkParamCursorPaging",
    "PAGERS",
    "PageRequest",
    "Pager",
    "PagingError",
    "RecordCursorPaging",
    "ServedPage",
    "default_page_size",
    "dotted",
    "literal_key",
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
    # the position of the record whose field (a dotted path) has this value, among the records
    # the request pages through; None when none has it (for a cursor that names a record)
    find: Callable[[str, str], int | None] | None = None


@dataclass(frozen=True)
class ServedPage:
    """Records ``[start, stop)`` of a resource, and how the response leads to the next page."""

    start: int
    stop: int
    last: bool
    next: Any = None  # the cursor or link a client follows; None on the last page
    fields: Mapping[str, Any] = field(default_factory=dict)  # body fields by dotted path
    headers: Mapping[str, str] = field(default_factory=dict)
    # fields set on the page's last record (dotted paths): a cursor the API writes there
    last_record: Mapping[str, Any] = field(default_factory=dict)


class Pager(Protocol):
    def page(self, request: PageRequest, total: int) -> ServedPage: ...


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
        raw = field_value(request.body, dotted(body_path))
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


def _cursor_window(
    request: PageRequest, cursor_param: str, limit_param: str, limit: int | None, total: int
) -> tuple[int, int, bool]:
    """The records a request asks for by the opaque offset token in ``cursor_param`` (none:
    the first page) and the page size in ``limit_param``: start, stop, whether it is the last."""
    raw = request.query.get(cursor_param)
    start = decode_offset(raw, cursor_param) if raw else 0
    size = _int_param(request, limit_param, None, limit or DEFAULT_PAGE_SIZE, 1)
    return _slice(start, size, total)


# --- pagers -----------------------------------------------------------------------------------


class CursorPager:
    def __init__(self, paginator: CursorPaging) -> None:
        self.p = paginator
        self.cursor_path = field_path(paginator.cursor_path or paginator.cursor_param or "cursor")

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        param = p.cursor_param or "cursor"
        raw = request.query.get(param) if p.cursor_param else None
        if raw is None and p.cursor_body_path:
            raw = field_value(request.body, dotted(p.cursor_body_path))
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
        return ServedPage(start, stop, last, value, fields)


class OffsetPager:
    def __init__(self, paginator: OffsetPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        start = _int_param(request, p.offset_param, p.offset_body_path, p.offset, 0)
        size = _int_param(request, p.limit_param, p.limit_body_path, p.limit, 1)
        start, stop, last = _slice(start, size, total)
        fields: dict[str, Any] = {}
        if p.total_path:
            fields[dotted(p.total_path)] = total
        if p.has_more_path:
            fields[dotted(p.has_more_path)] = not last
        return ServedPage(start, stop, last, None if last else stop, fields)


class PageNumberPager:
    def __init__(self, paginator: PageNumberPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
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
        return ServedPage(start, stop, last, None if last else number + 1, fields)


class _LinkPager:
    """Shared by json_link and header_link: the next page is a URL carrying a token."""

    def _window(self, request: PageRequest, total: int) -> tuple[int, int, bool, str | None]:
        start, stop, last = _cursor_window(request, LINK_CURSOR_PARAM, "limit", None, total)
        link = None if last else _link(request, LINK_CURSOR_PARAM, encode_offset(stop))
        return start, stop, last, link


class JSONLinkPager(_LinkPager):
    def __init__(self, paginator: JSONLinkPaging) -> None:
        self.next_path = field_path(paginator.next_url_path or "next")

    def page(self, request: PageRequest, total: int) -> ServedPage:
        start, stop, last, link = self._window(request, total)
        return ServedPage(start, stop, last, link, {self.next_path: link})


class HeaderLinkPager(_LinkPager):
    def __init__(self, paginator: HeaderLinkPaging) -> None:
        self.rel = paginator.links_next_key

    def page(self, request: PageRequest, total: int) -> ServedPage:
        start, stop, last, link = self._window(request, total)
        headers = {"Link": f'<{link}>; rel="{self.rel}"'} if link else {}
        return ServedPage(start, stop, last, link, headers=headers)


class HeaderCursorPager:
    def __init__(self, paginator: HeaderCursorPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        start, stop, last = _cursor_window(request, p.cursor_param, "limit", None, total)
        value = None
        if not last:
            value = encode_offset(stop)
            if request.cursor_style == "url":
                value = _link(request, p.cursor_param, value)
        return ServedPage(start, stop, last, value, headers={p.cursor_key: value} if value else {})


@dataclass(frozen=True)
class RecordCursorPaging:
    """A cursor read from the page's last record (an Airbyte manifest's
    ``{{ last_record['id'] }}``): the simulator's own paging kind, served for manifests.

    With ``in_record`` false the cursor is the record's own key (``starting_after=<id>``): the
    next page starts after the record with that value. With ``in_record`` true the API writes
    the next page's cursor into the last record of every page but the last (as a token, or as
    a next-page URL when ``as_link``)."""

    type: ClassVar[str] = "record_cursor"
    record_field: str
    in_record: bool = False
    cursor_param: str | None = None
    cursor_body_path: str | None = None
    as_link: bool = False
    limit: int | None = None
    limit_param: str = "limit"
    # the cursor is the key plus this (zendesk-chat's ``last_record['id'] + 1``, since_id):
    # the next page starts at the record after the one whose key is the cursor less it
    shift: int = 0

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "record_field": self.record_field, "in_record": self.in_record}


class RecordCursorPager:
    def __init__(self, paginator: RecordCursorPaging) -> None:
        self.p = paginator
        self.field = dotted(paginator.record_field)

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        param = LINK_CURSOR_PARAM if p.as_link else (p.cursor_param or "cursor")
        raw = request.query.get(param) if (p.cursor_param or p.as_link) else None
        if raw is None and p.cursor_body_path:
            raw = field_value(request.body, dotted(p.cursor_body_path))
        start = 0
        if raw not in (None, "") and p.in_record:
            start = decode_offset(raw, param)
        elif raw not in (None, ""):
            if p.shift:
                try:
                    raw = str(int(str(raw)) - p.shift)
                except ValueError:
                    raise PagingError(f"'{param}' must be an integer, got '{raw}'") from None
            found = request.find(self.field, str(raw)) if request.find is not None else None
            if found is None:
                raise PagingError(f"'{param}' names no record this API served")
            start = found + 1
        size = _int_param(request, p.limit_param, None, p.limit or DEFAULT_PAGE_SIZE, 1)
        start, stop, last = _slice(start, size, total)
        marks: dict[str, Any] = {}
        if p.in_record and not last:
            token = encode_offset(stop)
            marks[self.field] = _link(request, param, token) if p.as_link else token
        elif p.in_record and "." in self.field:
            # a nested cursor (datadog's last_record['meta']['page']['after']): the last page's
            # record carries its parents with the cursor null, so a template that steps down to
            # it finds no cursor there rather than failing on a missing parent
            parent, leaf = self.field.rsplit(".", 1)
            marks[parent] = {leaf: None}
        return ServedPage(start, stop, last, None if last else stop, last_record=marks)


@dataclass(frozen=True)
class LinkCursorPaging:
    """A cursor the client cuts out of a next-page URL in a response field (outlook's
    ``response.get('@odata.nextLink', '').split('$skiptoken=')[-1]``) and sends as
    ``cursor_param``: the simulator's own paging kind, served for manifests. The field is one
    top-level key, dots and all; the URL carries the cursor as its last query parameter."""

    type: ClassVar[str] = "link_cursor"
    link_key: str
    cursor_param: str
    limit: int | None = None
    limit_param: str = "limit"

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "link_key": self.link_key, "cursor_param": self.cursor_param}


class LinkCursorPager:
    def __init__(self, paginator: LinkCursorPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        start, stop, last = _cursor_window(request, p.cursor_param, p.limit_param, p.limit, total)
        link = None if last else _link(request, p.cursor_param, encode_offset(stop))
        return ServedPage(start, stop, last, link, {literal_key(p.link_key): link})


@dataclass(frozen=True)
class LinkParamCursorPaging:
    """A cursor the API writes as a parameter of its Link header's next link, sent back as
    ``cursor_param`` (sentry: ``<...&cursor=0:100:0>; rel="next"; results="true";
    cursor="0:100:0"``, read as ``headers['link']['next']['cursor']``): the simulator's own
    paging kind, served for manifests. With ``stop_param`` the next link is always there and
    that parameter says whether it leads to records (``results="false"`` on the last page);
    without it the last page has no next link."""

    type: ClassVar[str] = "link_param_cursor"
    cursor_param: str
    link_param: str
    stop_param: str | None = None
    limit: int | None = None
    limit_param: str = "limit"

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "cursor_param": self.cursor_param, "link": self.link_param}


class LinkParamCursorPager:
    def __init__(self, paginator: LinkParamCursorPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        start, stop, last = _cursor_window(request, p.cursor_param, p.limit_param, p.limit, total)
        if last and p.stop_param is None:
            return ServedPage(start, stop, last)
        token = encode_offset(stop)
        link = f'<{_link(request, p.cursor_param, token)}>; rel="next"'
        if p.stop_param is not None:
            link += f'; {p.stop_param}="{"false" if last else "true"}"'
        link += f'; {p.link_param}="{token}"'
        return ServedPage(start, stop, last, None if last else token, headers={"Link": link})


@dataclass(frozen=True)
class EchoedPagePaging:
    """Page numbers sent in the JSON body and echoed in the response, where the client reads
    the next one from (serpstat: ``params.page`` is ``(next_page_token or 0) + 1`` and the
    cursor is ``response.result.summary_info.page``): the simulator's own paging kind, served
    for manifests. A page past the last is empty and echoes a null page number."""

    type: ClassVar[str] = "echoed_page"
    page_body_path: str
    page_path: str
    limit: int | None = None
    limit_body_path: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "page_body_path": self.page_body_path,
            "page_path": self.page_path,
        }


class EchoedPagePager:
    def __init__(self, paginator: EchoedPagePaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        number = _int_param(request, None, p.page_body_path, 1, 1)
        size = _int_param(request, None, p.limit_body_path, p.limit or DEFAULT_PAGE_SIZE, 1)
        start, stop, last = _slice((number - 1) * size, size, total)
        # a page past the last echoes null: a client without a stop_condition stops there
        echoed = number if start < stop or number == 1 else None
        return ServedPage(start, stop, last, None if last else number + 1, {p.page_path: echoed})


@dataclass(frozen=True)
class EchoedPositionPaging:
    """A page number or offset sent in a query parameter and echoed in the response, where the
    client computes the next one from (clockodo: ``response.paging.current_page | int + 1``;
    jira: ``response.get('startAt') + response['maxResults']``): the simulator's own paging
    kind, served for manifests. ``echoes`` maps a body field (dotted) to what it carries:
    ``position`` (the page number or offset served), ``size`` (the page size served),
    ``total`` (records), ``pages`` (page count, at least 1) or ``last`` (whether this page is
    the last)."""

    type: ClassVar[str] = "echoed_position"
    param: str
    echoes: Mapping[str, str]
    by_offset: bool = False  # offsets (0, size, 2 size, ...) rather than page numbers
    base: int = 1  # the first page's number (offsets start at 0)
    limit: int | None = None
    limit_param: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "param": self.param, "echoes": dict(self.echoes)}


@dataclass(frozen=True)
class TextPositionPaging:
    """A page number or offset written inside a query parameter's text (quickbooks' query
    ``... STARTPOSITION {{ (next_page_token.next_page_token or 0) + 1 }} MAXRESULTS 200``):
    the number after ``prefix`` in parameter ``param``, less ``shift``, is the position. The
    simulator's own paging kind, served for manifests; the clients stop on a short page."""

    type: ClassVar[str] = "text_position"
    param: str
    prefix: str
    shift: int = 0
    by_offset: bool = True
    base: int = 0  # the first page's number (offsets start at 0)
    limit: int | None = None

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "param": self.param, "prefix": self.prefix}


class TextPositionPager:
    def __init__(self, paginator: TextPositionPaging) -> None:
        self.p = paginator
        self.number = re.compile(re.escape(paginator.prefix) + r"(\d+)")

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        size = p.limit or DEFAULT_PAGE_SIZE
        found = self.number.search(str(request.query.get(p.param, "")))
        first = 0 if p.by_offset else p.base
        position = int(found.group(1)) - p.shift if found else first
        if position < first:
            raise PagingError(f"'{p.param}' asks for position {position}, before the first")
        start = position if p.by_offset else (position - p.base) * size
        start, stop, last = _slice(start, size, total)
        return ServedPage(start, stop, last)


ECHOED_MEANINGS = ("position", "size", "total", "pages", "last")


class EchoedPositionPager:
    def __init__(self, paginator: EchoedPositionPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        size = _int_param(request, p.limit_param, None, p.limit or DEFAULT_PAGE_SIZE, 1)
        first = 0 if p.by_offset else p.base
        position = _int_param(request, p.param, None, first, first)
        start = position if p.by_offset else (position - p.base) * size
        start, stop, last = _slice(start, size, total)
        following = position + size if p.by_offset else position + 1
        carried = {
            "position": position,
            "size": size,
            "total": total,
            "pages": max(1, math.ceil(total / size)),
            "last": last,
        }
        fields = {path: carried[meaning] for path, meaning in p.echoes.items()}
        return ServedPage(start, stop, last, None if last else following, fields)


def field_path(path: str) -> str:
    """A paging field's path: a literal key (``[@odata.nextLink]``) as it is, else dotted."""
    if path.startswith("[") and path.endswith("]") and "]" not in path[1:-1]:
        return path
    return dotted(path)


def literal_key(key: str) -> str:
    """A body field path that is one key, dots included (``@odata.nextLink``): ``[key]``."""
    return f"[{key}]"


class OnePagePager:
    """single_page and auto: every record in one response, no paging fields."""

    def __init__(self, paginator: SinglePaging | AutoPaging) -> None:
        pass

    def page(self, request: PageRequest, total: int) -> ServedPage:
        return ServedPage(0, total, True)


# plan paging class -> the pager that serves it
PAGERS: dict[type[Any], Callable[[Any], Pager]] = {
    CursorPaging: CursorPager,
    OffsetPaging: OffsetPager,
    PageNumberPaging: PageNumberPager,
    JSONLinkPaging: JSONLinkPager,
    HeaderLinkPaging: HeaderLinkPager,
    HeaderCursorPaging: HeaderCursorPager,
    RecordCursorPaging: RecordCursorPager,
    LinkCursorPaging: LinkCursorPager,
    LinkParamCursorPaging: LinkParamCursorPager,
    EchoedPagePaging: EchoedPagePager,
    EchoedPositionPaging: EchoedPositionPager,
    TextPositionPaging: TextPositionPager,
    SinglePaging: OnePagePager,
    AutoPaging: OnePagePager,
}


def make_pager(paginator: PagingPlan, resource: str) -> Pager:
    pager = PAGERS.get(type(paginator))
    if pager is None:
        raise SimulatorError(
            f"resource '{resource}': the simulator cannot serve paginator type "
            f"'{paginator.type}'; it serves {', '.join(kind.type for kind in PAGERS)}"
        )
    return pager(paginator)


def default_page_size(paginator: PagingPlan) -> int:
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
