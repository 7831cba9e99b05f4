"""Turn a ``SourcePlan`` into what the simulator serves: record tables and endpoints.

Decisions made here, once per resource: the record shape (``fields`` > column hints > defaults,
plus the keys children bind to and the incremental cursor), how many records, where the records
sit in a body, which fields signal the last page, which field ``break_records`` drops, and which
credential to expect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from yarl import URL

from restsync._plan import IncrementalPlan, ResourcePlan, SourcePlan, parse_datetime_value
from restsync.simulator._auth import (
    Credential,
    Issuer,
    expected_credential,
    token_endpoint,
)
from restsync.simulator._data import (
    CURSOR_EPOCH,
    DEFAULT_FIELDS,
    DEFAULT_TIME_FORMAT,
    CursorSpec,
    FieldSpec,
    Shape,
)
from restsync.simulator._endpoints import (
    WINDOW_YEAR,
    BindingSource,
    Endpoint,
    Template,
    TimeFilter,
    sent_texts,
)
from restsync.simulator._options import SimulatorError, SimulatorOptions
from restsync.simulator._paging import (
    Pager,
    PageRequest,
    RecordCursorPager,
    default_page_size,
    dotted,
    make_pager,
)
from restsync.simulator._placement import Placement, with_fields
from restsync.simulator._stop_rule import StopRule, derive_stop_rule
from restsync.simulator._store import ParentSpec, TableSpec

__all__ = [
    "CHILD_RECORDS",
    "EMBEDDED_IN",
    "RECORDS",
    "SLUG",
    "SUFFIX_OF",
    "TIME_FORMAT",
    "Compiled",
    "compile_plan",
]

# a column hint the simulator reads (never dlt): [prefix, field], the column served as the
# prefix and that field's value (see FieldSpec.suffix_of)
SUFFIX_OF = "simulator_suffix_of"
# a column hint the simulator reads: a text key served with '-' for '_' (FieldSpec.slug)
SLUG = "simulator_slug"
# a column hint the simulator reads: the field holds the value its record's parent binds it by
# (a child inherits it), not a key of its own, though a grandchild binds it
INHERITED = "simulator_inherited"
# a column hint the simulator reads: a time served in this strptime format (FieldSpec.time_format)
TIME_FORMAT = "simulator_time_format"
# a table hint the simulator reads: a root resource's base record count (before ``scale``),
# where an unset ``records_per_resource`` would serve 2.5 pages
RECORDS = "simulator_records"
# a resource hint the simulator reads: the dotted field of the parent record that embeds this
# child's first page (Airbyte's lazy_read_pointer); served when the child's pager continues from
# its last record (a record cursor), so the page's records are followed by the endpoint's
EMBEDDED_IN = "simulator_embedded_in"
# the records a child resource is served per parent record (before ``scale``), where
# ``records_per_resource`` is unset (airbyte/_simulate.py's one-short-page rule counts on it)
CHILD_RECORDS = 3
EMBEDDED_PAGE_SIZE = 2  # records of the embedded first page (of CHILD_RECORDS a parent)

FieldHints = Mapping[str, Mapping[str, Mapping[str, Any]]]
_SAMPLE = PageRequest(url=URL("http://simulator.invalid/sample"), query={})


@dataclass(frozen=True)
class Compiled:
    prefix: str  # the path part of plan.base_url, without a trailing slash
    tables: dict[str, TableSpec]
    endpoints: list[Endpoint]
    tokens: list[Issuer]
    credentials: dict[str, Credential | None]  # per resource
    source_credential: Credential | None


def compile_plan(
    plan: SourcePlan,
    options: SimulatorOptions,
    fields: FieldHints | None = None,
    break_records: Mapping[str, int] | None = None,
) -> Compiled:
    fields = fields or {}
    break_records = break_records or {}
    _check_names(plan, fields, break_records)
    prefix = urlsplit(plan.base_url).path.rstrip("/")
    bound = _bound_fields(plan)
    tables: dict[str, TableSpec] = {}
    endpoints: list[Endpoint] = []
    tokens: dict[str, Issuer] = {}
    credentials: dict[str, Credential | None] = {}
    for resource in plan.resources.values():
        served = _Served.of(resource)
        auth = resource.auth if resource.auth is not None else plan.auth
        credential = expected_credential(auth, options.token, options.seed)
        credentials[resource.name] = credential
        token = token_endpoint(auth, options.token, options.seed, prefix)
        if token is not None:
            tokens.setdefault(token.path, token)
        shape = _shape(resource, fields.get(resource.name), bound.get(resource.name, ()))
        broken = int(break_records.get(resource.name, 0))
        tables[resource.name] = _table(resource, shape, served, options, broken)
        endpoints.append(_endpoint(resource, prefix, served, credential, shape))
    # what `restsync simulate` shows a client to send: the source's, or (a manifest, whose
    # streams each carry their own authenticator) the first stream's
    source_credential = expected_credential(plan.auth, options.token, options.seed) or next(
        (c for c in credentials.values() if c is not None), None
    )
    return Compiled(
        prefix, tables, endpoints, list(tokens.values()), credentials, source_credential
    )


def _check_names(plan: SourcePlan, fields: FieldHints, break_records: Mapping[str, int]) -> None:
    for what, names in (("fields", fields), ("break_records", break_records)):
        unknown = sorted(set(names) - set(plan.resources))
        if unknown:
            raise SimulatorError(
                f"{what} names unknown resource '{unknown[0]}'; resources are: "
                + ", ".join(sorted(plan.resources))
            )


@dataclass(frozen=True)
class _Served:
    """How a resource's pages are served: the pager, where records sit, what ends the paging."""

    pager: Pager
    placement: Placement
    stop_rule: StopRule

    @classmethod
    def of(cls, resource: ResourcePlan) -> _Served:
        pager = make_pager(resource.paginator, resource.name)
        more = pager.page(_SAMPLE, 10**6)
        needs_fields = bool(more.fields) or (resource.stop_condition is not None and not more.last)
        placement = Placement(resource.data_selector, needs_fields=needs_fields)
        stop_rule = derive_stop_rule(resource.stop_condition, pager, placement, resource.name)
        return cls(pager, placement, stop_rule)


