"""A chain's first request, built from its resource plan with placeholders filled as dlt fills them.

Strings in the path, params, headers and JSON body are ``str.format`` templates:
``{resources.<parent>.<field>}`` (and the seeds' implied ``{app_id}``) come from the parent record,
``{incremental.<name>}`` from the resource's cursor (``start_value``, ``last_value``,
``initial_value``, ``end_value``, ``lag``, ...), and ``{{``/``}}`` are literal braces. In a JSON
body a string that is one placeholder and nothing else keeps its value's type. Query values are
sent as Python prints them (``True``, ``1.5``), a list as the parameter repeated, as ``requests``
does for dlt.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from restsync._engine._request import Request
from restsync._plan import IncrementalPlan, ResourcePlan
from restsync._selectors import field_value

__all__ = ["first_request", "render"]

_FORMAT = string.Formatter()
# what ``{incremental.<name>}`` may name besides the four cursor values
_INCREMENTAL_ATTRIBUTES = (
    "cursor_path",
    "lag",
    "row_order",
    "on_cursor_value_missing",
    "range_start",
    "range_end",
)


def first_request(
    base_url: str, resource: ResourcePlan, parent_record: Any, start: Any
) -> Request:
    """The request that starts a chain; ``start`` is the cursor value it starts from
    (``IncrementalPlan.start_from``)."""
    values = _values(resource, parent_record, start)
    path = render(resource.path, values, quote_values=True)
    url = (
        path
        if path.startswith(("http://", "https://"))
        else (base_url.rstrip("/") + "/" + path.lstrip("/"))
    )
    params = {k: _render_value(v, values, False) for k, v in resource.params.items()}
    headers = {k: _render_value(v, values, False) for k, v in resource.headers.items()}
    body = _render_value(resource.json_body, values, True)
    inc = resource.incremental
    if inc is not None:
        for param, value in ((inc.start_param, start), (inc.end_param, inc.end_value)):
            if param is None or value is None:
                continue
            sent = inc.format_value(value)
            if param.inject_into == "header":
                headers[param.name] = sent
            elif param.inject_into == "body_json":
                body = {**(body or {}), param.name: sent}
            else:
                params[param.name] = sent
    data = _render_value(resource.form_body, values, False)
    return Request(resource.method, url, _query(params), headers, body, data)


def render(template: str, values: Mapping[str, Any], *, quote_values: bool = False) -> str:
    """``template`` with the placeholders ``values`` names filled; others are left as written."""
    try:
        parts = list(_FORMAT.parse(template))
    except ValueError:  # a lone brace: nothing to fill (plans reject these where dlt does)
        return template
    out: list[str] = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name not in values:
            out.append(_unparsed(name, spec, conversion))
            continue
        text = "" if values[name] is None else str(values[name])
        out.append(quote(text, safe="") if quote_values else text)
    return "".join(out)


def _unparsed(name: str, spec: str | None, conversion: str | None) -> str:
    converted = f"!{conversion}" if conversion else ""
    return "{" + name + converted + (f":{spec}" if spec else "") + "}"


def _render_value(value: Any, values: Mapping[str, Any], keep_type: bool) -> Any:
    if isinstance(value, str):
        if keep_type:
            lone = _lone_placeholder(value)
            if lone is not None and lone in values:
                return values[lone]
        return render(value, values)
    if isinstance(value, dict):
        return {k: _render_value(v, values, keep_type) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_render_value(v, values, keep_type) for v in value]
    return value


def _lone_placeholder(text: str) -> str | None:
    try:
        parts = list(_FORMAT.parse(text))
    except ValueError:
        return None
    if len(parts) == 1 and parts[0][0] == "" and parts[0][1] and not parts[0][2]:
        return parts[0][1] if parts[0][3] is None else None
    return None


def _query(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                pairs.append((key, item if isinstance(item, str) else str(item)))
    return tuple(pairs)


def _values(resource: ResourcePlan, parent_record: Any, start: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if resource.parent is not None and parent_record is not None:
        for name, field_path in resource.parent.bindings.items():
            values[name] = field_value(parent_record, field_path)
    if resource.incremental is not None:
        values.update(_incremental_values(resource.incremental, start))
    return values


def _incremental_values(inc: IncrementalPlan, start: Any) -> dict[str, Any]:
    values = {
        "incremental.start_value": start,
        "incremental.last_value": start,
        "incremental.initial_value": inc.initial_value,
        "incremental.end_value": inc.end_value,
    }
    shown = {key: inc.format_value(value) for key, value in values.items()}
    for name in _INCREMENTAL_ATTRIBUTES:
        shown[f"incremental.{name}"] = getattr(inc, name)
    return shown
