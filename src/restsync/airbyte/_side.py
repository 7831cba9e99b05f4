"""Reads a stream makes before its own: a DynamicSchemaLoader's schema, a PropertiesFromEndpoint
list of properties.

Both are a SimpleRetriever of their own in the manifest. restsync runs each as a chain of pages
sent through the stream's engine, in a ``before`` step of the stream (_engine/_before.py): once
per run (airbyte-cdk caches both for the source's life), when the stream's first slice starts,
the slices that start meanwhile waiting for it; its failure is the stream's. Its requests go as
the stream's, with the stream's authenticator and origin (a retriever with another authenticator
or origin is refused by name, so no credential goes anywhere the stream's would not), and with
the side requester's own error handler, as airbyte-cdk's: its retries and response filters, the
defaults where it declares none, never the stream's. At most ``SIDE_PAGES`` pages.

DynamicSchemaLoader (airbyte-cdk's ``get_json_schema``): the first record of its retriever; the
list at ``schema_pointer`` in it; each item's name at ``key_pointer`` and its type at
``type_pointer`` ("string" without one), the type replaced by the first ``types_mapping`` entry
that names it (and whose ``condition`` holds), then turned into a JSON schema type; the
properties filtered by ``schema_filter`` (``record`` is ``{name: type}``) and changed by
``schema_transformations``. The schema becomes the stream's dlt columns, as an inline schema's
do (the columns are dlt's dynamic hints: read once the schema is known). The records depend on
it only through ``schema_normalization: Default``, which airbyte-cdk applies with this schema
and restsync too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from restsync._engine._paginate import make_traversal
from restsync._engine._request import Page, Request
from restsync._errors import ExtractionError
from restsync._plan import ResourcePlan
from restsync.airbyte._jinja import Interpolator, Slice
from restsync.airbyte._parts import Unsupported, _expect, build_columns, build_records, load_schema
from restsync.airbyte._records import RecordPipeline
from restsync.airbyte._requests import ManifestTraversal, StreamRequests, truthy

__all__ = [
    "SIDE_PAGES",
    "DynamicSchema",
    "FetchedColumns",
    "SideRead",
    "checked_access",
    "dynamic_schema",
    "schema_first",
    "side_read",
]

SIDE_PAGES = 1_000  # pages one schema or property read may take
Fetch = Callable[..., Awaitable[Any]]

AIRBYTE_TYPES: Mapping[str, Mapping[str, Any]] = {
    "string": {"type": ["null", "string"]},
    "boolean": {"type": ["null", "boolean"]},
    "date": {"type": ["null", "string"], "format": "date"},
    "timestamp_without_timezone": {
        "type": ["null", "string"],
        "format": "date-time",
        "airbyte_type": "timestamp_without_timezone",
    },
    "timestamp_with_timezone": {"type": ["null", "string"], "format": "date-time"},
    "time_without_timezone": {
        "type": ["null", "string"],
        "format": "time",
        "airbyte_type": "time_without_timezone",
    },
    "time_with_timezone": {
        "type": ["null", "string"],
        "format": "time",
        "airbyte_type": "time_with_timezone",
    },
    "integer": {"type": ["null", "integer"]},
    "number": {"type": ["null", "number"]},
    "array": {"type": ["null", "array"]},
    "object": {"type": ["null", "object"]},
}


def on_stream_origin(side: StreamRequests, stream: StreamRequests) -> StreamRequests:
    """``side`` moved where the stream's requests were moved (``--base-url``, the simulator)."""
    if stream.url_origin:
        return replace(side, url_origin=stream.url_origin, base_override=stream.base_override)
    if stream.base_override:
        return replace(side, base_override=stream.base_override)
    return side