def _table(
    resource: ResourcePlan,
    shape: Shape,
    served: _Served,
    options: SimulatorOptions,
    broken: int,
) -> TableSpec:
    broken_field = _break_field(resource, shape)
    if broken > 0 and broken_field is None:
        raise SimulatorError(
            f"break_records names resource '{resource.name}', whose records carry neither a "
            "primary key nor a required column (a column hint with nullable: False) that "
            "they could miss"
        )
    one_object = served.placement.one_object
    finish = None
    if one_object:
        last = served.pager.page(_SAMPLE, 1)
        terminal = {**last.fields, **served.stop_rule.fields(last)}
        finish = lambda record, terminal=terminal: with_fields(record, terminal)  # noqa: E731
    return TableSpec(
        shape=shape,
        count=_count(resource, options, one_object=one_object),
        parent=ParentSpec(resource.parent.resource, dict(resource.parent.bindings))
        if resource.parent
        else None,
        finish=finish,
        every_parent=one_object,
        broken=broken,
        broken_field=broken_field,
        **_embedded(resource, served),
    )


def _embedded(resource: ResourcePlan, served: _Served) -> dict[str, Any]:
    """The TableSpec fields of a child whose parent embeds its first page (EMBEDDED_IN): the
    parent field, and the body of a page of ``EMBEDDED_PAGE_SIZE`` records as the endpoint
    would serve it, so the page after it is the endpoint's second (the cursor the client reads
    from the embedded page's last record names a record the endpoint serves)."""
    field = resource.hints.get(EMBEDDED_IN)
    pager = served.pager
    if not field or resource.parent is None or not isinstance(pager, RecordCursorPager):
        return {}
    limit = pager.p.limit_param
    request = replace(_SAMPLE, query={limit: str(EMBEDDED_PAGE_SIZE)}) if limit else _SAMPLE

    def page(children: list[dict[str, Any]]) -> Any:
        served_page = pager.page(request, len(children))
        records = children[served_page.start : served_page.stop]
        if records and served_page.last_record:
            records[-1] = with_fields(records[-1], served_page.last_record)
        fields = {**served_page.fields, **served.stop_rule.fields(served_page)}
        return served.placement.body(records, fields)

    return {"embedded_in": str(field), "embedded_page": page}


