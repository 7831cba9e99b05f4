"""The sandbox ``stop_condition`` expressions run in: Jinja2's immutable sandbox, bounded.

Jinja's sandbox keeps an expression away from Python internals, but not from the CPU or memory:
``9 ** (9 ** 9)`` or ``'a' * 10 ** 9`` run for minutes, and Jinja folds such constants while
*compiling*. Here:

* nothing is folded at compile time (``optimized=False``; the size-changing operators are
  intercepted, which also stops Jinja folding them), and ``check_expression`` folds constant
  arithmetic itself under the same bounds, so ``restsync check`` reports it;
* ``**``, ``*`` and ``+`` refuse operands whose result would pass ``MAX_INT_BITS`` or
  ``MAX_SEQUENCE``; ``%`` on a string (printf formatting) is refused;
* the globals are empty (no ``range``, ``lipsum``, ``cycler``, ``joiner``, ``dict``), only a
  short list of filters and of methods of JSON values can be called;
* every attribute or item read, call and operator counts against a per-evaluation budget of steps
  and a deadline (``Limits``), so a runaway expression fails its resource in bounded time;
* ``check_expression`` refuses at compile time what the sandbox would refuse at run time: dunder
  and other internal attributes, calls of anything but the listed methods.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import string
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jinja2 import ChainableUndefined, Undefined, nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
)

__all__ = [
    "ENVIRONMENT",
    "BoundedSandbox",
    "MAX_INT_BITS",
    "MAX_SEQUENCE",
    "MAX_SPEC",
    "Limits",
    "SandboxError",
    "check_expression",
    "check_format",
    "check_operands",
    "evaluation",
]


class SandboxError(ValueError):
    """An expression did something the sandbox does not allow, or ran out of budget."""


# What one evaluation may do. A stop condition reads a few fields of one page; these bounds are
# far above that and far below what hangs the process or fills its memory.
MAX_SEQUENCE = 1_000_000  # items or characters one operation may produce
MAX_INT_BITS = 10_000  # about 3,000 digits
MAX_SPEC = 1_000  # the largest width or precision a str.format field may ask for
_METHODS = frozenset(
    {
        "get", "keys", "values", "items", "startswith", "endswith", "lower", "upper", "strip",
        "lstrip", "rstrip", "split", "count", "find", "isdigit", "isnumeric", "isalpha",
    }
)  # fmt: skip
_FILTERS = frozenset(
    {
        "abs", "attr", "count", "d", "default", "first", "float", "int", "join", "last",
        "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "round",
        "select", "selectattr", "sort", "string", "sum", "trim", "unique", "upper", "items",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """Per evaluation: a budget of the evaluating thread's CPU time, and a count of sandbox steps
    (attribute and item reads, calls, arithmetic) so a test can bound the work without a clock.
    CPU time, not wall time: a sandboxed template cannot wait on anything, so its time is its
    own work, and on a busy machine a wall-clock limit failed simple templates (a record's
    timestamp divided by 1000 "ran longer than 2 s" at a load average of 18)."""

    max_seconds: float = 2.0
    max_steps: int = 1_000_000
    clock: Callable[[], float] = time.thread_time


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = 0
        self.deadline = limits.clock() + limits.max_seconds

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise SandboxError(f"it took more than {self.limits.max_steps:,} steps")
        if self.limits.clock() > self.deadline:
            raise SandboxError(f"it used more than {self.limits.max_seconds:g} s of CPU")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "restsync_condition_budget", default=None
)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, plus: every operation counts against the evaluation's budget,
    and the operators that can multiply a value's size refuse operands past the bounds."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/", "-"})
    intercepted_unops = frozenset({"-", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        check_operands(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        # ``[] + config['ids']``, ``ids + more``, ``[0] * 3``: a list the operator just built
        return self.own_new(result, left, right) if operator in ("+", "*") else result

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        _tick()
        return super().call_unop(context, operator, arg)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    # functions an overlay puts in scope (Airbyte's macros): callable besides the listed methods
    allowed_calls: tuple[Callable[..., Any], ...] = ()
    # methods an overlay adds to the listed ones (Airbyte's templates call str.join)
    allowed_methods: frozenset[str] = frozenset()
    # the exact types of values an overlay's templates build themselves (their own list and
    # dict literals; [0] the list type, [1] the dict type), and the methods that change such a
    # value in place: one element or key per call, each call a step of the budget. A value
    # passed in (the config, a response) is never of these types, so it stays immutable as in
    # the stock immutable sandbox.
    owned_types: tuple[type, ...] = ()
    owned_methods: frozenset[str] = frozenset()

    def own_new(self, result: Any, *operands: Any) -> Any:
        """``result`` as an owned value when an operation has just built it: a plain list or
        dict that is none of its ``operands`` (``list + list`` and a slice always build one).
        Only the container is the template's: the items in it are the operands' own, so a
        config dict inside ``[] + config['reports']`` stays immutable."""
        if len(self.owned_types) < 2 or any(result is operand for operand in operands):
            return result
        if type(result) is list:
            return self.owned_types[0](result)
        if type(result) is dict:
            return self.owned_types[1](result)
        return result

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in self.owned_methods and type(obj) in self.owned_types:
            return True
        return bool(super().is_safe_attribute(obj, attr, value))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        if isinstance(__obj, Undefined):
            # a method the value does not have (``None.get(...)``, ``"text".get(...)``): Jinja's
            # undefined error, as the stock sandbox gives, which a template's default catches
            # (airbyte-cdk's eval falls back to it); nothing is called
            __obj._fail_with_undefined_error()
        if not __self.may_call(__obj):
            raise SandboxError(f"calling {getattr(__obj, '__name__', 'this')} is not allowed")
        name = getattr(__obj, "__name__", None)
        if name == "join" and args:
            check_join(getattr(__obj, "__self__", ""), args[0])
        elif name == "replace" and len(args) >= 2:
            check_replace(getattr(__obj, "__self__", None), args[0], args[1])
        elif name == "format":
            check_format(formatted_text(__obj), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if name == "split" and isinstance(getattr(__obj, "__self__", None), str):
            return __self.own_new(result)  # ``'a,b'.split(',')``: a new list
        return result

    def may_call(self, obj: Any) -> bool:
        # identity, not equality: a bound method of a list is not hashable
        if any(obj is allowed for allowed in self.allowed_calls):
            return True
        name, owner = getattr(obj, "__name__", None), getattr(obj, "__self__", None)
        if name in self.owned_methods and type(owner) in self.owned_types:
            return True
        if name == "format":
            return name in self.allowed_methods and formatted_text(obj) is not None
        if isinstance(owner, _TIME_TYPES):
            return name in _TIME_METHODS
        listed = name in _METHODS or name in self.allowed_methods
        return listed and isinstance(owner, _JSON_TYPES)


_JSON_TYPES = (str, dict, list, tuple, int, float)
# what macros return (Airbyte's now_utc(), day_delta()): formatting them is all a template needs
_TIME_TYPES = (date, timedelta)
_TIME_METHODS = frozenset(
    {"strftime", "isoformat", "timestamp", "date", "total_seconds", "astimezone", "replace"}
)


def check_join(separator: Any, items: Any) -> None:
    """Refuse a ``sep.join(items)`` whose result would be too large (chained joins grow it)."""
    if not isinstance(items, str | list | tuple):
        return
    size = len(str(separator)) * max(len(items) - 1, 0)
    size += sum(len(item) for item in items if isinstance(item, str))
    if size > MAX_SEQUENCE:
        raise SandboxError(f"joining {len(items):,} items gives {size:,} characters: too large")


def check_replace(text: Any, old: Any, new: Any) -> None:
    """Refuse a ``text.replace(old, new)`` whose result would be too large (an empty ``old``
    inserts ``new`` between every character)."""
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    hits = text.count(old) if old else len(text) + 1
    size = len(text) + hits * max(len(new) - len(old), 0)
    if size > MAX_SEQUENCE:
        raise SandboxError(f"replacing {hits:,} times gives {size:,} characters: too large")


def _format_wrapper_code() -> Any:
    wrap = getattr(ImmutableSandboxedEnvironment(), "wrap_str_format", None)
    return wrap("".format).__code__ if wrap is not None else None


# Jinja (3.1.5 on) hands a template ``text.format`` as its own wrapper running the sandboxed
# formatter; recognised by its code object, so no other function can pass for it
_FORMAT_WRAPPER_CODE = _format_wrapper_code()


def formatted_text(obj: Any) -> str | None:
    """The text whose ``format`` method ``obj`` is (Jinja's sandboxed wrapper of it, or the
    bound method itself on an older Jinja, which formats it in its ``call``), else ``None``."""
    if _FORMAT_WRAPPER_CODE is not None and getattr(obj, "__code__", None) is _FORMAT_WRAPPER_CODE:
        obj = obj.__wrapped__
    owner = getattr(obj, "__self__", None)
    if getattr(obj, "__name__", None) == "format" and isinstance(owner, str):
        return owner
    return None


def check_format(text: Any, args: Any, kwargs: Mapping[str, Any]) -> None:
    """Refuse a ``text.format(...)`` (run by Jinja's sandboxed formatter, which guards the
    attributes a field reads) whose result could be too large: a width or precision past the
    bound, a field inside a format spec, or more fields times the longest value than allowed."""
    if not isinstance(text, str):
        return
    fields = 0
    for _, name, spec, _ in string.Formatter().parse(text):
        if name is None:
            continue
        fields += 1
        if "{" in (spec or "") or any(int(n) > MAX_SPEC for n in re.findall(r"\d+", spec or "")):
            raise SandboxError(f"the format spec {spec!r} is not allowed (widths up to {MAX_SPEC})")
    longest = max((len(str(v)) for v in (*args, *kwargs.values())), default=0)
    if len(text) + fields * (longest + MAX_SPEC) > MAX_SEQUENCE:
        raise SandboxError(
            f"formatting {fields:,} fields could give more than {MAX_SEQUENCE:,} characters"
        )


def check_operands(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too large to compute or hold."""
    if operator == "**":
        if not (_is_number(left) and _is_number(right)):
            raise SandboxError("** takes two numbers")
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right * left.bit_length() > MAX_INT_BITS:
                raise SandboxError(f"{left} ** {right} is too large")
    elif operator == "*":
        sized = next((v for v in (left, right) if isinstance(v, str | list | tuple)), None)
        other = right if sized is left else left
        if sized is not None and isinstance(other, int) and len(sized) * other > MAX_SEQUENCE:
            raise SandboxError(f"{len(sized):,} items repeated {other:,} times is too large")
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SandboxError("the product is too large")
    elif operator == "+":
        if all(isinstance(v, str | list | tuple) for v in (left, right)):
            if len(left) + len(right) > MAX_SEQUENCE:
                raise SandboxError("the sum is too large")
    elif operator == "%" and isinstance(left, str):
        raise SandboxError("string formatting with % is not available")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