@dataclass(frozen=True)
class SideRead:
    """A side retriever's records, sent as its stream (the stream's auth and origin:
    ``checked_access``) with the side requester's own error handler (``retry``, ``actions``;
    airbyte-cdk's defaults where it declares none), as airbyte-cdk sends them."""

    stream: str
    what: str  # its config path, for messages
    requests: StreamRequests
    select: RecordPipeline
    first_only: bool = False  # a DynamicSchemaLoader reads to its first record only
    auth: Any = field(default=None, compare=False, repr=False)  # its requester's, at plan time
    home: str = field(default="", compare=False)  # its requester's origin, at plan time
    retry: Any = field(default=None, compare=False, repr=False)  # its requester's error handler
    actions: tuple[Any, ...] = field(default=(), compare=False, repr=False)  # and its filters

    def __deepcopy__(self, memo: dict[int, Any]) -> SideRead:
        return self  # frozen, and no state of a run: dlt's copies of a plan share it

    async def records(self, stream: ResourcePlan, fetch: Fetch) -> list[Any]:
        """The records, read with ``fetch`` (the engine's, for ``stream``; once per run: the
        caller is a ``before`` step, _engine/_before.py), at most ``SIDE_PAGES`` pages."""
        assert isinstance(stream.paginator, StreamRequests)
        requests = on_stream_origin(self.requests, stream.paginator)
        sender = replace(stream, retry=self.retry or stream.retry, response_actions=self.actions)
        traversal = make_traversal(requests, None, Slice())
        assert isinstance(traversal, ManifestTraversal)
        request: Request | None = traversal.first(Request(requests.method, ""))
        found: list[Any] = []
        number = 0
        while request is not None:
            if number >= SIDE_PAGES:
                raise ExtractionError(
                    self.stream,
                    f"{self.what} still offers a next page after {SIDE_PAGES:,} pages; "
                    "restsync stops there",
                )
            number += 1
            response = await fetch(request, sender)
            if response.ignored:
                break
            records = self.select(response.body, response.headers, Slice())
            found += records
            if self.first_only and found:
                return found[:1]
            page = Page(request, response.status, response.headers, response.body, records, number)
            request = traversal.next(request, page)
        return found


@dataclass(frozen=True)
class TypeRule:
    """One ``types_mapping`` entry: ``current`` (a text or a list) becomes ``target``."""

    current: Any
    target: Any  # a type name, a list of two, or {"field_type": ..., "items": ...}
    condition: str | None = None


