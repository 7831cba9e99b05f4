"""YAML configs that reference their secrets and settings instead of writing them inline.

Two tags, read by a ``yaml.SafeLoader`` subclass (no arbitrary objects are ever built)::

    auth: {type: bearer, token: !secret api_key}                 # a secret, required
    start_datetime: !config start_date                           # a config value, required
    start_datetime: !config {name: start_date, default: "2024-01-01T00:00:00Z"}   # with a default

Loading gives ``SecretRef`` / ``ConfigRef`` markers; ``resolve_refs`` replaces them through dlt's
own providers (``dlt.secrets`` / ``dlt.config``), so ``API_KEY=...`` in the environment and
``api_key = "..."`` in ``.dlt/secrets.toml`` both work. JSON configs, which have no tags, write the
same references as ``{"$secret": "api_key"}`` and ``{"$config": "start_date", "default": "..."}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from restsync._errors import ConfigError

__all__ = [
    "ConfigRef",
    "RefLoader",
    "SecretRef",
    "env_var",
    "find_refs",
    "load_yaml_config",
    "parse_yaml",
    "placeholder_refs",
    "read_yaml",
    "resolve_refs",
]


@dataclass(frozen=True)
class SecretRef:
    """``!secret name``: resolved from ``dlt.secrets[name]``; never written into a config file."""

    name: str


@dataclass(frozen=True)
class ConfigRef:
    """``!config name``: resolved from ``dlt.config[name]``, else ``default`` when one is given."""

    name: str
    default: Any = None


class RefLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` plus the ``!secret`` and ``!config`` tags."""


def _secret(loader: yaml.SafeLoader, node: yaml.Node) -> SecretRef:
    return SecretRef(_ref_name(loader, node, "!secret"))


def _config(loader: yaml.SafeLoader, node: yaml.Node) -> ConfigRef:
    if not isinstance(node, yaml.MappingNode):
        return ConfigRef(_ref_name(loader, node, "!config"))
    values = loader.construct_mapping(node, deep=True)
    unknown = sorted(str(k) for k in set(values) - {"name", "default"})
    name = values.get("name")
    if unknown or not isinstance(name, str) or not name.strip():
        raise yaml.constructor.ConstructorError(
            None,
            None,
            "!config takes a name ('!config start_date') or a mapping with 'name' and an optional "
            "'default' ('!config {name: start_date, default: \"2024-01-01T00:00:00Z\"}')",
            node.start_mark,
        )
    return ConfigRef(name.strip(), values.get("default"))


def _ref_name(loader: yaml.SafeLoader, node: yaml.Node, tag: str) -> str:
    name = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(name, str) or not name.strip():
        raise yaml.constructor.ConstructorError(
            None, None, f"{tag} needs the name to look up, e.g. '{tag} api_key'", node.start_mark
        )
    return name.strip()


RefLoader.add_constructor("!secret", _secret)
RefLoader.add_constructor("!config", _config)