@contextlib.contextmanager
def evaluation(limits: Limits) -> Iterator[None]:
    """Run one evaluation under ``limits`` (the hooks above read the budget from here)."""
    token = _BUDGET.set(_Budget(limits))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _environment() -> BoundedSandbox:
    env = BoundedSandbox(undefined=ChainableUndefined, optimized=False)
    env.globals.clear()
    env.filters = {name: f for name, f in env.filters.items() if name in _FILTERS}
    return env


ENVIRONMENT = _environment()


# --- what check_expression refuses before anything runs ---------------------------------------

_UNSAFE_NAMES = (
    UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    | {"mro"}
)
# "_links" (HAL) is a JSON key like any other; "_" names that JSON values *have* are internals
_INTERNAL = frozenset(
    name for t in _JSON_TYPES + (bool, type(None)) for name in dir(t) if name.startswith("_")
)


def _unsafe(name: str) -> bool:
    return name.startswith("__") or name in _INTERNAL or name in _UNSAFE_NAMES


def check_expression(tree: nodes.Node) -> None:
    """Raise ``SandboxError`` for what the sandbox would refuse at run time, and for constant
    arithmetic past the bounds."""
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Getattr) and _unsafe(node.attr):
            raise SandboxError(f"'{node.attr}' is internal and cannot be read")
        if isinstance(node, nodes.Getitem | nodes.Filter) and _const_names(node, _unsafe):
            name = _const_names(node, _unsafe)[0]
            raise SandboxError(f"'{name}' is internal and cannot be read")
        if isinstance(node, nodes.Call):
            callee = node.node
            if not (isinstance(callee, nodes.Getattr) and callee.attr in _METHODS):
                raise SandboxError(
                    f"it calls {_callee(callee)}; only these methods can be called: "
                    + ", ".join(sorted(_METHODS))
                )
        if isinstance(node, nodes.BinExpr):
            _fold(node)


