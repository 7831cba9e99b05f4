"""Build a ``SourcePlan`` from a validated config: resolve parents, infer what the config implies.

Every inference is recorded in ``ResourcePlan.notes`` in plain words, so ``restsync plan`` can show
it and users can override it in the config.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from restsync._errors import ConfigError
from restsync._expressions import Condition, ConditionError, compile_condition
from restsync._selectors import SelectorError, compile_path, compile_selector
from restsync.config import (
    AutoPaginator,
    CursorPaginator,
    EndpointConfig,
    ErrorHandler,
    OffsetPaginator,
    PageNumberPaginator,
    ResourceConfig,
    SinglePagePaginator,
    SourceConfig,
)
from restsync.config._messages import redact_userinfo, short_repr
from restsync.config._values import check_base_url
from restsync.plan._incremental import resource_incremental
from restsync.plan._model import (
    DEFAULT_RETRY,
    ResourcePlan,
    RetryPolicy,
    SourcePlan,
)
from restsync.plan._parents import ParentResolver

__all__ = ["build_plan"]

_DLT_HINTS = (
    "columns",
    "merge_key",
    "schema_contract",
    "table_format",
    "file_format",
    "nested_hints",
    "references",
    "max_table_nesting",
)


DEFAULT_PREFETCH = 4  # pages an offset / page_number chain fetches ahead unless told
# Pages one chain may fetch before it fails: 10 million records at 100 a page, hours of paging
# for a real API, minutes for a server that hands out cursors forever (docs/config.md#max_pages).
DEFAULT_MAX_PAGES = 100_000


def build_plan(
    config: SourceConfig,
    *,
    name: str = "rest_api",
    base_url: str | None = None,
    page_format: str | None = None,
) -> SourcePlan:
    """Resolve a parsed config; ``page_format`` (if given) applies to every resource."""
    client = config.client
    if base_url is not None:
        _check_base_url_override(base_url)
    names: dict[str, int] = {}
    for index, resource in enumerate(config.resources):
        if not resource.name:
            raise ConfigError(
                f"resources[{index}].name",
                "the resource has no 'name'; add a unique name, e.g. 'name': 'users'",
            )
        if resource.name in names:
            raise ConfigError(
                f"resources[{index}].name",
                f"resource name '{resource.name}' is already used by "
                f"resources[{names[resource.name]}]; give each resource a unique name",
            )
        names[resource.name] = index

    resolver = ParentResolver(config.resources)
    source_retry = _merge_retry(DEFAULT_RETRY, client.error_handler)
    plans: dict[str, ResourcePlan] = {}
    for index, resource in enumerate(config.resources):
        plans[resource.name] = _plan_resource(  # type: ignore[index]
            index, resource, config, resolver, source_retry
        )
    _check_acyclic(plans)
    if page_format is not None:
        plans = {n: replace(p, page_format=page_format) for n, p in plans.items()}
    _check_page_formats(plans)
    return SourcePlan(
        name=name,
        base_url=(base_url or client.base_url),
        headers=dict(client.headers),
        auth=client.auth,
        resources=plans,
        max_concurrency=client.max_concurrency,
        prefetch_pages=DEFAULT_PREFETCH if client.prefetch_pages is None else client.prefetch_pages,
        rate_limit=client.rate_limit,
        timeout_seconds=client.timeout_seconds,
        verify_tls=client.verify_tls,
    )


def _check_base_url_override(base_url: str) -> None:
    try:
        check_base_url(base_url)
    except ValueError as exc:
        raise ConfigError(
            "client.base_url",
            f"the base URL given to override it, {redact_userinfo(base_url)!r}, {exc}",
        ) from None


def _plan_resource(
    index: int,
    resource: ResourceConfig,
    config: SourceConfig,
    resolver: ParentResolver,
    source_retry: RetryPolicy,
) -> ResourcePlan:
    where = f"resources[{index}]"
    assert resource.name is not None
    endpoint = _endpoint_of(resource)
    if not endpoint.path:
        raise ConfigError(
            f"{where}.endpoint.path",
            "the endpoint has no 'path'; add the path to fetch, e.g. 'path': '/users'",
        )
    notes: list[str] = []
    endpoint = _single_entity(endpoint, notes)
    assert endpoint.path is not None

    paginator = endpoint.paginator or config.client.paginator or AutoPaginator(type="auto")
    if isinstance(paginator, AutoPaginator):
        notes.append(
            "no paginator given: detected from the first response as dlt does (Link header, "
            "a next-page URL or cursor under a 'next...' key, a page count, else one page)"
        )
    paginator, stop_condition = _resolve_paginator(paginator, f"{where}.endpoint.paginator", notes)
    _note_fetch_ahead(paginator, resource, config, notes)
    max_pages = resource.max_pages or config.client.max_pages or DEFAULT_MAX_PAGES
    if paginator.type != "single_page":
        notes.append(f"fails after {max_pages:,} pages in one chain (max_pages)")

    try:
        compile_selector(endpoint.data_selector)
    except SelectorError as exc:
        raise ConfigError(
            f"{where}.endpoint.data_selector",
            f"{exc}; fix it or use a dotted path such as 'data.items'",
        ) from None
    if endpoint.data_selector is None:
        notes.append(
            "no data_selector: detected from the first response as dlt does (the body's list, "
            "else the first list under data/items/results/..., else the first list, else the body)"
        )

    path, params, parent, param_incremental = resolver.resolve(index, resource, endpoint, notes)
    incremental = resource_incremental(index, resource, endpoint, param_incremental, notes)

    primary_key = _as_tuple(resource.primary_key)
    hints = {
        key: getattr(resource, key) for key in _DLT_HINTS if getattr(resource, key) is not None
    }
    return ResourcePlan(
        name=resource.name,
        config_path=where,
        method=endpoint.method,
        path=path,
        params=params,
        headers=dict(endpoint.headers),
        json_body=endpoint.json_body,
        form_body=_form_body(endpoint, where),
        paginator=paginator,
        data_selector=endpoint.data_selector,
        stop_condition=stop_condition,
        auth=endpoint.auth,
        retry=_merge_retry(source_retry, endpoint.error_handler),
        primary_key=primary_key,
        write_disposition=resource.write_disposition or "append",
        table_name=resource.table_name or resource.name,
        hints=hints,
        parent=parent,
        incremental=incremental,
        processing_steps=tuple(_check_steps(resource.processing_steps, where)),
        response_actions=_check_actions(endpoint, f"{where}.endpoint"),
        max_concurrency=resource.max_concurrency,
        prefetch_pages=resource.prefetch_pages,
        speculate=_speculates(resource, config),
        page_format=resource.page_format or "arrow",
        max_pages=max_pages,
        selected=resource.selected,
        notes=tuple(notes),
    )


def _endpoint_of(resource: ResourceConfig) -> EndpointConfig:
    """The resource's endpoint; as in dlt, its path defaults to the resource's name."""
    assert resource.name is not None
    endpoint = resource.endpoint or EndpointConfig(path=resource.name)
    if endpoint.path is None:
        endpoint = endpoint.model_copy(update={"path": resource.name})
    return endpoint


_LAST_SEGMENT_PLACEHOLDER = re.compile(r"\{[a-zA-Z0-9.\-_]+\}")


def _single_entity(endpoint: EndpointConfig, notes: list[str]) -> EndpointConfig:
    """dlt's rule: a path whose last segment is a placeholder (``/posts/{id}``) returns one
    object: unless the endpoint says otherwise, the whole body is the record, on one page."""
    last = (endpoint.path or "").rstrip("/").rsplit("/", 1)[-1]
    if not _LAST_SEGMENT_PLACEHOLDER.search(last):
        return endpoint
    update: dict[str, Any] = {}
    if endpoint.data_selector is None:
        update["data_selector"] = "$"
    if endpoint.paginator is None:
        update["paginator"] = SinglePagePaginator(type="single_page")
    if update:
        notes.append(
            "the path ends with a placeholder: one object per request "
            f"({' and '.join(_SINGLE_NOTES[k] for k in update)}, as in dlt)"
        )
    return endpoint.model_copy(update=update) if update else endpoint


_SINGLE_NOTES = {"data_selector": "the whole body is the record", "paginator": "one page"}


# --- paginators -------------------------------------------------------------------------------


def _resolve_paginator(
    paginator: Any, where: str, notes: list[str]
) -> tuple[Any, Condition | None]:
    source = getattr(paginator, "stop_condition", None)
    condition = None
    if source is not None:
        try:
            condition = compile_condition(source)
        except ConditionError as exc:
            raise ConfigError(
                f"{where}.stop_condition",
                f'{exc}; write a test such as "response.next is none" '
                'or a field name such as "done"',
            ) from None
    _check_paginator(paginator, where)
    for key in ("cursor_path", "total_path", "has_more_path", "next_url_path"):
        value = getattr(paginator, key, None)
        if value is not None:
            try:
                compile_path(value)
            except SelectorError as exc:
                raise ConfigError(
                    f"{where}.{key}", f"{exc}; fix it or use a dotted path such as 'meta.next'"
                ) from None
    if isinstance(paginator, CursorPaginator) and _dlt_dialect(paginator):
        return _dlt_cursor(paginator, notes), condition
    if isinstance(paginator, CursorPaginator):
        update: dict[str, Any] = {}
        if paginator.cursor_param is None and paginator.cursor_body_path is None:
            update["cursor_param"] = "cursor"
            notes.append(
                "cursor_param not given: the cursor is sent as the 'cursor' query parameter"
            )
        if paginator.cursor_path is None:
            cursor_param = update.get("cursor_param", paginator.cursor_param) or "cursor"
            if condition is not None and condition.null_tested_field:
                update["cursor_path"] = condition.null_tested_field
                notes.append(
                    f"cursor_path inferred as '{condition.null_tested_field}': the field that "
                    f"stop_condition '{condition.source}' tests for null"
                )
            else:
                update["cursor_path"] = cursor_param
                notes.append(
                    f"cursor_path inferred as '{cursor_param}': "
                    "the response field named like cursor_param"
                )
        if paginator.limit is not None:
            notes.append(f"page size {paginator.limit} is sent as '{paginator.limit_param}'")
        if update:
            paginator = paginator.model_copy(update=update)
    numbered = isinstance(paginator, OffsetPaginator | PageNumberPaginator)
    if numbered and "total_path" not in paginator.model_fields_set:
        if not paginator.has_more_path and condition is None:
            notes.append(
                "no total_path: the total is read from 'total' when the response has it "
                "(dlt's default), otherwise paging stops at the first short or empty page"
            )
    return paginator, condition


# (param key, body path key): a value goes to one place, as dlt requires
_ONE_PLACE = (
    ("cursor_param", "cursor_body_path"),
    ("offset_param", "offset_body_path"),
    ("limit_param", "limit_body_path"),
    ("page_param", "page_body_path"),
)


def _check_paginator(paginator: Any, where: str) -> None:
    given = paginator.model_fields_set
    for param, body_path in _ONE_PLACE:
        if param in given and getattr(paginator, param) and getattr(paginator, body_path, None):
            raise ConfigError(
                f"{where}.{body_path}",
                f"both {param} and {body_path} are set; keep one: the value is sent either "
                "as a query parameter or in the JSON body",
            )
    if not isinstance(paginator, OffsetPaginator | PageNumberPaginator):
        return
    maximum = "maximum_offset" if isinstance(paginator, OffsetPaginator) else "maximum_page"
    unbounded = "total_path" in given and paginator.total_path is None
    if unbounded and not (
        getattr(paginator, maximum) is not None
        or paginator.has_more_path
        or paginator.stop_after_empty_page
        or paginator.stop_condition
    ):
        raise ConfigError(
            where,
            f"this paginator never stops (total_path is null and stop_after_empty_page false); "
            f"set total_path, {maximum}, has_more_path or stop_after_empty_page",
        )


def _dlt_dialect(paginator: CursorPaginator) -> bool:
    """A cursor paginator written as for dlt: none of the seeds' keys (stop_condition, limit)."""
    return paginator.stop_condition is None and paginator.limit is None


