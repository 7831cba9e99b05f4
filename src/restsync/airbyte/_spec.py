"""The connector config checked against the manifest's ``spec.connection_specification``, as
airbyte-cdk checks it before it reads.

airbyte-cdk 7.39.1 (``AirbyteEntrypoint.validate_connection`` and
``schema_helpers.check_config_against_spec_or_exit``) does, for ``check``, ``discover`` and
``read`` alike:

* the config it validates is the one the source was built with, after the spec's
  ``config_normalization_rules`` (migrations, then transformations), without the test-only
  keys ``_limit`` and ``_page_size`` (each read first as a whole number: ``"x"`` is refused);
* ``jsonschema.validate(config, connection_specification)``: the validator class the
  schema's ``$schema`` names (draft 7 in 235 of 240 corpus specs), else the latest draft
  (2020-12, also for a ``$schema`` address jsonschema does not know); the schema itself is
  checked against that draft's metaschema first (``SchemaError``, which the CDK does not
  catch: nothing is read); no format is asserted (``format: date-time`` is a note); no
  default is filled in;
* the one error reported is ``jsonschema.exceptions.best_match`` of all the errors.

restsync makes the same calls with the same jsonschema, so it accepts and refuses the same
configs; it words the refusal itself (``best_match``'s message quotes the value, which may be a
secret) and shows a value only for a short scalar of a field that is not ``airbyte_secret``
and whose name does not suggest a credential. A manifest without a spec (test manifests, which
airbyte-cdk refuses to load: it looks for ``spec.yaml`` in its package) is not checked.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema.exceptions import SchemaError, ValidationError, best_match
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from restsync._errors import ConfigError

__all__ = ["check_config"]

# airbyte-cdk's InternalConfig.KEYWORDS: acceptance-test knobs, removed before the check
_INTERNAL_KEYS = frozenset({"_limit", "_page_size"})
# a field whose name says it may be a credential: its value is never shown
_SECRET_NAME = re.compile(r"secret|passw|token|key|credential|auth|private|cert|session", re.I)
_SHOWN = 40  # longest value text shown
_WHERE = "spec.connection_specification"


def check_config(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Raise ``ConfigError`` (one sentence naming the config path and the fix) when airbyte-cdk
    would refuse ``config`` (already normalized) for ``manifest`` (references resolved)."""
    spec = manifest.get("spec")
    schema = spec.get("connection_specification") if isinstance(spec, Mapping) else None
    if not isinstance(schema, (Mapping, bool)):
        return  # no spec: airbyte-cdk refuses the manifest itself, restsync reads it unchecked
    for key in sorted(_INTERNAL_KEYS & set(config)):
        if not _whole_number(config[key]):
            raise ConfigError(
                f"config.{key}",
                "airbyte-cdk's test setting is not a whole number; give one or leave it out",
            )
    values = {k: v for k, v in config.items() if k not in _INTERNAL_KEYS}
    validator: Any = None
    try:
        with warnings.catch_warnings():
            # an unknown $schema address: the latest draft, and a warning no user can act on
            warnings.simplefilter("ignore", DeprecationWarning)
            validator = validator_for(schema)
        validator.check_schema(schema)
        error = best_match(validator(schema).iter_errors(values))
    except SchemaError as exc:
        raise ConfigError(
            _path(_WHERE, exc.absolute_path),
            f"the manifest's spec is not a valid JSON schema ({validator.__name__}): "
            f"{_short(exc.message, 160)}; fix the manifest (airbyte-cdk refuses it too)",
        ) from None
    except Unresolvable as exc:
        raise ConfigError(
            _WHERE,
            f"the spec's reference {_short(str(exc.ref), 60)!r} cannot be resolved; fix the "
            "manifest (airbyte-cdk fails on it too)",
        ) from None
    except RecursionError:
        raise ConfigError(
            "config", f"the config is nested too deeply to check against {_WHERE}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - jsonschema failing on a spec: the CDK fails alike
        # (a ``$schema`` that is no text, a draft-3 ``required: true``); its text may quote
        # the config, so only its kind is named
        raise ConfigError(
            _WHERE,
            f"jsonschema cannot check the config against this spec ({type(exc).__name__}); "
            "fix the manifest's spec (airbyte-cdk fails on it too)",
        ) from None
    if error is not None:
        raise _refusal(error, schema) from None
    rules = spec.get("config_normalization_rules") if isinstance(spec, Mapping) else None
    if isinstance(rules, Mapping):
        _run_validations(rules.get("validations"), values)


_RULES = "spec.config_normalization_rules.validations"


def _run_validations(validations: Any, config: Mapping[str, Any]) -> None:
    """The spec's own ``validations``, as airbyte-cdk 7.39.1 runs them before it builds a
    stream, on the normalized config: a ``DpathValidator`` takes the value at its
    ``field_path`` (each value its ``*`` matches; none when the path is missing: nothing to
    check) to its strategy; ``ValidateAdheresToSchema`` parses a text value as JSON and checks
    it against ``base_schema``. A custom strategy (the connector's own Python) is not run.
    The CDK calls a ``PredicateValidator`` with the config it does not take: it fails on any
    config, and so does restsync, naming it."""
    for i, rule in enumerate(validations if isinstance(validations, list) else []):
        where = f"{_RULES}[{i}]"
        kind = rule.get("type") if isinstance(rule, Mapping) else None
        if kind == "PredicateValidator":
            raise ConfigError(
                where,
                "airbyte-cdk 7.39.1 fails on a PredicateValidator among the spec's validations "
                "(whatever the config); remove it from the manifest",
            )
        if kind != "DpathValidator":
            continue
        strategy = rule.get("validation_strategy")
        if not isinstance(strategy, Mapping) or strategy.get("type") != "ValidateAdheresToSchema":
            continue
        path = [str(step) for step in rule.get("field_path") or []]
        if not path:
            raise ConfigError(f"{where}.field_path", "the field path is empty; name a config key")
        for steps, value in _found(config, path, ()):
            _adheres(value, strategy.get("base_schema"), _path("config", steps), where)


def _found(
    node: Any, path: list[str], steps: tuple[Any, ...]
) -> Iterable[tuple[tuple[Any, ...], Any]]:
    """The values at ``path`` in ``node`` (``*`` any key or index) with where each is."""
    if not path:
        yield steps, node
        return
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping):
        keys: list[Any] = list(node) if head == "*" else [head] if head in node else []
        for key in keys:
            yield from _found(node[key], rest, (*steps, key))
    elif isinstance(node, list):
        indexes = range(len(node)) if head == "*" else [int(head)] if head.isdigit() else []
        for index in indexes:
            if index < len(node):
                yield from _found(node[index], rest, (*steps, index))


