"""Manifest templates run in the same bounded sandbox as stop conditions, with Airbyte's macros."""

from __future__ import annotations

import pytest

from restsync.airbyte._jinja import Interpolator, TemplateError

CONFIG = {"start": "2024-01-01", "key": "k", "ids": ["a", "b"]}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ format_datetime(config['start'], '%Y/%m/%d') }}", "2024/01/01"),
        ("{{ (str_to_datetime(config['start']) + duration('P1D')).strftime('%d') }}", "02"),
        ("{{ max(1, 5) }}", 5),
        ("{{ config['key'] | base64encode }}", "aw=="),
        ("{{ ','.join(config['ids']) }}", "a,b"),
        # marketo: "{{ format_datetime(record['createdAt'].replace('Z', ''), ...) }}"
        ("{{ '2024-01-01T00:00:00Z'.replace('Z', '') }}", "2024-01-01T00:00:00"),
        # as Jinja's own urlencode quotes a text (what Airbyte renders with)
        ("{{ 'a b&c/d=\u00e9' | urlencode }}", "a%20b%26c/d%3D%C3%A9"),
    ],
)
def test_macros_and_filters_are_callable(template: str, expected: object) -> None:
    assert Interpolator(CONFIG).eval(template) == expected


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        ("{{ 9 ** (9 ** 9) }}", "is too large"),
        ("{{ 'a' * (10 ** 9) }}", "is too large"),
        # str.format runs in Jinja's sandboxed formatter (airbyte-cdk allows it), bounded
        ("{{ config['start'].format_map(config) }}", "calling format_map is not allowed"),
        ("{{ '{:>100000000}'.format(1) }}", "widths up to 1000"),
        # chained joins would double the text each time: refused before it is built
        ("{% set s = 'x' * 900000 %}{{ 'ab'.join(s) }}", "too large"),
        # so would replacing the empty text (between every character) in a large one
        ("{% set s = 'x' * 900000 %}{{ s.replace('', 'ab') }}", "too large"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ],
)
def test_what_the_sandbox_refuses_stays_refused(template: str, refusal: str) -> None:
    with pytest.raises(TemplateError, match=refusal):
        Interpolator(CONFIG).eval(template)


def test_globals_are_only_the_macros() -> None:
    # Jinja's default globals (cycler, joiner, lipsum, range, dict) are not in scope
    assert Interpolator(CONFIG).eval("{{ cycler }}{{ lipsum }}{{ range }}") is None
