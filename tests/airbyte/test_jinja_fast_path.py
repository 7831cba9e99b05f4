"""The Interpolator's fast paths give what the sandbox and the parser give.

A template of text and plain lookups (``{{ response.next }}``, ``/p/{{ stream_slice.id }}/t``)
is read without Jinja, and a rendered text that cannot be a Python literal (a URL, a path) is
not parsed. Both are checked here against the full paths on random templates, values and texts:
same text or value, same type, same error."""

from __future__ import annotations

import ast
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restsync.airbyte import _jinja
from restsync.airbyte._jinja import Interpolator, Slice, UnknownSlice

# names JSON keys take, and names that are also attributes of a dict or a Slice, dunders,
# Jinja's constants and keywords: the cases where a lookup is not simply an item
NAMES = [
    "next", "id", "data", "a", "b", "x_1", "_links", "items", "keys", "get", "values", "pop",
    "update", "partition", "cursor_slice", "extra_fields", "__class__", "__init__", "mro",
    "true", "none", "True", "not", "if", "0", "",
]  # fmt: skip
SCOPE_NAMES = ["response", "config", "stream_slice", "stream_partition", "record", "a", "items"]

keys = st.sampled_from(NAMES)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["2", "None", "'q'", "[1, 2]", "{}", "http://h/p", "/p?a=1", "True"])
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys | st.integers(-2, 2), inner, max_size=4)
        | st.dictionaries(keys, inner, max_size=3).map(lambda d: Slice(d))
        | st.dictionaries(keys, inner, max_size=3).map(lambda d: UnknownSlice(d))
    ),
    max_leaves=12,
)
scopes = st.dictionaries(st.sampled_from(SCOPE_NAMES), values, max_size=5)


@st.composite
def lookups(draw: Any) -> str:
    expr = draw(st.sampled_from(SCOPE_NAMES + ["now_utc", "max", "missing_name"]))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["attr", "item", "item2", "index"]))
        if kind == "attr":
            expr += "." + draw(keys.filter(str.isidentifier))
        elif kind == "item":
            expr += f"['{draw(keys)}']"
        elif kind == "item2":
            expr += f'["{draw(keys)}"]'
        else:
            expr += f"[{draw(st.integers(-3, 3))}]"
    nots = "not " * draw(st.integers(0, 2))
    pad = draw(st.sampled_from(["", " ", "  "]))
    return "{{" + pad + nots + expr + pad + "}}"


texts = st.text(alphabet="ab/?=&-_.: {}\n'\"12", max_size=8)
constants = st.sampled_from(["{{ 5 }}", "{{ 'c' }}", "{{ none }}", "{{ 1.5 }}", "{{ true }}"])
templates = st.lists(lookups() | texts | constants, min_size=1, max_size=4).map("".join)


def outcome(call: Any) -> tuple[Any, ...]:
    try:
        result = call()
    except Exception as exc:
        return ("error", type(exc), str(exc))
    return ("value", type(result), repr(result))


def slow_paths() -> Any:
    """The Interpolator with neither fast path: every template in Jinja, every text parsed."""
    return mock.patch.multiple(
        _jinja, _lookup_plan=lambda source: None, _never_literal=lambda text: False
    )


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(template=templates, scope=scopes)
def test_a_lookup_template_renders_as_in_the_sandbox(template: str, scope: dict[str, Any]) -> None:
    fast = outcome(lambda: Interpolator._render(template, scope))
    sandboxed = outcome(lambda: _jinja._sandboxed(template, scope))
    if "{{" in template or "{%" in template:  # a text without them is never rendered
        assert fast == sandboxed


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(template=templates, scope=scopes, valid=st.sampled_from([None, (str,), (str, list)]))
def test_eval_string_and_text_are_unchanged(
    template: str, scope: dict[str, Any], valid: tuple[type, ...] | None
) -> None:
    ai = Interpolator(scope.pop("config", {"base_url": "http://h"}), {"p": 1})
    calls = {
        "eval": lambda: ai.eval(template, None, valid, **scope),
        "eval default": lambda: ai.eval(template, "d/{{ config.base_url }}", valid, **scope),
        "string": lambda: ai.string(template, **scope),
        "text": lambda: ai.text(template, **scope),
    }
    fast = {name: outcome(call) for name, call in calls.items()}
    with slow_paths():
        slow = {name: outcome(call) for name, call in calls.items()}
    assert fast == slow


literal_like = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="TrueFalsNoset()rbuRBU'\" \t\n:/,-1.[]{}é", max_size=12),
    st.sampled_from(["True", "None, 1", "set()", "b'x'", "Rb'x'", "u'x'", "f'x'", " \t2", "\n1"]),
    st.sampled_from(["Nｏne", "Trueé", "rｂ'x'", "/p", "http://h:1/p", "#c\n1", "...", "-1+2j"]),
    st.sampled_from(["0", "00", "01", "10", "٣", "1_000", "True ", "false", "none"]),
    st.integers(min_value=0, max_value=10**25).map(str),
    st.text(alphabet="0123456789", min_size=1, max_size=20),
)


@settings(max_examples=1500, deadline=None)
@given(text=literal_like, valid=st.sampled_from([None, (str,), (int, float), (str, list)]))
def test_a_text_skipped_by_the_literal_check_is_never_a_literal(
    text: str, valid: tuple[type, ...] | None
) -> None:
    fast = outcome(lambda: _jinja._literal(text, valid))
    assert fast == outcome(lambda: _jinja._parsed_literal(text, valid))
    if text and _jinja._never_literal(text):
        assert outcome(lambda: ast.literal_eval(text))[0] == "error"


def test_the_fan_out_templates_take_the_fast_path() -> None:
    # bench/manifests/fanout.yaml's per-request templates, and the usual shapes of a manifest's
    scope = {
        "config": {"base_url": "http://127.0.0.1:1", "ids": ["a", "b"]},
        "stream_partition": Slice({"project_id": 7}),
        "response": {"next": "2", "meta": {"page": {"cursor": None}}},
    }
    expected = {
        "{{ config['base_url'] }}": "http://127.0.0.1:1",
        "/projects/{{ stream_partition.project_id }}/tasks": "/projects/7/tasks",
        "{{ response.next }}": "2",
        "{{ not response.next }}": "False",
        "{{ response.meta.page.cursor }}": "None",
        "{{ response['missing'] }}": "",
        "{{ not response.missing }}": "True",
        "{{ config.ids[1] }}": "b",
    }
    for template, text in expected.items():
        plan = _jinja._lookup_plan(template)
        assert plan is not None, template
        assert _jinja._render_lookups(plan, scope) == text, template
        assert _jinja._sandboxed(template, scope) == text, template
    # what the fast path leaves to the sandbox: a filter, a macro, an attribute of a dict
    assert _jinja._lookup_plan("{{ response.next | string }}") is None
    assert _jinja._render_lookups(_jinja._lookup_plan("{{ now_utc }}") or (), scope) is None
    assert _jinja._render_lookups(_jinja._lookup_plan("{{ response.items }}") or (), scope) is None
    assert _jinja._never_literal("http://127.0.0.1:1/projects")
    assert _jinja._never_literal("/projects/7/tasks")