def _adheres(value: Any, schema: Any, at: str, where: str) -> None:
    """Refuse ``value`` (at config path ``at``) when it is not JSON or not of ``schema``; the
    sentence names the key and the schema's complaint, never the value."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(
                at, f"the value is not valid JSON, which {where} asks for; give JSON text"
            ) from None
    try:
        validator = validator_for(schema)
        validator.check_schema(schema)
        error = best_match(validator(schema).iter_errors(value))
    except Exception as exc:  # noqa: BLE001 - a broken schema: airbyte-cdk fails on it too
        raise ConfigError(
            f"{where}.validation_strategy.base_schema",
            f"the schema cannot check the config ({type(exc).__name__}); fix the manifest",
        ) from None
    if error is not None:
        inner = _path(at, error.absolute_path)
        raise ConfigError(
            inner,
            f"the value does not match the schema in {where}: {_short(_phrase_of(error), 120)}; "
            "fix the config",
        )


def _phrase_of(error: ValidationError) -> str:
    """The schema's complaint without the value it quotes (it may be a secret)."""
    if error.validator == "required":
        return f"it needs the key {_missing(error)}"
    if error.validator == "additionalProperties":
        return f"it allows no key {_extra(error)}"
    if error.validator == "enum":
        return f"it should be one of {_values(error)}"
    if error.validator == "type":
        return f"it should be {_types(error.validator_value)}"
    return f"it fails the schema's {error.validator!r} rule"


