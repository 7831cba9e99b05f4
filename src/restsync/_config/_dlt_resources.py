"""dlt resource objects in a config's ``resources``: set apart to join the source as they are, and
those a config resource names as its parent put in the plan as a parent read from the resource.

As in dlt, a dlt resource takes no ``resource_defaults``, and a list of only dlt resources is a
source of just them. A parent dlt resource is iterated once per run, as dlt iterates it once and
forks its items to the resource's table and to the children: when it is selected and restsync can
say its table hints, restsync loads it in dlt's place from that one iteration (its stand-in is a
selected resource of records computed from it, page format dicts, so dlt normalizes them as it
would the resource's own). Otherwise it joins the source as it is, and dlt iterates it a second
time if it is selected (docs/config.md#resources).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from restsync._config._dlt_loaded import RESOURCE, is_dlt_instance
from restsync._errors import ConfigError

if TYPE_CHECKING:
    from dlt.extract import DltResource

__all__ = ["DltResources", "split_dlt_resources"]

# the hints of a dlt resource a config resource can carry as they are
_CARRIED_HINTS = (
    "table_name",
    "write_disposition",
    "primary_key",
    "merge_key",
    "schema_contract",
    "table_format",
    "file_format",
    "nested_hints",
    "references",
)
# dlt's hint keys for the columns as given (``columns`` is dlt's merged copy of them)
_COLUMN_HINTS = ("original_columns", "columns")


@dataclass(frozen=True)
class DltResources:
    """The dlt resources of a config's ``resources``, set apart.

    ``joining``: those that join the source as they are. ``parents``: by name, those a config
    resource names as its parent (they stand in the config, their records read from them).
    ``names``: every dlt resource's name (none of them takes ``resource_defaults``).
    """

    joining: list[DltResource] = field(default_factory=list)
    parents: dict[str, DltResource] = field(default_factory=dict)
    names: frozenset[str] = frozenset()


def split_dlt_resources(raw: Mapping[str, Any]) -> tuple[Mapping[str, Any], DltResources]:
    """``raw`` with the dlt resources in its ``resources`` replaced by the stand-ins of those that
    are parents, and the dlt resources set apart."""
    resources = raw.get("resources") if isinstance(raw, Mapping) else None
    if not isinstance(resources, list):
        return raw, DltResources()
    found = [r for r in resources if is_dlt_instance(r, RESOURCE)]
    if not found:
        return raw, DltResources()
    kept = [r for r in resources if not is_dlt_instance(r, RESOURCE)]
    _check_dlt_names(resources)
    parents = {r.name: r for r in found if _is_parent(r.name, kept)}
    stand_ins = {name: _stand_in(name, _loaded_hints(r)) for name, r in parents.items()}
    # a parent restsync loads itself (its stand-in selected) is not in the source a second time
    joining = [r for r in found if not stand_ins.get(r.name, {}).get("selected")]
    split = DltResources(joining, parents, frozenset(r.name for r in found))
    return {**raw, "resources": list(stand_ins.values()) + kept}, split


def _loaded_hints(resource: DltResource) -> dict[str, Any] | None:
    """The table hints of a selected dlt resource in config form, if restsync can load it in
    dlt's place; None if it is not selected or has what a config cannot carry (an incremental,
    a validator, hints that are functions of the record other than ``table_name``)."""
    if not resource.selected or resource.incremental is not None:
        return None
    own: Mapping[str, Any] = resource._hints or {}  # dlt keeps the hints as given only here
    if set(own) - {*_CARRIED_HINTS, *_COLUMN_HINTS}:
        return None
    hints = {key: own[key] for key in _CARRIED_HINTS if own.get(key) is not None}
    if own.get("original_columns"):
        hints["columns"] = own["original_columns"]
    if any(callable(value) for key, value in hints.items() if key != "table_name"):
        return None
    return hints


def _stand_in(name: str, hints: dict[str, Any] | None) -> dict[str, Any]:
    # never fetched: its records come from the dlt resource. Unselected (hints None): the dlt
    # resource itself is in the source, loaded by dlt if it is selected
    stand_in: dict[str, Any] = {
        "name": name,
        "endpoint": {"path": name, "paginator": "single_page"},
        "selected": hints is not None,
    }
    if hints is not None:
        stand_in.update(hints, page_format="dicts")
    return stand_in


def _is_parent(name: str, resources: list[Any]) -> bool:
    """Whether a config resource names ``name`` as its parent: a ``{resources.<name>.x}``
    placeholder or a ``resolve`` param, anywhere in its endpoint."""
    endpoints = [r.get("endpoint") for r in resources if isinstance(r, Mapping)]
    placeholder = f"resources.{name}."
    return any(placeholder in text for e in endpoints for text in _strings(e)) or any(
        _resolves_from(e.get("params"), name) for e in endpoints if isinstance(e, Mapping)
    )


def _resolves_from(params: Any, name: str) -> bool:
    return isinstance(params, Mapping) and any(
        isinstance(p, Mapping) and p.get("type") == "resolve" and p.get("resource") == name
        for p in params.values()
    )


def _check_dlt_names(resources: list[Any]) -> None:
    named = {r.name: i for i, r in enumerate(resources) if is_dlt_instance(r, RESOURCE)}
    for index, resource in enumerate(resources):
        if is_dlt_instance(resource, RESOURCE):
            continue
        name = resource if isinstance(resource, str) else None
        if isinstance(resource, Mapping):
            name = resource.get("name")
        if isinstance(name, str) and name in named:
            raise ConfigError(
                f"resources[{named[name]}]",
                f"the dlt resource '{name}' has the name of resources[{index}]; rename one, "
                f"e.g. with resource.with_name('{name}_2')",
            )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a nested config value (iteratively: a config may nest deep)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
