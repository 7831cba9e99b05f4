"""What the simulator serves for a manifest: the translated plan restated in the dialect the
simulator knows (paths with ``{placeholders}``, dlt paginator types, incremental params).

Each stream is served as a table: its schema's columns as the record shape, its primary key,
its auth (the credential in the connector config), and its pagination contract when that is one
of the common forms:

* ``CursorPagination`` reading ``response.<field>`` into a request parameter -> ``cursor``;
  into ``RequestPath`` -> ``json_link``; ``headers['link']['next']['url']`` -> ``header_link``;
* ``OffsetIncrement`` -> ``offset``; ``PageIncrement`` -> ``page_number``; none -> one page.

A SubstreamPartitionRouter's partition field becomes a path placeholder bound to the parent's
key; DatetimeBasedCursor windows become the start/end parameters the simulator filters on.
Anything else makes ``restsync simulate`` say which stream it cannot serve and why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from yarl import URL

from restsync._expressions import Condition
from restsync._plan import (
    CursorPaging,
    HeaderLinkPaging,
    IncrementalPlan,
    JSONLinkPaging,
    OffsetPaging,
    PageNumberPaging,
    PagingPlan,
    ParentLink,
    ResourcePlan,
    SinglePaging,
    SourcePlan,
    TimeParam,
)
from restsync._selectors import set_field
from restsync.airbyte._cursor import cursor_value
from restsync.airbyte._jinja import Slice, TemplateError
from restsync.airbyte._lazy import LazyChain
from restsync.airbyte._query import QueryChain
from restsync.airbyte._records import AddField, RecordPipeline
from restsync.airbyte._requests import (
    CursorStrategy,
    OffsetStrategy,
    PageStrategy,
    RequestOption,
    StreamRequests,
    truthy,
)
from restsync.airbyte._simulate_computed import computed_partition
from restsync.airbyte._simulate_fanout import bound_crossed_roots
from restsync.airbyte._simulate_links import header_link, rendered_link
from restsync.airbyte._simulate_listed import end_of_list, listed_pages
from restsync.airbyte._simulate_params import param_cursor
from restsync.airbyte._simulate_positions import PathPositionPaging, path_position
from restsync.airbyte._simulate_reads import served_field
from restsync.airbyte._simulate_side import served_side_reads
from restsync.airbyte._simulate_values import formatted_cursor, with_time_formats
from restsync.airbyte._simulate_windows import window_path
from restsync.airbyte._slices import Slicer
from restsync.simulator import SimulatorError
from restsync.simulator._compile import (
    CHILD_RECORDS,
    EMBEDDED_IN,
    INHERITED,
    RECORDS,
    SLUG,
    SUFFIX_OF,
)
from restsync.simulator._data import DEFAULT_FIELDS, LIST_STEP
from restsync.simulator._paging import (
    DEFAULT_PAGE_SIZE,
    EchoedPagePaging,
    EchoedPositionPaging,
    LinkCursorPaging,
    LinkParamCursorPaging,
    PageRequest,
    RecordCursorPaging,
    TextPositionPaging,
    literal_key,
    make_pager,
)
from restsync.simulator._placement import Placement, selector_text
from restsync.simulator._stop_rule import condition_fields, derive_stop_rule

__all__ = ["simulator_plan"]

SIMULATED_BASE = "http://simulator.invalid"
_ADDRESS = re.compile(r"^https?://[^/?#]+")
_LAST_RECORD = re.compile(
    r"\{\{\s*last_record((?:\[['\"]\w+['\"]\]|\.get\(['\"]\w+['\"]\)|\.\w+(?![\w(]))+)"
    r"(?:\s*\+\s*(?P<shift>\d+))?"
    # datadog's guard for the empty page: ... if last_record else None (a falsy literal)
    r"(?:\s+if\s+last_record\s+else\s+(?:None|none|''|\"\"|\{\s*\}|\[\s*\]|0|False|false))?"
    r"\s*\}\}",
    re.DOTALL,
)
# a cursor cut from a next-page URL in a response field, as the URL's last parameter:
# {{ response.get('@odata.nextLink', '').split('$skiptoken=')[-1] if response.get(...) else '' }}
_CUT_FROM_LINK = re.compile(
    r"\{\{\s*response\.get\((['\"])(?P<key>[^'\"]+)\1\s*,\s*(['\"])\3\s*\)"
    r"\.split\((['\"])(?P<param>[^'\"=]+)=\4\)\[-1\](?:\.split\((['\"])&\6\)\[0\])?"
    r"(?:\s+if\s+[^{}]*?\s+else\s+(['\"])\7)?\s*\}\}",
    re.DOTALL,
)
# headers['link']['next']['url'], each step also .get('key') or .get('key', {}) (cisco-meraki's
# headers.get('link', {}).get('next', {}).get('url'))
_HEADER_STEP = r"(?:\[(['\"]){key}\{n}\]|\.get\((['\"]){key}\{m}\s*(?:,\s*\{{\s*\}}\s*)?\))"
_LINK_NEXT = re.compile(
    r"^\{\{\s*headers"
    + _HEADER_STEP.format(key="link", n=1, m=2)
    + _HEADER_STEP.format(key="next", n=3, m=4)
    + _HEADER_STEP.format(key="url", n=5, m=6)
    + r"\s*\}\}$"
)


def simulator_plan(plan: SourcePlan) -> SourcePlan:
    """The plan the simulator serves for a translated manifest (streams only, no slices)."""
    served: dict[str, ResourcePlan] = {}
    ends: list[ResourcePlan] = []  # the answers after a listed path's last item
    for resource in plan.resources.values():
        if resource.compute is not None:
            continue
        resource, sides = served_side_reads(resource, plan, _served)  # schema, properties
        ends += sides
        if isinstance(resource.produce, LazyChain | QueryChain):
            # pages read with the stream's own requests (a lazily read parent's first page, a
            # page per chunk of properties): served as any stream's, and a lazily read
            # stream's first page also inside its parent's record, where the pointer reads it
            resource = replace(resource, produce=None, hints=_embedded_hints(resource, plan))
        if resource.produce is not None:  # an AsyncRetriever's report jobs: _simulate_async.py
            from restsync.airbyte._simulate_async import served_jobs

            served[resource.name] = served_jobs(resource)
            continue
        served[resource.name] = _served(resource, plan)
        requests = resource.paginator
        listed = listed_pages(requests) if isinstance(requests, StreamRequests) else None
        if listed is not None:
            ends.append(end_of_list(served[resource.name], listed))
    _one_stream_a_route(served, plan)
    _serve_computed_keys(served, plan)
    _serve_own_partitions(served, plan)
    _serve_inner_keys(served)
    bound_crossed_roots(served, plan)
    served.update((end.name, end) for end in ends)  # not streams: after the passes over them
    return replace(plan, base_url=SIMULATED_BASE, resources=served)


def _embedded_hints(resource: ResourcePlan, plan: SourcePlan) -> Mapping[str, Any]:
    """A lazily read stream's hints with the parent field that embeds its first page."""
    slicer = _slicer(resource, plan)
    pointer = slicer.parent.lazy_pointer if slicer is not None and slicer.parent else ()
    if not pointer:
        return resource.hints
    return {**resource.hints, EMBEDDED_IN: ".".join(pointer)}


