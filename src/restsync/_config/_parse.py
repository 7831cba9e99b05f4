"""Turn a raw config dict into a validated ``SourceConfig``, or one clear ``ConfigError``.

Pydantic does the checking (``_model``, ``_values``), dlt's own types the table hints (``_hints``);
``_messages`` words the errors: each names its config path and says what to do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from restsync._config._checks import check_resource
from restsync._config._dlt_objects import translate_dlt_objects
from restsync._config._hints import check_table_hints
from restsync._config._messages import (
    did_you_mean,
    format_path,
    from_validation_error,
    redact_userinfo,
    short_repr,
)
from restsync._config._model import ResourceConfig, SourceConfig
from restsync._errors import ConfigError

__all__ = ["format_path", "parse_config", "redact_userinfo"]


def parse_config(
    raw: Mapping[str, Any], *, dlt_resources: frozenset[str] = frozenset()
) -> SourceConfig:
    """Validate ``raw`` (dlt's RESTAPIConfig dialect plus the seed extensions).

    ``dlt_resources``: the names of the dlt resource objects the caller took out of ``resources``
    (``_dlt_resources.py``). As in dlt, the config's own resources may then be none, and the
    stand-ins named so take no ``resource_defaults``.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "", f"the config is {short_repr(raw)}; give a dict with 'client' and 'resources'"
        )
    _refuse_broken_text(raw)
    raw = translate_dlt_objects(raw)
    resources = _top_level(raw, may_be_empty=bool(dlt_resources))
    defaults = _resource_defaults(raw)
    merged = [
        _merge_defaults({} if _named_in(r, dlt_resources) else defaults, r)
        for r in (_expand_resource(r, i) for i, r in enumerate(resources))
    ]
    model = SourceConfig
    if dlt_resources and not merged:
        model, raw = _DltResourcesOnly, _without_requests(raw)
    config: SourceConfig = _validate(model, {**raw, "resources": merged}, ())
    for index, resource in enumerate(config.resources):
        check_table_hints(resource, f"resources[{index}]")
        check_resource(resource, f"resources[{index}]")
    return config


def _named_in(resource: Mapping[str, Any], names: frozenset[str]) -> bool:
    name = resource.get("name")  # not yet validated: may be of any type
    return isinstance(name, str) and name in names


class _DltResourcesOnly(SourceConfig):
    """A config whose ``resources`` held only dlt resources: none of its own, as dlt allows."""

    resources: list[ResourceConfig] = Field(default_factory=list)


