"""Small Airbyte manifests for tests, built from parts: a manifest of streams, a stream around a
requester, a requester, a paginator, a request option and an inline schema.

Each builder writes the components' ``type`` as the CDK's own manifests do and adds a key only
when it is given, so that a test states just what it is about::

    from tests.airbyte import manifests as build

    build.manifest(
        build.stream("users", build.requester("https://x.invalid", "/users"), ["data"]),
    )
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "days_cursor",
    "listed_tables",
    "manifest",
    "option",
    "paginator",
    "properties",
    "requester",
    "spec",
    "stream",
    "substream",
]


def manifest(
    *streams: Any, version: str = "6.0.0", typed: bool = True, **top: Any
) -> dict[str, Any]:
    """A ``DeclarativeSource`` of ``streams``; ``top`` adds root keys (``schemas``,
    ``definitions``, ``spec``) before the streams. ``typed=False`` leaves out the root's
    ``type``, as manifests older than the CDK's 0.5x did."""
    root: dict[str, Any] = {"version": version}
    if typed:
        root["type"] = "DeclarativeSource"
    return {**root, **top, "streams": list(streams)}


def spec(**fields: dict[str, Any]) -> dict[str, Any]:
    """A ``Spec`` whose connection_specification requires every field given, in order (the
    corpus harness's tests fill the placeholder config from it)."""
    return {
        "type": "Spec",
        "connection_specification": {
            "type": "object",
            "required": list(fields),
            "properties": fields,
        },
    }


def requester(
    url_base: str | None = None,
    path: str | None = None,
    *,
    url: str | None = None,
    http_method: str | None = None,
    authenticator: Any = None,
    **more: Any,
) -> dict[str, Any]:
    """An ``HttpRequester`` at ``url_base`` + ``path``, or at a whole ``url``."""
    found: dict[str, Any] = {"type": "HttpRequester"}
    given = {
        "url_base": url_base,
        "path": path,
        "url": url,
        "http_method": http_method,
        "authenticator": authenticator,
    }
    found.update({key: value for key, value in given.items() if value is not None})
    return {**found, **more}


def stream(
    name: str,
    requester: dict[str, Any],
    records: list[str] | dict[str, Any],
    *,
    primary_key: Any = None,
    paginator: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    retriever: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A ``DeclarativeStream`` reading ``requester``'s answers. ``records`` is the field path
    of a ``DpathExtractor``, or a whole ``record_selector``; ``schema`` becomes an
    ``InlineSchemaLoader``; ``retriever`` adds keys to the retriever (a partition router) and
    ``more`` to the stream (``incremental_sync``)."""
    if isinstance(records, list):
        records = {
            "type": "RecordSelector",
            "extractor": {"type": "DpathExtractor", "field_path": records},
        }
    found: dict[str, Any] = {"type": "DeclarativeStream", "name": name}
    if primary_key is not None:
        found["primary_key"] = primary_key
    found["retriever"] = {
        "type": "SimpleRetriever",
        "requester": requester,
        "record_selector": records,
    }
    if paginator is not None:
        found["retriever"]["paginator"] = paginator
    found["retriever"].update(retriever or {})
    if schema is not None:
        found["schema_loader"] = {"type": "InlineSchemaLoader", "schema": schema}
    return {**found, **more}


def paginator(
    strategy: dict[str, Any], token: dict[str, Any], size: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ``DefaultPaginator``: its strategy, the option its page token goes in and, if given,
    the option its page size goes in."""
    found: dict[str, Any] = {"type": "DefaultPaginator", "page_token_option": token}
    if size is not None:
        found["page_size_option"] = size
    return {**found, "pagination_strategy": strategy}


def option(field_name: str, inject_into: str = "request_parameter") -> dict[str, Any]:
    """A ``RequestOption``: a value sent as ``field_name`` in the query (or ``inject_into``)."""
    return {"type": "RequestOption", "inject_into": inject_into, "field_name": field_name}


def properties(**types: str) -> dict[str, Any]:
    """A JSON schema of an object whose properties have these types."""
    return {"type": "object", "properties": {name: {"type": kind} for name, kind in types.items()}}


def substream(parent: dict[str, Any], parent_key: str, partition_field: str) -> dict[str, Any]:
    """A ``SubstreamPartitionRouter``: a partition per record of the ``parent`` stream, its
    ``parent_key`` named ``partition_field`` in the child's templates."""
    config = {
        "type": "ParentStreamConfig",
        "parent_key": parent_key,
        "partition_field": partition_field,
        "stream": parent,
    }
    return {"type": "SubstreamPartitionRouter", "parent_stream_configs": [config]}


def days_cursor(cursor_field: str, **more: Any) -> dict[str, Any]:
    """A ``DatetimeBasedCursor`` over days (``%Y-%m-%d``) from ``config['start_date']`` to
    ``config['end_date']``, each window sent as ``from`` and ``to`` query parameters (request
    options untyped, as older manifests write them); ``more`` adds keys (``step``,
    ``lookback_window``)."""
    return {
        "type": "DatetimeBasedCursor",
        "cursor_field": cursor_field,
        "datetime_format": "%Y-%m-%d",
        "start_datetime": "{{ config['start_date'] }}",
        "end_datetime": "{{ config['end_date'] }}",
        **more,
        "start_time_option": {"inject_into": "request_parameter", "field_name": "from"},
        "end_time_option": {"inject_into": "request_parameter", "field_name": "to"},
    }


def listed_tables() -> dict[str, Any]:
    """manifests/dynamic.yaml with its API-listed entry only (an HttpComponentsResolver), a spec
    of its two fields, and each listed stream named after its workspace's ``name``, a field the
    simulator serves (the manifest's ``title`` is not served: airbyte-cdk names the streams
    "none_..." then, restsync "[]_...", a difference the corpus harness reports)."""
    document = yaml.safe_load((Path(__file__).parent / "manifests" / "dynamic.yaml").read_text())
    document["dynamic_streams"] = document["dynamic_streams"][:1]
    document["spec"] = spec(
        base_url={"type": "string", "default": "https://tables.example.com"},
        key={"type": "string", "airbyte_secret": True},
    )
    resolver = document["dynamic_streams"][0]["components_resolver"]
    parent = resolver["retriever"]["partition_router"]["parent_stream_configs"][0]
    parent["extra_fields"] = [["name"]]
    resolver["components_mapping"][0]["value"] = (
        "{{ stream_slice.extra_fields.name | lower }}_{{ components_values.name | lower }}"
    )
    return document
