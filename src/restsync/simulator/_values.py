"""Field values: what a record field holds, chosen by its dlt type and, where the type says
little, by its name (``createdAt`` is a timestamp, ``isActive`` a bool, ``tags`` a list of strings,
``metadata`` a nested dict, ...).

A value is a function of the record index that draws from the record maker's generator. Draws are
made exactly as ``random.Random.choice`` / ``randint`` / ``uniform`` make them (CPython's
``_randbelow``: rejection sampling on ``getrandbits``), without their per-call checks and method
layers, which cost more than the draws themselves. Order of draws is the field order.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["Value", "value_maker", "key_maker"]

Value = Callable[[int], Any]  # a field's value for a record index, drawn from the maker's rng
_Generator = Callable[[str, random.Random], Value]  # (field name, maker's rng) -> its Value

# records' own timestamps (not the cursor) fall in the year before the cursor epoch
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)

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


def value_maker(name: str, data_type: str | None, rng: random.Random) -> Value:
    """The value of a field that is neither a key nor the cursor."""
    return _GENERATORS[_kind(name, data_type)](name, rng)


# dlt data types that decide the kind of value alone
_KIND_BY_TYPE = {
    "double": "float",
    "decimal": "float",
    "bool": "bool",
    "timestamp": "timestamp",
    "date": "date",
    "time": "time",
    "binary": "hex",
}
# the kinds a text column may take from its name; any other name is plain text
_TEXT_KINDS = {"timestamp", "date", "url", "email", "ref", "choice", "sentence", "text"}


def _kind(name: str, data_type: str | None) -> str:
    by_name = _kind_by_name(name)
    if data_type in _KIND_BY_TYPE:
        return _KIND_BY_TYPE[data_type]
    if data_type in ("bigint", "wei"):
        return "ref_int" if by_name == "ref" else "count"
    if data_type == "json":
        return "list" if by_name == "list" else "object"
    if data_type == "text":
        return by_name if by_name in _TEXT_KINDS else "text"
    return by_name


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


def _timestamp(name: str, rng: random.Random) -> Value:
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


def _bool(name: str, rng: random.Random) -> Value:
    random_ = rng.random
    return lambda index: random_() < 0.7


def _date(name: str, rng: random.Random) -> Value:
    dates = [(_EPOCH + timedelta(days=d)).date().isoformat() for d in range(365)]
    pick = _pick(rng, dates)
    return lambda index: pick()


def _time(name: str, rng: random.Random) -> Value:
    hour, minute = _below(rng, 24), _below(rng, 60)
    return lambda index: f"{hour():02d}:{minute():02d}:00"


def _list(name: str, rng: random.Random) -> Value:
    size, word = _below(rng, 3), _pick(rng, _WORDS)
    return lambda index: sorted({word() for _ in range(size() + 1)})


def _object(name: str, rng: random.Random) -> Value:
    word, priority, random_ = _pick(rng, _WORDS), _below(rng, 5), rng.random
    return lambda index: {
        "source": word(),
        "priority": priority() + 1,
        "nested": {"enabled": random_() < 0.5, "label": word()},
    }


def _count(name: str, rng: random.Random) -> Value:
    draw = _below(rng, 501)
    return lambda index: draw()


def _float(name: str, rng: random.Random) -> Value:
    random_ = rng.random
    return lambda index: round(1000 * random_(), 2)  # rng.uniform(0, 1000)


def _ref(name: str, rng: random.Random) -> Value:
    prefix, draw = _words(name)[0][:3], _below(rng, 10_000)
    return lambda index: f"{prefix}_{draw() + 1:05d}"


def _ref_int(name: str, rng: random.Random) -> Value:
    draw = _below(rng, 10_000)
    return lambda index: draw() + 1


def _choice(name: str, rng: random.Random) -> Value:
    pick = _pick(rng, _CHOICES.get(_words(name)[-1], ("alpha", "beta", "gamma")))
    return lambda index: pick()


def _hex(name: str, rng: random.Random) -> Value:
    bits = rng.getrandbits
    return lambda index: f"{bits(64):016x}"


# Word templates stay separate f-strings: ``str.format`` over one shared template costs three times
# as much per value, and names, emails and sentences are most of a record.
def _url(name: str, rng: random.Random) -> Value:
    word = _pick(rng, _WORDS)
    return lambda index: f"https://example.com/{word()}/{index + 1}"


def _email(name: str, rng: random.Random) -> Value:
    word = _pick(rng, _WORDS)
    return lambda index: f"{word()}.{index + 1}@example.com"


def _sentence(name: str, rng: random.Random) -> Value:
    word = _pick(rng, _WORDS)
    return lambda index: f"The {word()} {word()} for item {index + 1}."


def _text(name: str, rng: random.Random) -> Value:
    word = _pick(rng, _TITLED_WORDS)
    return lambda index: f"{word()} {word()} {index + 1}"


_TITLED_WORDS = tuple(w.title() for w in _WORDS)
_GENERATORS: dict[str, _Generator] = {
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


def key_maker(name: str, data_type: str | None, resource: str, rng: random.Random) -> Value:
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