def _without_requests(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """A config of only dlt resources sends no request: as dlt, it needs no ``base_url``."""
    client = raw.get("client")
    if isinstance(client, Mapping) and "base_url" not in client:
        # a reserved name (RFC 2606) that never resolves, should anything ever try it
        return {**raw, "client": {**client, "base_url": "https://unused.invalid/"}}
    return raw


def _top_level(raw: Mapping[str, Any], *, may_be_empty: bool) -> list[Any]:
    """Check the top-level keys; the resources list, which must not be empty (unless dlt
    resources were taken out of it)."""
    unknown = sorted(set(raw) - set(SourceConfig.model_fields))
    if unknown:
        raise ConfigError(
            format_path((unknown[0],)),
            f"unknown key '{unknown[0]}'{did_you_mean(unknown[0], SourceConfig.model_fields)}; "
            "valid top-level keys are: " + ", ".join(sorted(SourceConfig.model_fields)),
        )
    if "client" not in raw:
        raise ConfigError(
            "client",
            "the config is missing 'client'; add it with the API's root URL, "
            "e.g. 'client': {'base_url': 'https://api.example.com'}",
        )
    resources = raw.get("resources")
    if resources is None:
        raise ConfigError(
            "resources",
            "the config is missing 'resources'; add the list of resources to load, "
            "e.g. 'resources': ['users']",
        )
    if not isinstance(resources, list):
        raise ConfigError(
            "resources",
            f"resources is {short_repr(resources)}; give it as a list of resources, "
            "e.g. [{'name': 'users', 'endpoint': '/users'}]",
        )
    if not resources and not may_be_empty:
        raise ConfigError(
            "resources",
            "resources is empty; add at least one resource, e.g. 'resources': ['users']",
        )
    return resources


def _resource_defaults(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """``resource_defaults`` as given, checked on its own so its errors name it."""
    defaults = raw.get("resource_defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ConfigError(
            "resource_defaults",
            f"resource_defaults is {short_repr(defaults)}; give it as a dict of resource keys, "
            "e.g. {'primary_key': 'id'}",
        )
    default_hints = _validate(ResourceConfig, defaults, ("resource_defaults",))
    check_table_hints(default_hints, "resource_defaults")
    return defaults


def _expand_resource(resource: Any, index: int) -> dict[str, Any]:
    if isinstance(resource, str):
        return {"name": resource, "endpoint": {"path": resource}}
    if isinstance(resource, Mapping):
        resource = dict(resource)
        endpoint = resource.get("endpoint")
        if endpoint is None and isinstance(resource.get("name"), str):
            # dlt: a resource without endpoint fetches the path named like the resource
            resource["endpoint"] = {"path": resource["name"]}
        expanded: dict[str, Any] = resource
        return expanded
    raise ConfigError(
        f"resources[{index}]",
        f"resources[{index}] is {short_repr(resource)}; give a resource name or a dict "
        "(a dlt resource object is taken by rest_api_source, not by plan_config)",
    )


# Dicts whose keys are merged with the defaults'; column hints merge per column (as in dlt); any
# other value (a paginator, an auth block) replaces the default whole, as dlt does: mixing two
# paginators' keys makes no sense.
_MERGED_KEYS = frozenset({"endpoint", "params", "json", "headers"})


def _merge_defaults(defaults: Mapping[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """Merge ``resource_defaults`` under a resource: the resource wins; endpoint, params, json and
    headers merge key by key."""
    merged: dict[str, Any] = copy.copy(dict(defaults))
    for key, value in resource.items():
        base = merged.get(key)
        if key == "endpoint" and isinstance(value, str):
            value = {"path": value}
        if key in _MERGED_KEYS and isinstance(base, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge_defaults(base, dict(value))
        elif key == "columns" and _by_name(base) is not None and _by_name(value) is not None:
            merged[key] = _merge_columns(_by_name(base) or {}, _by_name(value) or {})
        else:
            merged[key] = value
    return merged


def _merge_columns(
    defaults: dict[str, dict[str, Any]], columns: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Column hints merge per column, as dlt merges them: the defaults' columns first, a column
    in both takes the resource's hints over the defaults'. dlt's order too: a column the
    resource completes (gives the data_type the default lacked) moves to the end."""
    merged = {name: dict(hints) for name, hints in defaults.items()}
    for name, hints in columns.items():
        base = merged.get(name, {})
        if hints.get("data_type") and not base.get("data_type"):
            merged.pop(name, None)
        merged[name] = {**base, **hints}
    return merged


def _by_name(columns: Any) -> dict[str, dict[str, Any]] | None:
    """Column hints as ``{name: hints}`` (the dict form, or dlt's list of dicts with a
    ``name``); ``None`` for anything else, which is replaced whole and then validated."""
    if isinstance(columns, Mapping) and all(isinstance(h, Mapping) for h in columns.values()):
        return {str(name): dict(hints) for name, hints in columns.items()}
    if isinstance(columns, list) and all(
        isinstance(c, Mapping) and isinstance(c.get("name"), str) for c in columns
    ):
        return {c["name"]: dict(c) for c in columns}
    return None


def _refuse_broken_text(raw: Any) -> None:
    """A text that is not valid Unicode (a lone surrogate: JSON's ``"\\ud800"`` decodes to one)
    cannot be sent, stored or even validated (pydantic fails to encode it): refused by its path,
    without the text itself, which may be a secret. Iterative: a config may nest deep."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(raw, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if _broken(key):
                    _refuse(loc, "a key here")
                stack.append((item, (*loc, key)))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (*loc, index)) for index, item in enumerate(value))
        elif _broken(value):
            _refuse(loc, "this text")


def _broken(value: Any) -> bool:
    if not isinstance(value, str) or value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse(loc: tuple[Any, ...], what: str) -> None:
    raise ConfigError(
        format_path(loc),
        f"{what} is not valid Unicode (it holds a lone surrogate, such as a broken \\ud800 "
        "escape); write it again as plain text",
    )


def _validate(model: type[BaseModel], data: Any, prefix: tuple[Any, ...]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, model, prefix) from None
