"""The records the simulator serves, per resource and, for children, per parent.

Generated once at construction, in dependency order (parents before children), and only ever
appended to (``add``). Records are never mutated after creation, so a handler may serialise a
snapshot outside the lock while a test thread adds records.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from restsync.simulator._data import Shape, break_record, dig, make_record
from restsync.simulator._options import SimulatorError

__all__ = ["ParentSpec", "Store", "TableSpec"]

ParentKey = tuple[str, ...]


@dataclass(frozen=True)
class ParentSpec:
    resource: str
    bindings: Mapping[str, str]  # placeholder -> field path in the parent record


@dataclass(frozen=True)
class TableSpec:
    shape: Shape
    count: int  # records for a root, records per parent for a child
    parent: ParentSpec | None = None
    # applied to each new record, e.g. to add the paging fields a whole-body object carries
    finish: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # every parent gets ``count`` children; otherwise every 5th parent (shifted by seed) gets none
    every_parent: bool = False
    # this many of the initial records are served without ``broken_field`` (see ``Store._break``)
    broken: int = 0
    broken_field: str | None = None


@dataclass
class _Table:
    spec: TableSpec
    records: list[dict[str, Any]] = field(default_factory=list)
    sort_keys: list[float] = field(default_factory=list)  # cursor order, parallel to records
    by_parent: dict[ParentKey, list[int]] = field(default_factory=dict)
    parents_seen: int = 0  # how many parent records have had their children made


class Store:
    def __init__(self, tables: Mapping[str, TableSpec], seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._tables = {name: _Table(spec) for name, spec in tables.items()}
        self._children: dict[str, list[str]] = {name: [] for name in tables}
        for name, spec in tables.items():
            if spec.parent is not None:
                if spec.parent.resource not in tables:
                    raise SimulatorError(
                        f"resource '{name}' names parent '{spec.parent.resource}', which the plan "
                        "does not have"
                    )
                self._children[spec.parent.resource].append(name)
        for name in self._dependency_order():
            table = self._tables[name]
            if table.spec.parent is None:
                self._append(name, table.spec.count)
            else:
                self._grow_children(name)
            self._break(name)

    # --- reading -------------------------------------------------------------------------------

    def page_source(
        self, resource: str, parent_key: ParentKey | None
    ) -> tuple[list[dict[str, Any]], list[float]] | None:
        """The records a request may page through, with their cursor sort keys (empty when the
        resource has no cursor); ``None`` for a parent key no parent record has."""
        with self._lock:
            table = self._tables[resource]
            if parent_key is None:
                return list(table.records), list(table.sort_keys)
            indexes = table.by_parent.get(parent_key)
            if indexes is None:
                return None
            keys = [table.sort_keys[i] for i in indexes] if table.sort_keys else []
            return [table.records[i] for i in indexes], keys

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            data = {name: list(table.records) for name, table in self._tables.items()}
        # a JSON round trip copies deeply and yields each record exactly as served
        return orjson.loads(orjson.dumps(data))

    # --- growing -------------------------------------------------------------------------------

    def add(self, resource: str, n: int) -> int:
        """Append ``n`` newer records (children spread over parents); returns the new total."""
        if resource not in self._tables:
            raise SimulatorError(
                f"unknown resource '{resource}'; resources are: {', '.join(sorted(self._tables))}"
            )
        if n < 0:
            raise SimulatorError(f"cannot add {n} records to '{resource}'; give n >= 0")
        with self._lock:
            table = self._tables[resource]
            if table.spec.finish is not None:
                raise SimulatorError(
                    f"resource '{resource}' is served as one object per response "
                    "(data_selector '$'); records cannot be added to it"
                )
            if table.spec.parent is None:
                self._append(resource, n)
            else:
                self._add_children(resource, n)
            self._grow_descendants(resource)
            return len(table.records)

    def _append(self, name: str, n: int, parent_key: ParentKey | None = None,
                inherited: Mapping[str, Any] | None = None) -> None:
        table = self._tables[name]
        spec = table.spec
        for _ in range(n):
            index = len(table.records)
            record = make_record(self._seed, spec.shape, index, inherited)
            if spec.finish is not None:
                record = spec.finish(record)
            table.records.append(record)
            if spec.shape.cursor is not None:
                table.sort_keys.append(spec.shape.cursor.sort_key(index))
            if parent_key is not None:
                table.by_parent.setdefault(parent_key, []).append(index)

    def _grow_children(self, name: str) -> None:
        """Make the children of every parent record that has none made yet."""
        table = self._tables[name]
        link = table.spec.parent
        assert link is not None
        parent = self._tables[link.resource]
        for position in range(table.parents_seen, len(parent.records)):
            record = parent.records[position]
            key = self._key(record, link)
            inherited = {placeholder: dig(record, f) for placeholder, f in link.bindings.items()}
            table.by_parent.setdefault(key, [])
            empty = not table.spec.every_parent and (position + self._seed) % 5 == 4
            self._append(name, 0 if empty else table.spec.count, key, inherited)
        table.parents_seen = len(parent.records)

    def _add_children(self, name: str, n: int) -> None:
        table = self._tables[name]
        link = table.spec.parent
        assert link is not None
        parent = self._tables[link.resource]
        # spread over the parents that already have children, so "empty" parents stay empty
        targets = [
            p for p in parent.records if table.by_parent.get(self._key(p, link))
        ] or parent.records
        if not targets:
            raise SimulatorError(f"resource '{name}' has no parent records to add children to")
        for i in range(n):
            record = targets[i % len(targets)]
            inherited = {placeholder: dig(record, f) for placeholder, f in link.bindings.items()}
            self._append(name, 1, self._key(record, link), inherited)

    def _grow_descendants(self, name: str) -> None:
        for child in self._children[name]:
            self._grow_children(child)
            self._grow_descendants(child)

    def _break(self, name: str) -> None:
        """Drop ``broken_field`` from ``broken`` records picked by seed, never from the first
        record of a first page (a root's first record, each parent's first child): a client that
        sees a whole first page without the primary key must take the key for a config mistake.
        """
        table = self._tables[name]
        spec = table.spec
        if spec.broken <= 0:
            return
        if spec.broken_field is None:
            raise SimulatorError(f"resource '{name}' has no field that break_records can drop")
        if spec.parent is None:
            candidates = list(range(1, len(table.records)))
        else:
            candidates = sorted(i for indexes in table.by_parent.values() for i in indexes[1:])
        if spec.broken > len(candidates):
            raise SimulatorError(
                f"break_records asks for {spec.broken} broken records of '{name}', but only "
                f"{len(candidates)} of its {len(table.records)} records may break (the first "
                f"record of a first page never does); ask for fewer or serve more records"
            )
        rng = random.Random(f"{self._seed}:{name}:broken")
        for index in rng.sample(candidates, spec.broken):
            table.records[index] = break_record(table.records[index], spec.broken_field)

    @staticmethod
    def _key(record: Mapping[str, Any], link: ParentSpec) -> ParentKey:
        return tuple(str(dig(record, f)) for f in link.bindings.values())

    def _dependency_order(self) -> Sequence[str]:
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            parent = self._tables[name].spec.parent
            if parent is not None:
                visit(parent.resource)
            order.append(name)

        for name in self._tables:
            visit(name)
        return order
