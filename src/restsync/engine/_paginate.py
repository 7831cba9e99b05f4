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

import re
from typing import Any, ClassVar

from restsync._expressions import Condition
from restsync._selectors import compile_path
from restsync.engine._request import Page, Request

__all__ = ["PaginationLoop", "Traversal", "make_traversal", "parse_link_header"]


class PaginationLoop(Exception):
    """The server handed back a page reference it had already given."""


class Traversal:
    registry: ClassVar[dict[str, type[Traversal]]] = {}
    kind: ClassVar[str] = ""
    # the parent record this chain is fetched for (None for a root): strategies that build
    # their requests from it read it here
    parent: Any = None

    def __init__(self, config: Any, stop_condition: Condition | None) -> None:
        self.config = config
        self.stop_condition = stop_condition
        self._seen: set[str] = set()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Traversal.registry[cls.kind] = cls

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
        has_more_path = getattr(self.config, "has_more_path", None)
        if has_more_path and not compile_path(has_more_path)(page.body):
            return True
        return bool(getattr(self.config, "stop_after_empty_page", False) and not page.records)


class SinglePage(Traversal):
    kind = "single_page"


class Cursor(Traversal):
    kind = "cursor"

    def __init__(self, config: Any, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._cursor = compile_path(config.cursor_path)

    def first(self, request: Request) -> Request:
        if self.config.limit is not None:
            return request.with_params(**{self.config.limit_param: self.config.limit})
        return request

    def _advance(self, request: Request, page: Page) -> Request | None:
        cursor = self._cursor(page.body)
        return _follow_cursor(
            request, cursor, self.config.cursor_param, self.config.cursor_body_path
        )


class HeaderCursor(Traversal):
    kind = "header_cursor"

    def _advance(self, request: Request, page: Page) -> Request | None:
        cursor = _header(page.headers, self.config.cursor_key)
        return _follow_cursor(request, cursor, self.config.cursor_param, None)


class _Numbered(Traversal):
    """Offset and page-number paging: request n after the current one is known in advance."""

    _known_total: int | None = None
    _full_pages = 0  # consecutive full pages so far: the evidence for guessing ahead

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

    def _after(self, current: Request, step: int) -> Request | None:
        """The request ``step`` pages after ``current``; ``None`` past the total or maximum."""
        raise NotImplementedError


class Offset(_Numbered):
    kind = "offset"

    def __init__(self, config: Any, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._offset = config.offset
        self._total = compile_path(config.total_path) if config.total_path else None

    def first(self, request: Request) -> Request:
        return self._with_offset(request, self._offset)

    def _with_offset(self, request: Request, offset: int) -> Request:
        c = self.config
        if c.offset_body_path or c.limit_body_path:
            body = dict(request.json or {})
            if c.offset_body_path:
                body[c.offset_body_path] = offset
            if c.limit_body_path:
                body[c.limit_body_path] = c.limit
            request = Request(request.method, request.url, request.params, request.headers, body)
        params = {}
        if not c.offset_body_path:
            params[c.offset_param] = offset
        if not c.limit_body_path:
            params[c.limit_param] = c.limit
        return request.with_params(**params)

    def _advance(self, request: Request, page: Page) -> Request | None:
        c = self.config
        if not page.records:
            return None
        self._offset += c.limit
        self._full_pages = self._full_pages + 1 if len(page.records) >= c.limit else 0
        if self._total is not None:
            total = self._known_total = _as_int(self._total(page.body))
            if total is not None and self._offset >= total:
                return None
        elif len(page.records) < c.limit:
            return None
        if c.maximum_offset is not None and self._offset >= c.maximum_offset:
            return None
        return self._with_offset(request, self._offset)

    def _after(self, current: Request, step: int) -> Request | None:
        c = self.config
        offset = self._offset + step * c.limit
        if self._known_total is not None and offset >= self._known_total:
            return None
        if c.maximum_offset is not None and offset >= c.maximum_offset:
            return None
        return self._with_offset(current, offset)


class PageNumber(_Numbered):
    kind = "page_number"

    def __init__(self, config: Any, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._page = config.page if config.page is not None else config.base_page
        self._total = compile_path(config.total_path) if config.total_path else None

    def first(self, request: Request) -> Request:
        return self._with_page(request, self._page)

    def _with_page(self, request: Request, number: int) -> Request:
        c = self.config
        params: dict[str, Any] = {}
        if c.page_body_path:
            body = dict(request.json or {})
            body[c.page_body_path] = number
            request = Request(request.method, request.url, request.params, request.headers, body)
        else:
            params[c.page_param] = number
        if c.limit is not None:
            params[c.limit_param] = c.limit
        return request.with_params(**params)

    def _advance(self, request: Request, page: Page) -> Request | None:
        c = self.config
        if not page.records:
            return None
        self._page += 1
        full = c.limit is None or len(page.records) >= c.limit
        self._full_pages = self._full_pages + 1 if full else 0
        if self._total is not None:
            total = self._known_total = _as_int(self._total(page.body))
            # total_path counts pages; base_page 0 means pages 0..total-1
            if total is not None and self._page - c.base_page >= total:
                return None
        elif not full:
            return None
        if c.maximum_page is not None and self._page > c.maximum_page:
            return None
        return self._with_page(request, self._page)

    def _after(self, current: Request, step: int) -> Request | None:
        c = self.config
        number = self._page + step
        if self._known_total is not None and number - c.base_page >= self._known_total:
            return None
        if c.maximum_page is not None and number > c.maximum_page:
            return None
        return self._with_page(current, number)


class JSONLink(Traversal):
    kind = "json_link"
    _CANDIDATES = (
        "next",
        "next_url",
        "links.next",
        "_links.next.href",
        "pagination.next",
        "paging.next",
    )

    def __init__(self, config: Any, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        path = getattr(config, "next_url_path", None)
        self._paths = [compile_path(path)] if path else [compile_path(p) for p in self._CANDIDATES]

    def _advance(self, request: Request, page: Page) -> Request | None:
        for path in self._paths:
            url = path(page.body)
            if isinstance(url, str) and url:
                return request.with_url(_absolute(request.url, url))
        return None


class HeaderLink(Traversal):
    kind = "header_link"

    def _advance(self, request: Request, page: Page) -> Request | None:
        rel = getattr(self.config, "links_next_key", "next")
        url = parse_link_header(_header(page.headers, "link") or "").get(rel)
        return request.with_url(_absolute(request.url, url)) if url else None


class Auto(Traversal):
    """Decide on the first page: a Link header, a next-page URL in the body, else a single page."""

    kind = "auto"

    def __init__(self, config: Any, stop_condition: Condition | None) -> None:
        super().__init__(config, stop_condition)
        self._chosen: Traversal | None = None

    def _advance(self, request: Request, page: Page) -> Request | None:
        if self._chosen is None:
            link = parse_link_header(_header(page.headers, "link") or "")
            if "next" in link:
                self._chosen = HeaderLink(_Default(links_next_key="next"), None)
            elif isinstance(page.body, dict) and _looks_like_next_url(page.body):
                self._chosen = JSONLink(_Default(next_url_path=None), None)
            else:
                self._chosen = SinglePage(None, None)
        return self._chosen._advance(request, page)


class _Default:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def make_traversal(
    config: Any, stop_condition: Condition | None, parent: Any = None
) -> Traversal:
    try:
        cls = Traversal.registry[config.type]
    except KeyError:
        raise ValueError(
            f"unknown paginator type '{config.type}'; "
            f"use one of: {', '.join(sorted(Traversal.registry))}"
        ) from None
    traversal = cls(config, stop_condition)
    traversal.parent = parent
    return traversal


# --- helpers ----------------------------------------------------------------------------------


def _follow_cursor(
    request: Request, cursor: Any, param: str | None, body_path: str | None
) -> Request | None:
    if cursor is None or cursor == "" or cursor is False:
        return None
    if isinstance(cursor, str) and (
        cursor.startswith(("http://", "https://")) or cursor.startswith("/")
    ):
        # some APIs hand back the whole next-page URL as the cursor
        return request.with_url(_absolute(request.url, cursor))
    if body_path:
        body = dict(request.json or {})
        body[body_path] = cursor
        return Request(request.method, request.url, request.params, request.headers, body)
    return request.with_params(**{param or "cursor": cursor})


def _absolute(base: str, url: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, url)


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


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    if value is None and hasattr(headers, "items"):
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def _looks_like_next_url(body: dict[str, Any]) -> bool:
    for path in JSONLink._CANDIDATES:
        value = compile_path(path)(body)
        if isinstance(value, str) and value.startswith(("http://", "https://", "/")):
            return True
    return False


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