def _const_names(node: nodes.Getitem | nodes.Filter, test: Callable[[str], bool]) -> list[str]:
    """Constant names an item read or a filter (``attr``, ``map(attribute=...)``) would read."""
    if isinstance(node, nodes.Getitem):
        args = [node.arg]
    else:
        args = [*node.args, *(keyword.value for keyword in node.kwargs)]
    return [
        part
        for a in args
        if isinstance(a, nodes.Const) and isinstance(a.value, str)
        for part in a.value.split(".")
        if test(part)
    ]


def _callee(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return f"{node.name}()"
    if isinstance(node, nodes.Getattr):
        return f"{node.attr}()"
    return "something"


_NOT_CONSTANT = object()


def _fold(node: nodes.Node) -> Any:
    """The value of constant arithmetic, computed under the run-time bounds (else _NOT_CONSTANT)."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.List | nodes.Tuple):
        items = [_fold(item) for item in node.items]
        if any(item is _NOT_CONSTANT for item in items):
            return _NOT_CONSTANT
        return items if isinstance(node, nodes.List) else tuple(items)
    if isinstance(node, nodes.Neg | nodes.Pos):
        value = _fold(node.node)
        if _is_number(value):
            return -value if isinstance(node, nodes.Neg) else value
        return _NOT_CONSTANT
    if isinstance(node, nodes.BinExpr) and node.operator in ENVIRONMENT.binop_table:
        left, right = _fold(node.left), _fold(node.right)
        if left is _NOT_CONSTANT or right is _NOT_CONSTANT:
            return _NOT_CONSTANT
        check_operands(node.operator, left, right)
        try:
            return ENVIRONMENT.binop_table[node.operator](left, right)
        except Exception:  # 1 / 0, "a" - 1: the evaluation will say so; nothing to bound here
            return _NOT_CONSTANT
    return _NOT_CONSTANT