def read_yaml(path: Path | str) -> Any:
    """The YAML document at ``path`` with references left as ``SecretRef``/``ConfigRef``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("", f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_yaml(text, str(path))


def parse_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=RefLoader)  # safe: RefLoader is a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError("", f"{origin} is not valid YAML{where}: {problem}") from None
    except RecursionError:  # the pure-Python loader builds nested collections by recursion
        raise ConfigError("", f"{origin} nests its YAML too deeply to read; flatten it") from None


def load_yaml_config(
    path: Path | str, *, lenient: bool = False, secrets: bool = True
) -> dict[str, Any]:
    """Read a YAML config and resolve its references: a dict ready for ``parse_config``.

    A top-level ``connector:`` block (a bundled connector's metadata) is dropped.
    """
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(
            "", f"{path} must hold a mapping with 'client' and 'resources', not {_kind(data)}"
        )
    data.pop("connector", None)
    resolved: dict[str, Any] = resolve_refs(data, lenient=lenient, secrets=secrets)
    return resolved


def resolve_refs(value: Any, *, lenient: bool = False, secrets: bool = True) -> Any:
    """A copy of ``value`` with every secret and config reference replaced by its value.

    With ``lenient`` a missing value becomes a placeholder instead of an error, so a config can be
    checked and planned without its secrets: ``"<secret:api_key>"``, a config value's default, or
    ``"<config:name>"`` (``2024-01-01T00:00:00Z`` for a date such as ``start_date``).
    Without ``secrets`` no secret is looked up, each becomes its placeholder: to plan a config,
    whose secrets' values are never shown, without asking dlt's providers (importing dlt costs
    about a second).
    """

    def replace(ref: SecretRef | ConfigRef, path: str) -> Any:
        if not secrets and isinstance(ref, SecretRef):
            return _placeholder(ref)
        return _lookup(ref, lenient, path)

    return _substitute(value, replace, "")


def placeholder_refs(value: Any) -> Any:
    """A copy of ``value`` with references replaced as if nothing were set: a config value by its
    default, anything else by a placeholder. Independent of the environment (generated docs)."""
    return _substitute(value, lambda ref, path: _placeholder(ref), "")


def find_refs(value: Any) -> list[SecretRef | ConfigRef]:
    """Every reference in ``value``, in document order (repeats included)."""
    ref = _as_ref(value)
    if ref is not None:
        return [ref]
    if isinstance(value, Mapping):
        return [r for item in value.values() for r in find_refs(item)]
    if isinstance(value, list | tuple):
        return [r for item in value for r in find_refs(item)]
    return []


def env_var(name: str) -> str:
    """The environment variable dlt reads for ``name``: ``api_key`` -> ``API_KEY``,
    ``sources.crm.api_key`` -> ``SOURCES__CRM__API_KEY``."""
    return name.replace(".", "__").upper()


def _substitute(value: Any, replace: Callable[[SecretRef | ConfigRef, str], Any], path: str) -> Any:
    ref = _as_ref(value)
    if ref is not None:
        return replace(ref, path)
    if isinstance(value, Mapping):
        return {
            k: _substitute(v, replace, f"{path}.{k}" if path else str(k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(v, replace, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _as_ref(value: Any) -> SecretRef | ConfigRef | None:
    if isinstance(value, SecretRef | ConfigRef):
        return value
    if isinstance(value, Mapping):
        keys = set(value)
        if keys == {"$secret"}:
            return SecretRef(str(value["$secret"]))
        if "$config" in keys and keys <= {"$config", "default"}:
            return ConfigRef(str(value["$config"]), value.get("default"))
    return None


def _lookup(ref: SecretRef | ConfigRef, lenient: bool, path: str) -> Any:
    import dlt

    from restsync._secrets import note_secret

    secret = isinstance(ref, SecretRef)
    found: Any = (dlt.secrets if secret else dlt.config).get(ref.name)
    if found is None and isinstance(ref, ConfigRef):
        found = ref.default
    if found is not None:
        if secret:  # masked wherever it ends up: a header, a query parameter, a body
            note_secret(found)
        return found
    if lenient:
        return _placeholder(ref)
    kind, toml = ("secret", "secrets.toml") if secret else ("config value", "config.toml")
    raise ConfigError(
        path,
        f"{kind} '{ref.name}' is not set; export {env_var(ref.name)}=... or add it to .dlt/{toml}",
    )


# A stand-in for a date config value nobody set: checking a config must not fail on the type of a
# value it has not been given (``start_datetime`` is parsed when the plan is built).
_PLACEHOLDER_DATE = "2024-01-01T00:00:00Z"


def _placeholder(ref: SecretRef | ConfigRef) -> Any:
    if isinstance(ref, SecretRef):
        return f"<secret:{ref.name}>"
    if ref.default is not None:
        return ref.default
    words = set(ref.name.rsplit(".", 1)[-1].lower().split("_"))
    return _PLACEHOLDER_DATE if words & {"date", "datetime", "time"} else f"<config:{ref.name}>"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"
