"""dlt's objects in a config: paginator and auth class instances, read into the dict form the
config model takes (dlt resources in ``resources``: ``_dlt_resources.py``).

dlt users write ``"paginator": JSONLinkPaginator(next_url_path="links.next")`` or
``"auth": BearerTokenAuth(token)``. Those objects drive ``requests``; restsync reads their settings
(the attributes their constructors set) and hands on the dict that says the same, so everything
downstream sees one shape and the engine's own paginators and auth run them. Only dlt's own classes
are read, matched exactly. A subclass may override how it pages or signs a request, which no dict
can express: it is kept as the object itself (``{"type": "dlt_object", "instance": ...}``) and its
own code runs on requests-shaped copies of each request and response (``_engine/_dlt_objects.py``).
A type name registered with dlt's ``register_paginator`` / ``register_auth`` is built into its
object as dlt builds it, and then read or kept the same way.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from typing import Any

from restsync._config._dlt_loaded import (
    AUTH_BASE,
    PAGINATOR_BASE,
    REST_API_SETUP,
    is_dlt_instance,
    loaded_dlt_class,
)
from restsync._errors import ConfigError

__all__ = ["auth_readers", "translate_dlt_objects"]

Reader = Callable[[Any], dict[str, Any]]


def translate_dlt_objects(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of ``raw`` with dlt's paginator and auth objects (on the client, in
    ``resource_defaults.endpoint`` and in each resource's endpoint) replaced by dicts."""
    out = dict(raw)
    client = raw.get("client")
    if isinstance(client, Mapping):
        if client.get("session") is not None:
            raise ConfigError(
                "client.session",
                f"a {_qualified(client['session'])} cannot drive restsync's async client; remove "
                "client.session and set client.headers, client.auth or client.verify_tls instead",
            )
        out["client"] = _translated(client, "client")
    defaults = raw.get("resource_defaults")
    if isinstance(defaults, Mapping) and isinstance(defaults.get("endpoint"), Mapping):
        endpoint = _translated(defaults["endpoint"], "resource_defaults.endpoint")
        out["resource_defaults"] = {**defaults, "endpoint": endpoint}
    resources = raw.get("resources")
    if isinstance(resources, list):
        out["resources"] = [_in_resource(r, i) for i, r in enumerate(resources)]
    return out


def _in_resource(resource: Any, index: int) -> Any:
    if not isinstance(resource, Mapping) or not isinstance(resource.get("endpoint"), Mapping):
        return resource
    endpoint = _translated(resource["endpoint"], f"resources[{index}].endpoint")
    return {**resource, "endpoint": endpoint}


def _translated(block: Mapping[str, Any], path: str) -> dict[str, Any]:
    out = dict(block)
    for key in ("paginator", "auth"):
        value = block.get(key)
        if value is None:
            continue
        value = _registered(value, key, f"{path}.{key}")
        if not _is_dict_form(value):
            out[key] = _as_dict(value, f"{path}.{key}", key)
    return out


def _is_dict_form(value: Any) -> bool:
    # dlt's auth classes are configurations, and those are mappings too
    return isinstance(value, str) or (
        isinstance(value, Mapping) and not is_dlt_instance(value, AUTH_BASE)
    )


def _registered(value: Any, what: str, path: str) -> Any:
    """A type name the user registered with dlt (``register_paginator`` / ``register_auth``)
    built into its object as dlt builds it; any other value unchanged."""
    # registering imports dlt's rest_api setup: if it is not imported, nothing was registered
    dlt_setup = sys.modules.get(REST_API_SETUP)
    if not _is_dict_form(value) or dlt_setup is None:
        return value
    name = value if isinstance(value, str) else value.get("type")
    paginator = what == "paginator"
    dlt_map: Mapping[str, Any] = dlt_setup.PAGINATOR_MAP if paginator else dlt_setup.AUTH_MAP
    cls = dlt_map.get(name) if isinstance(name, str) else None
    if cls is None or cls in _readers()[what]:  # unknown to dlt too, or one of dlt's classes
        return value
    build: Callable[[Any], Any] = dlt_setup.create_paginator if paginator else dlt_setup.create_auth
    try:
        return build(value if isinstance(value, str) else dict(value))
    except Exception as exc:  # the registered class's own constructor: any error is the config's
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ConfigError(
            path,
            f"the {what} type '{name}' registered with dlt could not be built ({first}); "
            f"give the arguments its class {cls.__name__} takes",
        ) from exc


def _as_dict(value: Any, path: str, what: str) -> dict[str, Any]:
    # without dlt's module imported the value cannot be one of its objects: no need to import it
    dlt_base = loaded_dlt_class(_DLT_BASES[what])
    reader = _readers()[what].get(type(value)) if dlt_base is not None else None
    if reader is not None:
        return {k: v for k, v in reader(value).items() if v is not None or k == "total_path"}
    if dlt_base is not None and isinstance(value, dlt_base):
        # a subclass or a registered class: its own code pages or signs (_engine/_dlt_objects.py)
        return {"type": "dlt_object", "instance": value}
    raise ConfigError(
        path,
        f"{_qualified(value)} is not a dlt {what} class restsync can read; give the {what} as "
        f"a dict instead, e.g. {_EXAMPLES[what]}",
    )