def _dlt_cursor(paginator: CursorPaginator, notes: list[str]) -> CursorPaginator:
    """dlt's defaults: the cursor at ``cursors.next``, sent as ``cursor``; an empty page does
    not end the chain (only a missing cursor, or has_more false, does)."""
    update: dict[str, Any] = {}
    if paginator.cursor_path is None:
        update["cursor_path"] = "cursors.next"
    if paginator.cursor_param is None and paginator.cursor_body_path is None:
        update["cursor_param"] = "cursor"
    if "stop_after_empty_page" not in paginator.model_fields_set:
        update["stop_after_empty_page"] = False
    paginator = paginator.model_copy(update=update) if update else paginator
    sent = (
        f"the '{paginator.cursor_param}' query parameter"
        if paginator.cursor_param
        else f"'{paginator.cursor_body_path}' in the JSON body"
    )
    notes.append(
        f"cursor read at '{paginator.cursor_path}' and sent as {sent} (dlt's defaults: "
        "cursors.next, cursor); paging ends when it is missing or empty"
    )
    return paginator


def _check_page_formats(plans: Mapping[str, ResourcePlan]) -> None:
    arrow = [p for p in plans.values() if p.page_format == "arrow"]
    if arrow and importlib.util.find_spec("pyarrow") is None:
        raise ConfigError(
            f"{arrow[0].config_path}.page_format",
            "page_format 'arrow' (the default) needs pyarrow, which is not installed; "
            "install it with pip install pyarrow or set page_format 'dicts'",
        )