def _one_stream_a_route(served: dict[str, ResourcePlan], plan: SourcePlan) -> None:
    """The simulator routes by method and path: two streams there that ask for different
    things (serpstat's streams all POST to '/' with another body) cannot both be served. Two
    that ask for the same thing (captain-data's jobs and successful_jobs, which filters them;
    a hidden copy of a parent) are one dataset: each gets the columns both need, so the records
    served carry the fields either one's filter reads."""
    seen: dict[tuple[str, str], list[str]] = {}
    for name, resource in served.items():
        seen.setdefault((resource.method, resource.path), []).append(name)
    for names in seen.values():
        asks = _asks(plan, served, names[0])
        if any(_asks(plan, served, n) != asks for n in names[1:]):
            _told_apart(served, plan, names)
        elif len(names) > 1:
            columns = _joint_columns([served[n] for n in names])
            for n in names:
                served[n] = replace(served[n], hints={**served[n].hints, "columns": columns})


def _told_apart(served: dict[str, ResourcePlan], plan: SourcePlan, names: list[str]) -> None:
    """Streams at one method and path that ask for different things (less-annoying-crm's
    ``POST /`` with ``{"Function": "GetContacts"}`` or ``"GetPipelineItemsAttachedToContact"``)
    are served side by side when each sends a literal parameter or JSON body text that no other
    one sends alike: the simulator routes a request to the stream whose literal values it sends.
    Otherwise only one of them can be served at a time."""
    literals = {n: _literals(plan.resources[n].paginator) for n in names}
    for at, first in enumerate(names):
        for other in names[at + 1 :]:
            if not _differs(literals[first], literals[other]):
                resource = served[first]
                raise SimulatorError(
                    f"streams '{first}' and '{other}' are both at {resource.method} "
                    f"/{resource.path}, with other parameters, body or paging; the simulator "
                    "routes by method and path, and by a literal parameter or body text only when "
                    "they send it with different values, so serve one of them at a time"
                )
    for name in names:
        params, body = dict(served[name].params), dict(served[name].json_body or {})
        for (where, key), text in literals[name].items():
            if where == "query":
                params.setdefault(key, text)
            else:
                set_field(body, key, text)
        served[name] = replace(served[name], params=params, json_body=body or None)


def _literals(requests: Any) -> dict[tuple[str, str], str]:
    """The texts a stream always sends, without a template: {("query" or "json", key): text}
    (form fields as the body's keys, as the simulator reads a form)."""
    if not isinstance(requests, StreamRequests):
        return {}
    found: dict[tuple[str, str], str] = {}
    if isinstance(requests.params, Mapping):
        for key, value in requests.params.items():
            if isinstance(value, str) and "{{" not in value and "{%" not in value:
                found[("query", str(key))] = value
    for body in (requests.body_json, requests.body_data):
        for key, value in _body_templates(body, ""):
            if "{{" not in value and "{%" not in value:
                found[("json", key)] = value
    return found


def _differs(mine: dict[tuple[str, str], str], other: dict[tuple[str, str], str]) -> bool:
    """Whether both streams send one parameter or body field as literal texts that differ."""
    return any(key in other and other[key] != text for key, text in mine.items())


def _joint_columns(resources: list[ResourcePlan]) -> dict[str, Any]:
    joint: dict[str, Any] = {}
    for resource in resources:
        for column, hint in (resource.hints.get("columns") or {}).items():
            if column not in joint or not (hint or {}).get("nullable", True):
                joint[column] = hint
    return joint


def _asks(plan: SourcePlan, served: dict[str, ResourcePlan], name: str) -> tuple[Any, ...]:
    """What a stream asks its route for: the manifest's parameters, headers and body, and the
    served ones (a query inside the path, a partition sent as a request option)."""
    requests = plan.resources[name].paginator
    if not isinstance(requests, StreamRequests):
        return ()
    own = served[name]
    return (
        requests.params,
        requests.headers,
        requests.body_json,
        requests.body_data,
        own.params,
        own.headers,
        own.json_body,
        # the paging contract too: flowlu's project_observers sends its page in the JSON body
        # at the route where st_projects_users sends it in the query; served as one, the body's
        # page was never read and every answer offered a next page
        own.paginator,
    )


def _served(resource: ResourcePlan, plan: SourcePlan) -> ResourcePlan:
    requests = resource.paginator
    if not isinstance(requests, StreamRequests):
        raise SimulatorError(f"stream '{resource.name}' was not translated from a manifest")
    slicer = _slicer(resource, plan)
    marks = _placeholder_slice(slicer)
    inner = _inner_key(requests, slicer)
    if inner is not None and slicer is not None and slicer.parent is not None:
        # survicate: '{{ stream_partition.respondent.uuid }}' of an object parent key
        marks = Slice(
            {
                **marks,
                slicer.parent.partition_field: _nested_mark(slicer.parent.partition_field, inner),
            }
        )
    computed = None
    try:
        path = requests.interpolator.text(requests.path, stream_slice=marks, next_page_token=None)
    except TemplateError:
        # hugging-face-datasets: the path takes apart a key the parent computes from its fields
        computed = _computed_partition(resource, plan, slicer, marks)
        if computed is None:
            # free-agent-connector: '/payroll/{{ format_datetime(stream_partition.ends_on,
            # '%Y') }}' asks by the year of the parent's date, which the simulator cannot bind
            # records to
            raise SimulatorError(
                f"stream '{resource.name}': its path is computed from a partition value (the "
                f"simulator binds the value itself, or parent fields the value is built from "
                f"and the path takes apart, not this): {requests.path!r}"
            ) from None
        path = computed[0]
    if computed is None and _lost_partition(slicer, path):
        # microsoft-lists: '{{ stream_partition.item_info.list_id }}' of an object the parent's
        # AddFields builds renders empty on a placeholder (_simulate_computed)
        computed = _computed_partition(resource, plan, slicer, marks)
        path = computed[0] if computed is not None else path
    if computed is None:
        # track-pms: '{{ stream_partition.folio_id | int }}' of a number key
        path = (
            _numbered_partition(requests, slicer, marks, path, _parent_of(resource, plan)) or path
        )
    if requests.url_base and _ADDRESS.match(path):
        # a whole address as the path under a url_base (pennylane's plan_items): served at its
        # path, where base_url moves it (the clients' join would keep its host)
        path = _ADDRESS.sub("", path)
    if requests.url and not requests.url_base:
        # a whole address (``url``): served at its path, on the simulator's origin
        address = requests.interpolator.text(requests.url, stream_slice=marks, next_page_token=None)
        path = _ADDRESS.sub("", address).rstrip("/") + ("/" + path.lstrip("/") if path else "")
    windowed = window_path(requests, slicer, marks)
    if windowed is not None:
        # nytimes: '/archive/v1/{{ stream_slice['start_time'].split('-')[0] | int }}/...'
        path = windowed
    if "{{" in str(requests.path or "") and not path.strip("/"):
        # nytimes: '/archive/v1/{{ stream_slice['start_time'].split('-')[0] | int }}/...'
        raise SimulatorError(
            f"stream '{resource.name}': its path is computed from values the simulator cannot "
            f"place (a time window's parts): {requests.path!r}"
        )
    parent, carried = None, {}
    if slicer is not None and slicer.parent is not None:
        helper = plan.resources[resource.parent.resource] if resource.parent else None
        if helper is None or helper.parent is None:
            raise SimulatorError(f"stream '{resource.name}': its parent stream is not in the plan")
        field = slicer.parent.partition_field
        if computed is None:
            _computed_key(plan.resources[helper.parent.resource], slicer, resource.name)
        key = ".".join(slicer.parent.parent_key)
        # a key the parent's AddFields copies from a field it reads: bound to that field
        key = _copied_key(plan.resources[helper.parent.resource], slicer) or key
        if computed is not None:
            # parent fields the partition value is built from, each bound where the path reads
            # its part (_simulate_computed)
            parent = ParentLink(helper.parent.resource, computed[1], ())
        elif inner is not None and "{" + ".".join((field, *inner)) + "}" in path:
            # a field inside an object key, bound to that field of the parent's key
            link = {".".join((field, *inner)): ".".join((key, *inner))}
            parent = ParentLink(helper.parent.resource, link, ())
        elif "{" + field + "}" in path or not (
            _sent_nowhere(requests, field) or _never_read(requests, marks, field)
        ):
            if "{" + field + "}" not in path:
                carried = _partition_option(requests, field, resource.name)
            link = {field: key}
            parent = ParentLink(helper.parent.resource, link, ())
        # else the same request for every parent record (mailosaur's messages, front's
        # company_tags): the API's answer does not depend on the parent, served as a root
    # a path may carry its own query ('calls.json?', 'subscriptions?customer={id}'): the
    # simulator routes the path and reads the query as parameters (a partition there binds)
    listed = listed_pages(requests)
    paginator: PagingPlan
    if listed is not None:
        # yahoo-finance-price: page n asks for the n-th config ticker's path (_simulate_listed)
        path, paginator = listed.path, SinglePaging()
    else:
        paginator = _paginator(
            requests,
            resource.name,
            resource.primary_key,
            _selector(resource),
            first_path=path,
            child=parent is not None,
        )
    if isinstance(paginator, PathPositionPaging):
        # xkcd's '{n}/info.0.json': every position is a path of this stream
        path = f"{paginator.prefix}{{position}}{paginator.suffix}"
    path, _, query = path.partition("?")
    if query.startswith("/"):
        # a route in the query (testrail's 'index.php?/api/v2/get_plans/{project_id}', PHP's
        # front-controller style): its first key, a path, stays part of the route
        routed, _, query = query.partition("&")
        path = f"{path}?{routed}"
    # the clients join the path with urljoin, which drops empty segments inside it (jotform's
    # '/form//{{ ... }}/questions' is asked as /form/<id>/questions): served where it is asked
    path = re.sub(r"(?<=.)/{2,}(?=.)", "/", path)
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.update(carried.get("request_parameter", {}))
    return replace(
        resource,
        params=params,
        headers=carried.get("header", {}),
        json_body=carried.get("body_json") or None,
        hints={
            **with_time_formats(
                _without_cursor(_with_input_fields(resource), paginator), resource.select
            ),
            **({RECORDS: 1} if listed is not None else {}),
            # a last record's cursor sent nowhere: one answer of the page's records
            **({RECORDS: _ONE_PAGE_RECORDS} if _one_answer(paginator) else {}),
        },
        path=path.lstrip("/"),
        paginator=paginator,
        stop_condition=_stop_condition(requests, paginator, resource),
        data_selector=_selector(resource),
        parent=parent,
        incremental=_incremental(resource, requests, slicer, in_path=windowed is not None),
        select=None,
        response_actions=(),
    )