def _endpoint(
    resource: ResourcePlan,
    prefix: str,
    served: _Served,
    credential: Credential | None,
    shape: Shape,
) -> Endpoint:
    relative = urlsplit(resource.path).path if "://" in resource.path else resource.path
    full = relative if "://" in resource.path else f"{prefix}/{relative.lstrip('/')}"
    path = Template(full, segment=True)
    bindings = list(resource.parent.bindings) if resource.parent else []
    return Endpoint(
        resource=resource,
        template=full,
        relative=relative,
        path=path,
        pager=served.pager,
        placement=served.placement,
        stop_rule=served.stop_rule,
        credential=credential,
        bindings=bindings,
        sources=_binding_sources(resource, [b for b in bindings if b not in path.names]),
        time_filter=_time_filter(resource.incremental, shape, path),
    )


def _bound_fields(plan: SourcePlan) -> dict[str, tuple[str, ...]]:
    """Parent fields that children put in their requests: they must exist and be unique, but
    for a field hinted ``INHERITED`` (the value the parent's own parent binds it by)."""
    out: dict[str, list[str]] = {}
    for resource in plan.resources.values():
        if resource.parent:
            parent = plan.resources.get(resource.parent.resource)
            hints = parent.column_hints() if parent is not None else {}
            fields = resource.parent.bindings.values()
            kept = [f for f in fields if not hints.get(f, {}).get(INHERITED)]
            out.setdefault(resource.parent.resource, []).extend(kept)
    return {name: tuple(dict.fromkeys(values)) for name, values in out.items()}


def _shape(
    resource: ResourcePlan, given: Mapping[str, Mapping[str, Any]] | None, bound: tuple[str, ...]
) -> Shape:
    hints = given if given is not None else resource.column_hints()
    if hints:
        specs = [
            FieldSpec(
                name,
                hint.get("data_type"),
                bool(hint.get("nullable", False)),
                _suffix_of(hint.get(SUFFIX_OF)),
                bool(hint.get(SLUG, False)),
                hint.get(TIME_FORMAT),
            )
            for name, hint in hints.items()
        ]
    else:
        specs = [FieldSpec(name, data_type) for name, data_type in DEFAULT_FIELDS]
    if given is not None:
        # the caller's fields are what the API sends (its document): a configured key that they
        # lack stays absent, so a mis-keyed config meets the records the real API would send
        primary_key = tuple(k for k in resource.primary_key if k in given) or (
            ("id",) if "id" in given else ()
        )
    else:
        # without a primary key an "id" is still unique: served by default, or when hinted
        primary_key = resource.primary_key or (("id",) if not hints or "id" in hints else ())
    keys = tuple(dict.fromkeys([*primary_key, *bound]))
    cursor = _cursor(resource.incremental, resource.name)
    required = [*keys, *([cursor.path] if cursor else [])]
    present = {spec.name for spec in specs}
    # keys and the cursor come first, so a record reads naturally: id, ..., then the rest
    extra = [FieldSpec(name) for name in required if name not in present]
    return Shape(resource.name, tuple(extra + specs), keys, cursor)


def _suffix_of(value: Any) -> tuple[str, str] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return str(value[0]), str(value[1])
    return None


