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

from restsync._config import EndpointConfig, ResolveParam, ResourceConfig
from restsync._config._params import read_params
from restsync._errors import ConfigError
from restsync._plan._incremental import from_param
from restsync._plan._model import IncrementalPlan, ParentLink
from restsync._plan._templates import (
    bind_path,
    check_expressions,
    expressions,
    resource_expressions,
)

__all__ = ["PLACEHOLDER", "ParentResolver", "endpoint_of", "placeholders"]

# a placeholder as the simulator matches them in served paths
PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.\-]*)\}")
_ID_SUFFIX = re.compile(r"(_id|_uuid|_uid|_key|_name|id|Id)$")


def endpoint_of(resource: ResourceConfig) -> EndpointConfig:
    """The resource's endpoint; as in dlt, its path defaults to the resource's name."""
    assert resource.name is not None
    endpoint = resource.endpoint or EndpointConfig(path=resource.name)
    if endpoint.path is None:
        endpoint = endpoint.model_copy(update={"path": resource.name})
    return endpoint


def _templated_parts(
    endpoint: EndpointConfig, params: Mapping[str, Any]
) -> tuple[tuple[str, Any], ...]:
    """The parts of a request besides its path that may hold placeholders, by config key."""
    return (
        ("params", params),
        ("json", endpoint.json_body),
        ("data", endpoint.data),
        ("headers", endpoint.headers),
    )


def placeholders(text: str) -> list[str]:
    """The placeholders in a template (``{{`` and ``}}`` are literal braces)."""
    try:
        return expressions(text, "")
    except ConfigError:
        return []


class ParentResolver:
    def __init__(self, resources: Sequence[ResourceConfig]) -> None:
        self._resources = {r.name: r for r in resources if r.name}
        self._paths = {name: _normal(endpoint_of(r).path) for name, r in self._resources.items()}

    def resolve(
        self, index: int, resource: ResourceConfig, endpoint: EndpointConfig, notes: list[str]
    ) -> tuple[str, dict[str, Any], ParentLink | None, IncrementalPlan | None]:
        """The path (with static params bound into it, as dlt does), the query params, the
        parent link and an incremental cursor given as a param."""
        where = f"resources[{index}].endpoint"
        params, resolved, incremental = _split_params(endpoint, where, ("resources", index))
        contexts: tuple[str, ...] = ("resources.",)
        if _has_cursor_block(resource, endpoint):
            contexts += ("incremental.",)
        parts = _templated_parts(endpoint, params)
        for part, template in parts:
            check_expressions(template, contexts, f"{where}.{part}")
        path, bare = bind_path(
            endpoint.path or resource.name or "", params, resolved, contexts, where
        )
        bindings = {key: spec.field for key, spec in resolved.items()}
        parents = {
            spec.resource: f"{where}.params.{key}.resource" for key, spec in resolved.items()
        }
        for part, template in (("path", path), *parts):
            for name in resource_expressions(template, f"{where}.{part}"):
                bindings[name] = name.split(".", 2)[2]
                parents.setdefault(name.split(".", 2)[1], f"{where}.{part}")
        for name in bare:  # the seeds' implied placeholders: where dlt wants a param
            parent, field, why = self._implied_parent(index, resource, path, name)
            bindings[name] = field
            parents.setdefault(parent, f"{where}.path")
            notes.append(
                f"'{{{name}}}' in the path is filled from parent '{parent}' field '{field}' "
                f"(implied: {why}); child rows carry it as '_{parent}_{field}'"
            )
        link = self._link(index, resource, bindings, parents, implied=bool(bare))
        return path, params, link, incremental

    def _link(
        self,
        index: int,
        resource: ResourceConfig,
        bindings: dict[str, str],
        parents: dict[str, str],
        *,
        implied: bool,
    ) -> ParentLink | None:
        """The one parent the bindings name (``parents``: name -> where it was named)."""
        if not bindings:
            if resource.include_from_parent:
                raise ConfigError(
                    f"resources[{index}].include_from_parent",
                    "include_from_parent needs a parent; "
                    "reference one in the endpoint path or params",
                )
            return None
        if len(parents) > 1:
            raise ConfigError(
                f"resources[{index}].endpoint.path",
                "a resource can have one parent, but this one names "
                f"{' and '.join(sorted(parents))}; keep one",
            )
        ((parent_name, named_at),) = parents.items()
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
            include += [field for field in bindings.values() if field not in include]
        return ParentLink(
            resource=parent_name, bindings=bindings, include=tuple(include), implied=implied
        )

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


def _split_params(
    endpoint: EndpointConfig, where: str, loc: tuple[Any, ...]
) -> tuple[dict[str, Any], dict[str, ResolveParam], IncrementalPlan | None]:
    """Plain query params; ``resolve`` params; the one incremental cursor given as a param."""
    params = read_params(endpoint, where, (*loc, "endpoint"))
    cursor = from_param(*params.cursor) if params.cursor is not None else None
    return params.plain, params.resolve, cursor


def _has_cursor_block(resource: ResourceConfig, endpoint: EndpointConfig) -> bool:
    """Whether ``{incremental.*}`` placeholders may be used (dlt: only with the block)."""
    return endpoint.incremental is not None or resource.incremental_sync is not None


def _normal(path: str | None) -> str:
    return "/" + (path or "").strip().strip("/")
