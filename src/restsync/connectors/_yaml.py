"""YAML configs with secrets referenced, never written inline.

    auth: {type: bearer, token: !secret api_key}
    start_datetime: !config start_date                       # required config value
    start_datetime: !config {name: start_date, default: "2024-01-01T00:00:00Z"}

References resolve through dlt's own providers, so ``API_KEY=...`` in the environment or
``api_key = "..."`` in ``.dlt/secrets.toml`` both work. JSON configs can write the same references
as ``{"$secret": "api_key"}`` and ``{"$config": "start_date", "default": "..."}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from restsync._errors import ConfigError

__all__ = ["ConfigRef", "SecretRef", "load_yaml_config", "read_yaml", "resolve_refs"]


@dataclass(frozen=True)
class SecretRef:
    name: str


@dataclass(frozen=True)
class ConfigRef:
    name: str
    default: Any = None


class _Loader(yaml.SafeLoader):
    pass


def _secret(loader: yaml.SafeLoader, node: yaml.Node) -> SecretRef:
    return SecretRef(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


def _config(loader: yaml.SafeLoader, node: yaml.Node) -> ConfigRef:
    if isinstance(node, yaml.MappingNode):
        values = loader.construct_mapping(node)
        return ConfigRef(str(values["name"]), values.get("default"))
    return ConfigRef(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


_Loader.add_constructor("!secret", _secret)
_Loader.add_constructor("!config", _config)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", exc)
        raise ConfigError("", f"{path} is not valid YAML{where}: {problem}") from None


def load_yaml_config(path: Path | str, *, lenient: bool = False) -> dict[str, Any]:
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ConfigError("", f"{path} must hold a mapping with 'client' and 'resources'")
    data.pop("connector", None)
    return resolve_refs(data, lenient=lenient)


def resolve_refs(value: Any, *, lenient: bool = False, path: str = "") -> Any:
    """Replace secret and config references by their values from dlt's providers.

    ``lenient`` puts a placeholder where a value is missing (``restsync check`` needs no secrets).
    """
    if isinstance(value, Mapping):
        if set(value) <= {"$secret"} and "$secret" in value:
            return _resolve(SecretRef(str(value["$secret"])), lenient, path)
        if "$config" in value and set(value) <= {"$config", "default"}:
            return _resolve(ConfigRef(str(value["$config"]), value.get("default")), lenient, path)
        return {k: resolve_refs(v, lenient=lenient, path=_join(path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, lenient=lenient, path=f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, SecretRef | ConfigRef):
        return _resolve(value, lenient, path)
    return value


def _resolve(ref: SecretRef | ConfigRef, lenient: bool, path: str) -> Any:
    import dlt

    accessor = dlt.secrets if isinstance(ref, SecretRef) else dlt.config
    try:
        found = accessor.get(ref.name)
    except Exception:
        found = None
    if found is None and isinstance(ref, ConfigRef):
        found = ref.default
    if found is not None:
        return found
    kind = "secret" if isinstance(ref, SecretRef) else "config value"
    if lenient:
        return f"<{kind.split()[0]}:{ref.name}>"
    raise ConfigError(
        path,
        f"{kind} '{ref.name}' is not set; export {ref.name.upper()}=... "
        f"or add {ref.name} = \"...\" to .dlt/{'secrets' if kind == 'secret' else 'config'}.toml",
    )


def _join(path: str, key: Any) -> str:
    if not path:
        return str(key)
    if path.startswith("resources") and isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}"
