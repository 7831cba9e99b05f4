"""The fields that make a plan's ``stop_condition`` true on the last page, and only there.

``StopRule`` adds the fields a ``stop_condition`` tests (``done``, ``has_more``, ...), found by
evaluating the plan's own condition on sample pages, so served pages and condition always agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from restsync._expressions import Condition
from restsync.simulator._options import SimulatorError
from restsync.simulator._paging import Pager, PageRequest, ServedPage
from restsync.simulator._placement import Placement

__all__ = ["StopRule", "condition_fields", "derive_stop_rule"]


_NEXT = object()  # stands for "the next cursor or link" in a stop field's value
_CANDIDATE_VALUES: tuple[tuple[Any, Any], ...] = (
    (True, False),
    (False, True),
    (None, _NEXT),
    (0, 1),
    (1, 0),
)
_RESERVED = {
    "response",
    "headers",
    "records",
    "get",
    "is",
    "not",
    "and",
    "or",
    "in",
    "none",
    "None",
    "true",
    "false",
    "True",
    "False",
    "defined",
    "undefined",
    "length",
    "if",
    "else",
}
_FIELD_IN_CALL = re.compile(r"""(?:\.get\(|\[)\s*['"]([^'"]+)['"]""")
_NAME = re.compile(r"""(?<!['"\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*""")
_STRINGS = re.compile(r"""'[^']*'|"[^"]*\"""")


@dataclass(frozen=True)
class StopRule:
    """Fields set so that ``stop_condition`` holds on the last page and only there."""

    flags: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # path -> (last, other)

    def fields(self, page: ServedPage) -> dict[str, Any]:
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
        return (
            _holds(condition, placement, last, rule) is True
            and _holds(condition, placement, more, rule) is False
        )

    if agrees(StopRule()):
        return StopRule()
    for name in condition_fields(condition.source):
        for pair in _CANDIDATE_VALUES:
            rule = StopRule({name: pair})
            if agrees(rule):
                return rule
    raise SimulatorError(
        f"resource '{resource}': cannot serve pages on which stop_condition "
        f"'{condition.source}' is true on the last page only; the simulator serves conditions "
        "that test one response field (e.g. 'done', 'response.next is none', 'not has_more')"
    )


def _holds(
    condition: Condition, placement: Placement, page: ServedPage, rule: StopRule
) -> bool | None:
    records = [{"id": 1}]
    body = placement.body(records, {**page.fields, **rule.fields(page)})
    try:
        return condition(response=body, headers=dict(page.headers), records=records)
    except Exception:  # a candidate that makes the expression fail is just not the answer
        return None


def condition_fields(source: str) -> list[str]:
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
