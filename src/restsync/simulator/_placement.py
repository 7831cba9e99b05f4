"""Where a page's records go: the body shape ``data_selector`` implies, with the paging fields."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from restsync._selectors import set_field
from restsync.simulator._options import SimulatorError
from restsync.simulator._paging import dotted

__all__ = ["Placement", "selector_text", "with_fields"]

# a selector step: ``[one key]`` (dots, spaces and all) or a dotted path's step
_STEP = re.compile(r"\[([^\[\]]+)\]|([^.\[\]]+)")
_PLAIN = re.compile(r"^(\*|[A-Za-z_][\w-]*)$")


def selector_text(steps: Sequence[str]) -> str:
    """Record path steps as a selector: a step that is not a plain name (chargify's
    ``invoices.json``, defillama's ``Plume Mainnet``) in brackets, one key."""
    return ".".join(step if _PLAIN.match(step) else f"[{step}]" for step in steps)


def _steps(text: str, selector: str | None) -> list[str]:
    steps: list[str] = []
    at = 0
    while at < len(text):
        step = _STEP.match(text, at)
        if step is None or step.end() < len(text) and text[step.end()] != ".":
            raise SimulatorError(
                f"the simulator places records at dotted paths (a step with a '.' or a space "
                f"in brackets: 'a.[b c]'); cannot serve '{selector}'"
            )
        if step.group(1) is None and "*" not in steps and step.group(2) != "*":
            dotted(step.group(2))  # a plain step before any '*' is a name
        steps.append(step.group(1) if step.group(1) is not None else step.group(2))
        at = step.end() + 1
    return steps


class Placement:
    """The body shape ``data_selector`` implies: records at a dotted path, a bare list, or (``$``
    with paging fields to carry) one record object per response. A ``*`` step (an Airbyte
    ``DpathExtractor``'s ``["*", "customer"]``) serves wrappers, each holding one record under
    the steps after it: a list under a path, an object keyed "0", "1", ... at the top. A ``*``
    alone (breezy-hr's pipelines: ``field_path: ["*"]``) serves that object of the records
    themselves: airbyte-cdk decodes a list body item by item, and ``*`` would then pick each
    record's field values, not the records."""

    def __init__(self, selector: str | None, *, needs_fields: bool) -> None:
        text = (selector or "data").strip().removeprefix("$.")
        steps = [] if text in ("", "$", "[]") else _steps(text, selector)
        self.wrap: list[str] = []
        self.keyed = False  # records (or their wrappers) as the values of an object
        # the steps between two '*' steps (cal-com's data.eventTypeGroups.*.eventTypes.*):
        # each level a list of groups, each group holding the next level under these steps
        self.groups: list[list[str]] = []
        if "*" in steps:
            at = steps.index("*")
            rest = steps[at + 1 :]
            while "*" in rest:
                self.groups.append(rest[: rest.index("*")])
                rest = rest[rest.index("*") + 1 :]
            self.wrap = rest
            if at == 0 and (needs_fields or self.groups):
                raise SimulatorError(
                    f"the simulator serves '*' steps under a path when the page carries paging "
                    f"fields or the path has two '*' steps; cannot serve '{selector}'"
                )
            steps = steps[:at]
            self.keyed = at == 0
        self.path: list[str] | None = steps or None
        self.one_object = self.path is None and needs_fields

    def body(self, records: Sequence[Any], fields: Mapping[str, Any]) -> Any:
        """``records`` are JSON values (dicts, or their JSON as orjson fragments); a one-object
        body merges ``fields`` into the first, which must then be a dict."""
        if self.wrap:
            records = [_wrapped(self.wrap, record) for record in records]
        if self.wrap or self.groups:
            records = _grouped(self.groups, list(records))
        if self.keyed:
            # an object, not a list: airbyte-cdk reads a list body item by item and a top
            # '*' step would then look inside each item (a wrapper, or a record's fields)
            return {str(i): record for i, record in enumerate(records)}
        if self.path is None and not self.one_object:
            return list(records)
        if self.one_object:
            return with_fields(records[0] if records else {}, fields)
        body: dict[str, Any] = {}
        _wrapped_into(body, self.path, list(records))  # type: ignore[arg-type]
        for path, value in fields.items():
            _set(body, path, value)
        return body


# records per group at each level of groups: enough for a page to span several groups
_GROUP_SIZE = 3


def _grouped(levels: list[list[str]], items: list[Any]) -> list[Any]:
    """``items`` in groups of ``_GROUP_SIZE``, each group the list under its steps; the last
    level's items are the records themselves."""
    if not levels:
        return items
    steps, inner = levels[0], _grouped(levels[1:], items)
    chunks = [inner[i : i + _GROUP_SIZE] for i in range(0, len(inner), _GROUP_SIZE)]
    return [_wrapped(steps, chunk) for chunk in chunks]


def _wrapped(steps: list[str], record: Any) -> Any:
    for step in reversed(steps):
        record = {step: record}
    return record


def _wrapped_into(body: dict[str, Any], steps: list[str], value: Any) -> None:
    for step in steps[:-1]:
        child = body.get(step)
        if not isinstance(child, dict):
            child = body[step] = {}
        body = child
    body[steps[-1]] = value


def with_fields(record: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record served as the whole body, with the page's fields; null fields are left out."""
    out = dict(record)
    for path, value in fields.items():
        if value is None:
            if "." not in path:
                out.pop(path, None)
        else:
            _set(out, path, value)
    return out


def _set(target: dict[str, Any], path: str, value: Any) -> None:
    """A dotted path nests; ``[key]`` (``literal_key``) is one key, dots and all, and left
    out when null (Microsoft Graph leaves ``@odata.nextLink`` out of a last page)."""
    if path.startswith("[") and path.endswith("]"):
        if value is not None:
            target[path[1:-1]] = value
    else:
        set_field(target, path, value)
