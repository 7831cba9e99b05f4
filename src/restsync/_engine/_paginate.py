"""Paginators: small strategies registered by type name.

A ``Traversal`` is created fresh for every chain of pages (a root resource, or one child per parent
record), so concurrent chains never share state. It decides from the previous request, the page
just received and its own small state (the requests seen, the position of a numbered chain):
``first`` prepares the first request, ``next`` returns the following one or ``None`` when the
chain is done. Loop detection lives in the base class.

Paginators whose next request does not depend on the page's content (offset, page number) also
answer ``ahead``: the requests that follow the current one *if* the chain goes on, so the engine can
fetch them while the current page is processed. With a known total that is exact; without one it
is a guess that grows with the run of full pages seen (one page ahead per two full pages, so a
chain of one or two pages never pays for a speculative request), and the engine abandons what the
last page makes moot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin

from restsync._engine._detect import detect_paginator, parse_link_header
from restsync._engine._request import Page, Request, header
from restsync._expressions import Condition
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
from restsync._selectors import compile_path

__all__ = [
    "PaginationLoop",
    "PagingError",
    "Traversal",
    "TraversalFactory",
    "make_traversal",
    "register_traversal",
]

P = TypeVar("P")  # the plan's paging value a Traversal reads


class PaginationLoop(Exception):
    """The server handed back a page reference it had already given."""


class PagingError(ValueError):
    """The response lacks what the paginator needs to go on (a total, a has-more flag)."""


class Traversal(Generic[P]):
    # the parent record this chain is fetched for (None for a root): strategies that build
    # their requests from it read it here
    parent: Any = None

    def __init__(self, config: P, stop_condition: Condition | None) -> None:
        self.config = config
        self.stop_condition = stop_condition
        self._seen: set[str] = set()

    def first(self, request: Request) -> Request:
        return request

    def next(self, request: Request, page: Page) -> Request | None:
        if self._should_stop(page):
            return None
        following = self._advance(request, page)
        if following is not None:
            key = following.identity()
            if key in self._seen or key == request.identity():
                raise PaginationLoop(
                    f"page {page.number + 1} would repeat an earlier request ({following}); "
                    "the API returned the same cursor twice"
                )
            self._seen.add(key)
        return following

    def _advance(self, request: Request, page: Page) -> Request | None:
        return None

    def ahead(self, current: Request, limit: int, *, guess: bool = True) -> list[Request]:
        """Up to ``limit`` requests after ``current`` (the request ``first``/``next`` returned
        last), in order, assuming the chain goes on; changes no state. Without ``guess``, only
        requests known to be needed (a total says so)."""
        return []

    def _should_stop(self, page: Page) -> bool:
        if self.stop_condition is not None and self.stop_condition(
            page.body, page.headers, page.records
        ):
            return True
        if getattr(self.config, "stop_after_empty_page", False) and not page.records:
            return True
        has_more_path = getattr(self.config, "has_more_path", None)
        return has_more_path is not None and not _has_more(page.body, has_more_path)


class Cursor(Traversal[CursorPaging]):
    def __init__(self, config: CursorPaging, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._cursor = compile_path(config.cursor_path or "cursors.next")

    def first(self, request: Request) -> Request:
        if self.config.limit is not None:
            return request.with_params(**{self.config.limit_param: self.config.limit})
        return request

    def _advance(self, request: Request, page: Page) -> Request | None:
        cursor = self._cursor(page.body)
        c = self.config
        # the seeds' dialect (stop_condition, limit) also follows a cursor that is a URL
        follow_urls = c.stop_condition is not None or c.limit is not None
        return _follow_cursor(request, cursor, c.cursor_param, c.cursor_body_path, follow_urls)


class HeaderCursor(Traversal[HeaderCursorPaging]):
    def _advance(self, request: Request, page: Page) -> Request | None:
        cursor = header(page.headers, self.config.cursor_key)
        return _follow_cursor(request, cursor, self.config.cursor_param, None, False)


N = TypeVar("N", bound=OffsetPaging | PageNumberPaging)


class _Numbered(Traversal[N]):
    """Offset and page-number paging: request n after the current one is known in advance.

    The total: ``total_path`` if given (a response without it is an error, as in dlt);
    ``total_path: null`` means none (paging ends on an empty page, ``has_more`` or the maximum);
    not given, dlt's default ``total`` is read when the response has it, and otherwise paging
    ends at the first short page (where dlt would raise: the seeds page offsets without totals).
    """

    _known_total: int | None = None
    _full_pages = 0  # consecutive full pages so far: the evidence for guessing ahead

    def __init__(self, config: N, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._total_required = config.total_path is not None
        self._short_page_stops = config.total_from_default
        path = config.total_path or ("total" if self._short_page_stops else None)
        self._total_path = path
        self._total_at = compile_path(path) if path else None

    def ahead(self, current: Request, limit: int, *, guess: bool = True) -> list[Request]:
        if self._known_total is not None:
            count = limit
        else:
            # one more page of guessing per two full pages: a short chain wastes little
            count = min(limit, self._full_pages // 2) if guess else 0
        following = []
        for step in range(1, count + 1):
            request = self._after(current, step)
            if request is None:
                break
            following.append(request)
        return following

    # what differs between the two: a chain's position (an offset, a page number), how far one
    # page moves it, what of it counts against the total and the maximum, and where it is sent
    _position = 0
    _stride = 1

    def _counted(self, position: int) -> int:
        return position

    def _past_maximum(self, position: int) -> bool:
        raise NotImplementedError

    def _is_full(self, page: Page) -> bool:
        raise NotImplementedError

    def _at(self, request: Request, position: int) -> Request:
        raise NotImplementedError

    def first(self, request: Request) -> Request:
        return self._at(request, self._position)

    def _advance(self, request: Request, page: Page) -> Request | None:
        total = self._total(page)
        self._position += self._stride
        full = self._is_full(page)
        self._full_pages = self._full_pages + 1 if full else 0
        if self._ends(total, self._counted(self._position), full):
            return None
        if self._past_maximum(self._position):
            return None
        return self._at(request, self._position)

    def _after(self, current: Request, step: int) -> Request | None:
        """The request ``step`` pages after ``current``; ``None`` past the total or maximum."""
        position = self._position + step * self._stride
        if self._known_total is not None and self._counted(position) >= self._known_total:
            return None
        if self._past_maximum(position):
            return None
        return self._at(current, position)

    def _total(self, page: Page) -> int | None:
        if self._total_at is None:
            return None
        value = self._total_at(page.body)
        if value is None:
            if self._total_required:
                raise PagingError(
                    f"the response has no total at total_path '{self._total_path}'; fix "
                    "total_path, or set it to null to page until an empty page"
                )
            return None
        total = _as_int(value)
        if total is None:
            raise PagingError(
                f"the total at total_path '{self._total_path}' is {value!r}, not a whole number"
            )
        self._known_total = total
        return total

    def _ends(self, total: int | None, reached: int, full: bool) -> bool:
        """Whether the chain ends before the request numbered ``reached``."""
        if total is not None:
            return reached >= total
        return self._short_page_stops and not full


class Offset(_Numbered[OffsetPaging]):
    def __init__(self, config: OffsetPaging, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._position = config.offset
        self._stride = config.limit

    def _past_maximum(self, position: int) -> bool:
        maximum = self.config.maximum_offset
        return maximum is not None and position >= maximum

    def _is_full(self, page: Page) -> bool:
        return len(page.records) >= self._stride

    def _at(self, request: Request, offset: int) -> Request:
        c = self.config
        request = request.with_json_values({c.offset_body_path: offset, c.limit_body_path: c.limit})
        params = {}
        if not c.offset_body_path:
            params[c.offset_param] = offset
        if not c.limit_body_path:
            params[c.limit_param] = c.limit
        return request.with_params(**params)


class PageNumber(_Numbered[PageNumberPaging]):
    def __init__(self, config: PageNumberPaging, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._position = config.page if config.page is not None else config.base_page

    def _counted(self, position: int) -> int:
        return position - self.config.base_page  # total_path counts pages from base_page

    def _past_maximum(self, position: int) -> bool:
        # as in dlt, maximum_page itself is not fetched
        maximum = self.config.maximum_page
        return maximum is not None and position >= maximum

    def _is_full(self, page: Page) -> bool:
        return self.config.limit is None or len(page.records) >= self.config.limit

    def _at(self, request: Request, number: int) -> Request:
        c = self.config
        params: dict[str, Any] = {}
        if c.page_body_path:
            request = request.with_json_values({c.page_body_path: number})
        else:
            params[c.page_param] = number
        if c.limit is not None:
            params[c.limit_param] = c.limit
        return request.with_params(**params)


class JSONLink(Traversal[JSONLinkPaging]):
    """The next page's URL is in the body; it is followed as given (its query replaces the
    request's params, as in dlt)."""

    def __init__(self, config: JSONLinkPaging, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._next_url = compile_path(config.next_url_path or "next")

    def _advance(self, request: Request, page: Page) -> Request | None:
        url = self._next_url(page.body)
        if isinstance(url, str) and url:
            return request.at(urljoin(request.url, url))
        return None


class HeaderLink(Traversal[HeaderLinkPaging]):
    def _advance(self, request: Request, page: Page) -> Request | None:
        rel = self.config.links_next_key
        url = parse_link_header(header(page.headers, "link") or "").get(rel)
        return request.at(urljoin(request.url, url)) if url else None


class Auto(Traversal[AutoPaging]):
    """No paginator given: the first page decides, by dlt's rules (``_detect``)."""

    def __init__(self, config: AutoPaging, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._chosen: Traversal[Any] | None = None

    def next(self, request: Request, page: Page) -> Request | None:
        if self._chosen is None:
            links = parse_link_header(header(page.headers, "link") or "")
            self._chosen = make_traversal(detect_paginator(links, page.body), None)
        return self._chosen.next(request, page)

    def ahead(self, current: Request, limit: int, *, guess: bool = True) -> list[Request]:
        return self._chosen.ahead(current, limit, guess=guess) if self._chosen else []


TraversalFactory = Callable[[P, Condition | None], Traversal[P]]

# plan paging class -> how a chain of pages is walked for it
_TRAVERSALS: dict[type[Any], TraversalFactory[Any]] = {}


def register_traversal(paging_class: type[P], factory: TraversalFactory[P]) -> None:
    """Walk chains of ``paging_class`` with ``factory``: the engine's own kinds below, and
    kinds other packages bring (a ``CustomPaging``, dlt's objects)."""
    _TRAVERSALS[paging_class] = factory


register_traversal(SinglePaging, Traversal[SinglePaging])
register_traversal(AutoPaging, Auto)
register_traversal(CursorPaging, Cursor)
register_traversal(HeaderCursorPaging, HeaderCursor)
register_traversal(OffsetPaging, Offset)
register_traversal(PageNumberPaging, PageNumber)
register_traversal(JSONLinkPaging, JSONLink)
register_traversal(HeaderLinkPaging, HeaderLink)


def make_traversal(
    paging: PagingPlan, stop_condition: Condition | None, parent: Any = None
) -> Traversal[Any]:
    """A fresh Traversal for one chain of pages."""
    factory = _TRAVERSALS.get(type(paging))
    if factory is None:
        raise ValueError(f"no traversal is registered for paginator type '{paging.type}'")
    traversal = factory(paging, stop_condition)
    traversal.parent = parent
    return traversal


# --- helpers ----------------------------------------------------------------------------------


def _follow_cursor(
    request: Request, cursor: Any, param: str | None, body_path: str | None, follow_urls: bool
) -> Request | None:
    if not cursor:  # as dlt: any false value (None, "", 0, false) ends the chain
        return None
    if follow_urls and isinstance(cursor, str) and cursor.startswith(("http://", "https://", "/")):
        # some APIs hand back the whole next-page URL as the cursor
        return request.with_url(urljoin(request.url, cursor))
    if body_path:
        return request.with_json_values({body_path: cursor})
    return request.with_params(**{param or "cursor": cursor})


def _has_more(body: Any, path: str) -> bool:
    """The has-more flag, read as dlt reads it: a bool, or a string such as "true"/"false"."""
    value = compile_path(path)(body)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUTHS:
        return _TRUTHS[value.strip().lower()]
    shown = "missing" if value is None else repr(value)
    raise PagingError(f"has_more_path '{path}' is {shown} in the response, not true or false")


_TRUTHS = {word: True for word in ("true", "yes", "y", "t", "1")} | {
    word: False for word in ("false", "no", "n", "f", "0")
}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
