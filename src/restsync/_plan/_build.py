"""Build a ``SourcePlan`` from a validated config: resolve parents, infer what the config implies.

Every inference is recorded in ``ResourcePlan.notes`` in plain words, so ``restsync plan`` can show
it and users can override it in the config.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from restsync._config import (
    AutoPaginator,
    EndpointConfig,
    ErrorHandler,
    ResourceConfig,
    SinglePagePaginator,
    SourceConfig,
)
from restsync._config._messages import redact_userinfo
from restsync._config._values import check_base_url
from restsync._errors import ConfigError
from restsync._expressions import Condition
from restsync._plan._incremental import resource_incremental
from restsync._plan._model import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RETRY,
    ResourcePlan,
    RetryPolicy,
    SourcePlan,
)
from restsync._plan._paginators import (
    DEFAULT_PREFETCH,
    fetch_ahead,
    resolve_paginator,
    speculates,
)
from restsync._plan._paging import PagingPlan
from restsync._plan._parents import ParentResolver, endpoint_of
from restsync._plan._resolve import auth_plan, paging_plan, rate_budget
from restsync._selectors import SelectorError, compile_selector

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
    _check_names(config.resources)
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
        auth=auth_plan(client.auth),
        resources=plans,
        max_concurrency=client.max_concurrency,
        prefetch_pages=DEFAULT_PREFETCH if client.prefetch_pages is None else client.prefetch_pages,
        rate_limit=rate_budget(client.rate_limit),
        timeout_seconds=client.timeout_seconds,
        max_run_seconds=client.max_run_seconds,
        verify_tls=client.verify_tls,
        max_response_bytes=client.max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES,
    )


def _check_names(resources: Sequence[ResourceConfig]) -> None:
    names: dict[str, int] = {}
    for index, resource in enumerate(resources):
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
    notes: list[str] = []
    endpoint = _checked_endpoint(resource, where, notes)
    paging = _paging(endpoint, resource, config, where, notes)
    _check_data_selector(endpoint, where, notes)
    path, params, parent, param_incremental = resolver.resolve(index, resource, endpoint, notes)
    incremental = resource_incremental(index, resource, endpoint, param_incremental, notes)
    return ResourcePlan(
        name=resource.name,
        config_path=where,
        method=endpoint.method,
        path=path,
        params=params,
        headers=dict(endpoint.headers),
        json_body=endpoint.json_body,
        form_body=endpoint.data or None,  # requests sends no body for an empty one
        paginator=paging.paginator,
        data_selector=endpoint.data_selector,
        stop_condition=paging.stop_condition,
        auth=auth_plan(endpoint.auth),
        retry=_merge_retry(source_retry, endpoint.error_handler),
        primary_key=_as_tuple(resource.primary_key),
        write_disposition=resource.write_disposition or "append",
        table_name=resource.table_name or resource.name,
        hints={
            key: getattr(resource, key) for key in _DLT_HINTS if getattr(resource, key) is not None
        },
        parent=parent,
        incremental=incremental,
        processing_steps=tuple(resource.processing_steps),
        response_actions=tuple(endpoint.response_actions or ()),
        max_concurrency=resource.max_concurrency,
        prefetch_pages=paging.prefetch_pages,
        speculate=speculates(resource, config),
        page_format=resource.page_format or "arrow",
        max_pages=paging.max_pages,
        selected=resource.selected,
        notes=tuple(notes),
    )


def _checked_endpoint(resource: ResourceConfig, where: str, notes: list[str]) -> EndpointConfig:
    endpoint = endpoint_of(resource)
    if not endpoint.path:
        raise ConfigError(
            f"{where}.endpoint.path",
            "the endpoint has no 'path'; add the path to fetch, e.g. 'path': '/users'",
        )
    endpoint = _single_entity(endpoint, notes)
    assert endpoint.path is not None
    return endpoint


class _Paging(NamedTuple):
    """The resolved paginator, its stop_condition, the chain's page cap and how many pages
    it fetches ahead (None: the source's ``prefetch_pages``)."""

    paginator: PagingPlan
    stop_condition: Condition | None
    max_pages: int
    prefetch_pages: int | None


def _paging(
    endpoint: EndpointConfig,
    resource: ResourceConfig,
    config: SourceConfig,
    where: str,
    notes: list[str],
) -> _Paging:
    paginator = endpoint.paginator or config.client.paginator or AutoPaginator(type="auto")
    if isinstance(paginator, AutoPaginator):
        notes.append(
            "no paginator given: detected from the first response as dlt does (Link header, "
            "a next-page URL or cursor under a 'next...' key, a page count, else one page)"
        )
    paginator, stop_condition = resolve_paginator(paginator, f"{where}.endpoint.paginator", notes)
    prefetch_pages = fetch_ahead(paginator, resource, config, endpoint.response_actions, notes)
    max_pages = resource.max_pages or config.client.max_pages or DEFAULT_MAX_PAGES
    if paginator.type != "single_page":
        notes.append(f"fails after {max_pages:,} pages in one chain (max_pages)")
    return _Paging(paging_plan(paginator), stop_condition, max_pages, prefetch_pages)


def _check_data_selector(endpoint: EndpointConfig, where: str, notes: list[str]) -> None:
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


def _check_page_formats(plans: Mapping[str, ResourcePlan]) -> None:
    arrow = [p for p in plans.values() if p.page_format == "arrow"]
    if arrow and importlib.util.find_spec("pyarrow") is None:
        raise ConfigError(
            f"{arrow[0].config_path}.page_format",
            "page_format 'arrow' (the default) needs pyarrow, which is not installed; "
            "install it with pip install pyarrow or set page_format 'dicts'",
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