def _whole_number(value: Any) -> bool:
    """Whether airbyte-cdk's ``InternalConfig`` (a pydantic v1 ``int`` field, ``None`` by
    default) takes the value: Python's ``int()`` of it, a text of at most 4,300 characters."""
    if value is None or isinstance(value, int):
        return True
    if isinstance(value, str) and len(value) > 4300:
        return False
    try:
        int(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _refusal(error: ValidationError, schema: Any) -> ConfigError:
    """The one sentence for a failed check: where, what the spec asks, and what to give."""
    if error.validator is None:  # the spec is ``false``
        return ConfigError(_WHERE, "the spec accepts no config at all; fix the manifest")
    options = _options_above(error)
    if options is not None:
        return _options_refusal(options)
    steps = list(error.absolute_path)
    at = _path("config", steps)
    shown = _shown(error, schema, steps)
    rule, want = error.validator, error.validator_value
    it = f"{shown} " if shown else "the value "
    if rule == "required" and not isinstance(want, list):  # draft 3: ``required: true``
        return ConfigError(at, "missing; give it: the spec requires it")
    if rule == "required":
        name = _missing(error)
        fields = error.schema.get("properties") if isinstance(error.schema, Mapping) else None
        field = fields.get(name) if isinstance(fields, Mapping) else None
        title = field.get("title") if isinstance(field, Mapping) else None
        called = f" ({_short(str(title), 60)})" if title else ""
        return ConfigError(
            _path("config", [*steps, name]), f"missing; give it{called}: the spec requires it"
        )
    if rule == "additionalProperties":
        return ConfigError(at, f"the spec allows no key {_extra(error)}; remove it")
    if rule == "type":
        return ConfigError(
            at,
            f"{it}is {_json_type(error.instance)}, the spec wants {_types(want)}; "
            "give a value of that type",
        )
    if rule == "pattern":
        return ConfigError(
            at,
            f"{it}does not match {_short(repr(want), 80)}; "
            f"give a value that does{_example(error.schema)}",
        )
    if rule in ("enum", "const"):
        return ConfigError(at, f"{it}is not one of the spec's values; give one of {_values(error)}")
    bound = _short(repr(want), 60)
    return ConfigError(at, f"{it}does not satisfy the spec's {rule!r} {bound}; give one that does")


def _options_above(error: ValidationError) -> ValidationError | None:
    """The outermost ``oneOf``/``anyOf`` the error is in (or is): its message says which
    option asked what, where ``best_match`` alone may name an option the user did not mean
    (gong's OAuth ``auth_type`` for an API-key config missing its secret)."""
    found = None
    node: ValidationError | None = error
    while node is not None:
        if node.validator in ("oneOf", "anyOf"):
            found = node
        node = node.parent
    return found


def _options_refusal(error: ValidationError) -> ConfigError:
    at = _path("config", error.absolute_path)
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    names = [
        str(b.get("title")) if isinstance(b, Mapping) and b.get("title") else f"option {i + 1}"
        for i, b in enumerate(branches)
    ]
    if not error.context:  # valid under several: a oneOf wants exactly one
        return ConfigError(
            at,
            f"matches more than one of the spec's options ({', '.join(names[:4])}); "
            "give the fields of only one of them",
        )
    base = len(error.absolute_path)
    told = []
    for i, name in enumerate(names[:4]):
        inside = [e for e in error.context if e.relative_schema_path[0] == i]
        problem = best_match(inside)
        if problem is not None:
            told.append(f"{_short(name, 50)}: {_phrase(problem, base)}")
    return ConfigError(
        at,
        f"matches none of the spec's options ({'; '.join(told)}); give the fields of one of them",
    )


def _phrase(error: ValidationError, base: int) -> str:
    """What one option asks that the config lacks, without a value."""
    steps = list(error.absolute_path)[base:]
    where = _path("", steps).lstrip(".") or "it"
    rule = error.validator
    if rule == "required":
        return f"{_path('', [*steps, _missing(error)]).lstrip('.')} missing"
    if rule in ("enum", "const"):
        return f"{where} is not {_values(error)}"
    if rule == "type":
        return f"{where} is not {_types(error.validator_value)}"
    if rule == "pattern":
        return f"{where} does not match its pattern"
    if rule == "additionalProperties":
        return f"no key {_extra(error)} allowed"
    if rule in ("oneOf", "anyOf"):
        return f"{where} matches none of its options"
    return f"{where} fails {rule!r}"


def _missing(error: ValidationError) -> str:
    want = error.validator_value
    names = [
        str(k)
        for k in (want if isinstance(want, list) else [])
        if isinstance(error.instance, Mapping) and k not in error.instance
    ]
    return names[0] if names else "a field"


def _extra(error: ValidationError) -> str:
    allowed = error.schema.get("properties") if isinstance(error.schema, Mapping) else None
    keys = error.instance if isinstance(error.instance, Mapping) else {}
    extra = sorted(str(k) for k in keys if not isinstance(allowed, Mapping) or k not in allowed)
    return ", ".join(repr(_short(k, 40)) for k in extra[:3]) or "given"


def _values(error: ValidationError) -> str:
    want = error.validator_value
    options = list(want) if error.validator == "enum" and isinstance(want, list) else [want]
    more = ", ..." if len(options) > 8 else ""
    return ", ".join(_short(repr(o), 30) for o in options[:8]) + more


def _types(want: Any) -> str:
    return " or ".join(str(k) for k in (want if isinstance(want, list) else [want]))


def _path(root: str, steps: Iterable[Any]) -> str:
    text = root
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


def _shown(error: ValidationError, schema: Any, steps: Sequence[Any]) -> str:
    """The value as text, or '' when it may be a secret, is not a short scalar, or is missing."""
    value = error.instance
    if isinstance(value, (dict, list)) or error.validator == "required":
        return ""
    names = [str(s) for s in steps if not isinstance(s, int)]
    if any(_SECRET_NAME.search(name) for name in names) or _secret(schema, steps):
        return ""
    if isinstance(error.schema, Mapping) and error.schema.get("airbyte_secret"):
        return ""
    text = repr(value)
    return text if len(text) <= _SHOWN else ""


def _secret(schema: Any, steps: Sequence[Any]) -> bool:
    """Whether any schema the path may pass through (each ``oneOf``/``anyOf``/``allOf``
    branch too) marks its field ``airbyte_secret``."""
    nodes = [schema]
    for step in steps:
        found: list[Any] = []
        for node in _branches(nodes):
            if node.get("airbyte_secret"):
                return True
            child = (node.get("properties") or {}).get(step) if isinstance(step, str) else None
            items = node.get("items") if isinstance(step, int) else None
            found += [n for n in (child, items) if isinstance(n, Mapping)]
        nodes = found
    return any(node.get("airbyte_secret") for node in _branches(nodes))


def _branches(nodes: list[Any]) -> list[Mapping[str, Any]]:
    """The nodes and every branch of their ``oneOf``/``anyOf``/``allOf``, depth-capped."""
    out: list[Mapping[str, Any]] = []
    pending = [(n, 0) for n in nodes]
    while pending:
        node, depth = pending.pop()
        if not isinstance(node, Mapping) or depth > 8:
            continue
        out.append(node)
        for key in ("oneOf", "anyOf", "allOf"):
            branches = node.get(key)
            if isinstance(branches, list):
                pending += [(b, depth + 1) for b in branches]
    return out


def _example(node: Any) -> str:
    """``, like <the spec's first example>`` when the spec gives one (never a secret's)."""
    if not isinstance(node, Mapping) or node.get("airbyte_secret"):
        return ""
    examples = node.get("examples")
    first = examples[0] if isinstance(examples, list) and examples else None
    return f", like {_short(repr(first), 40)}" if isinstance(first, (str, int, float)) else ""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a {type(value).__name__}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
