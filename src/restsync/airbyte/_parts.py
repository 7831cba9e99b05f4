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

from restsync.airbyte._jinja import Interpolator, TemplateError, compile_check
from restsync.airbyte._records import (
    AddField,
    ClientSideCursor,
    FlattenPath,
    KeysReplace,
    KeysToLower,
    RecordPipeline,
    RemoveFields,
    Step,
)
from restsync.airbyte._requests import (
    CursorStrategy,
    OffsetStrategy,
    PageStrategy,
    RequestOption,
    Strategy,
)

__all__ = [
    "check_shapes",
    "refuse_stream_state",
    "Unsupported",
    "build_columns",
    "load_schema",
    "build_paginator",
    "build_records",
    "component_type",
    "custom_class",
    "request_option",
]


@dataclass
class Unsupported(Exception):
    where: str
    component: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.component}" + (f" ({self.reason})" if self.reason else "")


# airbyte-cdk classes whose name differs from the manifest type they implement
_CDK_CLASS_TYPES = {
    "CursorPaginationStrategy": "CursorPagination",
    "DeclarativeOauth2Authenticator": "OAuthAuthenticator",
}


def custom_class(value: Any) -> str:
    """The ``class_name`` airbyte-cdk would load for ``value``, or ``""`` when it loads none.

    airbyte-cdk builds a component from its ``type``; only the ``Custom*`` types (and an
    untyped component that has a ``class_name``, which its transformer types as one) read
    ``class_name``. Beside any other type the key is an unknown field its models keep and
    never read: freshdesk's ``tickets`` requester is ``$ref: base_requester`` (an
    HttpRequester) with ``class_name: SimpleRetriever``, and airbyte-cdk runs it as an
    HttpRequester."""
    if not isinstance(value, Mapping) or "class_name" not in value:
        return ""
    kind = value.get("type")
    if isinstance(kind, str) and kind and not kind.startswith("Custom"):
        return ""
    return str(value["class_name"])


def component_type(value: Any, where: str, default: str = "") -> str:
    if not isinstance(value, Mapping):
        return default
    class_name = custom_class(value)
    if class_name.startswith("airbyte_cdk."):
        # a "custom" component that names one of airbyte-cdk's own classes is that built-in
        # component, not custom Python: read it as its type (unsupported ones are still named)
        name = class_name.rsplit(".", 1)[-1]
        return _CDK_CLASS_TYPES.get(name, name)
    if class_name:
        raise Unsupported(
            where,
            str(value.get("type") or "Custom component"),
            f"custom Python class {class_name}",
        )
    return str(value.get("type") or default)


def _expect(value: Any, where: str, allowed: tuple[str, ...], default: str = "") -> str:
    kind = component_type(value, where, default)
    if kind not in allowed:
        raise Unsupported(where, kind or "an untyped component", "not supported")
    return kind


# The shapes the manifest schema gives a component's fields, by field name: read before a stream
# is translated, so a value of the wrong shape is a check error naming its place instead of an
# exception deep in a builder. A name that means different things in different components
# (``inject_into``: a mapping in ApiKeyAuthenticator, a word in RequestOption) is not listed.
_MAPPING = "a mapping"
_LIST = "a list"
_MAPPINGS = "a list of mappings"
_SHAPES: dict[str, tuple[str, ...]] = {
    "retriever": (_MAPPING,),
    "requester": (_MAPPING,),
    "record_selector": (_MAPPING,),
    "extractor": (_MAPPING,),
    "paginator": (_MAPPING,),
    "pagination_strategy": (_MAPPING,),
    "page_token_option": (_MAPPING,),
    "page_size_option": (_MAPPING,),
    "start_time_option": (_MAPPING,),
    "end_time_option": (_MAPPING,),
    "request_option": (_MAPPING,),
    "authenticator": (_MAPPING,),
    "login_requester": (_MAPPING,),
    "error_handler": (_MAPPING,),
    "record_filter": (_MAPPING,),
    "incremental_sync": (_MAPPING,),
    "stream": (_MAPPING,),
    "schema": (_MAPPING,),
    "schema_loader": (_MAPPING, _MAPPINGS),
    "partition_router": (_MAPPING, _MAPPINGS),
    "transformations": (_MAPPINGS,),
    "fields": (_MAPPINGS,),
    "response_filters": (_MAPPINGS,),
    "backoff_strategies": (_MAPPINGS,),
    "error_handlers": (_MAPPINGS,),
    "parent_stream_configs": (_MAPPINGS,),
    "field_path": (_LIST,),
    "field_pointers": (_LIST,),
    "http_codes": (_LIST,),
    "path": (_LIST, "a text"),
    "primary_key": (_LIST, "a text"),
    "values": (_LIST, "a text"),
}
# fields whose keys are the API's or the user's, not the manifest schema's
_FREE_FORM = frozenset(
    {
        "request_parameters",
        "request_headers",
        "request_body_json",
        "request_body_data",
        "request_body",
        "refresh_request_body",
        "$parameters",
        "schema",
        "value",
        "values",
        "config_overrides",
    }
)


