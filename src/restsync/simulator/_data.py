"""Deterministic records: every value is a function of (seed, resource, record index).

A resource's *shape* lists its fields with dlt column hints (``data_type``, ``nullable``); the
values themselves come from ``_values``. Key fields (the primary key and the fields children bind
to) are unique by construction, derived from the index. The incremental cursor strictly increases
with the index, so ``add_records`` always makes records newer than every existing one.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from restsync._selectors import field_value, set_field
from restsync.simulator._values import Value, key_maker, value_maker

__all__ = [
    "CURSOR_EPOCH",
    "DEFAULT_FIELDS",
    "DEFAULT_TIME_FORMAT",
    "CursorSpec",
    "FieldSpec",
    "RecordMaker",
    "Shape",
    "break_record",
]

DEFAULT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CURSOR_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

# the fields served when neither ``fields`` nor column hints describe a resource
DEFAULT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "text"),
    ("created_at", "timestamp"),
    ("updated_at", "timestamp"),
    ("active", "bool"),
    ("tags", "json"),
    ("metadata", "json"),
)


@dataclass(frozen=True)
class FieldSpec:
    name: str  # may be dotted: a field inside a nested object
    data_type: str | None = None
    nullable: bool = False
    # (prefix, field): served as the prefix and that field's value, e.g. a URI ending in the
    # record's id, for a key a manifest's AddFields cuts out of it (calendly)
    suffix_of: tuple[str, str] | None = None
    # a text key served with '-' for '_' (``sch-000001``): the end of a URI a regex cuts out
    slug: bool = False
    # a time served in this strptime format, the one a manifest's template reads it in
    time_format: str | None = None


@dataclass(frozen=True)
class CursorSpec:
    """The incremental cursor: ``start`` plus one step per record index."""

    path: str
    start: datetime | float
    time_format: str = DEFAULT_TIME_FORMAT
    step: timedelta = timedelta(hours=1)

    @property
    def numeric(self) -> bool:
        return not isinstance(self.start, datetime)

    def value(self, index: int) -> Any:
        if isinstance(self.start, datetime):
            return (self.start + self.step * (index + 1)).strftime(self.time_format)
        step = self.start + index + 1
        return int(step) if float(step).is_integer() else step

    def sort_key(self, index: int) -> float:
        if isinstance(self.start, datetime):
            return (self.start + self.step * (index + 1)).timestamp()
        return float(self.start) + index + 1


@dataclass(frozen=True)
class Shape:
    resource: str
    fields: tuple[FieldSpec, ...]
    keys: tuple[str, ...]  # unique per resource: primary key and fields that children bind to
    cursor: CursorSpec | None = None


# (field name, value, takes a parent value named like it, nullable, dotted name)
_Step = tuple[str, Value, bool, bool, bool]


class RecordMaker:
    """Makes the records of one shape: ``maker(index, inherited)`` is record ``index``, the same
    for every maker of the same (seed, shape); ``inherited`` values (a child's parent id) are
    copied into the fields named like them.

    Every per-field decision (key, cursor, type, kind by name, which values to choose from) is
    taken once here, so a record costs only its seeding and its draws: a million records take
    seconds, not minutes. Each record draws from its own generator, seeded by
    ``"{seed}:{resource}:{index}"``, in field order: any record can be made alone.
    """

    def __init__(self, seed: int, shape: Shape) -> None:
        self._prefix = f"{seed}:{shape.resource}:"
        # one generator, reseeded per record: cheaper than a new one per record, same draws
        self._rng = rng = random.Random()
        key_types = {f.name: f.data_type for f in shape.fields if f.name in shape.keys}
        steps: list[_Step] = []
        for spec in shape.fields:
            value: Value
            if spec.name in shape.keys:
                value = key_maker(spec.name, key_types.get(spec.name), shape.resource, rng)
                steps.append(_step(spec.name, _slug(value) if spec.slug else value))
            elif shape.cursor is not None and spec.name == shape.cursor.path:
                steps.append(_step(spec.name, shape.cursor.value))
            else:
                kind = "timestamp" if spec.time_format else spec.data_type
                value = value_maker(spec.name, kind, rng)
                if spec.time_format:
                    value = _in_format(value, spec.time_format)
                steps.append(_step(spec.name, value, inheritable=True, nullable=spec.nullable))
        self._steps = tuple(steps)
        self._derived = tuple((f.name, *f.suffix_of) for f in shape.fields if f.suffix_of)

    def __call__(self, index: int, inherited: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self._rng.seed(f"{self._prefix}{index}")
        random_ = self._rng.random
        record: dict[str, Any] = {}
        for name, make, inheritable, nullable, nested in self._steps:
            if inheritable and inherited and name in inherited:
                value = inherited[name]
            elif nullable and random_() < 0.1:
                value = None
            else:
                value = make(index)
            if nested:
                _place(record, name, value)
            else:
                record[name] = value
        for name, prefix, source in self._derived:
            set_field(record, name, f"{prefix}{field_value(record, source)}")
        return record


def _step(name: str, make: Value, *, inheritable: bool = False, nullable: bool = False) -> _Step:
    return name, make, inheritable, nullable, "." in name or name.endswith(LIST_STEP)


# a name's step that ends in this is a list of one item (``items[].name``: a list of objects with
# a ``name``, as a template's ``record['items'][0]['name']`` reads it; ``tags[]``: one value)
LIST_STEP = "[]"


def _place(record: dict[str, Any], name: str, value: Any) -> None:
    """Set ``value`` at a dotted name, whose ``[]`` steps are lists of one item."""
    if LIST_STEP not in name:
        set_field(record, name, value)
        return
    target: Any = record
    *parents, leaf = name.split(".")
    for part in parents:
        key, listed = _list_step(part)
        child = target.get(key)
        if listed:
            if not (isinstance(child, list) and child and isinstance(child[0], dict)):
                child = target[key] = [{}]
            child = child[0]
        elif not isinstance(child, dict):
            child = target[key] = {}
        target = child
    key, listed = _list_step(leaf)
    target[key] = [value] if listed else value


def _list_step(part: str) -> tuple[str, bool]:
    listed = part.endswith(LIST_STEP)
    return (part[: -len(LIST_STEP)] if listed else part), listed


def _in_format(make: Value, time_format: str) -> Value:
    def formatted(index: int) -> Any:
        made = datetime.strptime(make(index), DEFAULT_TIME_FORMAT).replace(tzinfo=UTC)
        return made.strftime(time_format)

    return formatted


def _slug(make: Value) -> Value:
    def slugged(index: int) -> Any:
        value = make(index)
        return value.replace("_", "-") if isinstance(value, str) else value

    return slugged


def break_record(record: Mapping[str, Any], field: str) -> dict[str, Any]:
    """A copy of ``record`` without ``field`` (a top-level field): the key is gone, not null."""
    broken: dict[str, Any] = _deep_copy(record)
    broken.pop(field, None)
    return broken


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