def _qualified(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__.split('.')[0]}.{cls.__name__}"


_EXAMPLES = {
    "paginator": "{'type': 'cursor', 'cursor_path': 'next', 'cursor_param': 'cursor'}",
    "auth": "{'type': 'bearer', 'token': dlt.secrets['api_token']}",
}
_DLT_BASES = {"paginator": PAGINATOR_BASE, "auth": AUTH_BASE}


# --- paginators: the settings each constructor stores, under the dict form's keys ------------


def _path(compiled: Any) -> str | None:
    """dlt compiles JSONPaths in its constructors; their text is the path again."""
    return None if compiled is None else str(compiled)


def _total(compiled: Any) -> dict[str, Any]:
    # dlt's default "total" is left out: the dict form without total_path means the same,
    # and a null total_path (page until an empty page) is kept as null
    text = _path(compiled)
    return {} if text == "total" else {"total_path": text}


def _stops(p: Any) -> dict[str, Any]:
    """The stops dlt's range and JSON cursor paginators share: an empty page, a has-more field."""
    return {
        "stop_after_empty_page": bool(p.stop_after_empty_page),
        "has_more_path": _path(p.has_more_path),
    }


def _range_common(p: Any) -> dict[str, Any]:
    return {**_total(p.total_path), **_stops(p)}


def _offset(p: Any) -> dict[str, Any]:
    return {
        "type": "offset",
        "limit": p.limit,
        "offset": p.initial_value,
        "offset_param": p.param_name,
        "offset_body_path": p.param_body_path,
        "limit_param": p.limit_param,
        "limit_body_path": p.limit_body_path,
        "maximum_offset": p.maximum_value,
        **_range_common(p),
    }


def _page_number(p: Any) -> dict[str, Any]:
    return {
        "type": "page_number",
        "base_page": p.base_index,
        "page": p.initial_value,
        "page_param": p.param_name,
        "page_body_path": p.param_body_path,
        "maximum_page": p.maximum_value,
        **_range_common(p),
    }


def _cursor(p: Any) -> dict[str, Any]:
    return {
        "type": "cursor",
        "cursor_path": _path(p.cursor_path),
        "cursor_param": p.cursor_param,
        "cursor_body_path": p.cursor_body_path,
        **_stops(p),
    }


@functools.cache
def _readers() -> dict[str, dict[type, Reader]]:
    """By kind, dlt's own classes and how to read each: imported only once a config holds an
    object (or names a type the user registered with dlt)."""
    from dlt.sources.helpers.rest_client import auth as dlt_auth
    from dlt.sources.helpers.rest_client import paginators as dlt_paginators

    return {"paginator": _paginator_readers(dlt_paginators), "auth": _auth_readers(dlt_auth)}


def auth_readers() -> dict[type, Reader]:
    """dlt's auth classes and, for each, how to read its settings into the dict form."""
    return _readers()["auth"]


def _paginator_readers(dlt_paginators: Any) -> dict[type, Reader]:
    return {
        dlt_paginators.SinglePagePaginator: lambda p: {"type": "single_page"},
        dlt_paginators.HeaderLinkPaginator: lambda p: {
            "type": "header_link",
            "links_next_key": p.links_next_key,
        },
        dlt_paginators.JSONLinkPaginator: lambda p: {
            "type": "json_link",
            "next_url_path": _path(p.next_url_path),
        },
        dlt_paginators.JSONResponsePaginator: lambda p: {
            "type": "json_link",
            "next_url_path": _path(p.next_url_path),
        },
        dlt_paginators.JSONResponseCursorPaginator: _cursor,
        dlt_paginators.HeaderCursorPaginator: lambda p: {
            "type": "header_cursor",
            "cursor_key": p.cursor_key,
            "cursor_param": p.cursor_param,
        },
        dlt_paginators.OffsetPaginator: _offset,
        dlt_paginators.PageNumberPaginator: _page_number,
    }


# --- auth: the credentials are read, never shown (the model keeps them as SecretStr) ----------


def _oauth(a: Any) -> dict[str, Any]:
    return {
        "type": "oauth2_client_credentials",
        "access_token_url": a.access_token_url,
        "client_id": a.client_id,
        "client_secret": a.client_secret,
        "access_token_request_data": a.access_token_request_data or None,
        "default_token_expiration": a.default_token_expiration,
    }


def _auth_readers(dlt_auth: Any) -> dict[type, Reader]:
    return {
        dlt_auth.BearerTokenAuth: lambda a: {"type": "bearer", "token": a.token},
        dlt_auth.APIKeyAuth: lambda a: {
            "type": "api_key",
            "name": a.name,
            "api_key": a.api_key,
            "location": a.location,
        },
        dlt_auth.HttpBasicAuth: lambda a: {
            "type": "http_basic",
            "username": a.username,
            "password": a.password,
        },
        dlt_auth.OAuth2ClientCredentials: _oauth,
    }