@dataclass
class DynamicSchema:
    """A DynamicSchemaLoader: how its retriever's first record becomes a JSON schema."""

    read: SideRead
    interpolator: Interpolator
    key_pointer: tuple[str, ...]
    type_pointer: tuple[str, ...] | None
    schema_pointer: tuple[str, ...]
    rules: tuple[TypeRule, ...]
    shape: RecordPipeline  # schema_filter and schema_transformations, on the properties
    normalize: bool = False  # the stream's record_selector has schema_normalization Default
    # a CompositeSchemaLoader's other loaders' schemas, in order; None stands for this one
    composite: tuple[Any, ...] = (None,)
    fetched: Any = None  # the last schema read (the dlt columns hint reads it)

    def __deepcopy__(self, memo: dict[int, Any]) -> DynamicSchema:
        return self  # the one holder its FetchedColumns reads

    async def __call__(self, resource: ResourcePlan, fetch: Fetch, sleep: Any) -> ResourcePlan:
        """The stream's ``before`` step: its schema read (kept for its columns hint), and the
        stream with its records normalized by the schema where the selector asks."""
        first = await self.read.records(resource, fetch)
        try:
            schema = self.build(first[0] if first else None)
        except ValueError as exc:
            raise ExtractionError(
                self.read.stream, f"the schema read by {self.read.what} is not usable: {exc}"
            ) from None
        self.fetched = schema
        if not self.normalize:
            return resource
        assert isinstance(resource.select, RecordPipeline)
        select = replace(resource.select, schema=schema)
        chain: Any = resource.produce
        if chain is not None and getattr(chain, "select", None) is resource.select:
            chain = replace(chain, select=select)  # a chain reading the stream's pages (_query)
        return replace(resource, select=select, produce=chain)

    def build(self, record: Any) -> dict[str, Any]:
        raw = self._at(record, self.schema_pointer, []) if record else []
        properties: dict[str, Any] = {}
        for item in raw if isinstance(raw, list) else []:
            key = self._at(item, self.key_pointer, None)
            if not isinstance(key, str):
                raise ValueError(f"a field's name at key_pointer is {key!r}, not a text")
            kind = self._at(item, self.type_pointer, "string") if self.type_pointer else "string"
            properties[key] = self._json_type(self._mapped(kind, item))
        kept: dict[str, Any] = {}
        for name, value in properties.items():
            if self.shape.record_filter is None or truthy(
                self.shape.interpolator.eval(
                    self.shape.record_filter,
                    record={name: value},
                    stream_slice=Slice(),
                    stream_state={},
                )
            ):
                kept[name] = value
        kept = self.shape._transform(kept, Slice())
        merged: dict[str, Any] = {}
        for part in self.composite:  # an earlier loader's property wins, as in airbyte-cdk
            merged = {**(kept if part is None else _properties(part)), **merged}
        if len(self.composite) > 1:
            return {"type": ["null", "object"], "properties": merged}
        return {
            "$schema": "https://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": True,
            "properties": kept,
        }

    def _at(self, body: Any, pointer: tuple[str, ...] | None, default: Any) -> Any:
        current = body
        for part in pointer or ():
            key = str(self.interpolator.eval(part))
            if isinstance(current, Mapping) and key in current:
                current = current[key]
            elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
                current = current[int(key)]
            else:
                return default
        return current

    def _mapped(self, kind: Any, item: Any) -> Any:
        for rule in self.rules:
            if kind != rule.current:
                continue
            if rule.condition is None or truthy(
                self.interpolator.eval(rule.condition, raw_schema=item)
            ):
                return rule.target
        return kind

    def _json_type(self, kind: Any) -> Any:
        if isinstance(kind, list) and len(kind) == 2 and all(isinstance(k, str) for k in kind):
            return {"oneOf": [self._json_type(kind[0]), self._json_type(kind[1])]}
        if isinstance(kind, Mapping):  # ComplexFieldType
            found = dict(self._json_type(kind.get("field_type")))
            items = kind.get("items")
            if items:
                found["items"] = self._json_type(items)
            return found
        if not isinstance(kind, str) or kind not in AIRBYTE_TYPES:
            raise ValueError(
                f"the type {kind!r} is none of airbyte's ({', '.join(AIRBYTE_TYPES)}); "
                "map it with types_mapping"
            )
        return {k: list(v) if isinstance(v, list) else v for k, v in AIRBYTE_TYPES[kind].items()}


def type_rules(spec: Any, where: str) -> tuple[TypeRule, ...]:
    rules: list[TypeRule] = []
    for index, rule in enumerate(spec or []):
        at = f"{where}[{index}]"
        if not isinstance(rule, Mapping) or "target_type" not in rule:
            raise Unsupported(at, "TypesMap", "not a mapping with a target_type")
        target = rule["target_type"]
        if isinstance(target, Mapping):
            target = _complex(target, at)
        rules.append(TypeRule(rule.get("current_type"), target, rule.get("condition")))
    return tuple(rules)


def _complex(spec: Mapping[str, Any], at: str) -> dict[str, Any]:
    items = spec.get("items")
    if isinstance(items, Mapping):
        items = _complex(items, at)
    if items and spec.get("field_type") != "array":
        raise Unsupported(at, "ComplexFieldType", "items on a type that is not an array")
    return {"field_type": spec.get("field_type"), "items": items}