def _speculates(resource: ResourceConfig, config: SourceConfig) -> bool:
    """Guessing ahead can cost a few requests past the end; under a rate budget those come out
    of the budget, so restsync only guesses there when prefetch_pages is set explicitly."""
    explicit = resource.prefetch_pages is not None or config.client.prefetch_pages is not None
    return explicit or config.client.rate_limit is None


def _note_fetch_ahead(
    paginator: Any, resource: ResourceConfig, config: SourceConfig, notes: list[str]
) -> None:
    if not isinstance(paginator, OffsetPaginator | PageNumberPaginator):
        return
    depth = resource.prefetch_pages
    if depth is None:
        depth = config.client.prefetch_pages
    if depth is None:
        depth = DEFAULT_PREFETCH
    if depth == 0:
        notes.append("prefetch_pages 0: pages are fetched one at a time")
    elif paginator.total_path is not None:
        notes.append(f"fetches up to {depth} pages ahead once the first page gives the total")
    elif not _speculates(resource, config):
        notes.append(
            "no total_path and a rate_limit: pages are fetched one at a time, so no request is "
            "spent past the end (set prefetch_pages to guess ahead anyway)"
        )
    else:
        notes.append(
            f"fetches up to {depth} pages ahead after a run of full pages; a few requests past "
            "the end can be sent (prefetch_pages: 0 turns this off)"
        )


