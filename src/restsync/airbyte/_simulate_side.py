"""The simulator's side reads: a DynamicSchemaLoader's schema endpoint and a
PropertiesFromEndpoint's property endpoint, served with values the stream's own pages agree with.

Each side retriever is served as a table of its own (``_<stream>_schema``,
``_<stream>_properties``, not streams: added after the passes over the streams), at the path its
requester renders, with its stream's auth (``_side.checked_access`` keeps them equal), its records
where its record selector reads them. Its records carry one field, a text key at the place the
manifest reads a name from (``key_pointer``, ``property_field_path``): the simulator makes a text
key from the record index alone (``nam_000001``, ``nam_000002``, ... for a field ``name``), so
the names are known here, whatever the run's seed.

* schema: one page (the loader reads the first record only), the items at the extractor's path
  plus ``schema_pointer``; no type at ``type_pointer`` ("string", then the manifest's
  ``types_mapping``). The schema these items build (``DynamicSchema.build``: the mapping,
  ``schema_filter``, ``schema_transformations``, a schema-loader list's other schemas) becomes
  the stream's served columns, so its records carry the schema's fields, typed as it says.
* properties: the side retriever's pages as its paginator pages them; the stream's records
  carry each property as a text field, and the chunks' merge key (``id`` by default) as a text
  where the stream's columns do not type it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from restsync._plan import ResourcePlan, SinglePaging, SourcePlan
from restsync.airbyte._jinja import TemplateError
from restsync.airbyte._parts import build_columns
from restsync.airbyte._query import PropertySource, QueryChain
from restsync.airbyte._records import RecordPipeline
from restsync.airbyte._side import DynamicSchema, SideRead
from restsync.simulator import SimulatorError
from restsync.simulator._compile import RECORDS
from restsync.simulator._values import key_maker

__all__ = ["SIDE_ITEMS", "served_side_reads"]

SIDE_ITEMS = 3  # the names a schema or property endpoint serves
Serve = Callable[[ResourcePlan, SourcePlan], ResourcePlan]  # _simulate._served


def served_side_reads(
    resource: ResourcePlan, plan: SourcePlan, serve: Serve
) -> tuple[ResourcePlan, list[ResourcePlan]]:
    """``resource`` with the columns its side reads give it (its ``before`` steps taken off:
    the simulator serves its pages), and the side endpoints to serve (none for a plain
    stream)."""
    sides: list[ResourcePlan] = []
    steps = resource.before
    resource = replace(resource, before=())
    for schema in (s for s in steps if isinstance(s, DynamicSchema)):
        side, columns = _schema_side(resource, schema, plan, serve)
        sides.append(side)
        resource = _with_columns(resource, columns)
    chain = resource.produce
    for source in (s for s in steps if isinstance(s, PropertySource)):
        assert isinstance(chain, QueryChain)
        name = ".".join(_rendered(source.interpolator, source.field_path, resource.name))
        side, names = _keyed_side(resource, source.read, (), name, "properties", plan, serve)
        sides.append(side)
        asked: dict[str, Any] = {n: {"data_type": "text"} for n in names}
        # the records of a page's chunks are merged on a text key (GroupByKey, airbyte-cdk's
        # join of the key's values): served as a text where the stream's columns lack it
        for merge_key in chain.merge_keys or ():
            asked[merge_key] = {"data_type": "text", "nullable": False}
        resource = _with_columns(resource, asked)
    return resource, sides


def _schema_side(
    resource: ResourcePlan, schema: DynamicSchema, plan: SourcePlan, serve: Serve
) -> tuple[ResourcePlan, dict[str, Any]]:
    at = _rendered(schema.interpolator, schema.schema_pointer, resource.name)
    key = ".".join(_rendered(schema.interpolator, schema.key_pointer, resource.name))
    side, names = _keyed_side(resource, schema.read, at, key, "schema", plan, serve)
    # the loader reads its first record only: the items on one page
    side = replace(side, paginator=SinglePaging(), stop_condition=None)
    items: list[dict[str, Any]] = []
    for name in names:
        item: dict[str, Any] = {}
        _set(item, key.split("."), name)
        items.append(item)
    first: dict[str, Any] = {}
    _set(first, list(at), items)
    try:
        built = schema.build(first)
    except (ValueError, TemplateError) as exc:
        raise SimulatorError(
            f"stream '{resource.name}': the schema {schema.read.what} serves is not usable: {exc}"
        ) from None
    return side, build_columns(built)


def _keyed_side(
    resource: ResourcePlan,
    read: SideRead,
    inside: tuple[str, ...],
    key: str,
    kind: str,
    plan: SourcePlan,
    serve: Serve,
) -> tuple[ResourcePlan, list[str]]:
    """The side endpoint as the simulator serves it, and the names its records carry at
    ``key`` (a text key per record index)."""
    if not key or any(word in key.lower() for word in ("uuid", "guid")):
        raise SimulatorError(
            f"stream '{resource.name}': {read.what} reads its names at {key!r}, where the "
            "simulator serves no name it can tell in advance"
        )
    select = read.select
    if not isinstance(select, RecordPipeline):  # side_read builds one
        raise SimulatorError(f"stream '{resource.name}': {read.what} has no record selector")
    path = select.path()
    side = replace(
        resource,
        name=f"_{resource.name}_{kind}",
        paginator=read.requests,
        select=RecordPipeline(
            select.interpolator
            if isinstance(select, RecordPipeline)
            else read.requests.interpolator,
            field_path=tuple(str(p) for p in (*path, *inside)),
        ),
        primary_key=(key,),
        parent=None,
        incremental=None,
        produce=None,
        hints={"columns": {key: {"data_type": "text", "nullable": False}}, RECORDS: SIDE_ITEMS},
    )
    served = serve(side, plan)
    served = replace(served, hints={**served.hints, RECORDS: SIDE_ITEMS})
    make = key_maker(key, "text", side.name, random.Random(0))  # a text key draws nothing
    return served, [str(make(index)) for index in range(SIDE_ITEMS)]


def _rendered(interpolator: Any, pointer: tuple[str, ...], stream: str) -> tuple[str, ...]:
    try:
        return tuple(str(interpolator.eval(part)) for part in pointer)
    except TemplateError as exc:
        raise SimulatorError(f"stream '{stream}': a side read's pointer fails: {exc}") from None


def _set(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    if path:
        target[path[-1]] = value


def _with_columns(resource: ResourcePlan, columns: Mapping[str, Any]) -> ResourcePlan:
    """``resource`` served with ``columns`` as well as its own (a plain dict: the schema hook's
    FetchedColumns reads as its fixed columns only)."""
    own = resource.hints.get("columns") or {}
    merged = {**columns, **dict(own.items())}
    return replace(resource, hints={**resource.hints, "columns": merged})
