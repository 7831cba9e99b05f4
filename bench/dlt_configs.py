"""Turn a restsync config (or its resolved ``SourcePlan``) into a config dlt's ``rest_api`` accepts.

The benchmark runs dlt on the *same* API as restsync, so every decision restsync's plan makes
(inferred cursor paths, implied parents, the merged resource defaults) is written out explicitly in
dlt's dialect:

* ``cursor`` paginators get an explicit ``cursor_path`` / ``cursor_param``; a ``stop_condition``
  is dropped: the simulator serves a null cursor on the last page, which ends dlt's
  ``JSONResponseCursorPaginator`` (a seed's ``done`` flag and the null cursor always agree there).
  A paginator ``limit`` (a restsync extension for cursors) becomes a query parameter.
* ``offset`` / ``page_number`` paginators keep their keys, with ``total_path`` set explicitly
  (``None`` when the plan has none) and ``stop_after_empty_page: True``: without a total dlt pages
  until an empty page, one request more than restsync when the last page is short.
* implied parents (``/v1/app/{app_id}/endpoint``) become ``{resources.<parent>.<field>}`` and the
  join field is copied with ``include_from_parent``, as restsync does.
* ``incremental_sync`` maps to dlt's endpoint ``incremental`` (cursor and initial value; the seeds
  send no time parameter). ``error_handler`` and ``stop_condition`` have no dlt equivalent and are
  dropped; dlt keeps its own default retries.
* ``data_selector`` ``[]`` becomes ``$``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from restsync import plan_config
from restsync._plan import PLACEHOLDER, IncrementalPlan, ResourcePlan, SourcePlan

__all__ = ["dlt_config", "to_dlt_config"]


def dlt_config(
    config: Mapping[str, Any], *, name: str = "rest_api", parallelized: bool = False
) -> dict[str, Any]:
    """A restsync/seed config dict as a dlt ``RESTAPIConfig`` dict."""
    return to_dlt_config(plan_config(config, name=name), parallelized=parallelized)


def to_dlt_config(plan: SourcePlan, *, parallelized: bool = False) -> dict[str, Any]:
    """The plan as a dlt ``RESTAPIConfig`` dict: JSON-serialisable, secrets in clear text."""
    client: dict[str, Any] = {"base_url": plan.base_url}
    if plan.headers:
        client["headers"] = dict(plan.headers)
    if plan.auth is not None:
        client["auth"] = _auth(plan.auth)
    resources = [_resource(plan, r, parallelized) for r in plan.resources.values()]
    return {"client": client, "resources": resources}


def _resource(plan: SourcePlan, resource: ResourcePlan, parallelized: bool) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in resource.params.items():
        params[key] = _templated(value, resource)
    endpoint: dict[str, Any] = {"path": _templated(resource.path, resource)}
    if resource.method != "GET":
        endpoint["method"] = resource.method
    if resource.headers:
        endpoint["headers"] = {k: _templated(v, resource) for k, v in resource.headers.items()}
    if resource.json_body is not None:
        endpoint["json"] = _templated(resource.json_body, resource)
    paginator = _paginator(resource.paginator, params)
    if paginator is not None:
        endpoint["paginator"] = paginator
    if resource.data_selector is not None:
        endpoint["data_selector"] = resource.data_selector or "$"
    if resource.incremental is not None:
        endpoint["incremental"] = _incremental(resource.incremental)
    if resource.auth is not None:
        endpoint["auth"] = _auth(resource.auth)
    actions = [a for a in resource.response_actions if isinstance(a, Mapping)]
    if actions:
        endpoint["response_actions"] = [dict(a) for a in actions]
    if params:
        endpoint["params"] = params

    out: dict[str, Any] = {"name": resource.name, "endpoint": endpoint}
    if resource.table_name != resource.name:
        out["table_name"] = resource.table_name
    if resource.primary_key:
        key = resource.primary_key
        out["primary_key"] = key[0] if len(key) == 1 else list(key)
    if resource.write_disposition is not None:
        out["write_disposition"] = resource.write_disposition
    for hint, value in resource.hints.items():
        out[hint] = value
    if resource.parent is not None and resource.parent.include:
        out["include_from_parent"] = list(resource.parent.include)
    if not resource.selected:
        out["selected"] = False
    if parallelized:
        out["parallelized"] = True
    return out


def _templated(value: Any, resource: ResourcePlan) -> Any:
    """Rewrite placeholders bound to the parent as dlt's ``{resources.<parent>.<field>}``."""
    if isinstance(value, str):
        parent = resource.parent
        if parent is None:
            return value

        def replace(match: Any) -> str:
            name = match.group(1)
            field = parent.bindings.get(name)
            if field is None or name.startswith("resources."):
                return str(match.group(0))
            return "{resources." + parent.resource + "." + field + "}"

        return PLACEHOLDER.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: _templated(v, resource) for k, v in value.items()}
    if isinstance(value, list):
        return [_templated(v, resource) for v in value]
    return value