def _lost_partition(slicer: Slicer | None, path: str) -> bool:
    """Whether the rendered path lost the parent partition's placeholder that the manifest's
    path reads (a part of it, or the value through a filter)."""
    if slicer is None or slicer.parent is None:
        return False
    return "{" + slicer.parent.partition_field + "}" not in path


# a partition value the simulator's number keys never take (they count from 1)
_NUMBER_MARK = 7_919_713
_NUMBER_TYPES = ("bigint", "double", "decimal")


def _numbered_partition(
    requests: StreamRequests,
    slicer: Slicer | None,
    marks: Slice,
    path: str,
    parent: ResourcePlan | None,
) -> str | None:
    """The path with the partition's placeholder, when a filter that keeps a number (``|
    int``) turned the placeholder into something else and the parent's key is served as a
    number: rendered with a number for the partition value, which is found once in the path
    and bound there. None otherwise."""
    if slicer is None or slicer.parent is None or len(slicer.parent.parent_key) != 1:
        return None
    field = slicer.parent.partition_field
    if "{" + field + "}" in path or not isinstance(requests.path, str):
        return None
    if parent is None or _key_type(parent, slicer.parent.parent_key[0]) not in _NUMBER_TYPES:
        return None
    probe = Slice({**marks, field: _NUMBER_MARK})
    try:
        numbered = requests.interpolator.text(
            requests.path, stream_slice=probe, next_page_token=None
        )
    except TemplateError:
        return None
    if numbered.count(str(_NUMBER_MARK)) != 1:
        return None
    return numbered.replace(str(_NUMBER_MARK), "{" + field + "}")


def _parent_of(resource: ResourcePlan, plan: SourcePlan) -> ResourcePlan | None:
    """The parent stream of a child (behind its slices' helper resource), or None."""
    helper = plan.resources.get(resource.parent.resource) if resource.parent else None
    if helper is None or helper.parent is None:
        return None
    return plan.resources.get(helper.parent.resource)


def _key_type(parent: ResourcePlan, key: str) -> str | None:
    """The data type the parent stream's ``key`` column is served with (its schema's)."""
    columns = (parent.hints or {}).get("columns", {})
    column = columns.get(key) if isinstance(columns, Mapping) else None
    kind = column.get("data_type") if isinstance(column, Mapping) else None
    return kind if isinstance(kind, str) else None


def _computed_key(parent: ResourcePlan, slicer: Slicer, stream: str) -> tuple[str, str] | None:
    """The simulator binds a partition to the parent's key as the API serves it. A key the
    parent's ``AddFields`` computes (calendly's ``id``, cut from ``uri`` by a regex) is served
    when the value it is computed from can end in the key: ``uri`` is then served as a URI
    ending in the record's served ``id`` (checked by running the parent's own transformations
    on a sample). Returns (the column read, its prefix), or None for a key the API serves."""
    assert slicer.parent is not None
    key = slicer.parent.parent_key
    pipeline = parent.select
    steps = pipeline.transformations if isinstance(pipeline, RecordPipeline) else ()
    if _copied_key(parent, slicer) is not None:
        return None
    for step in steps:
        if isinstance(step, AddField) and tuple(step.path) == tuple(key[: len(step.path)]):
            assert isinstance(pipeline, RecordPipeline)
            reads = _record_reads(RecordPipeline(pipeline.interpolator, transformations=(step,)))
            if len(reads) == 1 and "." not in reads[0] and len(key) == 1:
                prefix = f"{SIMULATED_BASE}/{parent.name}/"
                if all(
                    str(_transformed(pipeline, {reads[0]: prefix + sample}).get(key[0])) == sample
                    for sample in ("7", "k-0042")
                ):
                    return reads[0], prefix
            raise SimulatorError(
                f"stream '{stream}': its partition key '{'/'.join(key)}' is computed by the "
                f"parent stream's AddFields ({step.value!r}), which the simulator cannot serve"
            )
    return None


_PLAIN_READ = re.compile(r"\{\{\s*record((?:\.\w+|\[['\"]\w+['\"]\])+)\s*\}\}")


def _copied_key(parent: ResourcePlan, slicer: Slicer) -> str | None:
    """The field (dotted) of the API's record that the parent's last AddFields on the
    partition key copies as it is (appfollow's ext_id: ``{{ record.app.ext_id }}``), or None."""
    assert slicer.parent is not None
    key = tuple(slicer.parent.parent_key)
    pipeline = parent.select
    steps = pipeline.transformations if isinstance(pipeline, RecordPipeline) else ()
    found = None
    for step in steps:
        if isinstance(step, AddField) and tuple(step.path) == key:
            read = _PLAIN_READ.fullmatch(str(step.value).strip())
            found = (
                ".".join(re.findall(r"\w+", read.group(1))) if read and not step.condition else None
            )
    return found


def _computed_partition(
    resource: ResourcePlan, plan: SourcePlan, slicer: Slicer | None, marks: Slice
) -> tuple[str, dict[str, str]] | None:
    requests = resource.paginator
    helper = plan.resources[resource.parent.resource] if resource.parent else None
    if not isinstance(requests, StreamRequests) or helper is None or helper.parent is None:
        return None
    parent = plan.resources[helper.parent.resource]
    own = _placeholder_slice(_slicer(parent, plan))
    return computed_partition(requests, slicer, parent, marks, _record_reads, own)


