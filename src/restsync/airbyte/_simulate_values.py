"""Record values the simulator serves in the form a manifest's templates read them.

A transformation that parses a record's time with an explicit input format (shopwired's
``format_datetime(record['createdAt'], '%Y-%m-%dT%H:%M:%S', '%a, %d %b %Y %H:%M:%S %z')``)
tells how the API writes that field: the simulator serves it in that format, not its default
ISO text, which both clients would fail to parse. When such a field is copied into the
incremental cursor, the cursor is served there, in that format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restsync.airbyte._records import AddField, RecordPipeline
from restsync.simulator._compile import TIME_FORMAT

__all__ = ["formatted_cursor", "time_formats", "with_time_formats"]

_STEP = r"(?:\[['\"]\w+['\"]\]|\.get\(['\"]\w+['\"]\)|\.\w+(?![\w(]))"
_QUOTED = r"(?P<{0}q>['\"])(?P<{0}>[^'\"]*)(?P={0}q)"
# format_datetime(record[...], '<output format>', '<input format>')
_FORMATTED = re.compile(
    r"format_datetime\(\s*record(?P<steps>"
    + _STEP
    + r"+)\s*,\s*"
    + _QUOTED.format("out")
    + r"\s*,\s*"
    + _QUOTED.format("in")
    + r"\s*\)"
)
_NAME = re.compile(r"\[['\"](\w+)['\"]\]|\.get\(['\"](\w+)['\"]\)|\.(\w+)")


def _templates(pipeline: Any) -> list[tuple[tuple[str, ...] | None, str]]:
    """(the AddFields path it fills, or None for a filter, template) of a record pipeline."""
    if not isinstance(pipeline, RecordPipeline):
        return []
    found: list[tuple[tuple[str, ...] | None, str]] = []
    if isinstance(pipeline.record_filter, str):
        found.append((None, pipeline.record_filter))
    for step in pipeline.transformations:
        if isinstance(step, AddField) and isinstance(step.value, str):
            found.append((tuple(step.path), step.value))
    return found


def _read(found: re.Match[str]) -> tuple[str, str]:
    steps = [next(g for g in m.groups() if g) for m in _NAME.finditer(found.group("steps"))]
    return ".".join(steps), found.group("in")


def time_formats(pipeline: Any) -> dict[str, str]:
    """The record fields (dotted) templates parse with an input format, and that format."""
    formats: dict[str, str] = {}
    for _, template in _templates(pipeline):
        for found in _FORMATTED.finditer(template):
            path, fmt = _read(found)
            if "%" in fmt:
                formats.setdefault(path, fmt)
    return formats


def formatted_cursor(pipeline: Any, cursor_field: str) -> tuple[str, str] | None:
    """(the API's field, its format) when the last AddFields on the cursor field is only
    ``format_datetime`` of a record field with an input format, else None."""
    chosen = None
    for path, template in _templates(pipeline):
        if path != (cursor_field,):
            continue
        body = template.strip().removeprefix("{{").removesuffix("}}").strip()
        found = _FORMATTED.fullmatch(body)
        chosen = _read(found) if found is not None and "%" in found.group("in") else None
    return chosen


def with_time_formats(hints: Mapping[str, Any], pipeline: Any) -> Mapping[str, Any]:
    """Column hints with each field a template parses with an input format served in it."""
    columns = hints.get("columns")
    formats = time_formats(pipeline)
    if not isinstance(columns, Mapping) or not formats:
        return hints
    served = dict(columns)
    for path, fmt in formats.items():
        if path in served:
            served[path] = {**(served[path] or {}), TIME_FORMAT: fmt}
    return {**hints, "columns": served}
