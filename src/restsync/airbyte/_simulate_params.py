"""A body cursor sent back by a request parameter's own template, with no page token option.

track-pms's reservations: the cursor is ``{{ response.scroll }}`` and the manifest has no
``page_token_option``; the request parameter ``scroll: "{{ next_page_token['next_page_token']
if next_page_token else '1' }}"`` sends it back, and the first request sends ``scroll=1`` (the
API's "start a scroll"). The rule: a parameter whose template renders a marker token as its
whole value carries the cursor; what it renders without a token is the first page's value,
which the API reads as the start. Served as an opaque token at the cursor's field, absent on
the last page (the clients stop on an empty cursor).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from restsync.airbyte._jinja import Slice, TemplateError
from restsync.airbyte._requests import StreamRequests
from restsync.simulator._paging import (
    DEFAULT_PAGE_SIZE,
    PAGERS,
    PageRequest,
    ServedPage,
    decode_offset,
    encode_offset,
    field_path,
)

__all__ = ["ParamCursorPaging", "param_cursor"]

_MARK = "restsync-simulator-param-cursor"


@dataclass(frozen=True)
class ParamCursorPaging:
    """A cursor served at the body field ``cursor_path`` (dotted), asked back for in the query
    parameter ``param``; ``first`` is the value a first request sends there."""

    type: ClassVar[str] = "param_cursor"
    param: str
    cursor_path: str
    first: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "param": self.param, "cursor_path": self.cursor_path}


class ParamCursorPager:
    def __init__(self, paginator: ParamCursorPaging) -> None:
        self.p = paginator

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        raw = request.query.get(p.param)
        start = 0 if raw in (None, "", p.first) else decode_offset(raw, p.param)
        start = min(start, total)
        stop = min(start + DEFAULT_PAGE_SIZE, total)
        last = stop >= total
        value = None if last else encode_offset(stop)
        return ServedPage(start, stop, last, value, {field_path(p.cursor_path): value})


# the simulator's registry of pagers by paging class: this kind is served for manifests only
PAGERS[ParamCursorPaging] = ParamCursorPager


def param_cursor(requests: StreamRequests, field: str | None) -> ParamCursorPaging | None:
    """The parameter that sends the body cursor at ``field`` back (see the module docstring),
    or None."""
    if not field or requests.page_token_option is not None:
        return None
    if not isinstance(requests.params, Mapping):
        return None
    ai = requests.interpolator
    for name, template in requests.params.items():
        if not isinstance(template, str) or "next_page_token" not in template:
            continue
        try:
            sent = ai.text(
                template, stream_slice=Slice(), next_page_token={"next_page_token": _MARK}
            )
            first = ai.text(template, stream_slice=Slice(), next_page_token=None)
        except TemplateError:
            continue
        if sent == _MARK and first != _MARK:
            return ParamCursorPaging(param=str(name), cursor_path=field, first=first or None)
    return None
