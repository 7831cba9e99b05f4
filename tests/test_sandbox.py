"""stop_condition expressions run in a bounded sandbox: unsafe access and runaway arithmetic are
refused when the config is checked; at run time every evaluation has a step budget and a deadline.

These tests prove the sandbox promises listed in docs/security.md.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from restsync._expressions import ConditionError, Limits, compile_condition

BODY = {"n": 7, "next": None, "done": True, "_links": {"next": None}, "ids": [1, 2], "big": 2**6000}
RECORDS = [{"id": 1, "done": True}, {"id": 2, "done": False}]


def evaluate(source: str, **limits: Any) -> bool:
    return compile_condition(source, Limits(**limits))(BODY, {"X-More": "no"}, RECORDS)


# --- refused before anything runs -------------------------------------------------------------

REFUSED_AT_COMPILE = [
    ("9**(9**9)", "9 ** 387420489 is too large"),
    ("'a'*(10**9)", "1 items repeated 1,000,000,000 times is too large"),
    ("[1]*(10**7)", "1 items repeated 10,000,000 times is too large"),
    ("'%0999999999d' % 1", "string formatting with % is not available"),
    ("response.__class__", "'__class__' is internal and cannot be read"),
    ("response.__class__.__mro__", "is internal and cannot be read"),
    ("response.x.__globals__", "'__globals__' is internal and cannot be read"),
    ("response['__class__']", "'__class__' is internal and cannot be read"),
    ("response|attr('__class__')", "'__class__' is internal and cannot be read"),
    ("records|map(attribute='__class__')|list", "'__class__' is internal and cannot be read"),
    ("response.__init__.__globals__", "is internal and cannot be read"),
    ("response.keys.__self__", "'__self__' is internal and cannot be read"),
    ("lipsum(n=100000)", "it calls lipsum(); only these methods can be called"),
    ("range(10**9)|length > 0", "it calls range(); only these methods can be called"),
    ("cycler(1, 2)", "it calls cycler(); only these methods can be called"),
    ("joiner()", "it calls joiner(); only these methods can be called"),
    ("dict(a=1)", "it calls dict(); only these methods can be called"),
    ("response.mro()", "it calls mro(); only these methods can be called"),
    ("'{:>999999999}'.format(1)", "it calls format(); only these methods can be called"),
    ("records.append(1)", "it calls append(); only these methods can be called"),
]


@pytest.mark.parametrize("source, reason", REFUSED_AT_COMPILE)
def test_refused_when_compiled(source: str, reason: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(source)
    assert reason in str(caught.value)


def test_filters_that_can_blow_up_are_not_there() -> None:
    for source in ("'a'|center(10**9)", "'a'|indent(10**9)", "'x'|replace('x', 'xx')"):
        with pytest.raises(ConditionError, match="No filter named"):
            compile_condition(source)


def test_restsync_check_reports_an_unsafe_expression_as_a_config_error() -> None:
    import restsync

    config = {
        "client": {"base_url": "https://api.example.com"},
        "resources": [
            {
                "name": "items",
                "endpoint": {
                    "path": "/items",
                    "paginator": {"type": "cursor", "stop_condition": "response.__class__"},
                },
            }
        ],
    }
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(config)
    assert caught.value.path == "resources[0].endpoint.paginator.stop_condition"
    assert "'__class__' is internal and cannot be read" in caught.value.message


# --- bounded at run time ----------------------------------------------------------------------

REFUSED_AT_RUN_TIME = [
    ("response.n ** (9**9) > 0", "7 ** 387420489 is too large"),
    ("(response.n ~ 'a') * (10**6) == ''", "2 items repeated 1,000,000 times is too large"),
    ("response.ids * (10**6) == []", "2 items repeated 1,000,000 times is too large"),
    ("response.big * response.big > 0", "the product is too large"),
    ("(response.next ~ '%s') % 1", "string formatting with % is not available"),
    ("response.n ** 'a'", "** takes two numbers"),
]


@pytest.mark.parametrize("source, reason", REFUSED_AT_RUN_TIME)
def test_bounded_when_evaluated(source: str, reason: str) -> None:
    with pytest.raises(ConditionError) as caught:
        evaluate(source)
    assert reason in str(caught.value)
    assert str(caught.value).startswith(f"stop_condition '{source}' failed")


def test_each_evaluation_has_a_step_budget() -> None:
    source = "records|map(attribute='id')|list|length > 0"
    assert evaluate(source, max_steps=100)
    with pytest.raises(ConditionError, match="it took more than 1 steps"):
        evaluate(source, max_steps=1)


def test_each_evaluation_has_a_deadline() -> None:
    ticks = itertools.count()  # a clock that moves one second on every reading

    def clock() -> float:
        return float(next(ticks))

    with pytest.raises(ConditionError, match="it used more than 3 s of CPU"):
        evaluate("response.a.b.c.d.e.f is none", max_seconds=3, clock=clock)


def test_the_budget_is_per_evaluation() -> None:
    condition = compile_condition("response.done", Limits(max_steps=5))
    for _ in range(50):  # steps do not accumulate across pages
        assert condition(BODY, {}, RECORDS)


# --- what stop conditions need still works -----------------------------------------------------

ALLOWED = [
    ("done", True),
    ("response.next is none", True),
    ("response.get('next') is None", True),
    ("{{ response.n > 5 }}", True),
    ("response._links.next is none", True),
    ("records|length == 0", False),
    ("records|selectattr('done')|list|length == 1", True),
    ("records|map(attribute='id')|max == 2", True),
    ("headers['X-More'] == 'no'", True),
    ("headers.get('X-More', '').lower() == 'no'", True),
    ("response.n ** 2 == 49", True),
    ("'ab' * 3 == 'ababab'", True),
    ("not response.missing", True),
    ("response.ids|sum == 3", True),
    ("response.n ~ '' == '7'", True),
]


@pytest.mark.parametrize("source, expected", ALLOWED)
def test_ordinary_conditions_work(source: str, expected: bool) -> None:
    assert evaluate(source) is expected
