"""The typed model of the config dialect: dlt's ``RESTAPIConfig`` plus the seed extensions.

Shorthands (a resource given as a string, ``endpoint: "/path"``, ``paginator: "cursor"``) are turned
into their full form in ``before`` validators here, so every later stage sees one shape. Everything
that is a secret is a ``SecretStr``: it prints as ``**********`` in reprs, logs and errors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    model_validator,
)

from restsync._config._base import ConfigModel as _Model
from restsync._config._dlt_hint_types import TWriteDisposition
from restsync._config._strategies import (
    ApiKeyAuth,
    AuthConfig,
    AutoPaginator,
    BearerAuth,
    CursorPaginator,
    DltAuthObject,
    DltPaginatorObject,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    HttpBasicAuth,
    JSONLinkPaginator,
    OAuth2ClientCredentials,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorConfig,
    SinglePagePaginator,
)
from restsync._config._values import BaseUrl, CursorPath, FormBody, Headers, JsonBody

__all__ = [
    "ApiKeyAuth",
    "AuthConfig",
    "BearerAuth",
    "ClientConfig",
    "CursorPaginator",
    "DltCursor",
    "DltAuthObject",
    "DltPaginatorObject",
    "EndpointConfig",
    "EndpointIncremental",
    "ErrorHandler",
    "HeaderCursorPaginator",
    "HeaderLinkPaginator",
    "HttpBasicAuth",
    "IncrementalParam",
    "IncrementalSync",
    "JSONLinkPaginator",
    "OAuth2ClientCredentials",
    "OffsetPaginator",
    "PageNumberPaginator",
    "PaginatorConfig",
    "RateLimit",
    "ResolveParam",
    "ResourceConfig",
    "SinglePagePaginator",
    "AutoPaginator",
    "SourceConfig",
    "StartTimeOption",
]


# --- retries, rate, incremental ---------------------------------------------------------------


class ErrorHandler(_Model):
    """Airbyte-style retry policy for one endpoint; unset fields keep the source's policy."""

    retry_on_status_codes: tuple[int, ...] | None = None
    max_retries: int | None = Field(default=None, ge=0)
    backoff_factor: float | None = Field(default=None, ge=0)
    max_backoff_seconds: float | None = Field(default=None, gt=0)
    # restsync: a server's Retry-After is honoured up to this many seconds (None: 120)
    max_retry_after_seconds: float | None = Field(default=None, ge=0)


class RateLimit(_Model):
    requests_per_second: float = Field(gt=0)
    burst: int | None = Field(default=None, ge=1)


class StartTimeOption(_Model):
    """Where to send the incremental start value to the server (Airbyte's ``start_time_option``)."""

    field_name: str
    inject_into: Literal["request_parameter", "header", "body_json"] = "request_parameter"


class IncrementalSync(_Model):
    """Airbyte-style datetime cursor, as the seeds write it."""

    cursor_field: CursorPath
    start_datetime: datetime | str
    datetime_format: str | None = None
    end_datetime: datetime | str | None = None
    # ISO 8601 duration ("P1D", "PT6H") or seconds: re-read this much before the saved value
    lookback_window: str | int | float | None = None
    start_time_option: StartTimeOption | None = None
    end_time_option: StartTimeOption | None = None
    # shorthand for start_time_option: {field_name: ..., inject_into: request_parameter}
    start_param: str | None = None
    end_param: str | None = None


class ResolveParam(_Model):
    type: Literal["resolve"]
    resource: str
    field: str


class DltCursor(_Model):
    """What dlt's incremental cursor takes, written as a dict (a param or the endpoint block)."""

    cursor_path: CursorPath
    initial_value: Any = None
    end_value: Any = None
    last_value_func: Literal["max", "min"] = "max"
    row_order: Literal["asc", "desc"] | None = None
    on_cursor_value_missing: Literal["raise", "include", "exclude"] = "raise"
    lag: int | float | None = None
    convert: Any = None  # a function applied to every cursor value before it is sent
    range_start: Literal["open", "closed"] | None = None
    range_end: Literal["open", "closed"] | None = None


class IncrementalParam(DltCursor):
    """dlt's ``{"type": "incremental", ...}`` request parameter."""

    type: Literal["incremental"]


class EndpointIncremental(DltCursor):
    """dlt's endpoint ``incremental`` block: a cursor plus the params that carry it."""

    start_param: str | None = None
    end_param: str | None = None


# --- endpoint, resource, source ---------------------------------------------------------------


