"""Per-page record work: processing steps, parent fields, key and schema checks, cursor parsing.

Only what a resource's config asks for is done, so a plain resource pays for one list pass.
Records that cannot be loaded as declared are returned as rejects (with the reason), never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from restsync._errors import ExtractionError, PrimaryKeyError
from restsync._plan import ResourcePlan, parse_datetime_value
from restsync._selectors import field_value

__all__ = ["RecordProcessor", "Reject", "parent_columns"]


@dataclass(frozen=True)
class Reject:
    resource: str
    reason: str
    record: Any

    def row(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "reason": self.reason,
            "record": orjson.dumps(self.record, default=str).decode(),
            "rejected_at": datetime.now(UTC),
        }


def parent_columns(resource: ResourcePlan) -> dict[str, str]:
    """Parent field -> child column, dlt's ``_<parent>_<field>`` naming."""
    if resource.parent is None:
        return {}
    parent = resource.parent.resource
    return {field: f"_{parent}_{field.replace('.', '_')}" for field in resource.parent.include}


class RecordProcessor:
    def __init__(self, resource: ResourcePlan) -> None:
        self.resource = resource
        self._steps = list(resource.processing_steps)
        self._parent_columns = parent_columns(resource)
        # a field the config names must exist (dlt fails too); implied parents (the seeds')
        # carry only the key they bind, which the scheduler already checked
        self._strict_parent = resource.parent is not None and not resource.parent.implied
        self._key = resource.primary_key
        self._required = resource.required_columns()
        inc = resource.incremental
        self._cursor = inc.cursor_path if inc is not None and inc.parse_datetimes else None
        self._cursor_format = inc.datetime_format if inc is not None else None
        self._seen_keyed_record = False
        # only the key to check: a page whose records all carry it is kept as it is, in one
        # plain loop (the per-record checks below took ~0.3 s of the engine's GIL time per
        # million records; this ~0.07 s, docs/benchmarks.md "Session 10: fast")
        self._keys_only = bool(self._key) and not self._required and self._cursor is None

    def process(
        self, records: list[Any], parent_record: Mapping[str, Any] | None
    ) -> tuple[list[Any], list[Reject]]:
        # parent fields first, as in dlt: a processing step may read them
        if parent_record is not None and self._parent_columns:
            records = [self._with_parent(r, parent_record) for r in records]
        for step in self._steps:
            records = _apply_step(step, records)
        if not (self._key or self._required or self._cursor):
            return records, []
        self._check_key_exists(records)
        if self._keys_only and _all_keyed(records, self._key):
            return records, []
        good: list[Any] = []
        rejects: list[Reject] = []
        for record in records:
            reason = self._problem(record)
            if reason is None:
                good.append(record)
            else:
                rejects.append(Reject(self.resource.name, reason, record))
        return good, rejects

    def _with_parent(self, record: Any, parent: Mapping[str, Any]) -> Any:
        if not isinstance(record, dict):
            record = {"value": record}
        for field, column in self._parent_columns.items():
            value = field_value(parent, field)
            if value is None and self._strict_parent and _absent(parent, field):
                link = self.resource.parent
                assert link is not None
                raise ExtractionError(
                    self.resource.name,
                    f"include_from_parent names '{field}', which a record of parent "
                    f"'{link.resource}' does not have (fields present: "
                    f"{', '.join(sorted(parent)[:12]) or 'none'}); remove it or fix the name",
                )
            record[column] = value
        return record

    def _check_key_exists(self, records: list[Any]) -> None:
        """A key that no record of the first page carries is a config mistake: fail the resource."""
        if self._seen_keyed_record or not self._key or not records:
            return
        for record in records:
            if isinstance(record, dict) and all(record.get(k) is not None for k in self._key):
                self._seen_keyed_record = True
                return
        sample = next((r for r in records if isinstance(r, dict)), {})
        present = ", ".join(sorted(sample)[:12]) or "none"
        key = ", ".join(self._key)
        raise PrimaryKeyError(
            self.resource.name,
            f"the records have no primary key '{key}' (fields present: {present}); "
            f"set primary_key for resource '{self.resource.name}' to a field the API returns",
        )

    def _problem(self, record: Any) -> str | None:
        if not isinstance(record, dict):
            return None if not self._key else "the record is not an object"
        for key in self._key:
            if record.get(key) is None:
                return f"missing primary key '{key}'"
        for column in self._required:
            if record.get(column) is None:
                return f"missing required field '{column}'"
        if self._cursor is not None:
            value = record.get(self._cursor)
            if value is not None and not isinstance(value, datetime):
                try:
                    record[self._cursor] = parse_datetime_value(value, self._cursor_format)
                except (ValueError, TypeError, OverflowError):
                    return f"cursor field '{self._cursor}' value {value!r} is not a datetime"
        return None


def _all_keyed(records: list[Any], key: tuple[str, ...]) -> bool:
    """Whether every record is a plain dict with a value for every key field."""
    if len(key) == 1:
        (field,) = key
        for record in records:
            if record.__class__ is not dict or record.get(field) is None:
                return False
        return True
    for record in records:
        if record.__class__ is not dict:
            return False
        for field in key:
            if record.get(field) is None:
                return False
    return True


def _absent(record: Mapping[str, Any], path: str) -> bool:
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node.get(part) if isinstance(node, Mapping) else None
    return not isinstance(node, Mapping) or last not in node


def _apply_step(step: Mapping[str, Any], records: list[Any]) -> list[Any]:
    ((kind, fn),) = step.items()
    if kind == "filter":
        return [r for r in records if fn(r)]
    if kind == "map":
        return [fn(r) for r in records]
    out: list[Any] = []
    for record in records:
        out.extend(fn(record))
    return out
