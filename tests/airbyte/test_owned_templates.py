"""A template may change the lists and dicts it built itself (gitlab's ``ids.append(...)``,
google-sheets' header counts) and a config migration's own copy of the config
(amazon-seller-partner's ``option.update({...})``), as airbyte-cdk's mutable sandbox lets it;
never a value it was given (the config, a response), which stays as the user wrote it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from restsync.airbyte import plan_manifest
from restsync.airbyte._jinja import Interpolator, TemplateError
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer

CONFIG = {"ids": ["a", "b"], "reports": [{"stream_name": "orders"}], "key": "k"}

# gitlab's shape: a list built in the template, filled in a loop
COLLECT = (
    "{% set ids = [] %}{% for r in config['reports'] %}"
    "{% set _ = ids.append(r['stream_name']) %}{% endfor %}{{ ','.join(ids) }}"
)
# google-sheets' shape: a dict of counts, updated in a loop, returned by ``or``
COUNT = (
    "{% set seen = {} %}{% for i in config['ids'] + ['a'] %}"
    "{% set seen = seen.update({i: seen.get(i, 0) + 1}) or seen %}{% endfor %}{{ seen['a'] }}"
)


@pytest.mark.parametrize(("template", "expected"), [(COLLECT, "orders"), (COUNT, 2)])
def test_a_template_changes_what_it_built(template: str, expected: Any) -> None:
    config = copy.deepcopy(CONFIG)
    assert Interpolator(config).eval(template) == expected
    assert config == CONFIG


@pytest.mark.parametrize(
    "template",
    [
        "{% set _ = config['ids'].append('c') %}{{ config['ids'] }}",
        "{% set _ = config['reports'][0].update({'x': 1}) %}{{ config }}",
        "{% set _ = config.update({'key': 'other'}) %}{{ config }}",
        # a list the template built holds the config's own dict: that dict stays immutable
        "{% set mine = [config['reports'][0]] %}{% set _ = mine[0].update({'x': 1}) %}",
        # only append and update: no method that grows a value by more than one item a step
        "{% set mine = [1] %}{% set _ = mine.extend(mine) %}{{ mine }}",
        "{% set mine = {} %}{% set _ = mine.clear() %}",
    ],
)
def test_a_template_never_changes_what_it_was_given(template: str) -> None:
    config = copy.deepcopy(CONFIG)
    with pytest.raises(TemplateError, match="unsafe|not allowed"):
        Interpolator(config).eval(template)
    assert config == CONFIG


def test_a_template_that_appends_without_end_runs_out_of_its_budget() -> None:
    endless = "{% set l = [1] %}{% for x in l %}{% set _ = l.append(x) %}{% endfor %}"
    # the step budget or the CPU deadline, whichever comes first: both end it
    with pytest.raises(TemplateError, match="SandboxError: it (took|used) more than"):
        Interpolator(CONFIG).eval(endless)


# amazon-seller-partner's third migration, as its manifest writes it
MIGRATION = {
    "type": "ConfigNormalizationRules",
    "config_migrations": [
        {
            "type": "ConfigMigration",
            "transformations": [
                {
                    "type": "ConfigAddFields",
                    "condition": "{{ config.get('reports', False) }}",
                    "fields": [
                        {
                            "type": "AddedFieldDefinition",
                            "path": ["reports"],
                            "value": (
                                "{%- set original = config.get('reports', []) -%}"
                                "{%- set out = [] -%}{%- for option in original -%}"
                                "{%- set name = option.get('report_name', "
                                "option.get('stream_name')) -%}"
                                "{%- set _ = option.update({'report_name': name}) -%}"
                                "{%- set _ = out.append(option) -%}"
                                "{%- endfor -%}{{- out -}}"
                            ),
                        }
                    ],
                }
            ],
        }
    ],
}


def _migrating_manifest(base_url: str) -> dict[str, Any]:
    requester = build.requester(base_url, "/orders")
    requester["request_parameters"] = {
        "names": "{{ config['reports'] | map(attribute='report_name') | join(',') }}",
        "streams": COLLECT,
    }
    orders = build.stream("orders", requester, ["data"])
    spec = {
        "type": "Spec",
        "connection_specification": {"type": "object", "properties": {}},
        "config_normalization_rules": MIGRATION,
    }
    check = {"type": "CheckStream", "stream_names": ["orders"]}
    return build.manifest(orders, check=check, spec=spec)


def test_a_config_migration_changes_its_own_copy_as_in_airbyte_cdk(
    server: RoutedServer, tmp_path: Path
) -> None:
    @server.get("/orders")
    async def orders(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1, **request.query}]})

    server.start()
    manifest = tmp_path / "migrating.yaml"
    manifest.write_text(json.dumps(_migrating_manifest(server.base_url)))
    config = {
        "reports": [{"stream_name": "orders"}, {"stream_name": "refunds", "report_name": "r"}]
    }
    given = copy.deepcopy(config)
    expected, errors = reference_records(manifest, config)
    assert errors == []
    got = restsync_records(manifest, config)
    assert canonical(got["orders"]) == canonical(expected["orders"])
    assert got["orders"] == [{"id": 1, "names": "orders,r", "streams": "orders,refunds"}]
    assert config == given  # the user's config is never changed in place
    plan_manifest(manifest, config)
    assert config == given
