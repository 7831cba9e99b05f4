"""Turn a raw config dict into a validated ``SourceConfig``, or one clear ``ConfigError``.

Pydantic does the checking; this module owns the *messages*: every error names its config path
(``resources[3].endpoint.paginator.stop_condition``) and, for unknown keys or values, the valid ones.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from restsync._errors import ConfigError
from restsync.config._model import ResourceConfig, SourceConfig

__all__ = ["format_path", "parse_config"]


def parse_config(raw: Mapping[str, Any]) -> SourceConfig:
    """Validate ``raw`` (dlt's RESTAPIConfig dialect plus the seed extensions)."""
    if not isinstance(raw, Mapping):
        raise ConfigError("", f"the config must be a dict, got {type(raw).__name__}")
    _reject_foreign_objects(raw)
    raw = dict(raw)
    unknown = sorted(set(raw) - set(SourceConfig.model_fields))
    if unknown:
        raise ConfigError(
            unknown[0],
            f"unknown key '{unknown[0]}'; valid top-level keys are: "
            + ", ".join(sorted(SourceConfig.model_fields)),
        )
    if "client" not in raw:
        raise ConfigError("client", "required key 'client' is missing; give at least client.base_url")
    resources = raw.get("resources")
    if not isinstance(resources, list) or not resources:
        raise ConfigError("resources", "give 'resources' as a non-empty list of resources")

    defaults = raw.get("resource_defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ConfigError("resource_defaults", "resource_defaults must be a dict of resource keys")
    _validate(ResourceConfig, defaults, ("resource_defaults",))

    merged = [_merge_defaults(defaults, _expand_resource(r, i)) for i, r in enumerate(resources)]
    return _validate(SourceConfig, {**raw, "resources": merged}, ())


def _expand_resource(resource: Any, index: int) -> dict[str, Any]:
    if isinstance(resource, str):
        return {"name": resource, "endpoint": {"path": resource}}
    if isinstance(resource, Mapping):
        resource = dict(resource)
        endpoint = resource.get("endpoint")
        if endpoint is None and isinstance(resource.get("name"), str):
            # dlt: a resource without endpoint fetches the path named like the resource
            resource["endpoint"] = {"path": resource["name"]}
        return resource
    raise ConfigError(
        f"resources[{index}]",
        f"a resource must be a name or a dict, got {type(resource).__name__}; "
        "dlt resource objects cannot be mixed in, load them with a separate dlt source",
    )


def _merge_defaults(defaults: Mapping[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``resource_defaults`` under a resource: the resource wins, dicts merge key by key."""
    merged: dict[str, Any] = copy.copy(dict(defaults))
    for key, value in resource.items():
        base = merged.get(key)
        if key == "endpoint" and isinstance(value, str):
            value = {"path": value}
        if isinstance(base, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge_defaults(base, dict(value))
        else:
            merged[key] = value
    return merged


def _validate(model: type[BaseModel], data: Any, prefix: tuple[Any, ...]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc.errors()[0], model, prefix) from None


# --- error messages ---------------------------------------------------------------------------


def format_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _translate(error: Any, model: type[BaseModel], prefix: tuple[Any, ...]) -> ConfigError:
    loc, owner = _clean_loc(model, tuple(error["loc"]))
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    path = format_path(prefix + loc)
    if kind == "extra_forbidden":
        valid = ", ".join(_field_names(owner)) if owner else ""
        return ConfigError(path, f"unknown key '{loc[-1]}'; valid keys here are: {valid}")
    if kind == "union_tag_invalid":
        what = _what(loc)
        expected = ctx.get("expected_tags", "")
        return ConfigError(
            format_path(prefix + loc + ("type",)),
            f"unknown {what} type '{ctx.get('tag')}'; use one of: {expected.replace(chr(39), '')}",
        )
    if kind == "union_tag_not_found":
        return ConfigError(path, f"the {_what(loc)} needs a 'type' key")
    if kind == "missing":
        return ConfigError(path, f"required key '{loc[-1]}' is missing")
    if kind == "literal_error":
        return ConfigError(
            path, f"'{value}' is not a valid value; use one of: {ctx.get('expected', '')}"
        )
    if kind == "too_short" and loc and loc[-1] == "resources":
        return ConfigError(path, "give at least one resource")
    message = error["msg"]
    message = message[0].lower() + message[1:] if message else message
    shown = _short_repr(value)
    return ConfigError(path, f"{message.rstrip('.')}, got {shown}")


def _short_repr(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _what(loc: tuple[Any, ...]) -> str:
    for part in reversed(loc):
        if part in ("paginator", "auth"):
            return str(part)
    return str(loc[-1]) if loc else "value"


def _field_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        names.append(field.alias or name)
    return sorted(names)


def _clean_loc(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[tuple[Any, ...], type[BaseModel] | None]:
    """Drop pydantic's union-tag entries from ``loc`` and find the model that owns the last key."""
    cleaned: list[Any] = []
    current: Any = model
    owner: type[BaseModel] | None = model
    i = 0
    while i < len(loc):
        part = loc[i]
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            field = _field(current, part)
            cleaned.append(part)
            current = field.annotation if field is not None else None
            i += 1
            continue
        if _is_model_union(current):
            members = {_tag(m): m for m in typing.get_args(current) if _tag(m)}
            if part in members:
                current = members[part]
                i += 1
                continue
        origin = typing.get_origin(current)
        if origin in (typing.Union, types.UnionType) and isinstance(part, str):
            # pydantic names the union member it tried ("literal[...]", "str"): not a config key
            current = None
            i += 1
            continue
        if origin in (list, tuple, dict) and typing.get_args(current):
            current = typing.get_args(current)[-1] if origin is dict else typing.get_args(current)[0]
        else:
            current = None
        cleaned.append(part)
        i += 1
    return tuple(cleaned), owner


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
            # a union of models stays a union; a union with plain types resolves to its model
            models = [a for a in args if _is_model(a) or _is_model_union(a)]
            if len(models) == 1 and len(args) > 1:
                annotation = models[0]
                continue
        return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_model_union(annotation: Any) -> bool:
    annotation = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return False
    return all(_is_model(a) for a in typing.get_args(annotation) if a is not type(None))


def _tag(model: Any) -> str | None:
    if not _is_model(model) or "type" not in model.model_fields:
        return None
    args = typing.get_args(model.model_fields["type"].annotation)
    return args[0] if args else None


def _field(model: type[BaseModel], key: Any) -> Any:
    if key in model.model_fields:
        return model.model_fields[key]
    for field in model.model_fields.values():
        if field.alias == key:
            return field
    return None


# --- objects that only dlt's synchronous client understands -----------------------------------


def _reject_foreign_objects(raw: Mapping[str, Any]) -> None:
    client = raw.get("client")
    if isinstance(client, Mapping):
        if client.get("session") is not None:
            raise ConfigError(
                "client.session",
                "a requests.Session cannot drive restsync's async client; remove it and set "
                "client.headers, client.auth or client.verify_tls instead",
            )
        _reject_object(client.get("auth"), "client.auth", "auth")
        _reject_object(client.get("paginator"), "client.paginator", "paginator")
    for where, value in (("resource_defaults", raw.get("resource_defaults")),):
        if isinstance(value, Mapping) and isinstance(value.get("endpoint"), Mapping):
            _reject_endpoint_objects(value["endpoint"], f"{where}.endpoint")
    resources = raw.get("resources")
    if isinstance(resources, list):
        for i, resource in enumerate(resources):
            if isinstance(resource, Mapping) and isinstance(resource.get("endpoint"), Mapping):
                _reject_endpoint_objects(resource["endpoint"], f"resources[{i}].endpoint")


def _reject_endpoint_objects(endpoint: Mapping[str, Any], path: str) -> None:
    _reject_object(endpoint.get("auth"), f"{path}.auth", "auth")
    _reject_object(endpoint.get("paginator"), f"{path}.paginator", "paginator")


def _reject_object(value: Any, path: str, what: str) -> None:
    if value is None or isinstance(value, str | Mapping):
        return
    example = (
        "{'type': 'cursor', 'cursor_path': 'next', 'cursor_param': 'cursor'}"
        if what == "paginator"
        else "{'type': 'bearer', 'token': dlt.secrets['api_key']}"
    )
    raise ConfigError(
        path,
        f"{type(value).__name__} objects run only in dlt's synchronous client; "
        f"give the {what} as a dict instead, e.g. {example}",
    )