def _given(paginator: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """Those of ``keys`` the paginator sets (dlt's defaults stand for the others)."""
    return {key: getattr(paginator, key) for key in keys if getattr(paginator, key) is not None}


def _paginator(paginator: Any, params: dict[str, Any]) -> dict[str, Any] | str | None:
    kind = paginator.type
    if kind == "auto":
        return None  # dlt detects the paginator from the first response, as restsync does
    if kind == "single_page":
        return "single_page"
    if kind == "cursor":
        out: dict[str, Any] = {
            "type": "cursor",
            "cursor_path": paginator.cursor_path or "cursors.next",
        }
        if paginator.cursor_body_path:
            out["cursor_body_path"] = paginator.cursor_body_path
        else:
            out["cursor_param"] = paginator.cursor_param or "cursor"
        if paginator.limit is not None:  # dlt's cursor paginator has no page size: a param
            params.setdefault(paginator.limit_param, paginator.limit)
        return out
    if kind == "offset":
        out = {
            "type": "offset",
            "limit": paginator.limit,
            "offset": paginator.offset,
            "offset_param": paginator.offset_param,
            "limit_param": paginator.limit_param,
            "total_path": paginator.total_path,
            "stop_after_empty_page": True,
        }
        keys = ("maximum_offset", "has_more_path", "offset_body_path", "limit_body_path")
        out.update(_given(paginator, keys))
        return out
    if kind == "page_number":
        out = {
            "type": "page_number",
            "base_page": paginator.base_page,
            "page_param": paginator.page_param,
            "total_path": paginator.total_path,
            "stop_after_empty_page": True,
        }
        out.update(_given(paginator, ("page", "maximum_page", "has_more_path", "page_body_path")))
        if paginator.limit is not None:
            params.setdefault(paginator.limit_param, paginator.limit)
        return out
    if kind == "json_link":
        out = {"type": "json_link"}
        if paginator.next_url_path:
            out["next_url_path"] = paginator.next_url_path
        return out
    if kind == "header_link":
        return {"type": "header_link", "links_next_key": paginator.links_next_key}
    if kind == "header_cursor":
        return {
            "type": "header_cursor",
            "cursor_key": paginator.cursor_key,
            "cursor_param": paginator.cursor_param,
        }
    raise ValueError(f"no dlt equivalent for paginator type '{kind}'")


def _incremental(incremental: IncrementalPlan) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cursor_path": incremental.cursor_path,
        "initial_value": _plain(incremental.format_value(incremental.initial_value)),
    }
    if incremental.end_value is not None:
        out["end_value"] = _plain(incremental.format_value(incremental.end_value))
    if incremental.last_value_func != "max":
        out["last_value_func"] = incremental.last_value_func
    if incremental.start_param is not None:
        out["start_param"] = incremental.start_param.name
    if incremental.end_param is not None:
        out["end_param"] = incremental.end_param.name
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _auth(auth: Any) -> dict[str, Any]:
    """A restsync plan auth value as dlt's auth dict, with the secrets revealed."""
    out: dict[str, Any] = {}
    values = {"type": auth.type, **{f.name: getattr(auth, f.name) for f in fields(auth)}}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    if out.get("location") == "param":
        out["location"] = "query"
    return out
