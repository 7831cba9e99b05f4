"""``stop_condition`` expressions, evaluated in Jinja2's sandbox (never ``eval``).

Accepted forms: a bare field (``done``), Python-ish tests (``response.next is none``,
``response.get('last') is None``) and Airbyte's ``{{ ... }}`` wrapping. In scope: ``response`` (the
JSON body; attribute, item and ``.get`` access), ``headers``, ``records`` (the page's records), and
the body's top-level fields by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["Condition", "ConditionError", "compile_condition"]

_ENV = ImmutableSandboxedEnvironment(undefined=ChainableUndefined)
_BRACES = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)
# Python spells the null test "is None"; Jinja spells it "is none"
_PY_NONE = re.compile(r"\bis(\s+not)?\s+None\b")


class ConditionError(ValueError):
    """The expression does not compile; the message says why."""


@dataclass(frozen=True)
class Condition:
    source: str
    _evaluate: Callable[..., Any]
    null_tested_field: str | None

    def __call__(self, response: Any, headers: Mapping[str, str], records: Sequence[Any]) -> bool:
        scope: dict[str, Any] = dict(response) if isinstance(response, Mapping) else {}
        scope.update(response=response, headers=headers, records=records)
        try:
            return bool(self._evaluate(**scope))
        except Exception as exc:  # a runtime error in a user expression must not kill the sandbox
            raise ConditionError(f"stop_condition '{self.source}' failed: {exc}") from exc


def compile_condition(source: str) -> Condition:
    match = _BRACES.match(source)
    body = match.group(1) if match else source
    body = _PY_NONE.sub(lambda m: f"is{m.group(1) or ''} none", body).strip()
    if not body:
        raise ConditionError("the expression is empty")
    try:
        tree = _ENV.parse("{{ " + body + " }}")
        evaluate = _ENV.compile_expression(body, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise ConditionError(f"'{source}' is not a valid expression ({exc.message})") from None
    return Condition(source=source, _evaluate=evaluate, null_tested_field=_null_tested(tree))


def _null_tested(tree: nodes.Template) -> str | None:
    """The response field tested for null, e.g. ``next`` in ``response.next is none``."""
    for test in tree.find_all(nodes.Test):
        if test.name != "none":
            continue
        field = _response_field(test.node)
        if field:
            return field
    return None


def _response_field(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr) and _is_response(node.node):
        return node.attr
    if isinstance(node, nodes.Getitem) and _is_response(node.node):
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            return node.arg.value
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        if node.node.attr == "get" and _is_response(node.node.node) and node.args:
            arg = node.args[0]
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return arg.value
    if isinstance(node, nodes.Name) and node.name not in ("response", "headers", "records"):
        return node.name
    return None


def _is_response(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "response"


def template_environment(
    *, filters: Mapping[str, Callable[..., Any]], globals: Mapping[str, Any], undefined: Any = None
) -> ImmutableSandboxedEnvironment:
    """The stop_condition sandbox with more names in scope, for full templates (Airbyte manifests).

    An overlay of the one environment: same class, same policy on attributes and calls, so any
    bound placed on the sandbox holds here too. Only the names (and optionally how an undefined
    name behaves) differ; the base environment's own dicts are left untouched.
    """
    overlay = _ENV.overlay(undefined=undefined) if undefined is not None else _ENV.overlay()
    overlay.filters = {**_ENV.filters, **filters}
    overlay.globals = {**_ENV.globals, **globals}
    return overlay  # type: ignore[return-value]


__all__ += ["template_environment"]