def _shape_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return _MAPPING
    if isinstance(value, list):
        return _MAPPINGS if all(isinstance(v, Mapping) for v in value) else _LIST
    if isinstance(value, bool) or value is None:
        return f"the value {value}"
    return "a text" if isinstance(value, str) else "a number"


def check_shapes(value: Any, where: str) -> None:
    """Raise ``Unsupported`` for the first field below ``value`` whose value has a shape the
    manifest schema does not allow (a list where a mapping belongs, a number for a list)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_shapes(item, f"{where}[{index}]")
        return
    if not isinstance(value, Mapping):
        return
    kind = value.get("type")
    custom = custom_class(value)
    if custom and not custom.startswith("airbyte_cdk."):
        # a custom Python component's fields are its class's own (jira's RemoveEmptyFields
        # takes field_pointers as a list of texts): airbyte-cdk hands them over unchecked, and
        # the stream is refused for the class itself (component_type), not for their shapes
        return
    if kind is not None and not isinstance(kind, str) and "properties" not in value:
        raise Unsupported(f"{where}.type", f"type {kind!r}", "a component's type is a word")
    for key, item in value.items():
        at = f"{where}.{key}"
        if key == "error_handlers" and kind != "CompositeErrorHandler":
            # a field of CompositeErrorHandler only: elsewhere (linkedin-ads' requesters) it is
            # an unknown key, which airbyte-cdk's models allow and never read
            continue
        allowed = _SHAPES.get(str(key))
        if allowed and item is not None:
            shape = _shape_of(item)
            fits = shape in allowed or (shape == _MAPPINGS and _LIST in allowed)
            if not fits and not (shape == _LIST and item == []):
                raise Unsupported(
                    at, shape, f"the manifest schema allows {' or '.join(allowed)} here"
                )
        if key == "http_codes" and isinstance(item, list):
            for index, code in enumerate(item):
                if isinstance(code, bool) or not str(code).isdigit():
                    raise Unsupported(f"{at}[{index}]", repr(code), "an HTTP status is a number")
        if key == "field_pointers" and isinstance(item, list):
            for index, pointer in enumerate(item):
                if not isinstance(pointer, list):
                    raise Unsupported(f"{at}[{index}]", _shape_of(pointer), "a pointer is a list")
        if key not in _FREE_FORM:
            check_shapes(item, at)


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


def refuse_stream_state(value: Any, where: str) -> None:
    """airbyte-cdk refuses any template that names ``stream_state`` (the stream fails when it is
    rendered); ``check`` refuses it up front, so such a stream is never silently different."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            refuse_stream_state(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            refuse_stream_state(item, f"{where}[{i}]")
    elif isinstance(value, str) and "stream_state" in value and ("{{" in value or "{%" in value):
        raise Unsupported(
            where,
            "template",
            "stream_state in a template, which airbyte-cdk no longer supports "
            "(the manifest needs stream_interval instead)",
        )


# --- paginator --------------------------------------------------------------------------------


def request_option(spec: Any, ai: Interpolator, where: str) -> RequestOption | None:
    if spec is None:
        return None
    kind = _expect(spec, where, ("RequestOption", "RequestPath"), "RequestOption")
    if kind == "RequestPath":
        return RequestOption("path")
    inject = spec.get("inject_into")
    if inject not in ("request_parameter", "header", "body_json", "body_data"):
        raise Unsupported(where, "RequestOption", f"inject_into {inject!r}")
    field_path = tuple(str(ai.eval(p)) for p in spec.get("field_path") or ())
    name = str(ai.eval(spec.get("field_name")) or "")
    if not name and not field_path and spec.get("field_name") and inject == "header":
        # zendesk-support's "{{ parameters['cursor_filter'] }}" on a stream without that
        # parameter: airbyte-cdk sends the value under an empty name, which a query, a JSON
        # body or a form can carry (tmdb's page size goes as '?=1000'); a header cannot
        raise Unsupported(
            where,
            "RequestOption",
            f"field_name {spec['field_name']!r} renders empty here, and a header needs a name",
        )
    # airbyte-cdk refuses both when it builds the stream (n8n has neither, workable both)
    if not spec.get("field_name") and not field_path:
        raise Unsupported(
            where,
            "RequestOption",
            "neither a field_name nor a field_path; airbyte-cdk refuses it too",
        )
    if spec.get("field_name") and spec.get("field_path"):
        raise Unsupported(
            where, "RequestOption", "both a field_name and a field_path; airbyte-cdk refuses it too"
        )
    return RequestOption(inject, name, field_path)


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
            where=at,
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
    _refuse_colliding_options(token, page_size, where)
    return strategy, token, page_size


