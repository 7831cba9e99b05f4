"""A next path computed from a number the response carries: the simulator serves the position
in the path, and the response's field echoes it.

xkcd asks ``2960/info.0.json`` (from its config) and follows ``{{ response["num"]+1 or 0
}}/info.0.json`` as the next path (a ``RequestPath`` token) until a response has no ``num``.

The rule: a ``RequestPath`` cursor that reads one response field and, rendered for two numbers
there, gives two paths that differ only in one number moving with it (``n + shift``) is a path
position. The simulator serves one record per position (its field set to the number that
leads to the next position), starting at the number the first request's path carries, and an
object without the field past the last record, which both clients stop on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from restsync.airbyte._jinja import TemplateError
from restsync.airbyte._requests import CursorStrategy, StreamRequests, truthy
from restsync.simulator._paging import PAGERS, PageRequest, PagingError, ServedPage

__all__ = ["PathPositionPaging", "path_position"]

_SAMPLES = (7, 41)


@dataclass(frozen=True)
class PathPositionPaging:
    """Record ``n - first`` served at the path ``prefix + n + suffix``, with ``field`` set to
    ``n + 1 - shift`` (the manifest's next path is that value plus ``shift``)."""

    type: ClassVar[str] = "path_position"
    prefix: str
    suffix: str
    field: str
    first: int
    shift: int = 1

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "path": f"{self.prefix}{{n}}{self.suffix}", "field": self.field}


class PathPositionPager:
    def __init__(self, paginator: PathPositionPaging) -> None:
        self.p = paginator
        self.number = re.compile(r"(\d+)" + re.escape(paginator.suffix) + "/?$")

    def page(self, request: PageRequest, total: int) -> ServedPage:
        p = self.p
        found = self.number.search(request.url.path)
        position = int(found.group(1)) if found else p.first
        index = position - p.first
        if index < 0:
            raise PagingError(f"the path's number must be at least {p.first}, got {position}")
        if index >= total:
            return ServedPage(total, total, True, None, {p.field: None})
        return ServedPage(index, index + 1, False, position + 1, {p.field: position + 1 - p.shift})


# the simulator's registry of pagers by paging class: this kind is served for manifests only
PAGERS[PathPositionPaging] = PathPositionPager


def path_position(
    strategy: CursorStrategy, requests: StreamRequests, fields: list[str], first_path: str
) -> PathPositionPaging | None:
    """The path position the manifest's cursor follows (see the module docstring), or None.
    ``fields`` are the response fields the cursor reads; ``first_path`` the first request's."""
    token = requests.page_token_option
    if token is None or token.inject_into != "path" or len(set(fields)) != 1:
        return None
    field = fields[0]
    rendered = []
    for number in _SAMPLES:
        response: dict[str, Any] = {}
        node = response
        *parents, leaf = field.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = number
        try:
            rendered.append(
                str(
                    requests.interpolator.string(
                        strategy.cursor_value, response=response, headers={}, last_record=None
                    )
                )
            )
        except (TemplateError, TypeError, ValueError):
            return None
    runs = [list(re.finditer(r"\d+", text)) for text in rendered]
    if len(runs[0]) != len(runs[1]):
        return None
    for low, high in zip(*runs, strict=True):
        shift = int(low.group()) - _SAMPLES[0]
        if int(high.group()) - _SAMPLES[1] != shift:
            continue
        prefix, suffix = rendered[0][: low.start()], rendered[0][low.end() :]
        if (prefix, suffix) != (rendered[1][: high.start()], rendered[1][high.end() :]):
            return None
        start = re.fullmatch(
            r"/*" + re.escape(prefix.lstrip("/")) + r"(\d+)" + re.escape(suffix), first_path
        )
        if start is None or not _stops_past_the_last(strategy, requests, field):
            return None
        return PathPositionPaging(prefix, suffix, field, int(start.group(1)), shift)
    return None


def _stops_past_the_last(strategy: CursorStrategy, requests: StreamRequests, field: str) -> bool:
    """Whether the stop_condition is false on a served record and true on the object without
    the field that follows the last one (no stop_condition: the clients stop on no records)."""
    if not strategy.stop_condition:
        return True
    outcomes = []
    for body in ({field: _SAMPLES[0]} if "." not in field else None, {}):
        if body is None:
            return False
        try:
            value = requests.interpolator.eval(
                strategy.stop_condition, response=body, headers={}, last_record=None
            )
        except TemplateError:
            return False
        outcomes.append(truthy(value))
    return outcomes == [False, True]