class EndpointConfig(_Model):
    path: str | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    params: dict[str, Any] = Field(default_factory=dict)
    json_body: JsonBody = Field(default=None, alias="json")
    data: FormBody = None  # form fields (a dict) or a raw body (a string), as dlt sends it
    headers: Headers = Field(default_factory=dict)
    paginator: PaginatorConfig | None = None
    data_selector: str | None = None
    response_actions: list[Any] | None = None
    incremental: EndpointIncremental | None = None
    auth: AuthConfig | None = None
    error_handler: ErrorHandler | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, value: Any) -> Any:
        value = _expand_paginator_and_auth(value)
        if isinstance(value, dict):
            selector = value.get("data_selector")
            if isinstance(selector, list | tuple) and all(
                isinstance(part, str | int) for part in selector
            ):
                # dlt's list form: [] is the whole body, ["a", "b"] is the path a.b; a list
                # holding anything else is left to the field's own check (a config error
                # naming data_selector), never joined: str() of a deep nesting recurses
                value["data_selector"] = ".".join(str(part) for part in selector) or "$"
        return value


class ResourceConfig(_Model):
    """One resource; also the shape of ``resource_defaults`` (where every field is optional)."""

    name: str | None = None
    endpoint: EndpointConfig | None = None
    # a function of the record, as dlt takes it: each record goes to the table it names
    table_name: str | Callable[[Any], str] | None = None
    write_disposition: TWriteDisposition | dict[str, Any] | None = None
    primary_key: str | tuple[str, ...] | None = None
    merge_key: str | tuple[str, ...] | None = None
    columns: dict[str, Any] | list[Any] | None = None
    schema_contract: Any = None
    table_format: str | None = None
    file_format: str | None = None
    nested_hints: dict[str, Any] | None = None
    references: Any = None
    max_table_nesting: int | None = Field(default=None, ge=0)
    selected: bool = True
    parallelized: bool = False  # accepted for dlt compatibility: restsync always runs concurrently
    include_from_parent: tuple[str, ...] = ()
    processing_steps: list[dict[str, Any]] = Field(default_factory=list)
    incremental_sync: IncrementalSync | None = None
    max_concurrency: int | None = Field(default=None, ge=1)
    prefetch_pages: int | None = Field(default=None, ge=0)
    max_pages: int | None = Field(default=None, ge=1)  # None: client.max_pages
    page_format: Literal["dicts", "arrow"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("endpoint"), str):
            value = {**value, "endpoint": {"path": value["endpoint"]}}
        return value


class ClientConfig(_Model):
    base_url: BaseUrl
    headers: Headers = Field(default_factory=dict)
    auth: AuthConfig | None = None
    paginator: PaginatorConfig | None = None
    # restsync extensions
    max_concurrency: int = Field(default=16, ge=1)
    prefetch_pages: int | None = Field(default=None, ge=0)  # None: 4, see plan
    max_pages: int | None = Field(default=None, ge=1)  # pages per chain; None: 100,000, see plan
    rate_limit: RateLimit | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_run_seconds: float | None = Field(default=None, gt=0)  # None: no bound on the whole run
    max_response_bytes: int | None = Field(default=None, ge=1)  # None: 256 MiB, see plan
    verify_tls: bool = True
    error_handler: ErrorHandler | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, value: Any) -> Any:
        return _expand_paginator_and_auth(value)


class SourceConfig(_Model):
    client: ClientConfig
    resources: list[ResourceConfig] = Field(min_length=1)
    resource_defaults: ResourceConfig | None = None


def _expand_paginator_and_auth(value: Any) -> Any:
    """``paginator: "cursor"`` -> ``{"type": "cursor"}``; an auth dict without type is bearer."""
    if not isinstance(value, dict):
        return value
    value = dict(value)
    paginator = value.get("paginator")
    if isinstance(paginator, str):
        value["paginator"] = {"type": _paginator_alias(paginator)}
    elif isinstance(paginator, dict) and isinstance(paginator.get("type"), str):
        value["paginator"] = {**paginator, "type": _paginator_alias(paginator["type"])}
    # dlt's shorthand names the type (values come from dlt's config); any other string is left
    # as it is, to be refused without being shown: it may be the token itself
    if value.get("auth") in _AUTH_TYPES:
        value["auth"] = {"type": value["auth"]}
    if isinstance(value.get("auth"), dict) and "type" not in value["auth"]:
        value["auth"] = {**value["auth"], "type": "bearer"}
    return value


_AUTH_TYPES = ("bearer", "api_key", "http_basic", "oauth2_client_credentials")


def _paginator_alias(name: str) -> str:
    # dlt still accepts its deprecated name for json_link
    return "json_link" if name == "json_response" else name
