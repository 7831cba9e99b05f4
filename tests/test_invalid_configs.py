"""Every way a config can be wrong, with the exact path and message the user sees.

Each message is one sentence: what is wrong; what to do. No pydantic wording, no traceback.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from dlt.sources.rest_api import config_setup

import restsync


class _NeedsArguments(JSONLinkPaginator):
    """A user's paginator registered with dlt under a type name; its constructor needs a path."""

    def __init__(self, path: str) -> None:
        super().__init__(next_url_path=path)


# dlt builds a registered type from the config's keys: without "path" its constructor fails
config_setup.register_paginator("needs_arguments", _NeedsArguments)


BASE = {"base_url": "https://api.example.com"}
START = "2024-01-01T00:00:00Z"
SEED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

RESOURCE_KEYS = (
    "columns, endpoint, file_format, include_from_parent, incremental_sync, max_concurrency, "
    "max_pages, max_table_nesting, merge_key, name, nested_hints, page_format, parallelized, "
    "prefetch_pages, primary_key, processing_steps, "
    "references, schema_contract, selected, table_format, table_name, write_disposition"
)
ENDPOINT_KEYS = (
    "auth, data, data_selector, error_handler, headers, incremental, json, method, paginator, "
    "params, path, response_actions"
)
PAGINATOR_TYPES = (
    "auto, single_page, header_link, json_link, header_cursor, cursor, offset, page_number"
)


