"""What a manifest's template builds itself (``[] + x``, ``x | list``, ``x[1:]``, ``dict(x)``,
``namespace(...)``) it may change, as airbyte-cdk's mutable sandbox lets it; what it is given
(the config, a response, a stream slice) stays immutable, also when it sits inside such a new
value, and the stop_condition sandbox owns nothing at all."""

from __future__ import annotations

import copy

import pytest

from restsync._expressions import ConditionError, Limits, compile_condition
from restsync.airbyte._jinja import Interpolator, Slice, TemplateError

CONFIG = {"ids": ["a", "b"], "reports": [{"name": "orders"}], "m": {"k": 1}, "key": "k"}
RESPONSE = {"data": [{"id": 1}, {"id": 2}], "meta": {"next": "p2"}}


@pytest.mark.parametrize(
    "template",
    [
        # the new container is the template's; the dicts in it are still the config's
        "{% set l = [] + config['reports'] %}{% set _ = l[0].update({'x': 1}) %}",
        "{% set l = config['reports'] + [] %}{% set _ = l[0].update({'x': 1}) %}",
        "{% set l = config['reports'] | list %}{% set _ = l[0].update({'x': 1}) %}",
        "{% set l = config['reports'] | sort(attribute='name') %}{% set _ = l[0].update({}) %}",
        "{% set l = config['reports'][0:] %}{% set _ = l[0].update({'x': 1}) %}",
        "{% set d = dict(config) %}{% set _ = d['ids'].append('c') %}",
        "{% set d = dict(config) %}{% set _ = d['m'].update({'k': 2}) %}",
        "{% set ns = namespace(config) %}{% set _ = ns.ids.append('c') %}",
        "{% set ns = namespace(ids=config['ids']) %}{% set _ = ns.ids.append('c') %}",
        # the constructors themselves are no way around: their methods on a given value
        "{% set _ = dict.update(config, {'key': 'other'}) %}",
        "{% set _ = dict.setdefault(config, 'new', 1) %}",
        "{{ dict.fromkeys(config['ids']) }}",
        # only append and update, on a new value too
        "{% set l = [] + config['ids'] %}{% set _ = l.extend(l) %}",
        "{% set l = config['ids'] | list %}{% set _ = l.pop() %}",
        "{% set d = dict(config) %}{% set _ = d.clear() %}",
    ],
)
def test_the_config_stays_immutable_inside_what_a_template_builds(template: str) -> None:
    config = copy.deepcopy(CONFIG)
    with pytest.raises(TemplateError, match="unsafe|not allowed"):
        Interpolator(config).eval(template)
    assert config == CONFIG


@pytest.mark.parametrize(
    "template",
    [
        "{% set l = [] + response['data'] %}{% set _ = l[0].update({'id': 9}) %}",
        "{% set l = response['data'][1:] %}{% set _ = l[0].update({'id': 9}) %}",
        "{% set d = dict(response['meta']) %}{% set _ = d.update({'next': None}) %}{{ d }}"
        "{% set _ = response['meta'].update({'next': None}) %}",
        "{% set _ = stream_slice.update({'id': 9}) %}",
        "{% set d = dict(stream_slice) %}{% set _ = d['parent'].update({'id': 9}) %}",
    ],
)
def test_a_response_and_a_slice_stay_immutable(template: str) -> None:
    response = copy.deepcopy(RESPONSE)
    stream_slice = Slice({"id": 1, "parent": {"id": 0}})
    with pytest.raises(TemplateError, match="unsafe|not allowed"):
        Interpolator(CONFIG).eval(template, response=response, stream_slice=stream_slice)
    assert response == RESPONSE
    assert stream_slice == {"id": 1, "parent": {"id": 0}}


def test_a_new_container_changes_while_what_it_holds_does_not() -> None:
    config = copy.deepcopy(CONFIG)
    template = (
        "{% set l = [] + config['reports'] %}{% set _ = l.append({'name': 'refunds'}) %}"
        "{% set d = dict(config['m']) %}{% set _ = d.update({'z': 2}) %}"
        "{{ l | map(attribute='name') | join(',') }}/{{ d['k'] }}{{ d['z'] }}"
    )
    assert Interpolator(config).eval(template) == "orders,refunds/12"
    assert config == CONFIG


def test_appending_to_a_new_list_without_end_runs_out_of_its_budget() -> None:
    endless = (
        "{% set l = [] + config['ids'] %}{% for x in l %}{% set _ = l.append(x) %}{% endfor %}"
    )
    with pytest.raises(TemplateError, match="SandboxError: it (took|used) more than"):
        Interpolator(CONFIG).eval(endless)


@pytest.mark.parametrize(
    "expression",
    ["([] + response['ids']).append(3)", "(response['ids'] | list).append(3)"],
)
def test_a_stop_condition_owns_nothing(expression: str) -> None:
    body = {"ids": [1, 2]}
    with pytest.raises(ConditionError):
        compile_condition(expression, Limits())(body, {}, [])
    assert body == {"ids": [1, 2]}
