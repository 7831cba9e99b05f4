"""Structural mutations of a config: drop, replace, rename, wrap, duplicate; odd values.

A mutation picks any node of the nested dicts and lists (not the root) and changes it. Secret
values are never moved elsewhere: a message may legitimately echo a value from a non-secret place.
"""

from __future__ import annotations

import copy
import datetime
import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


@dataclass(frozen=True)
class _Deep:
    """A nested list or dict, built fresh for each use (too deep to deepcopy)."""

    depth: int
    kind: str = "list"

    def build(self) -> Any:
        value: Any = 1
        for _ in range(self.depth - 1):
            value = [value] if self.kind == "list" else {"a": value}
        deep = _DeepList([value]) if self.kind == "list" else _DeepDict(a=value)
        deep.depth = self.depth
        return deep


class _DeepList(list):  # type: ignore[type-arg]
    """Prints short: Python's and hypothesis's printers recurse, and fail on deep nesting."""

    depth = 0

    def __repr__(self) -> str:
        return f"<list nested {self.depth} deep>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


class _DeepDict(dict):  # type: ignore[type-arg]
    depth = 0

    def __repr__(self) -> str:
        return f"<dict nested {self.depth} deep>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _fresh(value: Any) -> Any:
    # mutations change containers in place: never hand out a shared one
    return value.build() if isinstance(value, _Deep) else copy.deepcopy(value)


ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\n",
    "a\nb",
    "[[",
    "]]",
    "{",
    "}",
    "{}",
    "{x}",
    "{{x}}",
    "{resources.}",
    "{resources.a}",
    "{resources.users.id}",
    "{incremental.start_value}",
    "$",
    "$..*",
    "$[?(@.a",
    "a.b.",
    ".a",
    "..",
    "@",
    "🙂",
    "é",
    "\u202e",
    "\ud800",
    "a" * 10_000,
    "9**(9**9)",
    "'a'*(10**9)",
    "response.__class__",
    "lipsum(n=100000)",
    " or ".join(["x"] * 300),
    "(" * 250 + "x" + ")" * 250,
    "x" + "[0]" * 200,
    "http://",
    "ftp://x/",
    "not a url",
    "https://",
    "//x",
    "https://[::1",
    "http://a b/",
    "2024-01-01T00:00:00+99:00",
    "9999-99-99",
    "P99999999999D",
    "PT1e20S",
    "-P1D",
    "_restsync_rejects",
    "_dlt_loads",
    "inf",
    "nan",
    "%",
    "%Y%",
    "%s%s%s%s%s%s%s%s%s%s",
    "Ä" * 300,
]

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    2**200,
    -(2**63),
    1e20,
    -1e20,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    0.5,
    -0.0,
    [],
    {},
    [None],
    [[]],
    [1, "a", None],
    {"type": "x"},
    {"type": None},
    {"": 1},
    {1: 2},
    {None: "a"},
    ("a", "b"),
    {"a", "b"},
    b"bytes",
    bytearray(b"x"),
    object(),
    len,
    lambda *a: None,
    datetime.datetime(2024, 1, 1),
    datetime.date(2024, 1, 1),
    datetime.timedelta(days=1),
    decimal.Decimal("1e999"),
    decimal.Decimal("NaN"),
    _Deep(60),
    _Deep(60, "dict"),
    _Deep(900),
    _Deep(900, "dict"),
    _Deep(3000),
]

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

odd_values = st.one_of(
    st.sampled_from(ODD_VALUES).map(_fresh),
    st.sampled_from(ODD_STRINGS),
    st.text(max_size=30),
    st.integers(),
    st.floats(),
    _JSON,
)


def nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path below the root, down to a depth of 10: dict keys and list indices."""
    if len(path) >= 10:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from nodes(item, (*path, index))


def _parent(config: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        config = config[part]
    return config


@st.composite
def mutate(draw: st.DrawFn, config: dict[str, Any], max_mutations: int = 3) -> dict[str, Any]:
    config = copy.deepcopy(config)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = list(nodes(config))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        _apply(draw, config, path)
    return config


_OPS = ["drop", "replace", "replace", "replace", "rename", "wrap", "unwrap", "add", "twist"]


def _apply(draw: st.DrawFn, config: dict[str, Any], path: tuple[Any, ...]) -> None:
    parent = _parent(config, path)
    key = path[-1]
    value = parent[key]
    op = draw(st.sampled_from(_OPS))
    if op == "drop":
        del parent[key]
    elif op == "replace":
        parent[key] = draw(odd_values)
    elif op == "rename" and isinstance(parent, dict):
        near = [f"{key}s", str(key)[:-1], str(key).upper(), "x-" + str(key)]
        new = draw(st.sampled_from(near) | st.text(max_size=10))
        parent[new] = parent.pop(key)
    elif op == "wrap":
        parent[key] = draw(st.sampled_from([[value], {"value": value}, {"type": value}]))
    elif op == "unwrap" and isinstance(value, list | dict) and value:
        parent[key] = next(iter(value.values())) if isinstance(value, dict) else value[0]
    elif op == "add":
        target = value if isinstance(value, dict | list) else parent
        extra = draw(odd_values)
        if isinstance(target, dict):
            names = st.sampled_from(["type", "name", "path", "extra", "x"]) | st.text(max_size=8)
            target[draw(names)] = extra
        else:
            target.append(target[0] if target and draw(st.booleans()) else extra)
    else:
        parent[key] = _twist(draw, value)


def _twist(draw: st.DrawFn, value: Any) -> Any:
    """A nearby odd value of the same kind."""
    if isinstance(value, bool):
        return draw(st.sampled_from([not value, "yes", 1]))
    if isinstance(value, int | float):
        return draw(st.sampled_from([-value, value * 10**20, float("nan"), 0, str(value)]))
    if isinstance(value, str):
        odd = draw(st.sampled_from(ODD_STRINGS[:30]))
        return draw(st.sampled_from([value + odd, odd + value, value * 3, value.upper(), ""]))
    return draw(odd_values)