def source(*resources: Any, client: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {"client": {**BASE, **(client or {})}, "resources": list(resources), **top}


def users(**keys: Any) -> dict[str, Any]:
    """A one-resource config: the resource 'users' with ``keys``."""
    return source({"name": "users", **keys})


def endpoint(**keys: Any) -> dict[str, Any]:
    """A one-resource config whose endpoint carries ``keys``."""
    return source({"name": "items", "endpoint": {"path": "/items", **keys}})


def _nested(value: Any, depth: int) -> Any:
    """``value`` inside ``depth`` one-item lists."""
    for _ in range(depth):
        value = [value]
    return value


def synced(**keys: Any) -> dict[str, Any]:
    """A one-resource config with an ``incremental_sync`` block."""
    return source({"name": "items", "incremental_sync": {"cursor_field": "updated", **keys}})


CASES = [
    # --- the top level ------------------------------------------------------------------------
    pytest.param(
        {"resources": ["users"]},
        "client",
        "the config is missing 'client'; add it with the API's root URL, "
        "e.g. 'client': {'base_url': 'https://api.example.com'}",
        id="missing-client",
    ),
    pytest.param(
        {"client": {}, "resources": ["users"]},
        "client.base_url",
        "client is missing 'base_url'; add the API's root URL, "
        "e.g. 'base_url': 'https://api.example.com'",
        id="missing-base-url",
    ),
    pytest.param(
        {"client": {"base_url": "not a url"}, "resources": ["users"]},
        "client.base_url",
        "base_url 'not a url' is not an http(s) URL with a host; "
        "write it like 'https://api.example.com/v1'",
        id="base-url-not-a-url",
    ),
    pytest.param(
        {"client": {"base_url": "ftp://x/"}, "resources": ["users"]},
        "client.base_url",
        "base_url 'ftp://x/' is not an http(s) URL with a host; "
        "write it like 'https://api.example.com/v1'",
        id="base-url-ftp",
    ),
    pytest.param(
        {"client": {"base_url": ""}, "resources": ["users"]},
        "client.base_url",
        "base_url '' is not an http(s) URL with a host; write it like 'https://api.example.com/v1'",
        id="base-url-empty",
    ),
    pytest.param(
        {"client": {"base_url": "https://me:pa55@/v1"}, "resources": ["users"]},
        "client.base_url",
        "base_url 'https://***@/v1' is not an http(s) URL with a host; "
        "write it like 'https://api.example.com/v1'",
        id="base-url-without-host-and-its-password-hidden",
    ),
    pytest.param(
        {"client": BASE, "resources": {"users": "/users"}},
        "resources",
        "resources is a dict; give it as a list of resources, "
        "e.g. [{'name': 'users', 'endpoint': '/users'}]",
        id="resources-not-a-list",
    ),
    pytest.param(
        {"client": BASE, "resources": []},
        "resources",
        "resources is empty; add at least one resource, e.g. 'resources': ['users']",
        id="resources-empty",
    ),
    pytest.param(
        {"client": BASE},
        "resources",
        "the config is missing 'resources'; add the list of resources to load, "
        "e.g. 'resources': ['users']",
        id="resources-missing",
    ),
    pytest.param(
        {"client": BASE, "resource": ["users"]},
        "resource",
        "unknown key 'resource' (did you mean 'resources'?); "
        "valid top-level keys are: client, resource_defaults, resources",
        id="unknown-top-level-key",
    ),
    # --- resources and endpoints --------------------------------------------------------------
    pytest.param(
        users(endpiont="/users"),
        "resources[0].endpiont",
        f"unknown key 'endpiont' (did you mean 'endpoint'?); valid keys here are: {RESOURCE_KEYS}",
        id="unknown-resource-key",
    ),
    pytest.param(
        endpoint(pth="/items"),
        "resources[0].endpoint.pth",
        f"unknown key 'pth' (did you mean 'path'?); valid keys here are: {ENDPOINT_KEYS}",
        id="unknown-endpoint-key",
    ),
    pytest.param(
        source({"endpoint": {"path": "/users"}}),
        "resources[0].name",
        "the resource has no 'name'; add a unique name, e.g. 'name': 'users'",
        id="resource-without-name",
    ),
    pytest.param(
        source("users", "groups", "users"),
        "resources[2].name",
        "resource name 'users' is already used by resources[0]; give each resource a unique name",
        id="duplicate-resource-name",
    ),
    pytest.param(
        endpoint(method="FETCH"),
        "resources[0].endpoint.method",
        "method 'FETCH' is not supported; use one of: GET, POST, PUT, PATCH, DELETE, HEAD",
        id="bad-method",
    ),
    pytest.param(
        users(write_disposition="upsert"),
        "resources[0].write_disposition",
        "write_disposition 'upsert' is not supported; use one of: skip, append, replace, merge",
        id="bad-write-disposition",
    ),
    pytest.param(
        endpoint(data_selector="$.data[?(@.id"),
        "resources[0].endpoint.data_selector",
        "'$.data[?(@.id' is not a valid JSONPath (Parse error near the end of string!); "
        "fix it or use a dotted path such as 'data.items'",
        id="bad-data-selector",
    ),
    pytest.param(
        endpoint(data_selector=["data", ["items"]]),
        "resources[0].endpoint.data_selector",
        "data_selector is a list; set it to a string",
        id="data-selector-list-holding-a-list",
    ),
    pytest.param(
        # found by the config fuzz (seed 1516): joining the parts recursed through the nesting
        endpoint(data_selector=_nested("data", 3000)),
        "resources[0].endpoint.data_selector",
        "data_selector is a list; set it to a string",
        id="data-selector-nested-3000-deep",
    ),
    pytest.param(
        users(processing_steps=[{"map": "str.upper"}]),
        "resources[0].processing_steps[0].map",
        "the 'map' step is 'str.upper', not a function; give a callable, "
        "e.g. {'map': lambda record: record}",
        id="processing-step-not-callable",
    ),
    pytest.param(
        users(processing_steps=[{"transform": len}]),
        "resources[0].processing_steps[0]",
        "a processing step has 'transform'; write each step as "
        "{'filter': fn}, {'map': fn} or {'yield_map': fn}",
        id="processing-step-unknown-kind",
    ),
    pytest.param(
        {"client": BASE, "resources": ["users"], "resource_defaults": {"primary_keys": "id"}},
        "resource_defaults.primary_keys",
        "unknown key 'primary_keys' (did you mean 'primary_key'?); "
        f"valid keys here are: {RESOURCE_KEYS}",
        id="resource-defaults-unknown-key",
    ),
    pytest.param(
        source("_restsync_rejects"),
        "resources[0].name",
        "the resource loads into table '_restsync_rejects', which is reserved for restsync's "
        "table of rejected records; give the resource another name or table_name",
        id="resource-named-like-the-rejects-table",
    ),
    pytest.param(
        source({"name": "loads", "table_name": "_dlt_loads"}),
        "resources[0].table_name",
        "the resource loads into table '_dlt_loads', which is reserved for dlt; "
        "give the resource another name or table_name",
        id="table-name-of-a-dlt-table",
    ),
    pytest.param(
        endpoint(params={"filter": {"status": "open"}}),
        "resources[0].endpoint.params.filter",
        "a query parameter takes a string, a number or a list of them; for a parent field or a "
        "cursor write {'type': 'resolve', ...} or {'type': 'incremental', ...}",
        id="param-that-is-a-dict",
    ),
    pytest.param(
        endpoint(method="POST", json={"ids": {1, 2}}),
        "resources[0].endpoint.json",
        "json (a dict) cannot be sent as JSON (Type is not JSON serializable: set); "
        "use only dicts, lists, strings, numbers, true/false and null",
        id="json-body-with-a-set",
    ),
    pytest.param(
        {"client": BASE, "resources": ["users"], "": 1},
        "['']",
        "unknown key ''; valid top-level keys are: client, resource_defaults, resources",
        id="empty-top-level-key",
    ),
    # --- paginators ---------------------------------------------------------------------------
    pytest.param(
        endpoint(paginator={"type": "cursr"}),
        "resources[0].endpoint.paginator.type",
        f"unknown paginator type 'cursr' (did you mean 'cursor'?); use one of: {PAGINATOR_TYPES}",
        id="unknown-paginator-type",
    ),
    pytest.param(
        endpoint(paginator={"cursor_param": "page"}),
        "resources[0].endpoint.paginator",
        f"the paginator has no 'type'; add one of: {PAGINATOR_TYPES}",
        id="paginator-without-type",
    ),
    pytest.param(
        endpoint(paginator={"type": "cursor", "next_path": "next"}),
        "resources[0].endpoint.paginator.next_path",
        "unknown key 'next_path'; valid keys here are: "
        "cursor_body_path, cursor_param, cursor_path, "
        "has_more_path, limit, limit_param, stop_after_empty_page, stop_condition, type",
        id="unknown-paginator-key",
    ),
    pytest.param(
        endpoint(paginator={"type": "offset", "offset_param": "after"}),
        "resources[0].endpoint.paginator.limit",
        "the offset paginator is missing 'limit'; add the page size, e.g. 'limit': 100",
        id="offset-without-limit",
    ),
    pytest.param(
        endpoint(paginator={"type": "offset", "limit": 0}),
        "resources[0].endpoint.paginator.limit",
        "limit is 0; set it to a number greater than 0",
        id="limit-zero",
    ),
    pytest.param(
        endpoint(paginator={"type": "page_number", "limit": "fifty"}),
        "resources[0].endpoint.paginator.limit",
        "limit is 'fifty'; set it to a whole number",
        id="limit-not-a-number",
    ),
    pytest.param(
        source(
            "devices",
            "events",
            "dashboards",
            {
                "name": "variables",
                "endpoint": {
                    "path": "/v1/variables",
                    "paginator": {"type": "cursor", "stop_condition": "response.next is"},
                },
            },
        ),
        "resources[3].endpoint.paginator.stop_condition",
        "'response.next is' is not a valid expression "
        "(expected token 'name', got 'end of print statement'); "
        'write a test such as "response.next is none" or a field name such as "done"',
        id="stop-condition-does-not-compile",
    ),
    pytest.param(
        endpoint(paginator={"type": "needs_arguments"}),
        "resources[0].endpoint.paginator",
        "the paginator type 'needs_arguments' registered with dlt could not be built "
        "(_NeedsArguments.__init__() missing 1 required positional argument: 'path'); "
        "give the arguments its class _NeedsArguments takes",
        id="registered-paginator-without-its-arguments",
    ),
    pytest.param(
        endpoint(paginator={"type": "dlt_object", "instance": "JSONLinkPaginator"}),
        "resources[0].endpoint.paginator.instance",
        "instance 'JSONLinkPaginator' must be a dlt BasePaginator object, given in Python code",
        id="paginator-object-written-as-text",
    ),
    pytest.param(
        source("users", client={"base_url": "https://api.example.com", "auth": {"type": "nope"}}),
        "client.auth.type",
        "unknown auth type 'nope'; use one of: bearer, api_key, http_basic, "
        "oauth2_client_credentials",
        id="unknown-auth-type-lists-only-writable-types",
    ),
    pytest.param(
        endpoint(auth=requests.auth.HTTPBasicAuth("u", "p")),
        "resources[0].endpoint.auth",
        "requests.HTTPBasicAuth is not a dlt auth class restsync can read; give the auth as a "
        "dict instead, e.g. {'type': 'bearer', 'token': dlt.secrets['api_token']}",
        id="requests-auth-object",
    ),
    pytest.param(
        source("users", client={"base_url": "https://api.example.com", "auth": "api_key"}),
        "client.auth.api_key",
        "the api_key auth has no 'api_key', in the config or in dlt's config; set "
        "sources.rest_api.rest_api.credentials.api_key in .dlt/secrets.toml (or the environment "
        "variable SOURCES__REST_API__REST_API__CREDENTIALS__API_KEY), or write it into the auth, "
        "e.g. 'api_key': dlt.secrets['api_key']",
        id="auth-shorthand-without-secrets",
    ),
    pytest.param(
        endpoint(auth=BearerTokenAuth()),
        "resources[0].endpoint.auth.token",
        "the bearer auth has no 'token', in the config or in dlt's config; set "
        "sources.rest_api.rest_api.credentials.token in .dlt/secrets.toml (or the environment "
        "variable SOURCES__REST_API__REST_API__CREDENTIALS__TOKEN), or write it into the auth, "
        "e.g. 'token': dlt.secrets['token']",
        id="dlt-auth-object-without-token",
    ),
    pytest.param(
        endpoint(paginator={"type": "cursor", "stop_condition": " or ".join(["done"] * 300)}),
        "resources[0].endpoint.paginator.stop_condition",
        "the expression is 2396 characters long; keep it under 1000; "
        'write a test such as "response.next is none" or a field name such as "done"',
        id="stop-condition-300-or-terms",
    ),
    pytest.param(
        endpoint(paginator={"type": "cursor", "stop_condition": " or ".join(["x"] * 150)}),
        "resources[0].endpoint.paginator.stop_condition",
        "the expression nests 150 levels deep; keep it under 32 (split long chains of 'or' / "
        "'and' or drop redundant brackets); "
        'write a test such as "response.next is none" or a field name such as "done"',
        id="stop-condition-150-or-terms",
    ),
    pytest.param(
        endpoint(paginator={"type": "cursor", "stop_condition": "(" * 250 + "x" + ")" * 250}),
        "resources[0].endpoint.paginator.stop_condition",
        "the expression nests 250 levels deep; keep it under 32 (split long chains of 'or' / "
        "'and' or drop redundant brackets); "
        'write a test such as "response.next is none" or a field name such as "done"',
        id="stop-condition-250-nested-parentheses",
    ),
    # --- client: auth, session, restsync extensions ---------------------------------------------
    pytest.param(
        source("users", client={"auth": {"type": "oauth", "token": "t"}}),
        "client.auth.type",
        "unknown auth type 'oauth'; "
        "use one of: bearer, api_key, http_basic, oauth2_client_credentials",
        id="unknown-auth-type",
    ),
    pytest.param(
        source("users", client={"auth": {"type": "api_key", "name": "X-API-Key"}}),
        "client.auth.api_key",
        "the api_key auth has no 'api_key', in the config or in dlt's config; set "
        "sources.rest_api.rest_api.credentials.api_key in .dlt/secrets.toml (or the environment "
        "variable SOURCES__REST_API__REST_API__CREDENTIALS__API_KEY), or write it into the auth, "
        "e.g. 'api_key': dlt.secrets['api_key']",
        id="api-key-without-key",
    ),
    pytest.param(
        source("users", client={"auth": {"type": "api_key", "api_key": "k", "location": "body"}}),
        "client.auth.location",
        "location 'body' is not supported; use one of: header, query, param, cookie",
        id="bad-api-key-location",
    ),
    pytest.param(
        source("users", client={"session": requests.Session()}),
        "client.session",
        "a requests.Session cannot drive restsync's async client; remove client.session and set "
        "client.headers, client.auth or client.verify_tls instead",
        id="requests-session",
    ),
    pytest.param(
        source("users", client={"rate_limit": {"requests_per_second": 0}}),
        "client.rate_limit.requests_per_second",
        "requests_per_second is 0; set it to a number greater than 0",
        id="rate-limit-zero",
    ),
    pytest.param(
        source("users", client={"max_concurrency": 0}),
        "client.max_concurrency",
        "max_concurrency is 0; set it to 1 or more",
        id="max-concurrency-zero",
    ),
    pytest.param(
        source("users", client={"verify_tls": "maybe"}),
        "client.verify_tls",
        "verify_tls is 'maybe'; set it to true or false",
        id="verify-tls-not-bool",
    ),
    pytest.param(
        source("users", client={"timeout_seconds": float("inf")}),
        "client.timeout_seconds",
        "timeout_seconds is inf; set it to a finite number",
        id="timeout-infinite",
    ),
    # --- error_handler ------------------------------------------------------------------------
    pytest.param(
        endpoint(error_handler={"max_retries": -1}),
        "resources[0].endpoint.error_handler.max_retries",
        "max_retries is -1; set it to 0 or more",
        id="negative-max-retries",
    ),
    pytest.param(
        endpoint(error_handler={"retry_on_status_codes": ["429", "five hundred"]}),
        "resources[0].endpoint.error_handler.retry_on_status_codes[1]",
        "retry_on_status_codes[1] is 'five hundred'; set it to a whole number",
        id="status-code-not-a-number",
    ),
    # --- parents ------------------------------------------------------------------------------
    pytest.param(
        source("applications", {"name": "peers", "endpoint": "/v1/things/{thing_id}/peers"}),
        "resources[1].endpoint.path",
        "placeholder '{thing_id}' matches no parent resource (none has the path '/v1/things' "
        "or a name like 'thing'); name the parent as {resources.<parent>.<field>}, "
        "one of: applications",
        id="placeholder-without-parent",
    ),
    pytest.param(
        source(
            {"name": "room", "endpoint": "/v2/room"},
            {"name": "rooms", "endpoint": "/v2/rooms"},
            {"name": "peers", "endpoint": "/v2/active-rooms/{room_id}/peers"},
        ),
        "resources[2].endpoint.path",
        "placeholder '{room_id}' could come from several resources (room, rooms); "
        "name it explicitly as {resources.<parent>.<field>}",
        id="ambiguous-implied-parent",
    ),
    pytest.param(
        source("users", {"name": "posts", "endpoint": "/users/{resources.missing.id}/posts"}),
        "resources[1].endpoint.path",
        "parent resource 'missing' does not exist; use one of: users",
        id="explicit-parent-missing",
    ),
    pytest.param(
        source("users", {"name": "posts", "endpoint": "/posts?author={resources.user.id}"}),
        "resources[1].endpoint.path",
        "parent resource 'user' does not exist (did you mean 'users'?); use one of: users",
        id="explicit-parent-typo",
    ),
    pytest.param(
        source(
            "users",
            {
                "name": "posts",
                "endpoint": {
                    "path": "/authors/{author}/posts",
                    "params": {"author": {"type": "resolve", "resource": "authors", "field": "id"}},
                },
            },
        ),
        "resources[1].endpoint.params.author.resource",
        "parent resource 'authors' does not exist; use one of: users",
        id="resolve-parent-missing",
    ),
    pytest.param(
        source(
            "users",
            {
                "name": "posts",
                "endpoint": {
                    "path": "/posts/{uid}",
                    "params": {"uid": {"type": "resolve", "resource": "users"}},
                },
            },
        ),
        "resources[1].endpoint.params.uid.field",
        "the resolve param is missing 'field'; add the parent record's field to use, "
        "e.g. 'field': 'id'",
        id="resolve-without-field",
    ),
    pytest.param(
        source(
            "users",
            "groups",
            {
                "name": "members",
                "endpoint": "/groups/{resources.groups.id}/users/{resources.users.id}",
            },
        ),
        "resources[2].endpoint.path",
        "a resource can have one parent, but this one names groups and users; keep one",
        id="two-parents",
    ),
    pytest.param(
        source(
            {"name": "a", "endpoint": "/a/{resources.c.id}"},
            {"name": "b", "endpoint": "/b/{resources.a.id}"},
            {"name": "c", "endpoint": "/c/{resources.b.id}"},
        ),
        "resources[0].endpoint.path",
        "the parents of resource 'a' form a cycle ('a' -> 'c' -> 'b' -> 'a'); "
        "remove one of these parent references",
        id="parent-cycle",
    ),
    pytest.param(
        users(endpoint="/users/{resources.users.id}"),
        "resources[0].endpoint.path",
        "resource 'users' cannot be its own parent; reference another resource",
        id="own-parent",
    ),
    pytest.param(
        users(include_from_parent=["id"]),
        "resources[0].include_from_parent",
        "include_from_parent needs a parent; reference one in the endpoint path or params",
        id="include-from-parent-without-parent",
    ),
    pytest.param(
        source("users", {"name": "posts", "endpoint": "/users/{resources.users}/posts"}),
        "resources[1].endpoint.path",
        "placeholder '{resources.users}' names no parent field; write it as "
        "{resources.<parent>.<field>}, e.g. {resources.users.id}",
        id="placeholder-without-field",
    ),
    # --- incremental --------------------------------------------------------------------------
    pytest.param(
        synced(datetime_format=SEED_FORMAT),
        "resources[0].incremental_sync.start_datetime",
        "incremental_sync is missing 'start_datetime'; add the first datetime to load, "
        "e.g. 'start_datetime': '2024-01-01T00:00:00Z'",
        id="incremental-sync-without-start",
    ),
    pytest.param(
        synced(start_datetime="yesterday", datetime_format=SEED_FORMAT),
        "resources[0].incremental_sync.start_datetime",
        "start_datetime 'yesterday' does not match datetime_format '%Y-%m-%dT%H:%M:%SZ'; "
        "fix the value or the format",
        id="bad-start-datetime",
    ),
    pytest.param(
        synced(start_datetime=START, end_datetime="never"),
        "resources[0].incremental_sync.end_datetime",
        "end_datetime 'never' is not a datetime; write it in ISO 8601, e.g. '2024-01-01T00:00:00Z'",
        id="bad-end-datetime",
    ),
    pytest.param(
        synced(start_datetime=START, lookback_window="one day"),
        "resources[0].incremental_sync.lookback_window",
        "lookback_window 'one day' is not a duration; "
        "write it in ISO 8601 such as 'P1D' or 'PT6H', or as a number of seconds",
        id="bad-lookback-window",
    ),
    pytest.param(
        synced(
            start_datetime=START, start_time_option={"field_name": "since", "inject_into": "path"}
        ),
        "resources[0].incremental_sync.start_time_option.inject_into",
        "inject_into 'path' is not supported; use one of: request_parameter, header, body_json",
        id="bad-inject-into",
    ),
    pytest.param(
        source(
            {
                "name": "items",
                "endpoint": {"path": "/items", "incremental": {"cursor_path": "updated"}},
                "incremental_sync": {"cursor_field": "updated", "start_datetime": START},
            }
        ),
        "resources[0].incremental_sync",
        "a resource takes one incremental cursor, found incremental_sync and endpoint.incremental; "
        "keep one",
        id="two-incremental-definitions",
    ),
    pytest.param(
        endpoint(params={"since": {"type": "incremantal", "cursor_path": "updated"}}),
        "resources[0].endpoint.params.since.type",
        "unknown param type 'incremantal'; use 'resolve' or 'incremental'",
        id="unknown-param-type",
    ),
    pytest.param(
        endpoint(incremental={"cursor_path": "[[", "initial_value": 1}),
        "resources[0].endpoint.incremental.cursor_path",
        "cursor_path '[[' is not a JSONPath dlt can read (Parse error at 1:1 near token [ ([)); "
        "name the record field, e.g. 'updated_at'",
        id="cursor-path-not-a-jsonpath",
    ),
    pytest.param(
        endpoint(params={"since": {"type": "incremental", "cursor_path": "[["}}),
        "resources[0].endpoint.params.since.cursor_path",
        "cursor_path '[[' is not a JSONPath dlt can read (Parse error at 1:1 near token [ ([)); "
        "name the record field, e.g. 'updated_at'",
        id="incremental-param-cursor-path-not-a-jsonpath",
    ),
    pytest.param(
        synced(start_datetime=START, cursor_field="[["),
        "resources[0].incremental_sync.cursor_field",
        "cursor_field '[[' is not a JSONPath dlt can read (Parse error at 1:1 near token [ ([)); "
        "name the record field, e.g. 'updated_at'",
        id="cursor-field-not-a-jsonpath",
    ),
    pytest.param(
        synced(start_datetime="2024-01-01T00:00:00+99:00"),
        "resources[0].incremental_sync.start_datetime",
        "start_datetime '2024-01-01T00:00:00+99:00' is not a datetime; "
        "write it in ISO 8601, e.g. '2024-01-01T00:00:00Z'",
        id="start-datetime-offset-beyond-a-day",
    ),
    pytest.param(
        synced(start_datetime=START, lookback_window=float("inf")),
        "resources[0].incremental_sync.lookback_window",
        "lookback_window is inf; set it to a string or a finite number",
        id="lookback-window-inf",
    ),
    pytest.param(
        synced(start_datetime=START, lookback_window=float("nan")),
        "resources[0].incremental_sync.lookback_window",
        "lookback_window is nan; set it to a string or a finite number",
        id="lookback-window-nan",
    ),
    pytest.param(
        synced(start_datetime=START, lookback_window=1e20),
        "resources[0].incremental_sync.lookback_window",
        "lookback_window 1e+20 is out of range; "
        "give a duration from 0 to 100 years, such as 'P1D' or 3600",
        id="lookback-window-huge",
    ),
    pytest.param(
        synced(start_datetime=START, lookback_window=-60),
        "resources[0].incremental_sync.lookback_window",
        "lookback_window -60 is out of range; "
        "give a duration from 0 to 100 years, such as 'P1D' or 3600",
        id="lookback-window-negative",
    ),
    # --- what dlt's rest_api refuses (config_setup.py) -------------------------------------------
    pytest.param(
        endpoint(
            params={
                "since": {"type": "incremental", "cursor_path": "updated", "end_value": 9},
            }
        ),
        "resources[0].endpoint.params.since.end_value",
        "an incremental param carries only the start (end_value is not allowed here); "
        "to set an end, use endpoint.incremental with end_value and end_param",
        id="incremental-param-with-end-value",
    ),
    pytest.param(
        endpoint(
            params={
                "since": {"type": "incremental", "cursor_path": "updated", "end_param": "until"},
            }
        ),
        "resources[0].endpoint.params.since.end_param",
        "an incremental param carries only the start (end_param is not allowed here); "
        "to set an end, use endpoint.incremental with end_value and end_param",
        id="incremental-param-with-end-param",
    ),
    pytest.param(
        endpoint(
            params={
                "since": {"type": "incremental", "cursor_path": "updated"},
                "after": {"type": "incremental", "cursor_path": "created"},
            }
        ),
        "resources[0].endpoint.params.after",
        "an endpoint takes one incremental param, but since, after are; keep one",
        id="two-incremental-params",
    ),
    pytest.param(
        source(
            "users",
            {
                "name": "posts",
                "endpoint": {
                    "path": "/posts",
                    "params": {"uid": {"type": "resolve", "resource": "users", "field": "id"}},
                },
            },
        ),
        "resources[1].endpoint.params.uid",
        "resolve param 'uid' is not used in the path '/posts'; put {uid} in the path, or send "
        "the parent field as a query parameter with 'uid': '{resources.users.id}'",
        id="resolve-param-not-in-the-path",
    ),
    # --- response actions: dlt's forms only ----------------------------------------------------
    pytest.param(
        {
            "client": BASE,
            "resources": [{"name": "a", "endpoint": {"path": "/a", "response_actions": [404]}}],
        },
        "resources[0].endpoint.response_actions[0]",
        "a response action is 404; give a dict such as "
        "{'status_code': 404, 'action': 'ignore'} or a function of the response",
        id="response-action-not-a-dict",
    ),
    pytest.param(
        {
            "client": BASE,
            "resources": [
                {
                    "name": "a",
                    "endpoint": {
                        "path": "/a",
                        "response_actions": [{"status_code": 500, "action": "retry"}],
                    },
                }
            ],
        },
        "resources[0].endpoint.response_actions[0].action",
        "action 'retry' is not supported; use 'ignore' (skip the response and end that "
        "resource's paging), a function of the response or a list of functions",
        id="unknown-response-action",
    ),
    pytest.param(
        {
            "client": BASE,
            "resources": [
                {"name": "a", "endpoint": {"path": "/a", "data": {"x": 1}, "json": {"y": 2}}}
            ],
        },
        "resources[0].endpoint.data",
        "the endpoint has both 'json' and 'data'; keep one: 'json' for a JSON body, "
        "'data' for form fields or a raw body",
        id="form-body-and-json",
    ),
    pytest.param(
        {"client": BASE, "resources": [{"name": "a", "endpoint": {"path": "/a", "data": 5}}]},
        "resources[0].endpoint.data",
        "data 5 cannot be sent as a body; give a dict of form fields, e.g. {'grant_type': 'x'}, "
        "or the raw body as a string",
        id="form-body-not-a-body",
    ),
    pytest.param(
        {
            "client": BASE,
            "resources": [{"name": "a", "endpoint": {"path": "/a", "data": {"x": {"y": 1}}}}],
        },
        "resources[0].endpoint.data",
        "data (a dict) has a form field that is not text or a number; give form fields "
        "as strings, numbers or lists of them (None leaves a field out)",
        id="form-field-not-text",
    ),
]


def expect_config_error(config: dict[str, Any], path: str, message: str) -> None:
    """The check every table row of invalid configs makes (here and in test_invalid_hints)."""
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(config)
    assert (caught.value.path, caught.value.message) == (path, message)


@pytest.mark.parametrize("config, path, message", CASES)
def test_invalid_config(config: dict[str, Any], path: str, message: str) -> None:
    expect_config_error(config, path, message)


def test_the_exception_text_is_path_then_message() -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(endpoint(method="FETCH"))
    assert str(caught.value) == (
        "resources[0].endpoint.method: "
        "method 'FETCH' is not supported; use one of: GET, POST, PUT, PATCH, DELETE, HEAD"
    )


SECRET = "s3cr3t-value-41"

SECRET_CASES = [
    pytest.param({"auth": SECRET}, "client.auth", "auth is a string; set it to a dict", id="auth"),
    pytest.param(
        {"auth": {"type": "bearer", "token": [SECRET]}},
        "client.auth.token",
        "token is a list; set it to a string",
        id="token-in-a-list",
    ),
    pytest.param(
        {"auth": {"type": "api_key", "api_key": {"value": SECRET}}},
        "client.auth.api_key",
        "api_key is a dict; set it to a string",
        id="api-key-in-a-dict",
    ),
    pytest.param(
        {"auth": {"type": "http_basic", "username": {SECRET}, "password": SECRET}},
        "client.auth.username",
        "username is a set; set it to a string",
        id="basic-username",
    ),
    pytest.param(
        {"auth": {"type": {"type": "api_key", "api_key": SECRET}}},
        "client.auth.type",
        "the auth type is a dict; use one of: bearer, api_key, http_basic, "
        "oauth2_client_credentials",
        id="auth-wrapped-in-type",
    ),
    pytest.param(
        {"auth": {"type": "bearer", "token": SECRET, "location": SECRET}},
        "client.auth.location",
        "unknown key 'location'; valid keys here are: token, type",
        id="secret-in-an-unknown-key",
    ),
    pytest.param(
        {"headers": {"X-Api-Key": [SECRET]}},
        "client.headers.X-Api-Key",
        "X-Api-Key is a list; set it to a string",
        id="header-value",
    ),
    pytest.param(
        {
            "auth": {
                "type": "oauth2_client_credentials",
                "access_token_url": "https://auth.example.com/token",
                "client_id": SECRET,
                "client_secret": 42,
            }
        },
        "client.auth.client_secret",
        "client_secret is a number; set it to a string",
        id="client-secret-number",
    ),
]


@pytest.mark.parametrize("client, path, message", SECRET_CASES)
def test_a_credential_is_named_by_kind_never_shown(
    client: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(source("users", client=client))
    assert (caught.value.path, caught.value.message) == (path, message)
    assert SECRET not in str(caught.value)


def test_a_secret_never_appears_in_a_message() -> None:
    config = source(
        "users", client={"auth": {"type": "bearer", "token": "s3cr3t-token", "extra": 1}}
    )
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(config)
    assert caught.value.path == "client.auth.extra"
    assert "s3cr3t-token" not in str(caught.value)


def test_a_base_url_override_is_checked_too() -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(source("users"), base_url="localhost:8080")
    assert caught.value.path == "client.base_url"
    assert caught.value.message == (
        "the base URL given to override it, 'localhost:8080', is not an http(s) URL with a host; "
        "write it like 'https://api.example.com/v1'"
    )


BROKEN = "lone surrogate, such as a broken \\ud800 escape"


@pytest.mark.parametrize(
    ("config", "path"),
    [
        # JSON's "\ud800" escape decodes to a lone surrogate; pydantic failed to encode it, and
        # the config fuzz (seed 3333) saw a UnicodeEncodeError traceback instead of this sentence
        (
            {
                "client": {"base_url": "https://api.example.com"},
                "resources": [
                    {
                        "name": "a",
                        "endpoint": {"path": "/a"},
                        "incremental_sync": {
                            "cursor_field": "t\ud800",
                            "start_datetime": "2024-01-01T00:00:00Z",
                            "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
                        },
                    }
                ],
            },
            "resources[0].incremental_sync.cursor_field",
        ),
        (
            {
                "client": {
                    "base_url": "https://api.example.com",
                    "auth": {"type": "bearer", "token": "s3cr3t-\udc80-MARKER"},
                },
                "resources": ["a"],
            },
            "client.auth.token",
        ),
        (
            {
                "client": {"base_url": "https://api.example.com"},
                "resources": [{"name": "a", "endpoint": {"path": "/a", "params": {"k\ud800": 1}}}],
            },
            "resources[0].endpoint.params",
        ),
    ],
)
def test_text_that_is_not_valid_unicode_is_named_by_its_path(
    config: dict[str, Any], path: str
) -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.rest_api_source(config)
    assert str(caught.value).startswith(f"{path}: ")
    assert BROKEN in str(caught.value)
    assert "MARKER" not in str(caught.value)  # the text itself, maybe a secret, is not shown
