"""A next-page link the simulator serves in the shape a manifest's cursor template reads it.

Some cursors are computed from a response field rather than copied from it: shortcut cuts the
token out of a next-page URL with ``response.next | regex_search('next=([0-9a-fA-F~]+)')``;
sparkpost picks the link whose ``rel`` is ``next`` from a list of link objects with
``response.links | selectattr('rel', 'equalto', 'next') | map(attribute='href') | first``.

The rule: when the template reads one response field, the simulator tries the shapes an API
puts a next-page link in (the URL itself at that field, or a list of ``{rel, href}`` objects
there) and the token alphabets such a regex admits (hex digits, decimal digits), serves sample
pages in each, and keeps the first whose rendering of the manifest's own ``cursor_value`` is the
token the page token option sends back (or the whole link, for a ``RequestPath``) on every page
but the last, and whose ``stop_condition`` is false on those pages and true on the last.

A template that reads the raw ``Link`` header (cisco-meraki's ``headers.get('Link',
'').split(',') | ... | selectattr('contains', 'rel=next') | ...``) is tried on the one shape an
API sends there, ``Link: <URL>; rel="next"`` (or ``rel=next``, unquoted, as Meraki sends it),
with the headers as airbyte-cdk passes them (the server's, plus ``link``: requests' parsed
links). When no shape is followed but the ``cursor_value`` fails on a page whose next link the
``stop_condition`` does not stop on (cisco-meraki's ``selectattr('contains', 'rel=next')`` names
a test Jinja does not have; on ``rel="next"`` its stop condition ends every partition after one
page instead), airbyte-cdk cannot page that API: the link is served in that shape anyway, one
record a page, so both clients meet it and the verdict names the failure instead of hiding it
behind partitions that fit on one page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from yarl import URL

from restsync._plan import SinglePaging
from restsync.airbyte._jinja import TemplateError
from restsync.airbyte._requests import (
    CursorStrategy,
    RequestOption,
    StreamRequests,
    link_headers,
    truthy,
)
from restsync.simulator._paging import (
    DEFAULT_PAGE_SIZE,
    LINK_CURSOR_PARAM,
    PAGERS,
    PageRequest,
    PagingError,
    ServedPage,
)

__all__ = ["RenderedLinkPaging", "header_link", "rendered_link"]

_SHAPES = ("url", "links")
# a next link in a Link header: its rel quoted (rel="next", GitHub) or bare (rel=next, Meraki)
_HEADERS = {"header": '<{}>; rel="next"', "header_bare": "<{}>; rel=next"}
_ALPHABETS = ("hex", "decimal")
_FAILED = object()


@dataclass(frozen=True)
class RenderedLinkPaging:
    """A next-page link served at the response field ``field``: the URL itself (``url``) or a
    list holding one ``{"rel": "next", "href": URL}`` object (``links``), empty on the last page;
    or in a ``Link: <URL>; rel="next"`` header (``header``; ``header_bare``: ``rel=next``), left
    out on the last page.
    The URL carries the next position in ``cursor_param`` as a token of ``alphabet``; the client
    sends it back there (a token cut out of the link, or the whole link as the next path)."""

    type: ClassVar[str] = "rendered_link"
    field: str
    shape: str = "url"
    cursor_param: str = LINK_CURSOR_PARAM
    alphabet: str = "hex"
    limit: int | None = None
    limit_param: str = "limit"

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "field": self.field, "shape": self.shape}


def _encode(offset: int, alphabet: str) -> str:
    # a leading 'a' in hex keeps a token from reading as a plain number; decimal is the number
    return f"a{offset:x}" if alphabet == "hex" else str(offset)


def _decode(value: str, alphabet: str, param: str) -> int:
    try:
        return int(value[1:], 16) if alphabet == "hex" and value[:1] == "a" else int(value, 10)
    except ValueError:
        raise PagingError(f"'{param}' is not a cursor this API issued") from None


class RenderedLinkPager:
    def __init__(self, paginator: RenderedLinkPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        raw = request.query.get(p.cursor_param)
        start = _decode(raw, p.alphabet, p.cursor_param) if raw else 0
        size = p.limit or DEFAULT_PAGE_SIZE
        asked = request.query.get(p.limit_param)
        if asked is not None:
            if not asked.isdigit() or int(asked) < 1:
                raise PagingError(f"'{p.limit_param}' must be an integer >= 1, got '{asked}'")
            size = int(asked)
        start = min(start, total)
        stop = min(start + size, total)
        last = stop >= total
        link = None
        if not last:
            query = {k: v for k, v in request.query.items() if k not in request.hidden}
            query[p.cursor_param] = _encode(stop, p.alphabet)
            link = str(request.url.with_query(query))
        if p.shape in _HEADERS:
            headers = {"Link": _HEADERS[p.shape].format(link)} if link is not None else {}
            return ServedPage(start, stop, last, link, headers=headers)
        if p.shape == "links":
            value: Any = [] if link is None else [{"rel": "next", "href": link}]
        else:
            value = link
        return ServedPage(start, stop, last, link, {p.field: value})


# the simulator's registry of pagers by paging class: this kind is served for manifests only
PAGERS[RenderedLinkPaging] = RenderedLinkPager


def _token_param(token: RequestOption) -> tuple[str, bool] | None:
    """The served link's query parameter that carries the page token, and whether the manifest
    sends the whole link back (a path token) rather than that one value; None for a token the
    served link cannot carry (a header, a body field)."""
    if token.inject_into == "path":
        return LINK_CURSOR_PARAM, True
    if token.inject_into == "request_parameter" and token.field_name:
        return token.field_name, False
    return None


def rendered_link(
    strategy: CursorStrategy, requests: StreamRequests, fields: list[str]
) -> RenderedLinkPaging | None:
    """The served link whose sample pages the manifest's own templates follow (see the module
    docstring), or None. ``fields`` are the response fields the cursor template reads."""
    token = requests.page_token_option
    # one field: a top-level name, or one key with dots in it (``[@odata.nextLink]``)
    if token is None or len(set(fields)) != 1 or ("." in fields[0] and not _literal(fields[0])):
        return None
    carried = _token_param(token)
    if carried is None:
        return None
    param, whole = carried
    size = requests.page_size_option
    limit_param = size.field_name if size is not None and size.field_name else "limit"
    for shape in _SHAPES:
        for alphabet in _ALPHABETS:
            paging = RenderedLinkPaging(
                field=fields[0],
                shape=shape,
                cursor_param=param,
                alphabet=alphabet,
                limit=strategy.page_size if size is not None else None,
                limit_param=limit_param,
            )
            if _followed(strategy, requests, paging, whole=whole):
                return paging
    return None


def header_link(
    strategy: CursorStrategy, requests: StreamRequests
) -> RenderedLinkPaging | SinglePaging | None:
    """The ``Link`` header served for a cursor template that reads the raw header text, one
    page when the stop condition ends every partition after its first (see the module
    docstring), or None when the manifest's templates neither follow it nor stop or fail on
    it."""
    token = requests.page_token_option
    if token is None or not _READS_HEADERS.search(strategy.cursor_value):
        return None
    carried = _token_param(token)
    if carried is None:
        return None
    param, whole = carried
    size = requests.page_size_option
    tried = [
        RenderedLinkPaging(
            field="Link",
            shape=shape,
            cursor_param=param,
            limit=strategy.page_size if size is not None else None,
            limit_param=size.field_name if size is not None and size.field_name else "limit",
        )
        for shape in _HEADERS
    ]
    for paging in tried:
        if _followed(strategy, requests, paging, whole=whole):
            return paging
    if all(_next_token(strategy, requests, {}, _first(paging).headers) is None for paging in tried):
        # cisco-meraki: no client ever asks for a second page, whatever the API sends
        return SinglePaging()
    for paging in tried:
        if _fails_on_next_link(strategy, requests, paging):
            # airbyte-cdk fails on this next link: served on every page but a partition's last
            return replace(paging, limit=1, limit_param=_NO_LIMIT_PARAM)
    return None


# a query parameter no manifest sends: the page size stays the simulator's own
_NO_LIMIT_PARAM = "restsync-simulator-page-size"
_READS_HEADERS = re.compile(r"\bheaders\b")


def _fails_on_next_link(
    strategy: CursorStrategy, requests: StreamRequests, paging: RenderedLinkPaging
) -> bool:
    """Whether the templates fail on a first page that has a next link: the stop condition
    does not stop there and the cursor value fails to render."""
    return _next_token(strategy, requests, {}, _first(paging).headers) is _FAILED


def _first(paging: RenderedLinkPaging) -> ServedPage:
    """The first of three sample pages served with ``paging``: it has a next link."""
    sample = PageRequest(url=URL("http://simulator.invalid/sample"), query={})
    return RenderedLinkPager(paging).page(sample, 3 * (paging.limit or DEFAULT_PAGE_SIZE))


def _followed(
    strategy: CursorStrategy, requests: StreamRequests, paging: RenderedLinkPaging, *, whole: bool
) -> bool:
    """Whether the manifest's templates, rendered on three served pages, lead from each to the
    next and stop on the last."""
    pager = RenderedLinkPager(paging)
    size = paging.limit or DEFAULT_PAGE_SIZE
    url = URL("http://simulator.invalid/sample")
    query: dict[str, str] = {}
    for number in range(3):
        served = pager.page(PageRequest(url=url, query=query), 3 * size)
        body = _body(served.fields)
        want = None
        if served.next is not None:
            want = served.next if whole else URL(served.next).query[paging.cursor_param]
        if _next_token(strategy, requests, body, served.headers) != want:
            return False
        if want is None:
            return number == 2
        query = dict(URL(served.next).query)
    return False


def _literal(field: str) -> bool:
    return field.startswith("[") and field.endswith("]") and "]" not in field[1:-1]


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A sample page's body as the simulator serves it: a literal key (``[@odata.nextLink]``)
    is one key, left out when null (the simulator's placement)."""
    body: dict[str, Any] = {}
    for path, value in fields.items():
        if not _literal(path):
            body[path] = value
        elif value is not None:
            body[path[1:-1]] = value
    return body


def _next_token(
    strategy: CursorStrategy,
    requests: StreamRequests,
    body: Any,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """The token the clients take from this page (None: they stop), as airbyte-cdk's
    CursorPaginationStrategy takes it; ``_FAILED`` when a template fails on it."""
    ai = requests.interpolator
    scope = {
        "response": body,
        "headers": link_headers(headers or {}),
        "last_record": None,
        "last_page_size": 1,
    }
    try:
        if strategy.stop_condition:
            stop = ai.eval(strategy.stop_condition, **scope)
            if truthy(stop):
                return None
        value = ai.string(strategy.cursor_value, **scope)
    except (TemplateError, TypeError, ValueError, KeyError):
        return _FAILED
    return str(value) if value not in (None, "") else None
