"""QueryProperties: the properties a request asks the API for, chunked per request.

HubSpot-like APIs take the properties to return as a query parameter, with a limit on how many
one request may name. airbyte-cdk's SimpleRetriever then sends each page once per chunk of
properties (the chunk joined with ``,`` under the parameter that held the QueryProperties, and
in ``stream_slice.extra_fields['query_properties']``), and with a PropertyChunking merges the
records of one page that share a merge key (GroupByKeyMergeStrategy, ``id`` by default) into
one record, deep-merging their fields; a record without that key is yielded as it comes. The
page's next token is read from the last chunk's response, with the page's yielded records as
its records.

restsync does the same in the engine's ``produce`` hook (one chain per slice). The chunks are
computed once (at plan time, or for a PropertiesFromEndpoint in the stream's ``before`` step,
once per run), as airbyte-cdk computes them: without chunking, ``always_include_properties``
then the list; with a ``property_limit``, each chunk starts with ``always_include_properties``
and is filled up to the limit (a count, or characters with 3 per delimiter); with chunking but
no limit, one chunk: the list then ``always_include_properties``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from restsync._engine._paginate import make_traversal
from restsync._engine._request import Page, Request
from restsync._errors import ExtractionError
from restsync._plan import ResourcePlan
from restsync.airbyte._jinja import Interpolator, Slice
from restsync.airbyte._parts import Unsupported
from restsync.airbyte._requests import ManifestTraversal, StreamRequests, page_cap_error
from restsync.airbyte._side import SideRead, checked_access, side_read

__all__ = [
    "ChunkRule",
    "PropertySource",
    "QueryChain",
    "QuerySpec",
    "properties_from_endpoint",
    "property_chunks",
    "query_chain",
    "query_properties",
    "without_query_properties",
]

Fetch = Callable[[Request], Awaitable[Any]]


def property_chunks(
    properties: list[str],
    always: list[str],
    chunking: bool,
    limit: int | None,
    by_characters: bool,
) -> tuple[tuple[str, ...], ...]:
    """The chunks airbyte-cdk's QueryProperties gives for these properties."""
    if not chunking:
        return ((*always, *properties),)
    if not limit:
        return ((*properties, *always),)
    chunks: list[tuple[str, ...]] = []
    current, size = list(always), 0
    for name in properties:
        cost = len(name) + 3 if by_characters else 1
        if size + cost > limit:
            chunks.append(tuple(current))
            current, size = list(always), 0
        current.append(name)
        size += cost
    chunks.append(tuple(current))
    return tuple(chunks)


@dataclass(frozen=True)
class QueryChain:
    """The engine's ``produce`` hook for one stream with QueryProperties."""

    stream: str
    requests: StreamRequests
    select: Callable[[Any, Any, Any], list[Any]]  # the stream's RecordPipeline
    chunks: tuple[tuple[str, ...], ...]
    parameter: str | None  # the request parameter that carries a chunk, if any
    merge_keys: tuple[str, ...] | None  # None: no PropertyChunking, records are not merged
    max_pages: int

    async def __call__(self, parent: Any, fetch: Fetch, sleep: Any) -> AsyncIterator[list[Any]]:
        base = parent if isinstance(parent, Slice) else Slice(parent or {})
        traversal = make_traversal(self.requests, None, base)
        assert isinstance(traversal, ManifestTraversal)
        request: Request | None = traversal.first(Request(self.requests.method, ""))
        number = 0
        while request is not None:
            if number >= self.max_pages:
                raise page_cap_error(self.stream, self.max_pages)
            number += 1
            yielded: list[Any] = []
            merged: dict[str, dict[str, Any]] = {}
            last: Any = None
            for chunk in self.chunks:
                # airbyte-cdk's chunk slice keeps the partition and cursor, not extra_fields
                traversal.parent = Slice(
                    base.partition, base.cursor_slice, {"query_properties": list(chunk)}
                )
                sent = traversal.rebuild()
                if self.parameter is not None:
                    sent = self._with_chunk(sent, chunk)
                last = await fetch(sent)
                if last.ignored:
                    continue
                page_records = []
                for record in self.select(last.body, last.headers, traversal.parent):
                    key = self._key(record)
                    if key is None:
                        page_records.append(record)
                    else:
                        _deep_merge(merged.setdefault(key, {}), record)
                yielded += page_records
                if page_records:
                    yield page_records
            if merged:
                yield list(merged.values())
                yielded += merged.values()
            if last is None or last.ignored:
                return
            page = Page(sent, last.status, last.headers, last.body, yielded, number)
            request = traversal.next(sent, page)

    def _with_chunk(self, request: Request, chunk: tuple[str, ...]) -> Request:
        """``request`` with the chunk under ``parameter``, placed after the stream's own
        request_parameters and before the paginator's, where airbyte-cdk puts it."""
        assert self.parameter is not None
        own = {str(k) for k in (self.requests.params or {})}
        params = [(k, v) for k, v in request.params if k != self.parameter]
        at = max((i + 1 for i, (k, _) in enumerate(params) if k in own), default=0)
        params.insert(at, (self.parameter, ",".join(chunk)))
        return replace(request, params=tuple(params))

    def _key(self, record: Any) -> str | None:
        if self.merge_keys is None or not isinstance(record, Mapping):
            return None
        values = []
        for name in self.merge_keys:
            value = record.get(name)
            if not value:
                return None
            if not isinstance(value, str):
                # airbyte-cdk joins the key's values as texts and fails on any other value
                raise ExtractionError(
                    self.stream,
                    f"the merge key '{name}' of a record is {type(value).__name__}, not a text; "
                    "airbyte-cdk's GroupByKey fails the stream on it too",
                )
            values.append(value)
        return ",".join(values)


