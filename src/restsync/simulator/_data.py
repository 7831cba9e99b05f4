"""Deterministic records: every value is a function of (seed, resource, record index).

A resource's *shape* lists its fields with dlt column hints (``data_type``, ``nullable``); values
are chosen by type and, where the type says little, by name (``createdAt`` is a timestamp,
``isActive`` a bool, ``tags`` a list of strings, ``metadata`` a nested dict, ...). Key fields (the
primary key and the fields children bind to) are unique by construction, derived from the index.
The incremental cursor strictly increases with the index, so ``add_records`` always makes records
newer than every existing one.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "CURSOR_EPOCH",
    "DEFAULT_FIELDS",
    "DEFAULT_TIME_FORMAT",
    "CursorSpec",
    "FieldSpec",
    "RecordMaker",
    "Shape",
    "break_record",
    "dig",
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


_Value = Callable[[int], Any]  # a field's value for a record index, drawn from the maker's rng
# (field name, value, takes a parent value named like it, nullable, dotted name)
_Step = tuple[str, _Value, bool, bool, bool]


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
            value: _Value
            if spec.name in shape.keys:
                value = _key_value(spec.name, key_types.get(spec.name), shape.resource, rng)
                steps.append(_step(spec.name, value))
            elif shape.cursor is not None and spec.name == shape.cursor.path:
                steps.append(_step(spec.name, shape.cursor.value))
            else:
                value = _value(spec, rng)
                steps.append(_step(spec.name, value, inheritable=True, nullable=spec.nullable))
        self._steps = tuple(steps)

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
                set_path(record, name, value)
            else:
                record[name] = value
        return record


def _step(name: str, make: _Value, *, inheritable: bool = False, nullable: bool = False) -> _Step:
    return name, make, inheritable, nullable, "." in name


def break_record(record: Mapping[str, Any], field: str) -> dict[str, Any]:
    """A copy of ``record`` without ``field`` (a top-level field): the key is gone, not null."""
    broken = _deep_copy(record)
    broken.pop(field, None)
    return broken


# --- values -----------------------------------------------------------------------------------
#
# A value is a function of the record index that draws from the maker's generator. Draws are
# made exactly as ``random.Random.choice`` / ``randint`` / ``uniform`` make them (CPython's
# ``_randbelow``: rejection sampling on ``getrandbits``), without their per-call checks and
# method layers, which cost more than the draws themselves. Order of draws is the field order.


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


def _value(spec: FieldSpec, rng: random.Random) -> _Value:
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
    return _GENERATORS[kind](spec.name, rng)


def _below(rng: random.Random, n: int) -> Callable[[], int]:
    """Draws in ``[0, n)``, as ``rng.randrange(n)`` and ``rng.choice`` of ``n`` items draw."""
    bits, k = rng.getrandbits, n.bit_length()

    def draw() -> int:
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    return draw


def _pick(rng: random.Random, choices: Sequence[str]) -> Callable[[], str]:
    draw = _below(rng, len(choices))
    return lambda: choices[draw()]


@functools.lru_cache(maxsize=1024)
def _day(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")


def _timestamp(name: str, rng: random.Random) -> _Value:
    """``_EPOCH`` + ``index`` hours + up to a day, plus 1-30 days for an "updated" field, in
    ``DEFAULT_TIME_FORMAT``; formatted by hand, as ``strftime`` costs more than all the draws."""
    second = _below(rng, 86_401)
    later = _below(rng, 30) if {"updated", "modified", "last"} & set(_words(name)) else None

    def value(index: int) -> str:
        total = index * 3600 + second()
        if later is not None:
            total += (later() + 1) * 86_400
        days, rest = divmod(total, 86_400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"

    return value


def _bool(name: str, rng: random.Random) -> _Value:
    random_ = rng.random
    return lambda index: random_() < 0.7


def _date(name: str, rng: random.Random) -> _Value:
    dates = [(_EPOCH + timedelta(days=d)).date().isoformat() for d in range(365)]
    pick = _pick(rng, dates)
    return lambda index: pick()


def _time(name: str, rng: random.Random) -> _Value:
    hour, minute = _below(rng, 24), _below(rng, 60)
    return lambda index: f"{hour():02d}:{minute():02d}:00"


def _list(name: str, rng: random.Random) -> _Value:
    size, word = _below(rng, 3), _pick(rng, _WORDS)
    return lambda index: sorted({word() for _ in range(size() + 1)})


def _object(name: str, rng: random.Random) -> _Value:
    word, priority, random_ = _pick(rng, _WORDS), _below(rng, 5), rng.random
    return lambda index: {
        "source": word(),
        "priority": priority() + 1,
        "nested": {"enabled": random_() < 0.5, "label": word()},
    }


def _url(name: str, rng: random.Random) -> _Value:
    word = _pick(rng, _WORDS)
    return lambda index: f"https://example.com/{word()}/{index + 1}"


def _email(name: str, rng: random.Random) -> _Value:
    word = _pick(rng, _WORDS)
    return lambda index: f"{word()}.{index + 1}@example.com"


def _count(name: str, rng: random.Random) -> _Value:
    draw = _below(rng, 501)
    return lambda index: draw()


def _float(name: str, rng: random.Random) -> _Value:
    random_ = rng.random
    return lambda index: round(1000 * random_(), 2)  # rng.uniform(0, 1000)


def _ref(name: str, rng: random.Random) -> _Value:
    prefix, draw = _words(name)[0][:3], _below(rng, 10_000)
    return lambda index: f"{prefix}_{draw() + 1:05d}"


def _ref_int(name: str, rng: random.Random) -> _Value:
    draw = _below(rng, 10_000)
    return lambda index: draw() + 1


def _choice(name: str, rng: random.Random) -> _Value:
    pick = _pick(rng, _CHOICES.get(_words(name)[-1], ("alpha", "beta", "gamma")))
    return lambda index: pick()


def _sentence(name: str, rng: random.Random) -> _Value:
    word = _pick(rng, _WORDS)
    return lambda index: f"The {word()} {word()} for item {index + 1}."


def _text(name: str, rng: random.Random) -> _Value:
    word = _pick(rng, _TITLED_WORDS)
    return lambda index: f"{word()} {word()} {index + 1}"


def _hex(name: str, rng: random.Random) -> _Value:
    bits = rng.getrandbits
    return lambda index: f"{bits(64):016x}"


_TITLED_WORDS = tuple(w.title() for w in _WORDS)
_GENERATORS: dict[str, Callable[[str, random.Random], _Value]] = {
    "bool": _bool,
    "timestamp": _timestamp,
    "date": _date,
    "time": _time,
    "list": _list,
    "object": _object,
    "url": _url,
    "email": _email,
    "count": _count,
    "float": _float,
    "ref": _ref,
    "ref_int": _ref_int,
    "choice": _choice,
    "sentence": _sentence,
    "text": _text,
    "hex": _hex,
}


def _key_value(name: str, data_type: str | None, resource: str, rng: random.Random) -> _Value:
    """Unique per resource: built from the index, never drawn at random alone."""
    words = _words(name)
    if data_type in ("bigint", "double", "decimal", "wei") or (data_type is None and name == "id"):
        return lambda index: index + 1
    if "uuid" in words or "guid" in words:
        bits = rng.getrandbits
        # random high bits for realism, the index in the low 32 bits for uniqueness
        return lambda index: str(uuid.UUID(int=(bits(96) << 32) | index, version=4))
    prefix = resource[:3] if name == "id" else (words[0][:3] if words else "key")
    return lambda index: f"{prefix}_{index + 1:06d}"


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
