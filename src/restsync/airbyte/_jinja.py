"""Airbyte's interpolation, run in restsync's sandbox (``_expressions.template_environment``).

What a manifest can write and what it means, as the declarative CDK documents it:

* ``{{ ... }}`` templates see ``config``, ``parameters`` and what the component passes
  (``stream_slice`` with its aliases ``stream_partition`` and ``stream_interval``,
  ``next_page_token``, ``response``, ``headers``, ``last_record``, ``last_page_size``, ``record``);
* the rendered text is read back as a Python literal when it is one (``"{{ 5 }}"`` is ``5``),
  else kept as text;
* an empty result or an undefined name falls back to the component's default (``None``);
* the macros ``now_utc``, ``today_utc``, ``timestamp``, ``str_to_datetime``, ``max``, ``min``,
  ``day_delta``, ``duration``, ``format_datetime``, ``today_with_timezone``, ``sanitize_url``,
  ``camel_case_to_snake_case``, ``generate_uuid``, Jinja's ``dict`` and ``namespace``, and the
  filters ``hash``, ``base64encode``, ``base64decode``, ``string``, ``regex_search``,
  ``regex_replace``, ``hmac``, ``urlencode``.
"""

from __future__ import annotations

import ast
import base64
import builtins
import hashlib
import hmac as hmac_lib
import json
import re
import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import pendulum
from jinja2 import Template, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import FILTERS, do_tojson
from jinja2.utils import Namespace

from restsync._expressions import ConditionError, Limits, template_environment
from restsync._sandbox import evaluation
from restsync.airbyte._dates import format_datetime as format_airbyte
from restsync.airbyte._dates import parse_datetime, parse_iso

__all__ = ["Interpolator", "Slice", "TemplateError", "UnknownSlice", "compile_check", "owned"]


class TemplateError(ConditionError):
    """A template that does not compile, or that failed while rendering: at run time, as a
    failing stop_condition, the failure of its stream (the engine names it, no traceback)."""


