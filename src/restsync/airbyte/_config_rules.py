"""``spec.config_normalization_rules``: the connector config as airbyte-cdk hands it to every
component. Before any stream is built, the CDK applies the ``config_migrations`` (older config
shapes moved to the current one: gong's top-level ``access_key`` into ``credentials``) and then
the ``transformations``, each a ``ConfigAddFields``, ``ConfigRemapField`` or
``ConfigRemoveFields`` (a ``CustomConfigTransformation`` is the connector's Python: refused).
restsync applies them in the same order to its own copy of the config
(the CDK also writes a migrated config back to its file; restsync never writes the user's file).
The config is then checked against the spec's ``connection_specification`` and the rules' own
``validations`` (``DpathValidator`` with ``ValidateAdheresToSchema``; ``_spec.py``); a
validation with a custom strategy (the connector's Python) is not run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from restsync._errors import ConfigError
from restsync.airbyte._jinja import Interpolator, TemplateError, owned
from restsync.airbyte._requests import truthy

__all__ = ["normalized_config"]

_VALUE_TYPES: dict[str, type] = {"string": str, "number": float, "integer": int, "boolean": bool}


def normalized_config(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` after the manifest's config migrations and transformations (a new dict)."""
    values = copy.deepcopy(dict(config))
    spec = manifest.get("spec")
    rules = spec.get("config_normalization_rules") if isinstance(spec, Mapping) else None
    if not isinstance(rules, Mapping):
        return values
    where = "spec.config_normalization_rules"
    steps: list[tuple[str, Any]] = []
    for i, migration in enumerate(rules.get("config_migrations") or []):
        for j, step in enumerate(migration.get("transformations") or []):
            steps.append((f"{where}.config_migrations[{i}].transformations[{j}]", step))
    for j, step in enumerate(rules.get("transformations") or []):
        steps.append((f"{where}.transformations[{j}]", step))
    for at, step in steps:
        try:
            _apply(step, values, at)
        except TemplateError as exc:
            raise ConfigError(at, f"{exc}; check the config values it reads") from None
    return values


def _apply(step: Mapping[str, Any], config: dict[str, Any], at: str) -> None:
    kind = step.get("type")
    if kind == "ConfigAddFields":
        _add_fields(step, config)
    elif kind == "ConfigRemapField":
        _remap_field(step, config)
    elif kind == "ConfigRemoveFields":
        _remove_fields(step, config)
    elif kind == "CustomConfigTransformation":
        # mailchimp's data center taken from its API key, google-analytics-data-api's
        # dimension filters: the connector's own Python, which restsync does not run
        raise ConfigError(
            f"{at}.type",
            f"the config transformation is a CustomConfigTransformation (custom Python class "
            f"{step.get('class_name')}), which restsync cannot run, so no stream of this "
            "manifest can run",
        )
    else:
        raise ConfigError(
            f"{at}.type",
            f"restsync cannot run the config transformation {kind or step.get('class_name')!r} "
            "(it runs ConfigAddFields, ConfigRemapField and ConfigRemoveFields), so no stream "
            "of this manifest can run",
        )


def _add_fields(step: Mapping[str, Any], config: dict[str, Any]) -> None:
    condition = step.get("condition")
    for added in step.get("fields") or []:
        ai = Interpolator(config)
        path = [str(key) for key in added.get("path") or []]
        # the value's template gets its own copy of the config, which it may change
        # (amazon-seller-partner's migration sets ``report_name`` on each option it copies);
        # airbyte-cdk changes its config in place there, restsync only writes the value
        value = Interpolator(owned(config)).string(added.get("value"))
        wanted = _VALUE_TYPES.get(str(added.get("value_type") or ""))
        if wanted is not None and not isinstance(value, wanted):
            try:
                value = wanted(value)
            except (TypeError, ValueError):
                pass
        # the condition sees the config as it is before this field is added, as the CDK's does
        if path and (not condition or truthy(ai.eval(condition, False, value=value, path=path))):
            _put(config, path, value)


def _put(config: dict[str, Any], path: list[str], value: Any) -> None:
    node = config
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value


def _remap_field(step: Mapping[str, Any], config: dict[str, Any]) -> None:
    ai = Interpolator(config)
    path = [str(ai.text(key)) for key in step.get("field_path") or []]
    if not path:
        return
    node: Any = config
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, Mapping) else None
    mapping = ai.mapping(step.get("map") or {})
    if isinstance(node, dict) and path[-1] in node:
        current = node[path[-1]]
        if _hashable(current) and current in mapping:
            node[path[-1]] = mapping[current]


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _remove_fields(step: Mapping[str, Any], config: dict[str, Any]) -> None:
    condition = step.get("condition")
    if condition and not truthy(Interpolator(config).eval(condition, False)):
        return
    for pointer in step.get("field_pointers") or []:
        node: Any = config
        keys = [str(key) for key in pointer]
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, Mapping) else None
        if keys and isinstance(node, dict):
            node.pop(keys[-1], None)
