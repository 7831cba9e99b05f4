"""The records the simulator serves, per resource and, for children, per parent.

Generated once at construction, in dependency order (parents before children), and only ever
appended to (``add``). Each record is kept as the JSON bytes it is served as: a third of the
memory of a dict, and a page is served by copying bytes instead of serialising dicts. Records
never change once served, so a request reads a page through a ``Rows`` view (a length taken under
the lock, no copy) while a test thread adds records.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from restsync._selectors import field_value
from restsync.simulator._data import RecordMaker, Shape, break_record
from restsync.simulator._options import SimulatorError
from restsync.simulator._placement import with_fields

__all__ = ["ParentSpec", "Rows", "Store", "TableSpec"]

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
    # a child whose parent record embeds its first page (Airbyte's lazy_read_pointer): the
    # dotted parent field, and the body served there for the parent's children (all of them)
    embedded_in: str | None = None
    embedded_page: Callable[[list[dict[str, Any]]], Any] | None = None


@dataclass
class _Table:
    spec: TableSpec
    make: RecordMaker
    records: list[bytes] = field(default_factory=list)  # each record's JSON, as served
    by_parent: dict[ParentKey, list[int]] = field(default_factory=dict)  # -> record positions
    # per parent record (by position), the key its children are filed under
    parent_keys: list[ParentKey] = field(default_factory=list)

    def sort_key(self) -> Callable[[int], float] | None:
        """A record's cursor sort key, from its position: the cursor increases with it."""
        cursor = self.spec.shape.cursor
        return None if cursor is None else cursor.sort_key


class Rows:
    """The records one request may page through, as they were when the view was taken: the first
    ``len(rows)`` records of a table, or of one parent's children.

    Tables only grow (by appending, under the store's lock), so a view is the table's own lists
    and a length, not a copy: taking one costs O(1), reading a window O(window), whatever the
    table's size and whatever a thread appends meanwhile.
    """

    def __init__(
        self,
        records: list[bytes],
        positions: list[int] | None,  # a parent's children: their positions in ``records``
        size: int,
        sort_key: Callable[[int], float] | None,
    ) -> None:
        self._records = records
        self._positions = positions
        self._size = size
        self._sort_key = sort_key

    def __len__(self) -> int:
        return self._size

    def fragments(self, start: int, stop: int) -> list[orjson.Fragment]:
        """Rows ``start`` to ``stop`` as JSON orjson writes as is."""
        return [orjson.Fragment(record) for record in self._window(start, stop)]

    def decoded(self, start: int, stop: int) -> list[dict[str, Any]]:
        return [orjson.loads(record) for record in self._window(start, stop)]

    def position(self, key: float, *, after: bool) -> int:
        """How many rows come before the first whose cursor sort key is above ``key``
        (``after``), or at least ``key``. Sort keys increase with the row, so this bisects."""
        if self._sort_key is None:
            raise SimulatorError("these records have no incremental cursor to filter by")
        find = bisect.bisect_right if after else bisect.bisect_left
        rows: Sequence[int] = range(self._size) if self._positions is None else self._positions
        return find(rows, key, 0, self._size, key=self._sort_key)

    def find(self, path: str, value: str, start: int, stop: int) -> int | None:
        """The position of the first row in ``[start, stop)`` whose field at the dotted
        ``path`` reads as ``value``; None when no row has it. A scan, once a page: enough for
        the few pages a manifest's stream is served as."""
        for offset, record in enumerate(self._window(start, stop)):
            if str(field_value(orjson.loads(record), path)) == value:
                return start + offset
        return None

    def _window(self, start: int, stop: int) -> list[bytes]:
        stop = min(stop, self._size)
        if self._positions is None:
            return self._records[start:stop]
        records = self._records
        return [records[i] for i in self._positions[start:stop]]


