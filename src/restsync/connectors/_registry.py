"""The bundled connectors: one YAML spec per seed API, in ``specs/``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from restsync._errors import ConfigError
from restsync.connectors._yaml import read_yaml, resolve_refs

__all__ = [
    "ConnectorSpec",
    "connector_config",
    "connector_fields",
    "connector_source",
    "load_spec",
    "names",
]


@dataclass(frozen=True)
class ConnectorSpec:
    name: str
    title: str
    description: str
    secrets: tuple[str, ...]
    config_values: tuple[str, ...]
    config: dict[str, Any]  # the dialect's dict, secret and config references unresolved
    path: Path


def _specs_dir() -> Path:
    return Path(str(resources.files("restsync.connectors") / "specs"))


def names() -> list[str]:
    return sorted(p.stem for p in _specs_dir().glob("*.yaml"))


@cache
def load_spec(name: str) -> ConnectorSpec:
    path = _specs_dir() / f"{name}.yaml"
    if not path.exists():
        raise ConfigError("", f"unknown connector '{name}'; available: {', '.join(names())}")
    data = read_yaml(path)
    meta = data.pop("connector", {}) or {}
    return ConnectorSpec(
        name=name,
        title=meta.get("title", name),
        description=meta.get("description", ""),
        secrets=tuple(meta.get("secrets", ())),
        config_values=tuple(meta.get("config", ())),
        config=data,
        path=path,
    )


def connector_config(name: str, *, lenient: bool = False) -> dict[str, Any]:
    """The connector's config with secrets resolved (env vars or .dlt/secrets.toml)."""
    return resolve_refs(load_spec(name).config, lenient=lenient)


def connector_fields(name: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The declared schema: resource -> field -> dlt column hint."""
    return {
        r["name"]: dict(r.get("columns") or {})
        for r in load_spec(name).config["resources"]
        if isinstance(r, dict)
    }


def connector_source(name: str, *, base_url: str | None = None) -> Any:
    """The connector as a dlt source, for use in your own dlt pipeline."""
    from restsync._api import overrides, rest_api_source

    with overrides(base_url=base_url):
        return rest_api_source(connector_config(name), name=name)