def _transformed(pipeline: RecordPipeline, record: dict[str, Any]) -> dict[str, Any]:
    try:
        out = pipeline._transform(dict(record), Slice())
    except (TemplateError, ValueError, TypeError, KeyError):
        return {}
    return out if isinstance(out, dict) else {}


def _serve_computed_keys(served: dict[str, ResourcePlan], plan: SourcePlan) -> None:
    """Each parent whose key a child's partition reads is computed: its source column served
    as a URI ending in the key (see ``_computed_key``)."""
    for name in list(served):
        resource = plan.resources[name]
        slicer = _slicer(resource, plan)
        helper = plan.resources[resource.parent.resource] if resource.parent else None
        if slicer is None or slicer.parent is None or helper is None or helper.parent is None:
            continue
        parent_name = helper.parent.resource
        if served[name].parent is not None and _computed_partition(
            resource, plan, slicer, _placeholder_slice(slicer)
        ):
            continue  # bound to the fields the key is built from, not to the key
        found = _computed_key(plan.resources[parent_name], slicer, name)
        if found is None or parent_name not in served:
            continue
        column, prefix = found
        parent = served[parent_name]
        columns = dict(parent.hints.get("columns") or {})
        key = slicer.parent.parent_key[0]
        columns[column] = {**(columns.get(column) or {}), SUFFIX_OF: [prefix, key]}
        # a text key ends the URI as 'sch-000001', the characters the samples were checked with
        columns[key] = {**(columns.get(key) or {}), SLUG: True}
        served[parent_name] = replace(parent, hints={**parent.hints, "columns": columns})


def _serve_own_partitions(served: dict[str, ResourcePlan], plan: SourcePlan) -> None:
    """A parent whose children bind its own partition value (microsoft-lists' items, asked
    for per list, whose children's path carries the list) serves that value in a field of its
    records named like the partition, which the simulator fills from the record's parent."""
    for resource in list(served.values()):
        link = resource.parent
        parent = served.get(link.resource) if link is not None else None
        if link is None or parent is None or parent.parent is None:
            continue
        own = set(parent.parent.bindings)
        # a parent without columns is served the simulator's default fields: kept, plus this
        columns = dict(parent.hints.get("columns") or {}) or {
            name: {"data_type": data_type} for name, data_type in DEFAULT_FIELDS
        }
        missing = [f for f in link.bindings.values() if f in own and f not in columns]
        if not missing:
            continue
        for name in missing:
            columns[name] = {"data_type": "text", "nullable": False, INHERITED: True}
        served[link.resource] = replace(parent, hints={**parent.hints, "columns": columns})


def _serve_inner_keys(served: dict[str, ResourcePlan]) -> None:
    """A parent whose children bind a field inside an object (survicate's respondent.uuid)
    serves that object with the field, not the generic json value its schema names."""
    for resource in list(served.values()):
        link = resource.parent
        if link is None or link.resource not in served:
            continue
        for bound in link.bindings.values():
            top = bound.split(".")[0]
            parent = served[link.resource]
            columns = dict(parent.hints.get("columns") or {})
            hint = columns.get(top)
            if "." not in bound or not isinstance(hint, Mapping):
                continue
            if hint.get("data_type") == "json":
                columns.pop(top)
                columns.setdefault(bound, {})
                hints = {**parent.hints, "columns": columns}
                served[link.resource] = replace(parent, hints=hints)


def _sent_nowhere(requests: StreamRequests, field: str) -> bool:
    """Whether no part of the request names the partition ``field``: no request option and no
    template of the path, URL, parameters, headers or body reads it."""
    if any(key == field for _, key in requests.slice_options):
        return False
    parts = (requests.path, requests.url, requests.params, requests.headers)
    text = repr((*parts, requests.body_json, requests.body_data))
    return (
        re.search(r"stream_(?:partition|slice)\b[^}]*\b" + re.escape(field) + r"\b", text) is None
    )


def _inner_key(requests: StreamRequests, slicer: Slicer | None) -> tuple[str, ...] | None:
    """The one field the request's path reads inside the parent partition's value, when that
    value is an object (survicate's ``stream_partition.respondent.uuid``), or None."""
    if slicer is None or slicer.parent is None:
        return None
    field = re.escape(slicer.parent.partition_field)
    step = r"(?:\.\w+|\[['\"]\w+['\"]\])"
    found = {
        tuple(re.findall(r"\w+", m.group(1)))
        for m in re.finditer(
            r"stream_(?:partition|slice)(?:\." + field + r"|\[['\"]" + field + r"['\"]\])"
            r"(" + step + r"+)",
            str(requests.path or ""),
        )
    }
    return found.pop() if len(found) == 1 else None


def _nested_mark(field: str, inner: tuple[str, ...]) -> dict[str, Any]:
    """``{"uuid": "{respondent.uuid}"}`` for ``respondent`` and ``("uuid",)``."""
    mark: Any = "{" + ".".join((field, *inner)) + "}"
    for step in reversed(inner):
        mark = {step: mark}
    return dict(mark)


class _ReadSlice(Slice):
    """A slice that notes the keys a template reads from it."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


def _never_read(requests: StreamRequests, marks: Slice, field: str) -> bool:
    """Whether the request's templates name the partition ``field`` but never read it with
    this config (circleci's ``{{ config['job_number'] or stream_partition['job_parent_number']
    }}`` with a job number set): the same request for every parent record."""
    if any(key == field for _, key in requests.slice_options):
        return False
    probe = _ReadSlice(marks)
    parts = (requests.path, requests.url, requests.params, requests.headers)
    for template in _strings((*parts, requests.body_json, requests.body_data)):
        try:
            requests.interpolator.text(template, stream_slice=probe, next_page_token=None)
        except TemplateError:
            return False
    return field not in probe.read


def _strings(value: Any) -> list[str]:
    """Every text inside nested mappings and lists (keys too: a key may be a template)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [t for k, v in value.items() for t in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _strings(item)]
    return []


def _partition_option(
    requests: StreamRequests, field: str, stream: str
) -> dict[str, dict[str, str]]:
    """A partition sent outside the path (a SubstreamPartitionRouter's ``request_option``), as
    the ``{field}`` placeholder the simulator binds to the parent's key: {place: {name: ...}}."""
    for option, key in requests.slice_options:
        if key == field and option.inject_into in ("request_parameter", "header", "body_json"):
            name = ".".join(option.field_path) or option.field_name
            return {option.inject_into: {name: "{" + field + "}"}}
    # or a request parameter / header the manifest renders from the slice (appfollow's
    # request_parameters: {apps_id: "{{ stream_slice.app_collection_id }}"})
    marks = Slice({field: "{" + field + "}"})
    for place, templates in (("request_parameter", requests.params), ("header", requests.headers)):
        for name, template in (templates or {}).items() if isinstance(templates, Mapping) else ():
            text = requests.interpolator.text(template, stream_slice=marks, next_page_token=None)
            if "{" + field + "}" in text:
                return {place: {str(name): text}}
    # or a JSON body field rendered from it (rollbar's item_counters: "[{{ ... }}]", sent as
    # the list the text reads as): matched against that value's text
    for name, template in _body_templates(requests.body_json, ""):
        text = requests.interpolator.text(template, stream_slice=marks, next_page_token=None)
        if "{" + field + "}" in text:
            return {"body_json": {name: text}}
    raise SimulatorError(
        f"stream '{stream}': the simulator serves partitions in the path or a request option, "
        f"and '{field}' is in neither"
    )


