"""Deterministic records: every value is a function of (seed, resource, record index).

A resource's *shape* lists its fields with dlt column hints (``data_type``, ``nullable``); values
are chosen by type and, where the type says little, by name (``createdAt`` is a timestamp,
``isActive`` a bool, ``tags`` a list of strings, ``metadata`` a nested dict, ...). Key fields (the
primary key and the fields children bind to) are unique by construction, derived from the index.
The incremental cursor strictly increases with the index, so ``add_records`` always makes records
newer than every existing one.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "CURSOR_EPOCH",
    "DEFAULT_FIELDS",
    "DEFAULT_TIME_FORMAT",
    "CursorSpec",
    "FieldSpec",
    "Shape",
    "break_record",
    "dig",
    "make_record",
    "set_path",
]

DEFAULT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# records' own timestamps (not the cursor) fall in the year before the cursor epoch
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
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

_WORDS = (
    "amber", "birch", "cobalt", "delta", "ember", "fjord", "granite", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "maple", "nimbus", "onyx", "prairie", "quartz", "raven", "sierra", "tundra",
)
_CHOICES = {
    "type": ("standard", "premium", "custom", "system"),
    "status": ("active", "pending", "archived", "failed"),
    "kind": ("primary", "secondary", "auxiliary"),
    "region": ("us-east-1", "eu-west-1", "ap-south-1"),
    "state": ("open", "closed", "in_progress"),
    "color": ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"),
    "icon": ("cpu", "thermometer", "bolt", "cloud"),
    "role": ("admin", "member", "viewer"),
    "currency": ("USD", "EUR", "JPY"),
    "country": ("US", "DE", "JP", "BR"),
    "language": ("en", "de", "ja", "pt"),
}
_BOOL_NAMES = {
    "active", "disabled", "enabled", "archived", "deprecated", "deleted", "verified", "done",
    "visible", "editable", "public", "private", "locked", "paused",
}
_OBJECT_NAMES = {
    "metadata", "properties", "config", "settings", "context", "attributes", "details", "extra",
    "options", "payload", "meta",
}
_LIST_NAMES = {"tags", "labels", "flags", "types", "scopes", "keywords", "categories", "dates"}
_COUNT_NAMES = {
    "count", "number", "total", "order", "version", "size", "height", "width", "limit",
    "quantity", "priority", "rank", "retry", "retries", "timeout", "port", "level", "score", "age",
}
_FLOAT_NAMES = {
    "price", "amount", "rate", "ratio", "latitude", "longitude", "lat", "lng", "value", "percent",
}
_ID_WORDS = {"id", "uuid", "uid", "key", "ref"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # may be dotted: a field inside a nested object
    data_type: str | None = None
    nullable: bool = False


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


def make_record(
    seed: int, shape: Shape, index: int, inherited: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Record ``index`` of ``shape``; ``inherited`` values (a child's parent id) are copied."""
    rng = random.Random(f"{seed}:{shape.resource}:{index}")
    record: dict[str, Any] = {}
    key_types = {f.name: f.data_type for f in shape.fields if f.name in shape.keys}
    for spec in shape.fields:
        if spec.name in shape.keys:
            value = _key_value(spec.name, key_types.get(spec.name), shape.resource, index, rng)
        elif shape.cursor is not None and spec.name == shape.cursor.path:
            value = shape.cursor.value(index)
        elif inherited and spec.name in inherited:
            value = inherited[spec.name]
        elif spec.nullable and rng.random() < 0.1:
            value = None
        else:
            value = _value(spec, index, rng)
        set_path(record, spec.name, value)
    return record


def break_record(record: Mapping[str, Any], field: str) -> dict[str, Any]:
    """A copy of ``record`` without ``field`` (a top-level field): the key is gone, not null."""
    broken = _deep_copy(record)
    broken.pop(field, None)
    return broken


# --- values -----------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    return [w for w in _CAMEL.sub("_", name.rsplit(".", 1)[-1]).lower().split("_") if w]