def _break_field(resource: ResourcePlan, shape: Shape) -> str | None:
    """The field a broken record misses: the first required column the records carry (a column
    hint with ``nullable: False``, outside the primary key: what the engine checks), else the
    first primary key column."""
    served = {spec.name for spec in shape.fields}
    for name in resource.required_columns():
        if name in served and "." not in name:
            return name
    key = resource.primary_key[0] if resource.primary_key else None
    return key if key in served else None  # ``fields`` may leave a configured key out


def _cursor(incremental: IncrementalPlan | None, resource: str) -> CursorSpec | None:
    if incremental is None:
        return None
    try:
        path = dotted(incremental.cursor_path)
    except SimulatorError:
        raise SimulatorError(
            f"resource '{resource}': the simulator serves incremental cursors at dotted paths "
            f"only, not '{incremental.cursor_path}'"
        ) from None
    time_format = incremental.datetime_format or DEFAULT_TIME_FORMAT
    # a format without hours cannot tell consecutive hours apart: step by days then
    step = timedelta(hours=1) if ("%H" in time_format or "%I" in time_format) else timedelta(days=1)
    return CursorSpec(path, _cursor_start(incremental), time_format, step)


def _cursor_start(incremental: IncrementalPlan) -> datetime | float:
    value = incremental.initial_value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if value is None:
        return CURSOR_EPOCH
    try:
        parsed = parse_datetime_value(value, incremental.datetime_format)
    except (TypeError, ValueError):
        return CURSOR_EPOCH
    start = datetime.fromtimestamp(parsed.timestamp(), UTC)
    if _ends_before(incremental, CURSOR_EPOCH):
        # a window fixed before the epoch (nytimes' archive of one month in 2022): the records
        # start at its start, so the requests it asks get some
        return start
    # records start no earlier than the configured start, so a first load keeps all of them
    return max(CURSOR_EPOCH, start)


def _ends_before(incremental: IncrementalPlan, when: datetime) -> bool:
    if not isinstance(incremental.end_value, str):
        return False
    try:
        end = parse_datetime_value(incremental.end_value, incremental.datetime_format)
    except (TypeError, ValueError):
        return False
    return end.timestamp() < when.timestamp()


def _count(resource: ResourcePlan, options: SimulatorOptions, *, one_object: bool) -> int:
    if one_object:
        return 1
    base: float
    if options.records_per_resource is not None:
        base = options.records_per_resource
    elif resource.parent is None and isinstance(resource.hints.get(RECORDS), int):
        base = resource.hints[RECORDS]
    elif resource.parent is None:
        base = int(2.5 * default_page_size(resource.paginator))
    else:
        base = CHILD_RECORDS
    return max(0, round(base * options.scale))


def _binding_sources(resource: ResourcePlan, placeholders: list[str]) -> dict[str, BindingSource]:
    sources: dict[str, BindingSource] = {}
    for placeholder in placeholders:
        marker = "{" + placeholder + "}"
        found = next(
            (
                BindingSource(where, key, Template(text, segment=False))
                for where, key, text in _templates(resource)
                if marker in text
            ),
            None,
        )
        if found is None:
            raise SimulatorError(
                f"resource '{resource.name}': placeholder '{marker}' is bound to its parent but "
                "appears in no path, param, header or JSON body"
            )
        sources[placeholder] = found
    return sources


def _templates(resource: ResourcePlan) -> list[tuple[Any, str, str]]:
    return list(sent_texts(resource, headers=True))


def _time_filter(
    incremental: IncrementalPlan | None, shape: Shape, path: Template
) -> TimeFilter | None:
    """How the endpoint filters by time: by the period its path names when the served path
    carries a ``{window.year}`` (nytimes' archive, simulated), else by the plan's start and end
    params; None when it has neither."""
    if incremental is None or shape.cursor is None:
        return None
    period_in_path = WINDOW_YEAR in path.names
    if not period_in_path and incremental.start_param is None and incremental.end_param is None:
        return None
    return TimeFilter(incremental, numeric=shape.cursor.numeric, period_in_path=period_in_path)
