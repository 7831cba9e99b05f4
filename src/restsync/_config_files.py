"""Find the config behind a CLI ``SOURCE`` argument: a bundled connector, a YAML/JSON file, or a
Python file that builds a source the way the seeds do.

Python files are *executed* only to run them (they are the user's own code, as with dlt). To check,
plan or simulate one, its ``rest_api_source({...})`` literal is read statically instead, with
``dlt.secrets[...]`` / ``dlt.config[...]`` replaced by placeholders: no code runs, no secret needed.
"""

from __future__ import annotations

import ast
import json
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restsync._errors import ConfigError
from restsync.connectors._yaml import ConfigRef, SecretRef, find_refs, read_yaml

__all__ = ["LoadedConfig", "load_config", "manifest_name", "manifest_plan", "run_python_source"]


@dataclass(frozen=True)
class LoadedConfig:
    name: str
    config: dict[str, Any]
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    kind: str = "file"  # "connector", "file" or "python"
    path: Path | None = None
    # the secrets and config values the config reads from dlt's providers, resolved or not
    refs: tuple[SecretRef | ConfigRef, ...] = ()


def load_config(source: str, *, lenient: bool = False, secrets: bool = True) -> LoadedConfig:
    """The config behind ``source``; ``lenient`` and ``secrets`` as for ``resolve_refs`` (a
    Python file's secrets are placeholders whatever they say)."""
    import restsync.connectors as connectors

    path = Path(source)
    if source in connectors.names():
        return LoadedConfig(
            name=source,
            config=connectors.connector_config(source, lenient=lenient, secrets=secrets),
            fields=connectors.connector_fields(source),
            kind="connector",
            refs=tuple(find_refs(connectors.load_spec(source).config)),
        )
    if not path.exists():
        raise ConfigError(
            "",
            f"'{source}' is neither a file nor a bundled connector; "
            f"give a .yaml, .json or .py file, or one of: {', '.join(connectors.names())}",
        )
    suffix = path.suffix.lower()
    name = _source_name(path.stem)
    if suffix in (".yaml", ".yml"):
        config = connectors.load_yaml_config(path, lenient=lenient, secrets=secrets)
        return LoadedConfig(name, config, path=path, refs=tuple(find_refs(read_yaml(path))))
    if suffix == ".json":
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(
                "", f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}"
            ) from None
        config = connectors.resolve_refs(raw, lenient=lenient, secrets=secrets)
        return LoadedConfig(name, config, path=path, refs=tuple(find_refs(raw)))
    if suffix == ".py":
        config, refs = read_python_config_and_refs(path, secrets=secrets)
        return LoadedConfig(name, config, kind="python", path=path, refs=refs)
    raise ConfigError("", f"cannot read '{path.name}'; give a .yaml, .yml, .json or .py file")


def manifest_name(path: Path) -> str:
    """The source name of an Airbyte manifest file: its stem, made an identifier."""
    return "".join(c if c.isalnum() else "_" for c in path.stem).strip("_").lower() or "airbyte"


def manifest_plan(source: str, config: Path | None) -> tuple[Any, str] | None:
    """The plan of an Airbyte manifest and its name, or ``None`` when ``source`` is not one."""
    from restsync.airbyte import manifest_file

    manifest = manifest_file(source)
    if manifest is None:
        return None
    from restsync.airbyte import plan_manifest

    name = manifest_name(manifest)
    return plan_manifest(manifest, config, name=name), name


def _source_name(stem: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in stem).strip("_").lower()
    return cleaned or "rest_api"


# --- Python files -----------------------------------------------------------------------------


def run_python_source(path: Path, *, base_url: str | None, page_format: str | None = None) -> Any:
    """Execute a Python config file; return its ``source`` (or the last source it built)."""
    from restsync import _api

    with (
        _api.overrides(base_url=base_url, page_format=page_format),
        _api.capturing_sources() as built,
    ):
        namespace = runpy.run_path(str(path), run_name="__restsync__")
    candidate = namespace.get("source")
    if candidate is not None and hasattr(candidate, "resources"):
        return candidate
    if not built:
        raise ConfigError(
            "",
            f"{path.name} built no source; "
            "call restsync.rest_api_source(...) and assign it to 'source'",
        )
    return built[-1]


def read_python_config(path: Path) -> dict[str, Any]:
    return read_python_config_and_refs(path)[0]


def read_python_config_and_refs(
    path: Path, *, secrets: bool = True
) -> tuple[dict[str, Any], tuple[SecretRef | ConfigRef, ...]]:
    """The ``rest_api_source({...})`` literal of a Python file, and the dlt values it reads
    (without ``secrets``, each ``dlt.secrets[...]`` is its placeholder, not looked up)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node.func) == "rest_api_source" and node.args:
            refs = _StaticRefs(secrets)
            try:
                return ast.literal_eval(refs.visit(node.args[0])), tuple(refs.found)
            except ValueError:
                raise ConfigError(
                    "",
                    f"{path.name}: the rest_api_source(...) config is not a plain literal; "
                    "run the file with 'restsync run' instead, or write it as YAML",
                ) from None
    raise ConfigError("", f"{path.name} has no rest_api_source({{...}}) call")


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class _StaticRefs(ast.NodeTransformer):
    """``dlt.secrets["x"]`` -> ``"<secret:x>"``, ``dlt.config["x"]`` -> a placeholder value."""

    def __init__(self, secrets: bool = True) -> None:
        self.found: list[SecretRef | ConfigRef] = []
        self.secrets = secrets  # look secrets up (or leave each its placeholder)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        target = node.value
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "dlt"
            and target.attr in ("secrets", "config")
            and isinstance(node.slice, ast.Constant)
        ):
            key = str(node.slice.value)
            self.found.append(SecretRef(key) if target.attr == "secrets" else ConfigRef(key))
            looked_up = self.secrets or target.attr == "config"
            found = _lookup(target.attr, key) if looked_up else None
            if found is not None:
                return ast.Constant(found)
            if target.attr == "secrets":
                return ast.Constant(f"<secret:{key}>")
            return ast.Constant(_config_placeholder(key))
        return self.generic_visit(node)


def _lookup(kind: str, key: str) -> Any:
    """The value dlt's providers (env vars, .dlt/*.toml) hold for ``key``, if any, as text."""
    import dlt

    from restsync._secrets import note_secret

    accessor = dlt.secrets if kind == "secrets" else dlt.config
    try:
        value: Any = accessor.get(key)
    except Exception:
        return None
    if value is None:
        return None
    if kind == "secrets":  # masked wherever it ends up: a header, a query parameter, a body
        note_secret(value)
    return str(value)


def _config_placeholder(key: str) -> str:
    # a config value read statically has no value; dates are the common case (start_date)
    return "2024-01-01T00:00:00Z" if "date" in key or "time" in key else f"<config:{key}>"