def _body_templates(body: Any, path: str) -> list[tuple[str, str]]:
    """(dotted path, template) of every text in a JSON body."""
    if isinstance(body, str):
        return [(path, body)] if path else []
    if isinstance(body, Mapping):
        return [
            pair
            for key, value in body.items()
            for pair in _body_templates(value, f"{path}.{key}" if path else str(key))
        ]
    return []


def _slicer(resource: ResourcePlan, plan: SourcePlan) -> Slicer | None:
    if resource.parent is None:
        return None
    compute = plan.resources[resource.parent.resource].compute
    return compute if isinstance(compute, Slicer) else None


def _placeholder_slice(slicer: Slicer | None) -> Slice:
    """A slice whose values are ``{name}`` placeholders, so a rendered path shows where they go."""
    if slicer is None:
        return Slice()
    names = [p.field for p in slicer.lists]
    # the first parent's field is bound to its records; a further parent's (a product of
    # parents) stays a free placeholder, so every combination is served the first's records
    names += [p.partition_field for p in (slicer.parent, *slicer.others) if p is not None]
    return Slice({name: "{" + name + "}" for name in names})


_TOKEN_PLACES = ("request_parameter", "path", "body_json", "body_data")


def _paginator(
    requests: StreamRequests,
    stream: str,
    key: tuple[str, ...],
    selector: str = "$",
    *,
    first_path: str = "",
    child: bool = False,
) -> PagingPlan:
    strategy = requests.strategy
    token = requests.page_token_option
    if strategy is None:
        return SinglePaging()
    if isinstance(strategy, CursorStrategy):
        echoed = _echoed_page(strategy, requests) or _echoed_position(strategy, requests)
        if echoed is not None:
            return echoed
    if token is not None and token.inject_into not in _TOKEN_PLACES:
        raise SimulatorError(
            f"stream '{stream}': the simulator reads page tokens from the query or the body"
        )
    if isinstance(strategy, CursorStrategy):
        return _cursor_paginator(strategy, requests, stream, key, selector, first_path)
    if token is None and _one_short_page(strategy, requests, child=child):
        return SinglePaging()
    if token is None:
        inside = _position_in_text(strategy, requests)
        if inside is not None:
            return inside
    if token is None or token.inject_into == "path":
        raise SimulatorError(f"stream '{stream}': the simulator needs the page token")
    param, body_path = _where(token)
    limit_param, limit_body = _where(requests.page_size_option)
    # without a page size the clients page until an empty page (northpass-lms' offsets): the
    # simulator's own page size stands in
    size = strategy.page_size or DEFAULT_PAGE_SIZE
    if isinstance(strategy, OffsetStrategy):
        return OffsetPaging(
            limit=size,
            offset_param=param or "offset",
            offset_body_path=body_path,
            limit_param=limit_param or "limit",
            limit_body_path=limit_body,
        )
    assert isinstance(strategy, PageStrategy)
    return PageNumberPaging(
        base_page=strategy.start_from_page,
        page_param=param or "page",
        page_body_path=body_path,
        # a page size sent in the body is the manifest's own: served as the default size
        limit=size,
        limit_param=limit_param or "limit",
    )


class _AnyWindow(Slice):
    """A slice whose every missing key reads as a time (a window's start or end), so that a
    template built from the slice renders."""

    def __missing__(self, key: str) -> str:
        return "2024-01-01T00:00:00+0000"


def _position_in_text(
    strategy: OffsetStrategy | PageStrategy, requests: StreamRequests
) -> TextPositionPaging | None:
    """A page number or offset that a request parameter's template writes into its text, with
    no page_token_option (quickbooks: ``query: "... STARTPOSITION {{ (next_page_token
    .next_page_token or 0) + 1 }} MAXRESULTS ..."``): found by rendering the parameter for three
    tokens; the number that moves with the token, after a word that stays, is the position."""
    if not strategy.page_size or not isinstance(requests.params, Mapping):
        return None
    by_offset = isinstance(strategy, OffsetStrategy)
    tokens = (None, 5, 17)
    for name, template in requests.params.items():
        if not isinstance(template, str) or "next_page_token" not in template:
            continue
        texts = []
        for token in tokens:
            marks = None if token is None else {"next_page_token": token}
            try:
                text = requests.interpolator.text(
                    template, stream_slice=_AnyWindow(), next_page_token=marks
                )
            except TemplateError:
                return None
            texts.append(text)
        runs = [[m for m in re.finditer(r"\d+", text)] for text in texts]
        if len({len(r) for r in runs}) != 1:
            return None
        for first, fifth, seventeenth in zip(*runs, strict=True):
            shift = int(first.group())
            if (int(fifth.group()) - shift, int(seventeenth.group()) - shift) != (5, 17):
                continue
            word = re.search(r"[A-Za-z_]+\W{0,3}$", texts[0][: first.start()])
            if word is None:
                return None
            first_page = 0 if by_offset else getattr(strategy, "start_from_page", 0)
            return TextPositionPaging(
                param=str(name),
                prefix=word.group(),
                shift=shift - first_page,
                by_offset=by_offset,
                base=first_page,
                limit=strategy.page_size,
            )
    return None


def _one_short_page(
    strategy: OffsetStrategy | PageStrategy, requests: StreamRequests, *, child: bool
) -> bool:
    """A page number or offset sent nowhere (nutshell's events: no page_token_option, and no
    template reads ``next_page_token``): every request is the same, so the API's one answer is
    all there is, and both clients stop on it when it is shorter than the page size. Served as
    one page, fewer records than that size (without a page size, only an empty page would stop
    them). A child's answer (mention's mention_children, page size 10) holds the records of
    one parent: fewer than a root's."""
    served = CHILD_RECORDS if child else _ONE_PAGE_RECORDS
    return not _reads_page_token(requests) and (strategy.page_size or 0) > served


def _reads_page_token(requests: StreamRequests) -> bool:
    parts = (requests.path, requests.url, requests.params, requests.headers)
    return "next_page_token" in repr((*parts, requests.body_json, requests.body_data))


# the records a resource served on one page holds (the simulator's 2.5 pages of its default size)
_ONE_PAGE_RECORDS = int(2.5 * DEFAULT_PAGE_SIZE)


def _one_answer(paginator: PagingPlan) -> bool:
    """A cursor in the last record that no request carries (``_cursor_paginator``): served as
    one page of all the resource's records."""
    return (
        isinstance(paginator, RecordCursorPaging)
        and paginator.in_record
        and not (paginator.cursor_param or paginator.cursor_body_path or paginator.as_link)
    )