class Slice(dict[str, Any]):
    """A stream slice: its partition and cursor fields as one mapping, as templates see it."""

    def __init__(
        self,
        partition: Mapping[str, Any] | None = None,
        cursor_slice: Mapping[str, Any] | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__({**(partition or {}), **(cursor_slice or {})})
        self.partition = dict(partition or {})
        self.cursor_slice = dict(cursor_slice or {})
        self.extra_fields = dict(extra_fields or {})


class UnknownSlice(Slice):
    """The slice of a stream at check, before any partition is known: any key, at any depth,
    is an empty value, so ``{{ stream_partition.account.id }}`` in a URL renders (as empty)
    instead of failing; only the rest of the URL is checked."""

    def __missing__(self, key: Any) -> Any:
        return UnknownSlice()

    def __str__(self) -> str:
        return ""


# --- macros and filters ----------------------------------------------------------------------


def _now_utc() -> datetime:
    return datetime.now(UTC)


def _today_utc() -> date:
    return datetime.now(UTC).date()


def _today_with_timezone(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def _defined(value: Any) -> Any:
    """``value``, or the UndefinedError airbyte-cdk's date macros raise on an undefined one (a
    config key the spec lacks, clockodo's ``config['start_time']``): a request parameter built
    from it is then left out, as the CDK leaves it out, where parsing '' failed the stream."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _str_to_datetime(text: str) -> datetime:
    return parse_iso(_defined(text))


def _timestamp(value: Any) -> int | float:
    if isinstance(value, int | float):
        return int(value)
    return _str_to_datetime(str(_defined(value))).timestamp()


def _day_delta(days: int, format: str = "%Y-%m-%dT%H:%M:%S.%f%z") -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime(format)


def _duration(text: str) -> Any:
    return pendulum.parse(text)


def _format_datetime(value: Any, format: str, input_format: str | None = None) -> str:
    if isinstance(value, datetime):
        return value.strftime(format)
    if isinstance(value, int):
        parsed = parse_datetime(value, input_format or "%s")
    elif input_format:
        # not text (an undefined value): a TypeError, the template then read as its own text
        parsed = datetime.strptime(value, input_format)
    else:
        parsed = _str_to_datetime(str(_defined(value)))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return format_airbyte(parsed, format)


def _camel_to_snake(value: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower()


_MACROS: dict[str, Any] = {
    "now_utc": _now_utc,
    "today_utc": _today_utc,
    "today_with_timezone": _today_with_timezone,
    "timestamp": _timestamp,
    "str_to_datetime": _str_to_datetime,
    "max": builtins.max,
    "min": builtins.min,
    "day_delta": _day_delta,
    "duration": _duration,
    "format_datetime": _format_datetime,
    "sanitize_url": quote_plus,
    "camel_case_to_snake_case": _camel_to_snake,
    "generate_uuid": lambda: str(uuid.uuid4()),
}


def _hash(value: Any, hash_type: str = "md5", salt: str | None = None) -> str:
    digest = hashlib.new(hash_type)
    digest.update(str(value).encode())
    if salt:
        digest.update(salt.encode())
    return digest.hexdigest()


def _string(value: Any) -> str:
    # a non-string is wrapped so that reading the result back as a literal keeps it a string
    return value if isinstance(value, str) else '"""' + json.dumps(value) + '"""'


def _regex_search(value: str, regex: str) -> str:
    found = re.search(regex, value)
    return found.group(1) if found and found.groups() else ""


def _hmac(value: Any, key: str, hash_type: str = "sha256") -> str:
    return hmac_lib.new(key.encode(), str(value).encode(), hash_type).hexdigest()


_FILTERS: dict[str, Any] = {
    "hash": _hash,
    "base64encode": lambda value: base64.b64encode(str(value).encode()).decode(),
    "base64decode": lambda value: base64.b64decode(str(value).encode()).decode(),
    "string": _string,
    "regex_search": _regex_search,
    "regex_replace": lambda value, regex, replacement: re.sub(regex, replacement, value),
    "hmac": _hmac,
    # Jinja's own urlencode on a text (Airbyte renders with Jinja's filters): "/" kept
    "urlencode": lambda value: urllib.parse.quote(str(value), safe="/"),
    # Jinja's own (keys sorted, HTML characters escaped), as airbyte-cdk's environment has it
    "tojson": do_tojson,
}

# --- what a template may change: only what it built --------------------------------------------
#
# airbyte-cdk renders in Jinja's mutable sandbox, and manifests build lists and dicts with it
# (gitlab's ``{% set _ = ids.append(data.get('id')) %}``, google-sheets' header counts,
# amazon-seller-partner's config migration ``option.update({...})``). restsync keeps the immutable
# sandbox for every value a template is given (the config, a response, a slice: shared by
# streams and pages, never changed in place) and lets a template change only what it built: its
# own ``[...]`` and ``{...}`` literals are compiled as the two types below, whose ``append`` and
# ``update`` it may call (one element or key per call, each call a step of the budget). A config
# migration's template is given its own copy of the config made of these types (``owned``):
# what it changes there is discarded after the render, and only the value the migration writes
# reaches the config.


class _OwnedList(list[Any]):
    """A list a template built (its ``[...]``), or a render's own copy of one."""


class _OwnedDict(dict[Any, Any]):
    """A dict a template built (its ``{...}``), or a render's own copy of one."""


# the generated code reaches the types through its environment: [0] the list, [1] the dict
_OWNED_TYPES = (_OwnedList, _OwnedDict)
_OWNED_METHODS = frozenset({"append", "update"})
_OWNED_DEPTH = 64  # deeper, ``owned`` shares the rest (immutable) rather than recurse on


class _OwningCodeGenerator(CodeGenerator):
    """Jinja's code generator, with list and dict literals built as the owned types."""

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.owned_types[0](")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.owned_types[1](")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        # Jinja reads ``ids[1:]`` with Python's own subscript, not the sandbox's getitem: a
        # slice of a list is a new list, owned
        self.write("environment.own_new(")
        super().visit_Getitem(node, frame)
        self.write(")")


def owned(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON value whose lists and dicts a template may change (a config migration's
    own config); deeper than _OWNED_DEPTH levels the rest is shared, and stays immutable."""
    if depth > _OWNED_DEPTH:
        return value
    if isinstance(value, Mapping):
        return _OwnedDict({k: owned(v, depth + 1) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return _OwnedList(owned(v, depth + 1) for v in value)
    return value


def _owning_filter(name: str) -> Any:
    """Jinja's filter ``name``, its result (always a list it has just built) owned."""
    jinja_filter = FILTERS[name]

    @wraps(jinja_filter)  # keeps Jinja's marks (the sort filter takes the environment)
    def owning(*args: Any, **kwargs: Any) -> _OwnedList:
        return _OwnedList(jinja_filter(*args, **kwargs))

    return owning


# Besides literals, a template owns what it builds with ``[] + x``, ``x + y``, ``[0] * n``
# and ``text.split(...)`` (the sandbox's ``own_new``), with ``x[1:]`` (the code generator),
# with the ``list`` and ``sort`` filters (``config['ids'] | list``) and with the ``dict(...)``
# and ``namespace(...)`` Jinja (and so airbyte-cdk) puts in scope (google-analytics-data-api's
# ``{% set ns = namespace(cursor="") %}...{% set ns.cursor = field %}``): each a new container
# whose items are still the values given, immutable. Jinja has no ``list(...)``, no ``{**a}``
# and no comprehensions; airbyte-cdk refuses them too.
_OWNING_FILTERS = {name: _owning_filter(name) for name in ("list", "sort")}
_OWNING_GLOBALS: dict[str, Any] = {"dict": _OwnedDict, "namespace": Namespace}

# each render has the same step budget and deadline as a stop_condition evaluation
_LIMITS = Limits()
# manifests join config lists into one parameter ("{{ ','.join(config['ids']) }}")
_ENV = template_environment(
    filters={**_FILTERS, **_OWNING_FILTERS},
    globals={**_MACROS, **_OWNING_GLOBALS},
    undefined=Undefined,
    methods=frozenset({"join", "replace", "format"}),
)
_ENV.code_generator_class = _OwningCodeGenerator
_ENV.owned_types = _OWNED_TYPES
_ENV.owned_methods = _OWNED_METHODS


@lru_cache(maxsize=4096)
def _compile(source: str) -> Template:
    try:
        return _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"'{source}' is not a valid template ({exc.message})") from None


def compile_check(source: Any) -> None:
    """Raise ``TemplateError`` if ``source`` is a string that does not compile."""
    if isinstance(source, str) and ("{{" in source or "{%" in source):
        _compile(source)


# --- the fast paths: what provably renders (or reads back) the same without Jinja or the parser --

# the names Python's parser may read as a literal's start (``ast.literal_eval`` takes the
# constants, ``set()``, and strings with a prefix such as ``b"..."``)
_LITERAL_NAMES = frozenset({"True", "False", "None", "set"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _never_literal(text: str) -> bool:
    """True when ``ast.literal_eval(text)`` must fail: the text starts (as literal_eval strips
    it) with ``/`` or a plain ASCII name (a URL, a path, a word), and an expression that starts
    with a name is a literal only when the name is one of ``_LITERAL_NAMES`` or a string's
    prefix. Anything else, and a name running on into non-ASCII letters, is left to the parser."""
    head = text.lstrip(" \t")
    if head[:1] == "/":
        return True
    name = _NAME.match(head)
    if name is None:
        return False
    word, rest = name.group(), head[name.end() : name.end() + 1]
    if word in _LITERAL_NAMES or (rest and ord(rest) > 127):
        return False
    return not (len(word) <= 3 and set(word) <= set("rRbBuUfF"))


def _literal(text: str, valid_types: tuple[type, ...] | None = None) -> Any:
    """The rendered text read back as a Python literal, if it is one of ``valid_types``."""
    if _never_literal(text):
        return text
    value = _WORDS.get(text, _PARSE)
    if value is _PARSE and len(text) < 19 and text.isascii() and text.isdecimal():
        # a plain decimal integer (not "0..." : Python reads "00" but refuses "01")
        value = int(text) if text[0] != "0" or text == "0" else _PARSE
    if value is _PARSE:
        return _parsed_literal(text, valid_types)
    return _typed(value, text, valid_types)


# what a rendered condition or number most often is, read without the parser
_WORDS: dict[str, Any] = {"True": True, "False": False, "None": None}
_PARSE = object()


def _parsed_literal(text: str, valid_types: tuple[type, ...] | None = None) -> Any:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return _typed(value, text, valid_types)


def _typed(value: Any, text: str, valid_types: tuple[type, ...] | None) -> Any:
    if valid_types is not None:
        return value if isinstance(value, valid_types) else text
    return text if isinstance(value, complex) else value


class Interpolator:
    """Renders a manifest's templates with its config and one component's parameters."""

    def __init__(self, config: Mapping[str, Any], parameters: Mapping[str, Any] | None = None):
        self.config = config
        self.parameters = dict(parameters or {})

    def with_parameters(self, parameters: Mapping[str, Any] | None) -> Interpolator:
        return Interpolator(self.config, parameters)

    def eval(
        self,
        template: Any,
        default: Any = None,
        valid_types: tuple[type, ...] | None = None,
        **context: Any,
    ) -> Any:
        value = template
        if not isinstance(value, str):
            return value
        scope = self._scope(context)
        try:
            rendered = self._render(value, scope)
            if rendered:
                return _literal(rendered, valid_types)
        except UndefinedError:
            pass
        if default is None:
            return None
        if isinstance(default, str):
            return self.eval(default, None, valid_types, **context)
        return default

    def string(self, template: Any, **context: Any) -> Any:
        """A template airbyte-cdk reads as an ``InterpolatedString`` (an added field's value, a
        page cursor): its default is the template itself, rendered again outside the guard, so
        an attribute of an undefined value (``record.app.id`` without ``app``) fails the stream
        there, and an empty rendering stays the empty text."""
        if not isinstance(template, str):
            return template
        try:
            rendered = self._render(template, self._scope(context))
        except UndefinedError as exc:
            raise TemplateError(f"template '{template}' failed: {exc}") from None
        return _literal(rendered) if rendered else rendered

    def text(self, value: Any, **context: Any) -> str:
        """A template rendered as text (a path, a URL): read back as a literal only when it is
        a quoted text, as airbyte-cdk's InterpolatedString reads it (tiktok-marketing's
        ``url_base: '"https://{{ ... }}.tiktok.com/open_api/v1.3/"'``)."""
        if value is None:
            return ""
        if not isinstance(value, str):
            return str(value)
        try:
            rendered = self._render(value, self._scope(context))
        except UndefinedError:
            return ""
        quoted = len(rendered) > 1 and rendered[0] == rendered[-1] and rendered[0] in "'\""
        return str(_literal(rendered, (str,))) if quoted else rendered

    def mapping(
        self, value: Any, valid_types: tuple[type, ...] | None = None, **context: Any
    ) -> Any:
        """Request parameters, headers or a JSON body: every string rendered, ``None`` dropped.

        ``valid_types``: the types a rendered value may be read back as (query parameters keep
        ``"None"`` or ``"500"`` as text, as Airbyte sends them)."""
        if isinstance(value, str):
            return self.eval(value, None, valid_types, **context)
        if isinstance(value, Mapping):
            rendered = {
                str(self.eval(k, None, (str,), **context)): self.mapping(v, valid_types, **context)
                for k, v in value.items()
            }
            return {k: v for k, v in rendered.items() if v is not None}
        if isinstance(value, list):
            return [self.mapping(v, valid_types, **context) for v in value]
        return value

    def _scope(self, context: Mapping[str, Any]) -> dict[str, Any]:
        scope: dict[str, Any] = {"config": self.config, "parameters": self.parameters}
        scope.update(context)
        if "stream_slice" in scope:
            scope.setdefault("stream_partition", scope["stream_slice"])
            scope.setdefault("stream_interval", scope["stream_slice"])
        return scope

    @staticmethod
    def _render(source: str, scope: Mapping[str, Any]) -> str:
        if "{{" not in source and "{%" not in source:
            return source
        plan = _lookup_plan(source)
        if plan is not None:
            rendered = _render_lookups(plan, scope)
            if rendered is not None:
                return rendered
        return _sandboxed(source, scope)


def _sandboxed(source: str, scope: Mapping[str, Any]) -> str:
    """The template rendered by Jinja in the sandbox, under the step budget and the deadline."""
    try:
        with evaluation(_LIMITS):
            return _compile(source).render(scope)
    except UndefinedError:
        raise
    except TemplateError:
        raise
    except TypeError:
        # airbyte-cdk takes a template that raises TypeError for a static text and returns
        # it as written (oncehub's '{{ not "next" in headers.get('Link') }}' without a
        # Link header: a non-empty text, so a true stop_condition)
        return source
    except Exception as exc:  # a failing user template must not escape as a traceback
        raise TemplateError(f"template '{source}' failed: {type(exc).__name__}: {exc}") from exc


# A template made only of text, constants and plain lookups (``{{ response.next }}``,
# ``/projects/{{ stream_partition.project_id }}/tasks``, ``{{ not response.next }}``,
# ``{{ config['ids'][0] }}``) is rendered here without Jinja: most of a manifest's per-request
# templates are such lookups, and a Jinja render builds a context and a sandbox budget each time.
# The plan comes from Jinja's own parse of the template, and a lookup is read here only on the
# values whose Jinja semantics are spelled out in ``_step``; anything else (another type, a name
# that is also an attribute, a missing value before the last step, any error) returns ``None``
# and the template runs in the sandbox as before. tests/airbyte/test_jinja_fast_path.py renders
# random lookups on random values both ways.

_Lookup = tuple[int, str, tuple[tuple[bool, str | int], ...]]  # negations, name, steps
_MISSING = object()  # the last step found nothing: Jinja's Undefined, which renders as ''
_UNSURE = object()  # not a case read here: the sandbox renders the template
_MAPPINGS = (dict, Slice, UnknownSlice)
_SEQUENCES = (list, tuple)
_CONSTANTS = (str, int, float, bool, type(None))


@lru_cache(maxsize=4096)
def _lookup_plan(source: str) -> tuple[str | _Lookup, ...] | None:
    """The template's parts (texts and lookups), or ``None`` if it is anything more."""
    _compile(source)  # a template that does not compile fails as before
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError:
        return None
    parts: list[str | _Lookup] = []
    for output in tree.body:
        if not isinstance(output, nodes.Output):
            return None
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(node.data)
            elif isinstance(node, nodes.Const) and type(node.value) in _CONSTANTS:
                parts.append(str(node.value))
            else:
                lookup = _lookup_of(node)
                if lookup is None:
                    return None
                parts.append(lookup)
    return tuple(parts)


def _lookup_of(node: nodes.Node) -> _Lookup | None:
    negations = 0
    while isinstance(node, nodes.Not):
        negations, node = negations + 1, node.node
    steps: list[tuple[bool, str | int]] = []
    while not isinstance(node, nodes.Name):
        if isinstance(node, nodes.Getattr):
            steps.append((True, node.attr))
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and type(node.arg.value) in (str, int)
        ):
            steps.append((False, node.arg.value))
        else:
            return None
        node = node.node
    if node.ctx != "load":
        return None
    return negations, node.name, tuple(reversed(steps))


def _step(obj: Any, attribute: bool, key: str | int) -> Any:
    """One ``obj.key`` (``attribute``) or ``obj[key]`` as the sandbox reads it on a mapping or a
    list: an attribute first for ``.key``, the item first for ``[key]`` (here: a name the value
    also has as an attribute is ``_UNSURE``), nothing found is ``_MISSING``."""
    kind = type(obj)
    if kind in _MAPPINGS:
        if attribute and hasattr(obj, key):  # type: ignore[arg-type]
            return _UNSURE
        try:
            return obj[key]
        except LookupError:
            if isinstance(key, str) and hasattr(obj, key):
                return _UNSURE
            return _MISSING
    if kind in _SEQUENCES and not attribute and type(key) is int:
        try:
            return obj[key]
        except IndexError:
            return _MISSING
    return _UNSURE


def _render_lookups(plan: tuple[str | _Lookup, ...], scope: Mapping[str, Any]) -> str | None:
    """The plan rendered as Jinja renders it, or ``None`` when a value is not one read here."""
    out: list[str] = []
    try:
        for part in plan:
            if isinstance(part, str):
                out.append(part)
                continue
            negations, name, steps = part
            if name not in scope:  # a macro, or undefined: Jinja's own lookup
                return None
            value = scope[name]
            for index, (attribute, key) in enumerate(steps):
                value = _step(value, attribute, key)
                if value is _UNSURE or (value is _MISSING and index < len(steps) - 1):
                    return None
            if value is _MISSING:
                value = True if negations else ""
                negations = max(negations - 1, 0)
            for _ in range(negations):
                value = not value
            out.append(str(value))
    except Exception:  # whatever failed here fails (or not) the same way in Jinja
        return None
    return "".join(out)