def _kind_by_name(name: str) -> str:
    words = _words(name) or [name.lower()]
    last, first, snake = words[-1], words[0], "_".join(words)
    if first in ("is", "has", "can", "should", "allow") or snake in _BOOL_NAMES:
        return "bool"
    if (
        last in ("at", "on", "time", "timestamp")
        or first in ("created", "updated", "modified", "deleted")
        or snake in ("last_activity", "last_seen", "last_login", "timestamp")
    ):
        return "timestamp"
    if last == "date":
        return "date"
    if last in _LIST_NAMES:
        return "list"
    if last in _OBJECT_NAMES:
        return "object"
    if last in ("url", "uri", "href", "link", "website", "homepage"):
        return "url"
    if "email" in words:
        return "email"
    if last in _COUNT_NAMES or first == "num":
        return "count"
    if last in _FLOAT_NAMES:
        return "float"
    if last in _ID_WORDS:
        return "ref"
    if last in _CHOICES:
        return "choice"
    if last in ("description", "summary", "note", "comment", "message", "text"):
        return "sentence"
    return "text"


def _value(spec: FieldSpec, index: int, rng: random.Random) -> Any:
    by_name = _kind_by_name(spec.name)
    data_type = spec.data_type
    if data_type in ("bigint", "wei"):
        kind = "ref_int" if by_name == "ref" else "count"
    elif data_type in ("double", "decimal"):
        kind = "float"
    elif data_type == "bool":
        kind = "bool"
    elif data_type == "timestamp":
        kind = "timestamp"
    elif data_type == "date":
        kind = "date"
    elif data_type == "time":
        kind = "time"
    elif data_type == "json":
        kind = "list" if by_name == "list" else "object"
    elif data_type == "text":
        kind = by_name if by_name in ("timestamp", "date", "url", "email", "ref", "choice",
                                      "sentence", "text") else "text"
    elif data_type == "binary":
        kind = "hex"
    else:
        kind = by_name
    return _GENERATORS[kind](spec.name, index, rng)


def _timestamp(name: str, index: int, rng: random.Random) -> str:
    moment = _EPOCH + timedelta(hours=index, seconds=rng.randint(0, 86_400))
    if {"updated", "modified", "last"} & set(_words(name)):
        moment += timedelta(days=rng.randint(1, 30))  # updated after created
    return moment.strftime(DEFAULT_TIME_FORMAT)


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


def _choice(name: str, index: int, rng: random.Random) -> str:
    return rng.choice(_CHOICES.get(_words(name)[-1], ("alpha", "beta", "gamma")))


_GENERATORS: dict[str, Any] = {
    "bool": lambda name, index, rng: rng.random() < 0.7,
    "timestamp": _timestamp,
    "date": lambda name, index, rng: (
        (_EPOCH + timedelta(days=rng.randint(0, 364))).date().isoformat()
    ),
    "time": lambda name, index, rng: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00",
    "list": lambda name, index, rng: sorted({_word(rng) for _ in range(rng.randint(1, 3))}),
    "object": lambda name, index, rng: {
        "source": _word(rng),
        "priority": rng.randint(1, 5),
        "nested": {"enabled": rng.random() < 0.5, "label": _word(rng)},
    },
    "url": lambda name, index, rng: f"https://example.com/{_word(rng)}/{index + 1}",
    "email": lambda name, index, rng: f"{_word(rng)}.{index + 1}@example.com",
    "count": lambda name, index, rng: rng.randint(0, 500),
    "float": lambda name, index, rng: round(rng.uniform(0, 1000), 2),
    "ref": lambda name, index, rng: f"{_words(name)[0][:3]}_{rng.randint(1, 10_000):05d}",
    "ref_int": lambda name, index, rng: rng.randint(1, 10_000),
    "choice": _choice,
    "sentence": lambda name, index, rng: (
        f"The {_word(rng)} {_word(rng)} for item {index + 1}."
    ),
    "text": lambda name, index, rng: f"{_word(rng).title()} {_word(rng).title()} {index + 1}",
    "hex": lambda name, index, rng: f"{rng.getrandbits(64):016x}",
}


def _key_value(
    name: str, data_type: str | None, resource: str, index: int, rng: random.Random
) -> Any:
    """Unique per resource: built from the index, never drawn at random alone."""
    words = _words(name)
    if data_type in ("bigint", "double", "decimal", "wei") or (data_type is None and name == "id"):
        return index + 1
    if "uuid" in words or "guid" in words:
        # random high bits for realism, the index in the low 32 bits for uniqueness
        return str(uuid.UUID(int=(rng.getrandbits(96) << 32) | index, version=4))
    prefix = resource[:3] if name == "id" else (words[0][:3] if words else "key")
    return f"{prefix}_{index + 1:06d}"


# --- nested access ----------------------------------------------------------------------------


def dig(record: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(record, Mapping):
            return None
        record = record.get(part)
    return record


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[leaf] = value


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
