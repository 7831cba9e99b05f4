"""``stop_condition`` expressions, evaluated in a bounded Jinja2 sandbox (never ``eval``).

Accepted forms: a bare field (``done``), Python-ish tests (``response.next is none``,
``response.get('last') is None``) and Airbyte's ``{{ ... }}`` wrapping. In scope: ``response`` (the
JSON body; attribute, item and ``.get`` access), ``headers``, ``records`` (the page's records), and
the body's top-level fields by name. What the sandbox allows and bounds: ``restsync._sandbox``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from restsync._sandbox import (
    ENVIRONMENT,
    BoundedSandbox,
    Limits,
    SandboxError,
    check_expression,
    evaluation,
)

__all__ = ["Condition", "ConditionError", "Limits", "code_chars", "compile_condition"]

_ENV = ENVIRONMENT
_BRACES = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)
# Python spells the null test "is None"; Jinja spells it "is none"
_PY_NONE = re.compile(r"\bis(\s+not)?\s+None\b")


class ConditionError(ValueError):
    """The expression does not compile, or failed or ran out of budget; the message says why."""


@dataclass(frozen=True)
class Condition:
    source: str
    _evaluate: Callable[..., Any]
    null_tested_field: str | None
    limits: Limits = field(default_factory=Limits)

    def __call__(self, response: Any, headers: Mapping[str, str], records: Sequence[Any]) -> bool:
        scope: dict[str, Any] = dict(response) if isinstance(response, Mapping) else {}
        scope.update(response=response, headers=headers, records=records)
        try:
            with evaluation(self.limits):
                return bool(self._evaluate(**scope))
        except Exception as exc:  # a runtime error in a user expression must not kill the sandbox
            raise ConditionError(f"stop_condition '{self.source}' failed: {exc}") from exc


# A stop condition is a short test. These bounds keep a hostile one from exhausting the parser
# (deep brackets recurse in Jinja's parser) or Python's compiler (long and/or chains nest).
MAX_LENGTH = 1000
MAX_DEPTH = 32


def compile_condition(source: str, limits: Limits | None = None) -> Condition:
    """Compile ``source``; ``limits`` bound each evaluation (the default: 2 s, 1,000,000 steps)."""
    match = _BRACES.match(source)
    body = match.group(1) if match else source
    body = _PY_NONE.sub(lambda m: f"is{m.group(1) or ''} none", body).strip()
    if not body:
        raise ConditionError("the expression is empty")
    if len(body) > MAX_LENGTH:
        raise ConditionError(
            f"the expression is {len(body)} characters long; keep it under {MAX_LENGTH}"
        )
    _check_depth(_bracket_depth(body))
    try:
        tree = _ENV.parse("{{ " + body + " }}")
        _check_depth(_tree_depth(tree) - _TEMPLATE_DEPTH)
        check_expression(tree)
        evaluate = _ENV.compile_expression(body, undefined_to_none=False)
    except SandboxError as exc:
        raise ConditionError(f"{_short(source)} cannot run in the sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        message = exc.message or "syntax error"
        raise ConditionError(f"{_short(source)} is not a valid expression ({message})") from None
    except (SyntaxError, RecursionError, MemoryError):  # what the depth bounds did not foresee
        raise ConditionError(f"{_short(source)} is too complex to compile; simplify it") from None
    return Condition(source, evaluate, _null_tested(tree), limits or Limits())


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConditionError(
            f"the expression nests {depth} levels deep; keep it under {MAX_DEPTH} "
            "(split long chains of 'or' / 'and' or drop redundant brackets)"
        )


def _bracket_depth(text: str) -> int:
    """Deepest nesting of (), [] and {} outside string literals (before Jinja parses it)."""
    return max((depth for _, _, depth in code_chars(text)), default=0)


def code_chars(text: str) -> Iterator[tuple[int, str, int]]:
    """Each character of ``text`` outside its string literals (quoted with ' or "), with its
    index and the depth of (), [] and {} it is at: an opening bracket counts itself, a closing
    one does not. A depth below 0 is a closing bracket with no opening one; a literal left
    open ends the scan with ``(len(text), "", -1)``: both unbalanced."""
    depth, quote = 0, ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        else:
            depth += (char in "([{") - (char in ")]}")
            yield index, char, depth
    if quote:
        yield len(text), "", -1


def _tree_depth(tree: nodes.Node) -> int:
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest


_TEMPLATE_DEPTH = 2  # Template -> Output around the expression


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")


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
    *,
    filters: Mapping[str, Callable[..., Any]],
    globals: Mapping[str, Any],
    undefined: Any = None,
    methods: frozenset[str] = frozenset(),
) -> BoundedSandbox:
    """The stop_condition sandbox with more names in scope, for full templates (Airbyte manifests).

    An overlay of the one environment: same class, same policy on attributes and calls, so any
    bound placed on the sandbox holds here too. Only the names, the extra ``methods`` it may call
    on JSON values, and optionally how an undefined name behaves differ; the base environment's
    own dicts are left untouched.
    """
    overlay = _ENV.overlay(undefined=undefined) if undefined is not None else _ENV.overlay()
    overlay.filters = {**_ENV.filters, **filters}
    overlay.globals = {**_ENV.globals, **globals}
    overlay.allowed_calls = tuple(v for v in globals.values() if callable(v))
    overlay.allowed_methods = frozenset(methods)
    return overlay


__all__ += ["template_environment"]