def _cursor_paginator(
    strategy: CursorStrategy,
    requests: StreamRequests,
    stream: str,
    key: tuple[str, ...],
    selector: str = "$",
    first_path: str = "",
) -> PagingPlan:
    token, size = requests.page_token_option, requests.page_size_option
    field = _response_field(strategy.cursor_value)
    record = _record_field(strategy.cursor_value) or _last_item_field(
        strategy.cursor_value, selector
    )
    if token is None and field and not _reads_page_token(requests):
        # mixmax's livefeed: a cursor from the body, sent nowhere (no page_token_option, no
        # template reads next_page_token): every request is the same, the API's one answer all
        # there is; served without the cursor field, which ends the paging on both clients
        return SinglePaging()
    if token is None and record and not _reads_page_token(requests):
        # datadog's incident_teams: a cursor in the last record, sent nowhere: the same, one
        # answer of every record, its last record holding no cursor (null under its parents)
        return RecordCursorPaging(
            record_field=record, in_record=True, cursor_param=None, limit=_ONE_PAGE_RECORDS
        )
    if token is not None and record:
        return _record_cursor(record, requests, token, key)
    if token is not None and field is None and token.inject_into in ("body_json", "body_data"):
        inside = _cursor_in_text(strategy, requests)
        if inside is not None:
            return inside
    cut = _CUT_FROM_LINK.fullmatch(strategy.cursor_value.strip())
    if cut is not None and token is not None and token.inject_into == "request_parameter":
        if cut.group("param") == token.field_name:
            limit_param, _ = _where(size)
            return LinkCursorPaging(
                link_key=cut.group("key"),
                cursor_param=token.field_name,
                limit=strategy.page_size if size else None,
                limit_param=limit_param or "limit",
            )
    carried = _link_param(strategy.cursor_value, whole=True)
    if carried and carried != "url" and token is not None:
        if token.inject_into == "request_parameter":
            limit_param, _ = _where(size)
            return LinkParamCursorPaging(
                cursor_param=token.field_name,
                link_param=carried,
                stop_param=_link_param(strategy.stop_condition or "", whole=False),
                limit=strategy.page_size if size else None,
                limit_param=limit_param or "limit",
            )
    if token is not None and token.inject_into == "path":
        if _LINK_NEXT.match(strategy.cursor_value.strip()):
            return HeaderLinkPaging()
        if field:
            return JSONLinkPaging(next_url_path=field)
    elif token is not None and field:
        param, body_path = _where(token)
        limit_param, _ = _where(size)
        return CursorPaging(
            cursor_param=param,
            cursor_body_path=body_path,
            cursor_path=field,
            limit=strategy.page_size if size else None,
            limit_param=limit_param or "limit",
        )
    header = header_link(strategy, requests)
    if header is not None:
        # cisco-meraki: the next link split out of the raw Link header by hand
        return header
    reads = _response_reads(strategy.cursor_value) or _literal_reads(strategy.cursor_value)
    rendered = rendered_link(strategy, requests, reads)
    if rendered is not None:
        return rendered
    position = path_position(strategy, requests, reads, first_path)
    if position is not None:
        return position
    # track-pms: no page_token_option, a request parameter's own template sends the cursor
    sent_back = param_cursor(requests, field)
    if sent_back is not None:
        return sent_back
    raise SimulatorError(
        f"stream '{stream}': the simulator serves cursors read from a response field, "
        f"not '{strategy.cursor_value}'"
    )


def _cursor_in_text(strategy: CursorStrategy, requests: StreamRequests) -> CursorPaging | None:
    """A response field's cursor placed inside a JSON text that the clients read back as an
    object (bunny-inc's GraphQL ``'{"after": "' + response.data.plans.pageInfo.endCursor +
    '"}'`` into the body's ``variables``): served as that field, read back from the body path
    the object puts it at (``variables.after``). Found by rendering the manifest's own template
    on a response that carries a marker there."""
    token = requests.page_token_option
    assert token is not None
    fields = {m.group(1)[1:] for m in _RESPONSE_PATH.finditer(strategy.cursor_value)}
    if len(fields) != 1:
        return None
    (field,) = fields
    response: dict[str, Any] = {}
    set_field(response, field, _MARK)
    try:
        value = requests.interpolator.string(
            strategy.cursor_value, response=response, headers={}, last_record=None
        )
    except TemplateError:
        return None
    inside = _path_to(value, _MARK)
    if not inside:
        return None
    _, base = _where(token)
    limit_param, _ = _where(requests.page_size_option)
    return CursorPaging(
        cursor_param=None,
        cursor_body_path=".".join([*([base] if base else []), *inside]),
        cursor_path=field,
        limit=strategy.page_size if requests.page_size_option else None,
        limit_param=limit_param or "limit",
    )


_MARK = "restsync-simulator-cursor"
_RESPONSE_PATH = re.compile(r"\bresponse((?:\.[A-Za-z_]\w*)+)")


def _path_to(value: Any, mark: str) -> list[str] | None:
    """The keys that lead to ``mark`` inside nested objects, or None."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if item == mark:
                return [str(key)]
            found = _path_to(item, mark)
            if found:
                return [str(key), *found]
    return None


def _echoed_page(strategy: CursorStrategy, requests: StreamRequests) -> EchoedPagePaging | None:
    """A cursor read from a response field that the JSON body turns into the next page number
    (serpstat: ``page: "{{ (next_page_token['next_page_token'] or 0) + 1 }}"``, the cursor
    ``response.result.summary_info.page``): the API echoes the page number it served. Found by
    rendering the manifest's body for the tokens none, 1 and 2: one field reads 1, 2, 3."""
    field = _response_field(strategy.cursor_value)
    if not field or not requests.body_json:
        return None
    ai = requests.interpolator
    renders = []
    for token in (None, 1, 2):
        marks = None if token is None else {"next_page_token": token}
        try:
            body = ai.mapping(requests.body_json, stream_slice=Slice(), next_page_token=marks)
        except TemplateError:
            return None
        renders.append(dict(_leaves(body, "")))
    pages = [
        path
        for path, value in renders[0].items()
        if [str(r.get(path)) for r in renders] == ["1", "2", "3"]
    ]
    if len(pages) != 1:
        return None
    sizes = [
        path
        for path, value in renders[0].items()
        if path.rsplit(".", 1)[-1] in _SIZE_NAMES and str(value).isdigit()
    ]
    return EchoedPagePaging(
        page_body_path=pages[0],
        page_path=field,
        limit=int(renders[0][sizes[0]]) if sizes else None,
        limit_body_path=sizes[0] if sizes else None,
    )


def _echoed_position(
    strategy: CursorStrategy, requests: StreamRequests
) -> EchoedPositionPaging | None:
    """A cursor computed from response fields that echo the request's position (clockodo:
    ``{{ response.paging.current_page | int + 1 }}``; jira: ``{{ response.get('startAt') +
    response['maxResults'] }}``), sent back in a query parameter: the API echoes the page
    number (or the offset and page size) it served. Found by rendering the manifest's own
    cursor on sample responses; the fields its stop_condition tests are served by their names
    (a page count, a total, an is-last flag) and the condition checked on sample pages."""
    token = requests.page_token_option
    if token is None or token.inject_into != "request_parameter" or not token.field_name:
        return None
    if _response_field(strategy.cursor_value) is not None:
        return None
    fields = list(dict.fromkeys(_response_reads(strategy.cursor_value)))
    limit_param, _ = _where(requests.page_size_option)
    base = EchoedPositionPaging(
        param=token.field_name,
        echoes={},
        limit=strategy.page_size or DEFAULT_PAGE_SIZE,
        limit_param=limit_param,
    )
    candidates: list[EchoedPositionPaging] = []
    if len(fields) == 1:
        candidates.append(replace(base, echoes={fields[0]: "position"}))
    elif len(fields) == 2:
        for position, size in (fields, fields[::-1]):
            echoes = {position: "position", size: "size"}
            candidates.append(replace(base, echoes=echoes, by_offset=True))
    for paging in candidates:
        if not _cursor_follows(strategy, requests, paging):
            continue
        echoes = dict(paging.echoes)
        for name in condition_fields(strategy.stop_condition or ""):
            if name not in echoes:
                meaning = _meaning(name)
                if meaning is None:
                    return None
                echoes[name] = meaning
        paging = replace(paging, echoes=echoes)
        if _stops_on_last(strategy, requests, paging):
            return paging
    return None


def _meaning(path: str) -> str | None:
    """What a stop_condition's response field carries, by its name."""
    leaf = path.rsplit(".", 1)[-1].lower().replace("_", "")
    if "last" in leaf:
        return "last"
    if "page" in leaf and any(w in leaf for w in ("count", "total", "pages")):
        return "pages"
    if "total" in leaf or "count" in leaf:
        return "total"
    return None