def _deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(target.get(key), dict) and isinstance(value, Mapping):
            _deep_merge(target[key], value)
        else:
            target[key] = value


@dataclass(frozen=True)
class ChunkRule:
    """How a QueryProperties chunks its properties (property_chunks' other arguments)."""

    always: tuple[str, ...] = ()
    chunking: bool = False
    limit: int | None = None
    by_characters: bool = False

    def chunks(self, properties: list[str]) -> tuple[tuple[str, ...], ...]:
        return property_chunks(
            properties, list(self.always), self.chunking, self.limit, self.by_characters
        )


@dataclass(frozen=True)
class QuerySpec:
    """A stream's QueryProperties, read from its requester."""

    chunks: tuple[tuple[str, ...], ...]
    parameter: str | None
    merge_keys: tuple[str, ...] | None
    rule: ChunkRule = ChunkRule()
    endpoint: tuple[Mapping[str, Any], str] | None = None  # PropertiesFromEndpoint, its path


@dataclass(frozen=True)
class PropertySource:
    """A PropertiesFromEndpoint, its stream's ``before`` step: the properties are the value at
    ``field_path`` of each record its retriever reads (once per run, _side.py), each as a text
    (airbyte-cdk's ``str()``, a missing one ``[]``), then chunked by ``rule`` into the chunks
    of the stream's QueryChain."""

    read: SideRead
    interpolator: Interpolator
    field_path: tuple[str, ...]
    rule: ChunkRule

    async def __call__(self, resource: ResourcePlan, fetch: Any, sleep: Any) -> ResourcePlan:
        chain = resource.produce
        assert isinstance(chain, QueryChain)
        records = await self.read.records(resource, fetch)
        chunks = self.rule.chunks([self._property(r) for r in records])
        return replace(resource, produce=replace(chain, chunks=chunks))

    def _property(self, record: Any) -> str:
        current = record
        for part in self.field_path:
            key = str(self.interpolator.eval(part))
            if not isinstance(current, Mapping) or key not in current:
                return "[]"
            current = current[key]
        return str(current)  # as airbyte-cdk writes a value that is not a text


def properties_from_endpoint(
    translator: Any, spec: QuerySpec, ai: Interpolator, name: str
) -> PropertySource | None:
    if spec.endpoint is None:
        return None
    endpoint, where = spec.endpoint
    own = ai.with_parameters(endpoint.get("$parameters"))
    path = endpoint.get("property_field_path")
    if not isinstance(path, list) or not path:
        raise Unsupported(f"{where}.property_field_path", "PropertiesFromEndpoint", "not a list")
    read = side_read(translator, endpoint["retriever"], own, f"{where}.retriever", name, False)
    return PropertySource(read, own, tuple(str(p) for p in path), spec.rule)


def query_chain(
    translator: Any, resource: ResourcePlan, query: QuerySpec, ai: Interpolator
) -> ResourcePlan:
    """``resource`` asking each page once per chunk of properties (a ``QueryChain``), its
    properties first read from their endpoint where a PropertiesFromEndpoint lists them."""
    assert isinstance(resource.paginator, StreamRequests) and resource.select is not None
    chain = QueryChain(
        resource.name,
        resource.paginator,
        resource.select,
        query.chunks,
        query.parameter,
        query.merge_keys,
        resource.max_pages,
    )
    source = properties_from_endpoint(translator, query, ai, resource.name)
    before = resource.before
    if source is not None:
        checked_access(source.read, resource)
        before = (*before, source)
    note = f"QueryProperties: each page is asked {len(query.chunks)} time(s), once per chunk"
    return replace(resource, produce=chain, before=before, notes=(*resource.notes, note))