# --- odds and ends ----------------------------------------------------------------------------


def _merge_retry(base: RetryPolicy, handler: ErrorHandler | None) -> RetryPolicy:
    if handler is None:
        return base
    return RetryPolicy(
        status_codes=frozenset(handler.retry_on_status_codes)
        if handler.retry_on_status_codes is not None
        else base.status_codes,
        max_retries=handler.max_retries if handler.max_retries is not None else base.max_retries,
        backoff_factor=handler.backoff_factor
        if handler.backoff_factor is not None
        else base.backoff_factor,
        max_backoff_seconds=handler.max_backoff_seconds or base.max_backoff_seconds,
        retry_after_cap_seconds=base.retry_after_cap_seconds
        if handler.max_retry_after_seconds is None
        else handler.max_retry_after_seconds,
    )


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _check_steps(steps: Sequence[Mapping[str, Any]], where: str) -> Sequence[Mapping[str, Any]]:
    for i, step in enumerate(steps):
        unknown = set(step) - {"filter", "map", "yield_map"}
        if unknown or len(step) != 1:
            keys = ", ".join(f"'{k}'" for k in sorted(step, key=str)) or "no key"
            raise ConfigError(
                f"{where}.processing_steps[{i}]",
                f"a processing step has {keys}; write each step as "
                "{'filter': fn}, {'map': fn} or {'yield_map': fn}",
            )
        ((kind, fn),) = step.items()
        if not callable(fn):
            raise ConfigError(
                f"{where}.processing_steps[{i}].{kind}",
                f"the '{kind}' step is {_short(fn)}, not a function; give a callable, "
                f"e.g. {{'{kind}': lambda record: record}}",
            )
    return steps


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _form_body(endpoint: EndpointConfig, where: str) -> Any:
    """dlt refuses ``json`` and ``data`` together when it sends the first request; here when
    the source is built. (Like dlt, an empty one of the two does not count.)"""
    if endpoint.data and endpoint.json_body:
        raise ConfigError(
            f"{where}.endpoint.data",
            "the endpoint has both 'json' and 'data'; keep one: 'json' for a JSON body, "
            "'data' for form fields or a raw body",
        )
    return endpoint.data or None  # requests sends no body for an empty one


def _check_actions(endpoint: EndpointConfig, where: str) -> tuple[Any, ...]:
    """dlt's forms: a function, or a dict whose ``action`` is 'ignore', a function or a list of
    functions (engine/_actions.py runs them)."""
    actions = tuple(endpoint.response_actions or ())
    for i, action in enumerate(actions):
        if callable(action):
            continue
        if not isinstance(action, Mapping):
            raise ConfigError(
                f"{where}.response_actions[{i}]",
                f"a response action is {short_repr(action)}; give a dict such as "
                "{'status_code': 404, 'action': 'ignore'} or a function of the response",
            )
        todo = action.get("action")
        if todo == "ignore" or callable(todo):
            continue
        if isinstance(todo, list) and todo and all(callable(fn) for fn in todo):
            continue
        raise ConfigError(
            f"{where}.response_actions[{i}].action",
            f"action {short_repr(todo)} is not supported; use 'ignore' (skip the response and end "
            "that resource's paging), a function of the response or a list of functions",
        )
    return actions


def _check_acyclic(plans: Mapping[str, ResourcePlan]) -> None:
    for plan in plans.values():
        chain = [plan.name]
        current = plan
        while current.parent is not None:
            parent = current.parent.resource
            if parent in chain:
                cycle = " -> ".join(f"'{n}'" for n in chain[chain.index(parent) :] + [parent])
                raise ConfigError(
                    f"{plan.config_path}.endpoint.path",
                    f"the parents of resource '{plan.name}' form a cycle ({cycle}); "
                    "remove one of these parent references",
                )
            chain.append(parent)
            current = plans[parent]



