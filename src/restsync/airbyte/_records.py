"""A manifest stream's RecordSelector: DpathExtractor, RecordFilter, AddFields, RemoveFields.

Runs as the engine's ``select`` hook, so the records a page yields (and that pagination counts
as ``last_page_size``) are the ones Airbyte counts: extracted, filtered and transformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from restsync.airbyte._dates import parse_first_format
from restsync.airbyte._jinja import Interpolator, Slice
from restsync.airbyte._normalize import normalize
from restsync.airbyte._requests import RESET_HEADER, truthy

__all__ = [
    "ClientSideCursor",
    "AddField",
    "FlattenPath",
    "KeysReplace",
    "KeysToLower",
    "NotARecord",
    "RecordPipeline",
    "RemoveFields",
    "dpath_values",
]


class NotARecord(ValueError):
    """A selected record that is not an object (a string in the records list)."""


@dataclass(frozen=True)
class AddField:
    path: tuple[str, ...]
    value: Any
    value_type: type | None = None
    condition: str | None = None


@dataclass(frozen=True)
class RemoveFields:
    pointers: tuple[tuple[str, ...], ...]
    condition: str | None = None


@dataclass(frozen=True)
class KeysToLower:
    """Every top-level key in lower case."""


@dataclass(frozen=True)
class KeysReplace:
    """``old`` replaced by ``new`` in every key, nested objects included (both templates)."""

    old: Any
    new: Any


@dataclass(frozen=True)
class FlattenPath:
    """DpathFlattenFields: the object at ``path`` merged into the record (keys optionally
    prefixed/suffixed), unless a key would collide; or replacing the record."""

    path: tuple[Any, ...]
    delete_origin_value: bool = False
    replace_record: bool = False
    prefix: str = ""
    suffix: str = ""


Step = AddField | RemoveFields | KeysToLower | KeysReplace | FlattenPath


@dataclass(frozen=True)
class ClientSideCursor:
    """``is_client_side_incremental``: the API ignores the window, so records are kept only when
    their cursor lies in ``[lowest, highest]`` (``highest`` None: now), as airbyte-cdk's cursor
    filter keeps them. A record without a readable cursor value is kept, as there."""

    cursor_field: str
    formats: tuple[str, ...]
    lowest: datetime
    highest: datetime | None

    def keeps(self, record: Any) -> bool:
        if not isinstance(record, Mapping) or record.get(self.cursor_field) is None:
            return True
        value = parse_first_format(record[self.cursor_field], self.formats)
        if value is None:
            return True
        return self.lowest <= value <= (self.highest or datetime.now(UTC))


@dataclass(frozen=True)
class RecordPipeline:
    interpolator: Interpolator
    field_path: tuple[Any, ...] = ()
    record_filter: str | None = None
    transformations: tuple[Step, ...] = ()
    transform_before_filtering: bool = False
    schema: Any = None  # set when schema_normalization is "Default": values take its types
    client_side: ClientSideCursor | None = None

    def __call__(self, body: Any, headers: Mapping[str, str], parent: Any) -> list[Any]:
        if RESET_HEADER in headers:  # a response the error handler reset the pagination on
            return []
        stream_slice = parent if isinstance(parent, Slice) else Slice()
        records = self.extract(body)
        if self.transform_before_filtering:
            records = [self._transform(r, stream_slice) for r in records]
            records = [r for r in records if self._keep(r, stream_slice)]
        else:
            records = [r for r in records if self._keep(r, stream_slice)]
            records = [self._transform(r, stream_slice) for r in records]
        for number, record in enumerate(records, 1):
            if not isinstance(record, Mapping):
                # airbyte-cdk fails the stream on it (its record message needs an object):
                # failing here too keeps the two from differing silently
                raise NotARecord(
                    f"record {number} of the page is {type(record).__name__}, not an object; "
                    "the API answered a list holding a value that is not a record"
                )
        if self.schema is not None:
            records = [normalize(r, self.schema) for r in records]
        return records

    def extract(self, body: Any) -> list[Any]:
        bodies = body if isinstance(body, list) else [body if body is not None else {}]
        if isinstance(body, list) and not body:
            bodies = [{}]
        path = self.path()
        records: list[Any] = []
        for item in bodies:
            if not path:
                extracted = item
            elif "*" in path:
                extracted = dpath_values(item, path)
            else:
                extracted = _dpath_get(item, path)
            if isinstance(extracted, list):
                records.extend(extracted)
            elif extracted:
                records.append(extracted)
        return records

    def path(self) -> list[str]:
        """The extractor's field path rendered; a part that renders nothing (an undefined
        ``parameters['name']``) is the empty key, as airbyte-cdk renders it, not 'None'."""
        rendered = (self.interpolator.eval(p) for p in self.field_path)
        return ["" if part is None else str(part) for part in rendered]

    def _keep(self, record: Any, stream_slice: Slice) -> bool:
        if self.client_side is not None and not self.client_side.keeps(record):
            return False
        if self.record_filter is None:
            return True
        return truthy(
            self.interpolator.eval(
                self.record_filter, record=record, stream_slice=stream_slice, stream_state={}
            )
        )

    def _transform(self, record: Any, stream_slice: Slice) -> Any:
        if not isinstance(record, dict):
            return record
        for step in self.transformations:
            if isinstance(step, AddField):
                self._add(record, step, stream_slice)
            elif isinstance(step, RemoveFields):
                self._remove(record, step)
            elif isinstance(step, KeysToLower):
                for key in list(record):
                    record[key.lower()] = record.pop(key)
            elif isinstance(step, KeysReplace):
                scope: dict[str, Any] = {"record": record, "stream_slice": stream_slice}
                old = str(self.interpolator.eval(step.old, **scope))
                new = str(self.interpolator.eval(step.new, **scope))
                replaced = _replace_keys(record, old, new)
                record.clear()
                record.update(replaced)
            else:
                self._flatten(record, step)
        return record

    def _flatten(self, record: dict[str, Any], step: FlattenPath) -> None:
        path = [str(self.interpolator.eval(p)) for p in step.path]
        if "*" in path:
            matches = dpath_values(record, path)
            found = matches[0] if matches else None
        else:
            found = _dpath_get(record, path)
        if not isinstance(found, dict):
            return
        moved = {f"{step.prefix}{key}{step.suffix}": value for key, value in found.items()}
        if step.replace_record and moved:
            record.clear()
            record.update(moved)
        elif not set(moved) & set(record):
            if step.delete_origin_value:
                _delete(record, path, self.interpolator, None)
            record.update(moved)

    def _add(self, record: dict[str, Any], step: AddField, stream_slice: Slice) -> None:
        ai = self.interpolator
        # a template that renders empty adds "" (opsgenie's stream_partition['id'])
        value = ai.string(step.value, record=record, stream_slice=stream_slice, stream_state={})
        if step.value_type is not None and not isinstance(value, step.value_type):
            value = _coerce(value, step.value_type)
        if step.condition and not truthy(
            ai.eval(step.condition, record=record, value=value, stream_slice=stream_slice)
        ):
            return
        node: Any = record
        for key in step.path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[step.path[-1]] = value

    def _remove(self, record: dict[str, Any], step: RemoveFields) -> None:
        for pointer in step.pointers:
            _delete(record, list(pointer), self.interpolator, step.condition)


def _replace_keys(data: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {
        key.replace(old, new): _replace_keys(value, old, new) if isinstance(value, dict) else value
        for key, value in data.items()
    }


def _coerce(value: Any, wanted: type) -> Any:
    try:
        return wanted(value)
    except (TypeError, ValueError):
        return value


_EMPTY = object()  # _dpath_get's default: an empty list


def _dpath_get(body: Any, path: list[str], missing: Any = _EMPTY) -> Any:
    """The value at ``path``; ``missing`` (an empty list unless given) when there is none."""
    node = body
    for key in path:
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif (
            isinstance(node, list)
            and key.lstrip("-").isdigit()
            and -len(node) <= int(key) < len(node)
        ):
            node = node[int(key)]
        else:
            return [] if missing is _EMPTY else missing
    return node


def dpath_values(body: Any, path: list[str]) -> list[Any]:
    """Every value at ``path``, where ``*`` stands for any key or list index at that level."""
    nodes = [body]
    for key in path:
        following: list[Any] = []
        for node in nodes:
            if isinstance(node, Mapping):
                if key == "*":
                    following.extend(node.values())
                elif key in node:
                    following.append(node[key])
            elif isinstance(node, list):
                if key == "*":
                    following.extend(node)
                elif key.isdigit() and int(key) < len(node):
                    following.append(node[int(key)])
        nodes = following
    return nodes


def _delete(node: Any, path: list[str], ai: Interpolator, condition: str | None) -> None:
    if not path:
        return
    key, rest = path[0], path[1:]
    if isinstance(node, dict):
        keys = list(node) if key == "*" else [key] if key in node else []
        for name in keys:
            if rest:
                _delete(node[name], rest, ai, condition)
            elif condition is None or truthy(
                ai.eval(condition, property=node[name], value=node[name])
            ):
                del node[name]
    elif isinstance(node, list) and rest:
        items = (
            node
            if key == "*"
            else [node[int(key)]]
            if key.isdigit() and int(key) < len(node)
            else []
        )
        for item in items:
            _delete(item, rest, ai, condition)