def _served_pages(paging: EchoedPositionPaging) -> list[tuple[dict[str, Any], Any]]:
    """The bodies of the three pages of a sample of three pages' records, with the position
    each leads to (None after the last)."""
    pager = make_pager(paging, "sample")
    size = paging.limit or DEFAULT_PAGE_SIZE
    total, query = 3 * size, dict[str, str]()
    pages = []
    for _ in range(3):
        request = PageRequest(url=URL("http://simulator.invalid/sample"), query=query)
        served = pager.page(request, total)
        body: dict[str, Any] = {}
        for path, value in served.fields.items():
            set_field(body, path, value)
        pages.append((body, served.next))
        query = {paging.param: str(served.next)}
    return pages


def _cursor_follows(
    strategy: CursorStrategy, requests: StreamRequests, paging: EchoedPositionPaging
) -> bool:
    """Whether the manifest's cursor, rendered on the served pages, is the next position."""
    for body, following in _served_pages(paging)[:2]:
        try:
            value = requests.interpolator.eval(
                strategy.cursor_value, response=body, headers={}, last_record=None
            )
        except TemplateError:
            return False
        if str(value) != str(following):
            return False
    return True


def _stops_on_last(
    strategy: CursorStrategy, requests: StreamRequests, paging: EchoedPositionPaging
) -> bool:
    """Whether the manifest's stop_condition is false on the first pages, true on the last."""
    if not strategy.stop_condition:
        return True  # the clients stop where the position goes past the records (empty page)
    outcomes = []
    for body, _ in _served_pages(paging):
        try:
            value = requests.interpolator.eval(
                strategy.stop_condition, response=body, headers={}, last_record=None
            )
        except TemplateError:
            return False
        outcomes.append(truthy(value))
    return outcomes == [False, False, True]


_RESPONSE_READ = re.compile(
    r"\bresponse((?:\[['\"]\w+['\"]\]|\.get\(['\"]\w+['\"][^)]*\)|\.(?!get\()\w+(?![\w(]))+)"
)


# a top-level key with a dot in it, read as response.get("@odata.nextLink"...) or ["..."]
_LITERAL_READ = re.compile(r"\bresponse(?:\.get\(\s*|\[\s*)(['\"])(?P<key>[^'\"\]]*\.[^'\"\]]*)\1")


def _literal_reads(template: str) -> list[str]:
    """The top-level keys with dots in them a template reads (microsoft-lists'
    ``response.get("@odata.nextLink") | regex_search(...)``), each as the simulator's literal
    key ``[@odata.nextLink]``."""
    return [literal_key(m.group("key")) for m in _LITERAL_READ.finditer(template)]


def _response_reads(template: str) -> list[str]:
    """The response fields (dotted) a template reads."""
    reads = []
    for found in _RESPONSE_READ.finditer(template):
        steps = _RECORD_STEP.finditer(found.group(1))
        reads.append(".".join(next(g for g in m.groups() if g) for m in steps))
    return reads


_SIZE_NAMES = ("size", "limit", "page_size", "per_page", "pageSize", "perPage")


def _leaves(body: Any, path: str) -> list[tuple[str, Any]]:
    """(dotted path, value) of every value in a JSON body that is not an object."""
    if isinstance(body, Mapping):
        return [
            pair
            for key, value in body.items()
            for pair in _leaves(value, f"{path}.{key}" if path else str(key))
        ]
    return [(path, body)] if path else []


def _record_field(template: str) -> str | None:
    """The dotted record path of a cursor read from the page's last record
    (``{{ last_record['id'] }}``, ``{{ last_record.next }}``), or None."""
    found = _LAST_RECORD.fullmatch(template.strip())
    if found is None:
        return None
    return ".".join(next(g for g in m.groups() if g) for m in _RECORD_STEP.finditer(found.group(1)))


def _link_param(template: str, *, whole: bool) -> str | None:
    """The parameter of the Link header's next link a template reads (sentry's
    ``headers["link"].get("next", {}).get("cursor", {})``, ``...["next"]["results"] ==
    "false"``): the whole template (a cursor) or inside it (a stop condition), or None."""
    if whole:
        found = _LINK_PARAM.fullmatch(template.strip())
    else:
        found = _LINK_PARAM.search(template)
    if found is None or (whole and not found.group("open")):
        return None
    return found.group("a") or found.group("b")


def _last_item_field(template: str, selector: str) -> str | None:
    """The record path of a cursor read from the last item of the record list itself
    (persona's ``{{ response.get('data', [])[-1].get('id') if response.get('data') else None
    }}`` with records at ``data``): the same contract as ``last_record['id']``, or None when
    the list is not where the records are."""
    found = _LAST_ITEM.fullmatch(template.strip())
    if found is None:
        return None
    listed = ".".join(
        next(g for g in m.groups() if g) for m in _RECORD_STEP.finditer(found.group("list"))
    )
    if (listed or "$") != selector:
        return None
    return ".".join(
        next(g for g in m.groups() if g) for m in _RECORD_STEP.finditer(found.group("field"))
    )


def _record_cursor(
    record: str, requests: StreamRequests, token: RequestOption, key: tuple[str, ...]
) -> RecordCursorPaging:
    """A cursor read from the last record: the record's own key (a primary key column: the
    next page starts after that record) or a cursor the API writes into the last record of a
    page (agilecrm's ``cursor``, wrike's ``nextPageToken``; a next-page URL into
    ``RequestPath``)."""
    strategy = requests.strategy
    assert isinstance(strategy, CursorStrategy)
    param, body_path = _where(token)
    limit_param, _ = _where(requests.page_size_option)
    own_key = record in key or (not key and record == "id")
    found = _LAST_RECORD.fullmatch(strategy.cursor_value.strip())
    shift = int(found.group("shift") or 0) if found else 0
    if shift and not own_key:
        raise SimulatorError(
            f"the simulator serves a cursor of a record's own key plus a number, not "
            f"'{strategy.cursor_value}'"
        )
    return RecordCursorPaging(
        shift=shift,
        record_field=record,
        in_record=not own_key,
        cursor_param=param,
        cursor_body_path=body_path,
        as_link=token.inject_into == "path",
        limit=strategy.page_size if requests.page_size_option else None,
        limit_param=limit_param or "limit",
    )


def _stop_condition(
    requests: StreamRequests, paginator: PagingPlan, resource: ResourcePlan
) -> Condition | None:
    """A record or JSON-text cursor's ``stop_condition`` (``{{ not response.has_more }}``,
    ``{{ response.data.plans.pageInfo.hasNextPage is false }}``) as the condition
    the simulator derives its last-page fields from, evaluated as the clients evaluate it; left
    out when no response field can make it true on the last page only (``last_page_size == 0``
    holds on the empty page after the last by itself)."""
    strategy = requests.strategy
    if not isinstance(strategy, CursorStrategy):
        return None
    # the cursor kinds served since the last_record and JSON-text cursors (the older ones keep
    # the contract their comparisons were made on)
    text = isinstance(paginator, CursorPaging) and _response_field(strategy.cursor_value) is None
    if not isinstance(paginator, RecordCursorPaging) and not text:
        return None
    if not strategy.stop_condition:
        return None
    template, ai = strategy.stop_condition, requests.interpolator

    def evaluate(**scope: Any) -> bool:
        records = scope["records"]
        value = ai.eval(
            template,
            response=scope["response"],
            headers=scope["headers"],
            last_record=records[-1] if records else None,
            last_page_size=len(records),
        )
        return truthy(value)

    condition = Condition(template, evaluate, None)
    pager = make_pager(paginator, resource.name)
    placement = Placement(_selector(resource), needs_fields=True)
    try:
        derive_stop_rule(condition, pager, placement, resource.name)
    except SimulatorError:
        return None
    return condition


