"""Find each resource's parent: explicit ``resolve`` params, ``{resources.<parent>.<field>}``
placeholders, and the seeds' implied placeholders (``/v1/app/{app_id}/endpoint``).

Implied rule: the parent is the resource whose path is the prefix before the placeholder, else the
one whose name matches the placeholder's stem (``room_id`` -> ``rooms``); it is joined on the
parent's primary key. No match or several matches is a config error that lists the candidates.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dlt.extract.incremental import Incremental

from restsync._errors import ConfigError
from restsync.config import EndpointConfig, IncrementalParam, ResolveParam, ResourceConfig
from restsync.plan._model import IncrementalPlan, ParentLink, TimeParam

__all__ = ["PLACEHOLDER", "ParentResolver", "placeholders"]

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.\-]*)\}")
_ID_SUFFIX = re.compile(r"(_id|_uuid|_uid|_key|_name|id|Id)$")


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


class ParentResolver:
    def __init__(self, resources: Sequence[ResourceConfig]) -> None:
        self._resources = {r.name: r for r in resources if r.name}
        self._paths = {
            name: _normal(r.endpoint.path)
            for name, r in self._resources.items()
            if r.endpoint is not None and r.endpoint.path
        }

    def resolve(
        self, index: int, resource: ResourceConfig, endpoint: EndpointConfig, notes: list[str]
    ) -> tuple[dict[str, Any], ParentLink | None, IncrementalPlan | None]:
        where = f"resources[{index}].endpoint"
        loc = ("resources", index, "endpoint")
        path = endpoint.path or ""
        in_path = set(placeholders(path))
        params: dict[str, Any] = {}
        bindings: dict[str, str] = {}
        parents: dict[str, str] = {}  # parent name -> where it was named
        incremental: IncrementalPlan | None = None
        implied = False

        _check_incremental_params(endpoint.params, where)
        for key, value in endpoint.params.items():
            if isinstance(value, Mapping) and "type" in value:
                kind = value["type"]
                if kind == "resolve":
                    spec = _model(ResolveParam, value, (*loc, "params", key))
                    bindings[key] = spec.field
                    parents.setdefault(spec.resource, f"{where}.params.{key}.resource")
                    if key not in in_path:  # dlt refuses this too: say how to write it
                        raise ConfigError(
                            f"{where}.params.{key}",
                            f"resolve param '{key}' is not used in the path {path!r}; put "
                            f"{{{key}}} in the path, or send the parent field as a query "
                            f"parameter with '{key}': '{{resources.{spec.resource}.{spec.field}}}'",
                        )
                    continue
                if kind == "incremental":
                    spec_inc = _model(IncrementalParam, value, (*loc, "params", key))
                    incremental = IncrementalPlan(
                        cursor_path=spec_inc.cursor_path,
                        initial_value=spec_inc.initial_value,
                        end_value=spec_inc.end_value,
                        last_value_func=spec_inc.last_value_func,
                        row_order=spec_inc.row_order,
                        on_cursor_value_missing=spec_inc.on_cursor_value_missing,
                        lag=spec_inc.lag,
                        start_param=TimeParam(key),
                    )
                    continue
                raise ConfigError(
                    f"{where}.params.{key}.type",
                    f"unknown param type '{kind}'; use 'resolve' or 'incremental'",
                )
            _check_param_value(value, f"{where}.params.{key}")
            params[key] = value

        templates = {
            "path": path,
            "params": params,
            "json": endpoint.json_body,
            "headers": endpoint.headers,
        }
        for part, template in templates.items():
            for text in _template_strings(template):
                for name in placeholders(text):
                    if name.startswith("resources."):
                        parts = name.split(".", 2)
                        if len(parts) != 3 or not parts[2]:
                            raise ConfigError(
                                f"{where}.{part}",
                                f"placeholder '{{{name}}}' names no parent field; write it as "
                                "{resources.<parent>.<field>}, e.g. {resources.users.id}",
                            )
                        bindings[name] = parts[2]
                        parents.setdefault(parts[1], f"{where}.{part}")

        for name in placeholders(path):
            if name in bindings or name.startswith(("incremental.", "resources.")):
                continue
            parent, field, why = self._implied_parent(index, resource, path, name)
            bindings[name] = field
            parents.setdefault(parent, f"{where}.path")
            notes.append(
                f"'{{{name}}}' in the path is filled from parent '{parent}' field '{field}' "
                f"(implied: {why}); child rows carry it as '_{parent}_{field}'"
            )
            implied = True

        if not bindings:
            if resource.include_from_parent:
                raise ConfigError(
                    f"resources[{index}].include_from_parent",
                    "include_from_parent needs a parent; "
                    "reference one in the endpoint path or params",
                )
            return params, None, incremental
        if len(parents) > 1:
            raise ConfigError(
                f"{where}.path",
                "a resource can have one parent, but this one names "
                f"{' and '.join(sorted(parents))}; keep one",
            )
        (parent_name, named_at), = parents.items()
        if parent_name not in self._resources:
            others = sorted(n for n in self._resources if n != resource.name)
            close = difflib.get_close_matches(parent_name, others, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                named_at,
                f"parent resource '{parent_name}' does not exist{hint}; use one of: "
                + ", ".join(others),
            )
        if parent_name == resource.name:
            raise ConfigError(
                named_at,
                f"resource '{parent_name}' cannot be its own parent; reference another resource",
            )
        include = list(resource.include_from_parent)
        if implied:
            for field in bindings.values():
                if field not in include:
                    include.append(field)
        link = ParentLink(
            resource=parent_name, bindings=bindings, include=tuple(include), implied=implied
        )
        return params, link, incremental

    def _implied_parent(
        self, index: int, resource: ResourceConfig, path: str, name: str
    ) -> tuple[str, str, str]:
        prefix = _normal(path.split("{" + name + "}", 1)[0])
        by_path = [n for n, p in self._paths.items() if p == prefix and n != resource.name]
        if len(by_path) == 1:
            why = f"its path '{self._paths[by_path[0]]}' is the prefix before the placeholder"
            return by_path[0], self._key_of(by_path[0], index), why
        stem = _ID_SUFFIX.sub("", name).rstrip("_-")
        variants = {
            stem,
            stem + "s",
            stem + "es",
            (stem[:-1] + "ies" if stem.endswith("y") else stem),
        }
        by_name = [n for n in self._resources if n in variants and n != resource.name]
        candidates = by_path or by_name
        if len(by_name) == 1 and not by_path:
            why = f"its name matches the placeholder's stem '{stem}'"
            return by_name[0], self._key_of(by_name[0], index), why
        where = f"resources[{index}].endpoint.path"
        if candidates:
            raise ConfigError(
                where,
                f"placeholder '{{{name}}}' could come from several resources "
                f"({', '.join(sorted(candidates))}); "
                "name it explicitly as {resources.<parent>.<field>}",
            )
        raise ConfigError(
            where,
            f"placeholder '{{{name}}}' matches no parent resource (none has the path '{prefix}' "
            f"or a name like '{stem}'); name the parent as {{resources.<parent>.<field>}}, "
            "one of: " + ", ".join(sorted(n for n in self._resources if n != resource.name)),
        )

    def _key_of(self, parent: str, index: int) -> str:
        key = self._resources[parent].primary_key
        if isinstance(key, tuple):
            if len(key) != 1:
                raise ConfigError(
                    f"resources[{index}].endpoint.path",
                    f"parent '{parent}' has a composite primary key; name the field as "
                    f"{{resources.{parent}.<field>}}",
                )
            key = key[0]
        return key or "id"


def _check_incremental_params(params: Mapping[str, Any], where: str) -> None:
    """What dlt refuses in incremental params: two on one endpoint, and an end in a param (a
    param carries only the start; the end belongs to ``endpoint.incremental``)."""
    names = [key for key, value in params.items() if _is_incremental(value)]
    if len(names) > 1:
        raise ConfigError(
            f"{where}.params.{names[1]}",
            f"an endpoint takes one incremental param, but {', '.join(names)} are; keep one",
        )
    for name in names:
        value = params[name]
        for key in ("end_value", "end_param"):
            if getattr(value, key, None) is not None or (
                isinstance(value, Mapping) and value.get(key) is not None
            ):
                raise ConfigError(
                    f"{where}.params.{name}.{key}",
                    f"an incremental param carries only the start ({key} is not allowed here); "
                    "to set an end, use endpoint.incremental with end_value and end_param",
                )


def _is_incremental(value: Any) -> bool:
    if isinstance(value, Mapping):
        return value.get("type") == "incremental"
    return isinstance(value, Incremental)


def _check_param_value(value: Any, where: str) -> None:
    """A query parameter is a value or a list of values; anything nested has no query form."""
    items = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(item, Mapping | list | tuple) for item in items):
        raise ConfigError(
            where,
            "a query parameter takes a string, a number or a list of them; for a parent field "
            "or a cursor write {'type': 'resolve', ...} or {'type': 'incremental', ...}",
        )


def _model(model: Any, value: Any, loc: tuple[Any, ...]) -> Any:
    from restsync.config._parse import _validate

    return _validate(model, value, loc)


def _normal(path: str | None) -> str:
    return "/" + (path or "").strip().strip("/")


def _template_strings(*values: Any) -> list[str]:
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for value in values:
        walk(value)
    return out