def query_properties(requester: Mapping[str, Any], at: str) -> QuerySpec | None:
    """The requester's QueryProperties (in ``request_parameters``, or its ``query_properties``),
    or None; what restsync cannot run as airbyte-cdk does is refused by name."""
    fetched = requester.get("fetch_properties_from_endpoint")
    params = requester.get("request_parameters")
    found = [
        (key, value)
        for key, value in (params.items() if isinstance(params, Mapping) else ())
        if isinstance(value, Mapping) and value.get("type") == "QueryProperties"
    ]
    if fetched and found:
        raise Unsupported(
            f"{at}.fetch_properties_from_endpoint",
            "PropertiesFromEndpoint",
            "a QueryProperties in request_parameters too, which airbyte-cdk refuses too",
        )
    if fetched:
        # the older spelling of a QueryProperties listing these properties, neither chunked
        # nor sent by itself (hubspot's CRM search streams put them in their JSON body from
        # ``stream_slice.extra_fields['query_properties']``), as airbyte-cdk reads it
        query = {"type": "QueryProperties", "property_list": fetched}
        return _read(query, at, None, f"{at}.fetch_properties_from_endpoint")
    if len(found) > 1:
        raise Unsupported(
            f"{at}.request_parameters",
            "QueryProperties",
            "more than one in request_parameters, which airbyte-cdk refuses too",
        )
    if found:
        key, spec = found[0]
        return _read(spec, f"{at}.request_parameters.{key}", str(key))
    on_requester = requester.get("query_properties")
    if isinstance(on_requester, Mapping):
        return _read(on_requester, f"{at}.query_properties", None)
    return None


def without_query_properties(params: Any) -> Any:
    """``request_parameters`` without its QueryProperties entry (airbyte-cdk adds the chunk)."""
    if not isinstance(params, Mapping):
        return params
    return {
        key: value
        for key, value in params.items()
        if not (isinstance(value, Mapping) and value.get("type") == "QueryProperties")
    }


def _read(
    spec: Mapping[str, Any], at: str, parameter: str | None, listed_at: str | None = None
) -> QuerySpec:
    if spec.get("property_selector"):
        raise Unsupported(f"{at}.property_selector", "PropertySelector", "not supported")
    listed = spec.get("property_list")
    endpoint = None
    if isinstance(listed, Mapping):
        where = listed_at or f"{at}.property_list"
        if listed.get("type", "PropertiesFromEndpoint") != "PropertiesFromEndpoint":
            raise Unsupported(where, str(listed.get("type")), "not supported")
        if not isinstance(listed.get("retriever"), Mapping):
            raise Unsupported(where, "PropertiesFromEndpoint", "no retriever")
        endpoint, listed = (listed, where), None
    if listed is not None and not isinstance(listed, list):
        raise Unsupported(f"{at}.property_list", "QueryProperties", "a property_list not a list")
    always = spec.get("always_include_properties") or []
    if not isinstance(always, list):
        raise Unsupported(f"{at}.always_include_properties", "QueryProperties", "not a list")
    chunking = spec.get("property_chunking")
    limit: int | None = None
    by_characters = False
    keys: tuple[str, ...] | None = None
    if isinstance(chunking, Mapping):
        where = f"{at}.property_chunking"
        kind = str(chunking.get("property_limit_type") or "")
        if kind not in ("property_count", "characters"):
            raise Unsupported(where, "PropertyChunking", f"property_limit_type {kind!r}")
        by_characters = kind == "characters"
        raw = chunking.get("property_limit")
        if raw is not None and (isinstance(raw, bool) or not str(raw).isdigit()):
            raise Unsupported(where, "PropertyChunking", f"property_limit {raw!r}")
        limit = int(raw) if raw is not None else None
        keys = _merge_keys(chunking.get("record_merge_strategy"), f"{where}.record_merge_strategy")
    elif chunking is not None:
        raise Unsupported(f"{at}.property_chunking", "PropertyChunking", "not a mapping")
    rule = ChunkRule(tuple(str(p) for p in always), chunking is not None, limit, by_characters)
    return QuerySpec(rule.chunks([str(p) for p in listed or []]), parameter, keys, rule, endpoint)


_GROUP_BY_KEY = "GroupByKeyMergeStrategy"


def _merge_keys(spec: Any, at: str) -> tuple[str, ...]:
    if spec is None:
        return ("id",)
    if not isinstance(spec, Mapping) or spec.get("type", _GROUP_BY_KEY) != _GROUP_BY_KEY:
        kind = spec.get("type") if isinstance(spec, Mapping) else spec
        raise Unsupported(at, str(kind), "not supported")
    key = spec.get("key")
    return (str(key),) if isinstance(key, str) else tuple(str(k) for k in key or ())