def _where(option: RequestOption | None) -> tuple[str | None, str | None]:
    """(query parameter, dotted JSON body path) of a request option; (None, None) elsewhere."""
    if option is None:
        return None, None
    if option.inject_into == "request_parameter":
        return option.field_name, None
    if option.inject_into in ("body_json", "body_data"):  # form fields are read as JSON
        return None, ".".join(option.field_path) or option.field_name
    return None, None


def _response_field(template: str) -> str | None:
    """The field path of a cursor read straight from the body (``response.a.get('b', {})`` is
    ``a.b``; ``_simulate_reads`` says which forms), or None for anything computed."""
    return served_field(template)


def _selector(resource: ResourcePlan) -> str:
    pipeline = resource.select
    path = pipeline.path() if isinstance(pipeline, RecordPipeline) else []
    # chargify's ['invoices.json'] is one key, served as one: '[invoices.json]'
    return selector_text([str(step) for step in path]) or "$"


def _incremental(
    resource: ResourcePlan, requests: StreamRequests, slicer: Slicer | None, *, in_path: bool
) -> IncrementalPlan | None:
    inc = resource.incremental
    if inc is None:
        return None
    window = slicer.cursor if slicer is not None else None
    params = {key: option for option, key in requests.slice_options}
    start = end = None
    if window is not None:
        start = _time_param(params.get(window.start_key))
        end = _time_param(params.get(window.end_key))
    fmt = window.datetime_format.replace("%_ms", "%f") if window is not None else None
    source = _cursor_source(resource.select, inc.cursor_path)
    formatted = formatted_cursor(resource.select, inc.cursor_path)
    if formatted is not None:
        # shopwired's created_at_utc, format_datetime of createdAt read in RFC 2822: the API's
        # field is the cursor, served in the format the template reads it in
        source, fmt = formatted
    return replace(
        inc,
        # the value type the simulator serves the cursor as (restsync's own plan has none)
        initial_value=cursor_value(window.start, window.datetime_format) if window else None,
        cursor_path=source,
        datetime_format=fmt,
        # a window the path names (nytimes' year/month) is no parameter: the simulator reads
        # it from the served path's {window.*} placeholders (simulator/_compile._time_filter)
        start_param=None if in_path else start,
        # the windows' fixed end: records are served inside them (simulator/_compile.py)
        end_value=cursor_value(window.end, window.datetime_format)
        if in_path and window is not None and window.end is not None
        else inc.end_value,
        end_param=None if in_path else end,
        range_end="closed",
        last_value_func="max",
    )


def _cursor_source(pipeline: Any, cursor_field: str) -> str:
    """Where the API carries the cursor: the record path an ``AddFields`` copies into the
    cursor field (linkedin-pages adds ``timeRangeEnd`` from ``record['timeRange']['end']``),
    else the cursor field itself. The simulator serves the window's times there."""
    if not isinstance(pipeline, RecordPipeline):
        return cursor_field
    source = cursor_field
    for step in pipeline.transformations:
        if isinstance(step, AddField) and step.path == (cursor_field,):
            found = _RECORD_READ.fullmatch(
                str(step.value).strip().removeprefix("{{").removesuffix("}}").strip()
            )
            if found is not None:
                steps = _RECORD_STEP.finditer(found.group(1))
                source = ".".join(next(g for g in m.groups() if g) for m in steps)
    return source


def _time_param(option: Any) -> TimeParam | None:
    if option is None or option.inject_into not in ("request_parameter", "header", "body_json"):
        return None
    return TimeParam(option.field_name, option.inject_into)


# ``record`` followed by steps: ['a'], ["a"], .get('a'...), .a (not a method call)
_RECORD_READ = re.compile(
    r"\brecord((?:\[['\"]\w+['\"]\]|\.get\(['\"]\w+['\"][^)]*\)|\.\w+(?![\w(])|\[0\])+)"
)
_STEPS = (
    r"(?:\[['\"]\w+['\"]\]|\.get\(['\"]\w+['\"](?:\s*,\s*(?:\[\]|\{\}|None))?\)|\.\w+(?![\w(]))"
)
# {{ response.get('data', [])[-1].get('id') if response.get('data') else None }}
_LAST_ITEM = re.compile(
    r"\{\{\s*response(?P<list>" + _STEPS + r"*)\[-1\](?P<field>" + _STEPS + r"+)"
    r"(?:\s+if\s+[^{}]*?(?:\s+else\s+(?:None|''|\"\"))?)?\s*\}\}",
    re.DOTALL,
)
_LINK_PARAM = re.compile(
    r"(?P<open>\{\{\s*)?headers"
    r"(?:\[(['\"])link\2\]|\.get\((['\"])link\3[^)]*\))"
    r"(?:\[(['\"])next\4\]|\.get\((['\"])next\5[^)]*\))"
    r"(?:\[(['\"])(?P<a>\w+)\6\]|\.get\((['\"])(?P<b>\w+)\8[^)]*\))"
    r"(?(open)\s*\}\})"
)
_RECORD_STEP = re.compile(r"\[['\"](\w+)['\"]\]|\.get\(['\"](\w+)['\"][^)]*\)|\.(\w+)|(\[0\])")


def _with_input_fields(resource: ResourcePlan) -> Mapping[str, Any]:
    """The resource's column hints plus the record fields its filter and ``AddFields`` read but
    its schema lacks. A schema describes the stream's output; a transformation often reads the
    API's raw shape (opsgenie adds ``user_id`` from ``record['user']['id']`` and removes
    ``user``), so the simulator serves those fields too (dotted: nested), as the API would.
    A stream without a column (savvycal's ``events``, ``properties: {}``, whose ``AddFields``
    read ``record["scheduler"]["display_name"]``) is served the simulator's default fields
    and those read."""
    reads = _record_reads(resource.select)
    columns = resource.hints.get("columns")
    if not isinstance(columns, dict) or not columns:
        if not reads:
            return resource.hints
        columns = {name: {"data_type": data_type} for name, data_type in DEFAULT_FIELDS}
    served = dict(columns)
    for path in reads:
        top = path.split(".")[0].removesuffix(LIST_STEP)
        hint = columns.get(top)
        generic = isinstance(hint, Mapping) and hint.get("data_type") == "json"
        if hint is None or (path != top and generic):
            served.pop(top, None)  # a generic json value would not have the field read
            served.setdefault(path, {})
        elif path == top and isinstance(hint, Mapping) and hint.get("nullable", True):
            # a real API's filtered field has a value ('total_row_count > 0' fails on null)
            served[top] = {**hint, "nullable": False}
    return {**resource.hints, "columns": served}


def _without_cursor(hints: Mapping[str, Any], paginator: PagingPlan) -> Mapping[str, Any]:
    """Column hints without the field a record cursor is written into: the API sets it on the
    last record of a page that has a next one, never a value of its own elsewhere."""
    columns = hints.get("columns")
    if not isinstance(paginator, RecordCursorPaging) or not paginator.in_record:
        return hints
    if not isinstance(columns, Mapping) or paginator.record_field not in columns:
        return hints
    kept = {k: v for k, v in columns.items() if k != paginator.record_field}
    return {**hints, "columns": kept}


def _record_reads(pipeline: Any) -> list[str]:
    if not isinstance(pipeline, RecordPipeline):
        return []
    templates = [pipeline.record_filter]
    for step in pipeline.transformations:
        if isinstance(step, AddField):
            templates += [step.value, step.condition]
    reads: list[str] = []
    for template in templates:
        for found in _RECORD_READ.finditer(template if isinstance(template, str) else ""):
            steps = [
                next(g for g in m.groups() if g) for m in _RECORD_STEP.finditer(found.group(1))
            ]
            # an item of a list (``record['items'][0]['name']``): the list's step ends in '[]'
            path = ".".join(steps).replace(".[0]", LIST_STEP)
            if not path.startswith("[0]"):
                reads.append(path)
    return list(dict.fromkeys(reads))
