"""The bundled connectors: one YAML spec per API in ``specs/``, found by file name.

A spec is a config in the dialect ``parse_config`` accepts, plus a top-level ``connector:`` block
of metadata (title, description, the secrets and config values it references) that is split off
here. Declared schemas are the resources' ``columns`` hints.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from restsync._errors import ConfigError
from restsync.connectors._yaml import parse_yaml, resolve_refs

__all__ = [
    "ConnectorSpec",
    "connector_config",
    "connector_fields",
    "connector_source",
    "load_spec",
    "names",
]

_SPECS = "specs"


@dataclass(frozen=True)
class ConnectorSpec:
    name: str
    title: str
    description: str
    secrets: tuple[str, ...]  # names for dlt.secrets, e.g. "api_key" (env API_KEY)
    config_values: tuple[str, ...]  # names for dlt.config, e.g. "start_date"
    # the config dict with SecretRef/ConfigRef markers still in place; a fresh copy per load_spec
    config: dict[str, Any]


def names() -> list[str]:
    """The bundled connectors' names, sorted."""
    return list(_names())


def load_spec(name: str) -> ConnectorSpec:
    """The connector's metadata and unresolved config; ``ConfigError`` for an unknown name."""
    meta, config = _read(name)
    return ConnectorSpec(
        name=name,
        title=str(meta.get("title") or name),
        description=str(meta.get("description") or ""),
        secrets=tuple(meta.get("secrets") or ()),
        config_values=tuple(meta.get("config") or ()),
        config=copy.deepcopy(config),
    )


def connector_config(
    name: str, *, lenient: bool = False, secrets: bool = True
) -> dict[str, Any]:
    """The connector's config with secrets and config values resolved, ready for ``parse_config``.

    Values come from dlt's providers (env vars such as ``API_KEY``, ``.dlt/secrets.toml``). With
    ``lenient`` a missing secret becomes a placeholder, for checking and planning without one;
    without ``secrets`` every secret does, unlooked-up (``resolve_refs``).
    """
    resolved: dict[str, Any] = resolve_refs(_read(name)[1], lenient=lenient, secrets=secrets)
    return resolved


def connector_fields(name: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The declared schema: resource -> field -> dlt column hint (``data_type``, ``nullable``)."""
    return {
        resource["name"]: copy.deepcopy(resource.get("columns") or {})
        for resource in _read(name)[1]["resources"]
    }


def connector_source(name: str, *, base_url: str | None = None) -> Any:
    """The connector as a dlt source (secrets from dlt's providers), for your own pipeline."""
    from restsync._api import overrides, rest_api_source

    with overrides(base_url=base_url):
        return rest_api_source(connector_config(name), name=name)


@cache
def _names() -> tuple[str, ...]:
    folder = resources.files("restsync.connectors").joinpath(_SPECS)
    return tuple(
        sorted(e.name.removesuffix(".yaml") for e in folder.iterdir() if e.name.endswith(".yaml"))
    )


@cache
def _read(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata, config) of a spec; cached, so callers must copy before handing them out."""
    if name not in names():
        raise ConfigError("", f"unknown connector '{name}'; available: {', '.join(names())}")
    entry = resources.files("restsync.connectors").joinpath(_SPECS).joinpath(f"{name}.yaml")
    data = parse_yaml(entry.read_text(encoding="utf-8"), f"connector spec {name}.yaml")
    meta = data.pop("connector", None) or {}
    return meta, data