class Store:
    def __init__(self, tables: Mapping[str, TableSpec], seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._tables = {
            name: _Table(spec, RecordMaker(seed, spec.shape)) for name, spec in tables.items()
        }
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

    def page_source(self, resource: str, parent_key: ParentKey | None) -> Rows | None:
        """The records a request may page through; ``None`` for a parent key no parent record
        has."""
        table = self._tables[resource]
        with self._lock:  # a consistent length: an add appends a parent's children at once
            if parent_key is None:
                return Rows(table.records, None, len(table.records), table.sort_key())
            positions = table.by_parent.get(parent_key)
            if positions is None:
                return None
            return Rows(table.records, positions, len(positions), table.sort_key())

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            tables = {name: table.records[:] for name, table in self._tables.items()}
        data = {name: [orjson.Fragment(r) for r in records] for name, records in tables.items()}
        # one JSON round trip: fresh records, exactly as served
        fresh: dict[str, list[dict[str, Any]]] = orjson.loads(orjson.dumps(data))
        return fresh

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

    def _append(
        self,
        name: str,
        n: int,
        parent_key: ParentKey | None = None,
        inherited: Mapping[str, Any] | None = None,
    ) -> None:
        table = self._tables[name]
        make, finish, records = table.make, table.spec.finish, table.records
        positions = None
        if parent_key is not None and n:
            positions = table.by_parent.setdefault(parent_key, [])
        for index in range(len(records), len(records) + n):
            record = make(index, inherited)
            if finish is not None:
                record = finish(record)
            records.append(_exact(orjson.dumps(record)))
            if positions is not None:
                positions.append(index)  # after the record: a view never sees a missing one

    def _grow_children(self, name: str) -> None:
        """Make the children of every parent record that has none made yet."""
        table = self._tables[name]
        link = table.spec.parent
        assert link is not None
        parent = self._tables[link.resource]
        for position in range(len(table.parent_keys), len(parent.records)):
            record = orjson.loads(parent.records[position])
            key = self._key(record, link)
            table.parent_keys.append(key)
            table.by_parent.setdefault(key, [])
            empty = not table.spec.every_parent and (position + self._seed) % 5 == 4
            self._append(name, 0 if empty else table.spec.count, key, self._inherited(record, link))
            if table.spec.embedded_in and table.spec.embedded_page is not None:
                children = [orjson.loads(table.records[i]) for i in table.by_parent[key]]
                page = table.spec.embedded_page(children)
                record = with_fields(record, {table.spec.embedded_in: page})
                parent.records[position] = _exact(orjson.dumps(record))

    def _add_children(self, name: str, n: int) -> None:
        table = self._tables[name]
        link = table.spec.parent
        assert link is not None
        parent = self._tables[link.resource]
        keys = table.parent_keys  # one per parent record: children are grown with every add
        # spread over the parents that already have children, so "empty" parents stay empty
        targets = [p for p, key in enumerate(keys) if table.by_parent.get(key)] or range(len(keys))
        if not targets:
            raise SimulatorError(f"resource '{name}' has no parent records to add children to")
        for i in range(n):
            position = targets[i % len(targets)]
            record = orjson.loads(parent.records[position])
            self._append(name, 1, keys[position], self._inherited(record, link))

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
            record = orjson.loads(table.records[index])
            table.records[index] = _exact(orjson.dumps(break_record(record, spec.broken_field)))

    @staticmethod
    def _key(record: Mapping[str, Any], link: ParentSpec) -> ParentKey:
        return tuple(str(field_value(record, f)) for f in link.bindings.values())

    @staticmethod
    def _inherited(record: Mapping[str, Any], link: ParentSpec) -> dict[str, Any]:
        return {placeholder: field_value(record, f) for placeholder, f in link.bindings.items()}

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


def _exact(data: bytes) -> bytes:
    """A copy of ``data`` in a block of its own size: orjson hands out its bytes in a larger
    block (4 KiB for a 300-byte record), which would make a stored record cost 13 times its size.
    """
    return memoryview(data).tobytes()