def _option_path(option: RequestOption) -> tuple[str, ...]:
    return option.field_path or (option.field_name,)


def _refuse_colliding_options(
    token: RequestOption | None, page_size: RequestOption | None, where: str
) -> None:
    """airbyte-cdk will not build a paginator whose page token and page size go to the same key
    (postmarkapp sends both as ``offset``): every request would carry the page size as the
    offset, so the stream could only loop on one page."""
    if token is None or page_size is None or token.inject_into == "path":
        return
    if token.inject_into != page_size.inject_into:
        return
    a, b = _option_path(token), _option_path(page_size)
    shorter = min(len(a), len(b))
    if a[:shorter] != b[:shorter]:
        return
    raise Unsupported(
        f"{where}.page_size_option",
        "RequestOption",
        f"{'.'.join(b)!r} in {page_size.inject_into} is also the page_token_option's key; "
        "give the two options different field names (airbyte-cdk refuses it too)",
    )


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
    selector: Any,
    transformations: Any,
    ai: Interpolator,
    where: str,
    schema: Any = None,
    client_side: ClientSideCursor | None = None,
    stream_where: str = "",
) -> RecordPipeline:
    """A stream's record selector and transformations (at ``stream_where``.transformations)."""
    _expect(selector, where, ("RecordSelector",), "RecordSelector")
    extractor = selector.get("extractor") or {}
    _expect(extractor, f"{where}.extractor", ("DpathExtractor",), "DpathExtractor")
    if extractor.get("record_expander"):
        raise Unsupported(f"{where}.extractor", "RecordExpander", "not supported")
    record_filter = selector.get("record_filter")
    condition = None
    if record_filter:
        _expect(record_filter, f"{where}.record_filter", ("RecordFilter",), "RecordFilter")
        condition = _checked(record_filter.get("condition"), f"{where}.record_filter")
    steps = tuple(
        step
        for i, t in enumerate(transformations or [])
        for step in _transformation(t, _join(stream_where, f"transformations[{i}]"))
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
        # a client-side incremental stream transforms first unless the selector says otherwise
        transform_before_filtering=bool(
            selector.get("transform_before_filtering", client_side is not None)
        ),
        schema=schema if normalization == "Default" else None,
        client_side=client_side,
    )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _transformation(spec: Any, where: str) -> list[Step]:
    kind = _expect(
        spec,
        where,
        ("AddFields", "RemoveFields", "KeysToLower", "KeysReplace", "DpathFlattenFields"),
    )
    condition = _checked(spec.get("condition"), where) or None
    if kind == "KeysToLower":
        return [KeysToLower()]
    if kind == "KeysReplace":
        return [KeysReplace(_checked(spec.get("old"), where), _checked(spec.get("new"), where))]
    if kind == "DpathFlattenFields":
        keys = spec.get("key_transformation") or {}
        return [
            FlattenPath(
                path=tuple(_checked(spec.get("field_path") or [], where)),
                delete_origin_value=bool(spec.get("delete_origin_value")),
                replace_record=bool(spec.get("replace_record")),
                prefix=str(keys.get("prefix") or ""),
                suffix=str(keys.get("suffix") or ""),
            )
        ]
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


# --- schemas ---------------------------------------------------------------------------------

_JSON_TYPES = {
    "string": "text",
    "integer": "bigint",
    "number": "double",
    "boolean": "bool",
    "object": "json",
    "array": "json",
}


def load_schema(spec: Any, folder: Path | None, ai: Interpolator, where: str) -> Any:
    """The stream's JSON schema (inline, or a file next to the manifest), if there is one.

    A list of loaders is one schema, as airbyte-cdk's CompositeSchemaLoader makes it: the
    properties of every loader, an earlier loader's property winning over a later one's."""
    if isinstance(spec, list):
        properties: dict[str, Any] = {}
        for index, item in enumerate(spec):
            schema = _one_schema(item, folder, ai, f"{where}[{index}]")
            found = schema.get("properties") if isinstance(schema, Mapping) else None
            properties = {**(found if isinstance(found, Mapping) else {}), **properties}
        return {"type": ["null", "object"], "properties": properties}
    return _one_schema(spec, folder, ai, where)


def _one_schema(spec: Any, folder: Path | None, ai: Interpolator, where: str) -> Any:
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
    for name, prop in (properties if isinstance(properties, Mapping) else {}).items():
        if not isinstance(prop, Mapping):
            continue
        types = prop.get("type")
        types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
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