class FetchedColumns(Mapping[str, Any]):
    """The dlt columns hint of a stream with a DynamicSchemaLoader: called with a record, as dlt
    calls a dynamic hint, the read schema's columns (with ``fixed``, the incremental cursor's
    column, over them); read as a mapping (the simulator, ``plan``), only ``fixed``."""

    def __init__(self, schema: DynamicSchema, fixed: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fixed = dict(fixed)

    def __call__(self, item: Any = None) -> dict[str, Any]:
        return {**build_columns(self.schema.fetched), **self.fixed}

    def __getitem__(self, key: str) -> Any:
        return self.fixed[key]

    def __iter__(self) -> Any:
        return iter(self.fixed)

    def __len__(self) -> int:
        return len(self.fixed)

    def __deepcopy__(self, memo: dict[int, Any]) -> FetchedColumns:
        return self  # the one holder the run's SchemaFirst fills


def side_read(
    translator: Any, retriever: Any, ai: Interpolator, at: str, name: str, first_only: bool
) -> SideRead:
    """A schema loader's or a PropertiesFromEndpoint's SimpleRetriever, read as ``name``."""
    _expect(retriever, at, ("SimpleRetriever",), "SimpleRetriever")
    if retriever.get("partition_router"):
        raise Unsupported(
            f"{at}.partition_router", "SimpleRetriever", "a partition_router on a side retriever"
        )
    requests, auth, retry, actions, home = translator._requests(retriever, ai, at, name)
    select = build_records(
        retriever.get("record_selector") or {}, None, ai, f"{at}.record_selector"
    )
    return SideRead(
        name, at, requests, select, first_only, auth=auth, home=home, retry=retry, actions=actions
    )


def checked_access(read: SideRead, stream: ResourcePlan) -> None:
    """A side retriever is sent as its stream: refused where its authenticator or origin
    differs, so that no credential goes where the stream's would not."""
    if read.auth != stream.auth or (read.home and stream.base_url and read.home != stream.base_url):
        raise Unsupported(
            f"{read.what}.requester",
            "HttpRequester",
            "an authenticator or origin other than its stream's",
        )


def dynamic_schema(
    translator: Any, loaders: Any, ai: Interpolator, where: str, name: str, normalize: bool
) -> DynamicSchema | None:
    """The stream's DynamicSchemaLoader (alone, or in a list with other loaders), or None."""
    listed = loaders if isinstance(loaders, list) else [loaders]
    found = [
        i
        for i, loader in enumerate(listed)
        if isinstance(loader, Mapping) and loader.get("type") == "DynamicSchemaLoader"
    ]
    if not found:
        return None
    if len(found) > 1:
        raise Unsupported(where, "DynamicSchemaLoader", "more than one in a schema_loader list")
    at = f"{where}[{found[0]}]" if isinstance(loaders, list) else where
    spec = listed[found[0]]
    own = ai.with_parameters(spec.get("$parameters"))
    identifier = spec.get("schema_type_identifier")
    if not isinstance(identifier, Mapping) or not identifier.get("key_pointer"):
        raise Unsupported(f"{at}.schema_type_identifier", "SchemaTypeIdentifier", "no key_pointer")
    shaping = {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": []}}
    if spec.get("schema_filter"):
        shaping["record_filter"] = spec["schema_filter"]
    composite = tuple(
        None if i == found[0] else load_schema(loader, translator.folder, ai, f"{where}[{i}]")
        for i, loader in enumerate(listed)
    )
    return DynamicSchema(
        read=side_read(translator, spec.get("retriever"), own, f"{at}.retriever", name, True),
        interpolator=own,
        key_pointer=_pointer(identifier.get("key_pointer")),
        type_pointer=_pointer(identifier.get("type_pointer")) or None,
        schema_pointer=_pointer(identifier.get("schema_pointer")),
        rules=type_rules(
            identifier.get("types_mapping"), f"{at}.schema_type_identifier.types_mapping"
        ),
        shape=build_records(shaping, spec.get("schema_transformations"), own, at, stream_where=at),
        normalize=normalize,
        composite=composite,
    )


def _properties(schema: Any) -> Mapping[str, Any]:
    """A loaded schema's properties ({} where it names none)."""
    found = schema.get("properties") if isinstance(schema, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _pointer(value: Any) -> tuple[str, ...]:
    return tuple(str(p) for p in value or ())


def schema_first(resource: ResourcePlan, schema: DynamicSchema) -> ResourcePlan:
    """``resource`` reading its schema before its pages, its columns the schema's."""
    checked_access(schema.read, resource)
    columns = FetchedColumns(schema, resource.hints.get("columns") or {})
    note = f"DynamicSchemaLoader: the schema is read from {schema.read.what} before the stream"
    return replace(
        resource,
        before=(schema, *resource.before),  # before a PropertiesFromEndpoint, as airbyte-cdk
        hints={**resource.hints, "columns": columns},
        notes=(*resource.notes, note),
    )
