"""Paginators in the plan: a paginator config with what it implies filled in (dlt's cursor
defaults, the seeds' inferred cursor_path), its stop_condition compiled, its paths checked, and
how far a chain fetches ahead."""

from __future__ import annotations

from typing import Any

from restsync._config import (
    CursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    ResourceConfig,
    SourceConfig,
)
from restsync._errors import ConfigError
from restsync._expressions import Condition, ConditionError, compile_condition
from restsync._selectors import SelectorError, compile_path

__all__ = ["DEFAULT_PREFETCH", "fetch_ahead", "resolve_paginator", "speculates"]

DEFAULT_PREFETCH = 4  # pages an offset / page_number chain fetches ahead unless told


def resolve_paginator(paginator: Any, where: str, notes: list[str]) -> tuple[Any, Condition | None]:
    """The paginator with what the config implies filled in, and its compiled stop_condition."""
    condition = _stop_condition(paginator, where)
    _check_paginator(paginator, where)
    _check_paths(paginator, where)
    if isinstance(paginator, CursorPaginator):
        if _dlt_dialect(paginator):
            return _dlt_cursor(paginator, notes), condition
        paginator = _seed_cursor(paginator, condition, notes)
    numbered = isinstance(paginator, OffsetPaginator | PageNumberPaginator)
    if numbered and "total_path" not in paginator.model_fields_set:
        if not paginator.has_more_path and condition is None:
            notes.append(
                "no total_path: the total is read from 'total' when the response has it "
                "(dlt's default), otherwise paging stops at the first short or empty page"
            )
    return paginator, condition


def _stop_condition(paginator: Any, where: str) -> Condition | None:
    source = getattr(paginator, "stop_condition", None)
    if source is None:
        return None
    try:
        return compile_condition(source)
    except ConditionError as exc:
        raise ConfigError(
            f"{where}.stop_condition",
            f'{exc}; write a test such as "response.next is none" or a field name such as "done"',
        ) from None


def _check_paths(paginator: Any, where: str) -> None:
    for key in ("cursor_path", "total_path", "has_more_path", "next_url_path"):
        value = getattr(paginator, key, None)
        if value is not None:
            try:
                compile_path(value)
            except SelectorError as exc:
                raise ConfigError(
                    f"{where}.{key}", f"{exc}; fix it or use a dotted path such as 'meta.next'"
                ) from None


def _seed_cursor(
    paginator: CursorPaginator, condition: Condition | None, notes: list[str]
) -> CursorPaginator:
    """The seeds' cursor defaults: sent as ``cursor``, read from the field stop_condition tests
    for null, else from the response field named like the param."""
    update: dict[str, Any] = {}
    if paginator.cursor_param is None and paginator.cursor_body_path is None:
        update["cursor_param"] = "cursor"
        notes.append("cursor_param not given: the cursor is sent as the 'cursor' query parameter")
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
    return paginator.model_copy(update=update) if update else paginator


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


def speculates(resource: ResourceConfig, config: SourceConfig) -> bool:
    """Guessing ahead can cost a few requests past the end; under a rate budget those come out
    of the budget, so restsync only guesses there when prefetch_pages is set explicitly."""
    explicit = resource.prefetch_pages is not None or config.client.prefetch_pages is not None
    return explicit or config.client.rate_limit is None


def fetch_ahead(
    paginator: Any,
    resource: ResourceConfig,
    config: SourceConfig,
    response_actions: list[Any] | None,
    notes: list[str],
) -> int | None:
    """The resource's ``prefetch_pages`` (None: the source's), noted for ``plan``.

    A response action that can ignore a successful page ends the chain there, as dlt's paging
    ends at an ignored response: pages guessed past it would be requests dlt never sends, so
    such a chain fetches one page at a time unless prefetch_pages is set."""
    depth = resource.prefetch_pages
    if depth is None:
        depth = config.client.prefetch_pages
    if not isinstance(paginator, OffsetPaginator | PageNumberPaginator):
        return resource.prefetch_pages
    if depth is None and _may_ignore_a_page(response_actions):
        notes.append(
            "a response action may ignore a page, which ends paging there: pages are fetched "
            "one at a time (set prefetch_pages to guess ahead anyway)"
        )
        return 0
    if depth is None:
        depth = DEFAULT_PREFETCH
    if depth == 0:
        notes.append("prefetch_pages 0: pages are fetched one at a time")
    elif paginator.total_path is not None:
        notes.append(f"fetches up to {depth} pages ahead once the first page gives the total")
    elif not speculates(resource, config):
        notes.append(
            "no total_path and a rate_limit: pages are fetched one at a time, so no request is "
            "spent past the end (set prefetch_pages to guess ahead anyway)"
        )
    else:
        notes.append(
            f"fetches up to {depth} pages ahead after a run of full pages; a few requests past "
            "the end can be sent (prefetch_pages: 0 turns this off)"
        )
    return resource.prefetch_pages


def _may_ignore_a_page(actions: list[Any] | None) -> bool:
    """Whether an action can ignore a 2xx answer: a function (it may raise dlt's
    IgnoreResponseException), or 'ignore' on a success status or on content alone."""
    for action in actions or ():
        if callable(action):
            return True
        if not isinstance(action, dict):
            continue
        todo = action.get("action")
        if callable(todo) or isinstance(todo, list):
            return True
        status = action.get("status_code")
        conditional = status is not None or action.get("content") is not None
        success = not isinstance(status, int) or 200 <= status < 300
        if todo == "ignore" and conditional and success:
            return True
    return False
