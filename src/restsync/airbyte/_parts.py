"""Manifest components to restsync values, one function per kind of component.

Every builder raises ``Unsupported`` for a component restsync cannot run as Airbyte would (a
custom ``class_name`` component, an unknown type, an option without an equivalent), naming the
component's type and where it sits; the translator turns that into a check error for its stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr

from restsync.airbyte._jinja import Interpolator, TemplateError, compile_check
from restsync.airbyte._records import AddField, RecordPipeline, RemoveFields
from restsync.airbyte._requests import (
    CursorStrategy,
    OffsetStrategy,
    PageStrategy,
    RequestOption,
    Strategy,
)
from restsync.config import ApiKeyAuth, BearerAuth, HttpBasicAuth, OAuth2ClientCredentials
from restsync.plan import RetryPolicy

__all__ = [
    "Unsupported",
    "build_auth",
    "build_columns",
    "load_schema",
    "build_paginator",
    "build_records",
    "build_retry",
    "component_type",
    "request_option",
]


@dataclass
class Unsupported(Exception):
    where: str
    component: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.component}" + (f" ({self.reason})" if self.reason else "")


def component_type(value: Any, where: str, default: str = "") -> str:
    if not isinstance(value, Mapping):
        return default
    if "class_name" in value:
        raise Unsupported(
            where,
            str(value.get("type") or "Custom component"),
            f"custom Python class {value['class_name']}",
        )
    return str(value.get("type") or default)


def _expect(value: Any, where: str, allowed: tuple[str, ...], default: str = "") -> str:
    kind = component_type(value, where, default)
    if kind not in allowed:
        raise Unsupported(where, kind or "an untyped component", "not supported")
    return kind


def _checked(value: Any, where: str) -> Any:
    """Compile every template inside ``value`` now, so a broken one fails ``check``."""
    try:
        if isinstance(value, Mapping):
            for key, item in value.items():
                _checked(item, where)
                compile_check(key)
        elif isinstance(value, list):
            for item in value:
                _checked(item, where)
        else:
            compile_check(value)
    except TemplateError as exc:
        raise Unsupported(where, "template", str(exc)) from None
    return value


# --- auth -------------------------------------------------------------------------------------


def build_auth(spec: Any, ai: Interpolator, where: str) -> Any:
    kind = _expect(
        spec,
        where,
        (
            "ApiKeyAuthenticator",
            "BearerAuthenticator",
            "BasicHttpAuthenticator",
            "OAuthAuthenticator",
            "NoAuth",
            "SelectiveAuthenticator",
            "",
        ),
    )
    if not kind or kind == "NoAuth":
        return None
    ai = ai.with_parameters(spec.get("$parameters"))
    if kind == "SelectiveAuthenticator":
        return _selective(spec, ai, where)
    if kind == "BearerAuthenticator":
        return BearerAuth(token=SecretStr(_secret(ai, spec.get("api_token"))))
    if kind == "BasicHttpAuthenticator":
        return HttpBasicAuth(
            type="http_basic",
            username=str(ai.eval(spec.get("username")) or ""),
            password=SecretStr(_secret(ai, spec.get("password"))),
        )
    if kind == "ApiKeyAuthenticator":
        option = spec.get("inject_into") or {
            "inject_into": "header",
            "field_name": spec.get("header"),
        }
        if option.get("inject_into") not in ("header", "request_parameter"):
            raise Unsupported(
                f"{where}.inject_into",
                "RequestOption",
                f"an API key sent as {option.get('inject_into')}",
            )
        return ApiKeyAuth(
            type="api_key",
            name=str(ai.eval(option.get("field_name")) or "Authorization"),
            api_key=SecretStr(_secret(ai, spec.get("api_token"))),
            location="header" if option.get("inject_into") == "header" else "query",
        )
    return _oauth(spec, ai, where)


def _selective(spec: Mapping[str, Any], ai: Interpolator, where: str) -> Any:
    node: Any = ai.config
    for key in spec.get("authenticator_selection_path") or []:
        node = node.get(key) if isinstance(node, Mapping) else None
    options = spec.get("authenticators") or {}
    if node not in options:
        raise Unsupported(
            where,
            "SelectiveAuthenticator",
            f"the config selects {node!r}, which is none of {sorted(options)}",
        )
    return build_auth(options[node], ai, f"{where}.authenticators.{node}")


def _oauth(spec: Mapping[str, Any], ai: Interpolator, where: str) -> Any:
    for key in ("access_token_name", "expires_in_name"):
        name = spec.get(key)
        if name not in (None, "access_token", "expires_in"):
            raise Unsupported(where, "OAuthAuthenticator", f"{key} '{name}'")
    if spec.get("refresh_request_body") or spec.get("refresh_request_headers"):
        raise Unsupported(where, "OAuthAuthenticator", "a custom refresh request body or headers")
    grant = str(ai.eval(spec.get("grant_type")) or "refresh_token")
    data: dict[str, Any] = {"grant_type": grant}
    if grant == "refresh_token":
        data["refresh_token"] = _secret(ai, spec.get("refresh_token"))
    scopes = spec.get("scopes")
    if scopes:
        data["scope"] = " ".join(str(s) for s in scopes)
    return OAuth2ClientCredentials(
        type="oauth2_client_credentials",
        access_token_url=str(ai.eval(spec.get("token_refresh_endpoint")) or ""),
        client_id=SecretStr(_secret(ai, spec.get("client_id"))),
        client_secret=SecretStr(_secret(ai, spec.get("client_secret"))),
        access_token_request_data=data,
    )


def _secret(ai: Interpolator, template: Any) -> str:
    value = ai.eval(template)
    return "" if value is None else str(value)


# --- paginator --------------------------------------------------------------------------------


def request_option(spec: Any, ai: Interpolator, where: str) -> RequestOption | None:
    if spec is None:
        return None
    kind = _expect(spec, where, ("RequestOption", "RequestPath"), "RequestOption")
    if kind == "RequestPath":
        return RequestOption("path")
    inject = spec.get("inject_into")
    if inject not in ("request_parameter", "header", "body_json"):
        raise Unsupported(where, "RequestOption", f"inject_into {inject!r}")
    field_path = tuple(str(ai.eval(p)) for p in spec.get("field_path") or ())
    return RequestOption(inject, str(ai.eval(spec.get("field_name")) or ""), field_path)


def build_paginator(
    spec: Any, ai: Interpolator, where: str
) -> tuple[Strategy | None, RequestOption | None, RequestOption | None]:
    kind = _expect(spec, where, ("DefaultPaginator", "NoPagination", ""), "NoPagination")
    if kind != "DefaultPaginator":
        return None, None, None
    ai = ai.with_parameters(spec.get("$parameters"))
    strategy_spec = spec.get("pagination_strategy") or {}
    at = f"{where}.pagination_strategy"
    strategy_kind = _expect(
        strategy_spec, at, ("CursorPagination", "OffsetIncrement", "PageIncrement")
    )
    size = _int(ai.eval(strategy_spec.get("page_size")), at)
    strategy: Strategy
    if strategy_kind == "CursorPagination":
        _checked(strategy_spec.get("cursor_value"), at)
        _checked(strategy_spec.get("stop_condition"), at)
        strategy = CursorStrategy(
            cursor_value=str(strategy_spec.get("cursor_value")),
            stop_condition=strategy_spec.get("stop_condition"),
            page_size=size,
        )
    elif strategy_kind == "OffsetIncrement":
        strategy = OffsetStrategy(size, bool(strategy_spec.get("inject_on_first_request")))
    else:
        strategy = PageStrategy(
            size,
            _int(ai.eval(strategy_spec.get("start_from_page")), at) or 0,
            bool(strategy_spec.get("inject_on_first_request")),
        )
    token = request_option(spec.get("page_token_option"), ai, f"{where}.page_token_option")
    page_size = request_option(spec.get("page_size_option"), ai, f"{where}.page_size_option")
    return strategy, token, page_size


def _int(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Unsupported(where, "page size", f"{value!r} is not a number") from None


# --- records ----------------------------------------------------------------------------------

_VALUE_TYPES: dict[str, type] = {"string": str, "number": float, "integer": int, "boolean": bool}


def build_records(
    selector: Any, transformations: Any, ai: Interpolator, where: str, schema: Any = None
) -> RecordPipeline:
    _expect(selector, where, ("RecordSelector",), "RecordSelector")
    extractor = selector.get("extractor") or {}
    _expect(extractor, f"{where}.extractor", ("DpathExtractor",), "DpathExtractor")
    if extractor.get("record_expander"):
        raise Unsupported(f"{where}.extractor", "RecordExpander", "not supported")
    decoder = extractor.get("decoder")
    if decoder:
        _expect(decoder, f"{where}.extractor.decoder", ("JsonDecoder",))
    record_filter = selector.get("record_filter")
    condition = None
    if record_filter:
        _expect(record_filter, f"{where}.record_filter", ("RecordFilter",), "RecordFilter")
        condition = _checked(record_filter.get("condition"), f"{where}.record_filter")
    steps = tuple(
        step
        for i, t in enumerate(transformations or [])
        for step in _transformation(t, f"transformations[{i}]")
    )
    field_path = _checked(extractor.get("field_path") or [], f"{where}.extractor")
    normalization = selector.get("schema_normalization")
    if isinstance(normalization, Mapping) or normalization not in (None, "None", "Default"):
        kind = component_type(normalization, f"{where}.schema_normalization", "")
        raise Unsupported(f"{where}.schema_normalization", kind or str(normalization))
    return RecordPipeline(
        interpolator=ai.with_parameters(selector.get("$parameters")),
        field_path=tuple(field_path),
        record_filter=condition or None,
        transformations=steps,
        transform_before_filtering=bool(selector.get("transform_before_filtering")),
        schema=schema if normalization == "Default" else None,
    )


def _transformation(spec: Any, where: str) -> list[AddField | RemoveFields]:
    kind = _expect(spec, where, ("AddFields", "RemoveFields"))
    condition = _checked(spec.get("condition"), where) or None
    if kind == "RemoveFields":
        pointers = tuple(tuple(str(k) for k in p) for p in spec.get("field_pointers") or [])
        return [RemoveFields(pointers, condition)]
    return [
        AddField(
            path=tuple(str(k) for k in field.get("path") or []),
            value=_checked(field.get("value"), where),
            value_type=_VALUE_TYPES.get(str(field.get("value_type") or "")),
            condition=condition,
        )
        for field in spec.get("fields") or []
    ]


# --- errors and schemas -----------------------------------------------------------------------

_AIRBYTE_RETRY = frozenset({429, *range(500, 600)})


def build_retry(spec: Any, where: str) -> tuple[RetryPolicy, tuple[dict[str, Any], ...]]:
    """An error handler as restsync's retry policy plus ignore actions. A CompositeErrorHandler's
    handlers are merged: a status any of them retries is retried, the first ignore wins."""
    kind = _expect(
        spec, where, ("DefaultErrorHandler", "CompositeErrorHandler", ""), "DefaultErrorHandler"
    )
    if kind == "CompositeErrorHandler":
        parts = [
            build_retry(h, f"{where}.error_handlers[{i}]")
            for i, h in enumerate(spec.get("error_handlers") or [])
        ]
        if not parts:
            return build_retry(None, where)
        retried = frozenset[int]().union(*(p.status_codes for p, _ in parts))
        ignored = {int(a["status_code"]) for _, acts in parts for a in acts if "status_code" in a}
        first = parts[0][0]
        policy = RetryPolicy(
            retried - ignored,
            max(p.max_retries for p, _ in parts),
            first.backoff_factor,
            first.max_backoff_seconds,
            first.retry_after_cap_seconds,
        )
        return policy, tuple(a for _, acts in parts for a in acts)
    spec = spec if isinstance(spec, Mapping) else {}
    codes = set(_AIRBYTE_RETRY)
    actions: list[dict[str, Any]] = []
    for i, rule in enumerate(spec.get("response_filters") or []):
        at = f"{where}.response_filters[{i}]"
        _expect(rule, at, ("HttpResponseFilter",), "HttpResponseFilter")
        if rule.get("predicate"):
            raise Unsupported(at, "HttpResponseFilter", "a predicate on the response")
        action = str(rule.get("action") or "").upper()
        statuses = [int(c) for c in rule.get("http_codes") or []]
        contains = rule.get("error_message_contains")
        if action in ("RETRY", "RATE_LIMITED"):
            codes.update(statuses)
        elif action == "IGNORE":
            actions += [
                {
                    "status_code": c,
                    "action": "ignore",
                    **({"content": contains} if contains else {}),
                }
                for c in statuses
            ]
            if contains and not statuses:
                actions.append({"content": contains, "action": "ignore"})
            codes.difference_update(statuses)
        elif action in ("FAIL", "REFRESH_TOKEN_THEN_RETRY"):
            codes.difference_update(statuses)
        else:
            raise Unsupported(at, "HttpResponseFilter", f"action {action or 'none'}")
    factor = 5.0
    for i, strategy in enumerate(spec.get("backoff_strategies") or []):
        at = f"{where}.backoff_strategies[{i}]"
        kind = _expect(
            strategy,
            at,
            ("ExponentialBackoffStrategy", "ConstantBackoffStrategy", "WaitTimeFromHeader"),
        )
        if kind == "ExponentialBackoffStrategy":
            factor = float(strategy.get("factor", 5))
        elif kind == "ConstantBackoffStrategy":
            factor = float(strategy.get("backoff_time_in_seconds", 5)) / 2
        elif str(strategy.get("header", "")).lower() != "retry-after" or strategy.get("regex"):
            raise Unsupported(at, "WaitTimeFromHeader", f"header {strategy.get('header')!r}")
    retries = int(spec.get("max_retries", 5))
    return RetryPolicy(frozenset(codes), retries, factor, 600.0, 600.0), tuple(actions)


_JSON_TYPES = {
    "string": "text",
    "integer": "bigint",
    "number": "double",
    "boolean": "bool",
    "object": "json",
    "array": "json",
}


def load_schema(spec: Any, folder: Path | None, ai: Interpolator, where: str) -> Any:
    """The stream's JSON schema (inline, or a file next to the manifest), if there is one."""
    kind = _expect(
        spec, where, ("InlineSchemaLoader", "JsonFileSchemaLoader", ""), "JsonFileSchemaLoader"
    )
    if kind == "InlineSchemaLoader":
        return spec.get("schema")
    if kind == "JsonFileSchemaLoader" and folder is not None:
        path = ai.with_parameters((spec or {}).get("$parameters")).text(
            (spec or {}).get("file_path") or "./schemas/{{ parameters.name }}.json"
        )
        candidate = folder / path
        if candidate.is_file():
            return orjson.loads(candidate.read_bytes())
    return None


def build_columns(schema: Any) -> dict[str, Any]:
    """dlt column hints from a JSON schema's top-level properties with one JSON type."""
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    columns: dict[str, Any] = {}
    for name, prop in (properties or {}).items():
        if not isinstance(prop, Mapping):
            continue
        types = prop.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        concrete = [t for t in types if t != "null"]
        if len(concrete) != 1 or concrete[0] not in _JSON_TYPES:
            continue
        data_type = _JSON_TYPES[concrete[0]]
        if data_type == "text" and prop.get("format") == "date-time":
            data_type = "timestamp"
        elif data_type == "text" and prop.get("format") == "date":
            data_type = "date"
        columns[str(name)] = {"data_type": data_type, "nullable": True}
    return columns
