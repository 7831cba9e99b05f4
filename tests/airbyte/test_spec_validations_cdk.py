"""The spec's ``config_normalization_rules.validations`` give airbyte-cdk's verdict: a
``DpathValidator`` with ``ValidateAdheresToSchema`` (google-search-console's two, a key and a
``*`` path into it) refuses the configs the CDK refuses, with one sentence naming the config key
and no value, and accepts those it accepts (a missing key is not checked); a
``PredicateValidator`` there fails on every config, in the CDK (7.39.1) as in restsync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from restsync import ConfigError
from restsync.airbyte import plan_manifest
from tests.airbyte.test_spec_check import spec_manifest
from tests.airbyte.test_spec_check_cdk import Cdk

SECRET = "s3cr3t-v4lue-9"
REPORT = {"type": "object", "required": ["name", "dimensions"]}
VALIDATIONS = [
    {
        "type": "DpathValidator",
        "field_path": ["custom_reports_array"],
        "validation_strategy": {
            "type": "ValidateAdheresToSchema",
            "base_schema": {
                "type": ["array"],
                "items": {
                    **REPORT,
                    "properties": {
                        "dimensions": {"type": "array", "items": {"type": "string"}},
                        "name": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
    },
    {
        "type": "DpathValidator",
        "field_path": ["custom_reports_array", "*", "dimensions"],
        "validation_strategy": {
            "type": "ValidateAdheresToSchema",
            "base_schema": {
                "type": ["array", "null"],
                "items": {"type": "string", "enum": ["country", "date", "page"]},
            },
        },
    },
]
SPEC = {
    "type": "Spec",
    "connection_specification": {
        "type": "object",
        "properties": {
            "api_key": {"type": "string", "airbyte_secret": True},
            "custom_reports_array": {"type": ["array", "string"]},
        },
    },
    "config_normalization_rules": {"type": "ConfigNormalizationRules", "validations": VALIDATIONS},
}
GOOD = [{"name": "by_page", "dimensions": ["page", "date"]}]
CONFIGS: dict[str, tuple[dict[str, Any], str | None]] = {
    "no reports": ({"api_key": SECRET}, None),
    "reports": ({"api_key": SECRET, "custom_reports_array": GOOD}, None),
    "reports as JSON text": ({"custom_reports_array": json.dumps(GOOD)}, None),
    "no dimensions": (
        {"custom_reports_array": [{"name": "x"}]},
        "config.custom_reports_array[0]",
    ),
    "an unknown dimension": (
        {"custom_reports_array": [{"name": "x", "dimensions": ["date", SECRET]}]},
        "config.custom_reports_array[0].dimensions[1]",
    ),
    "text that is no JSON": ({"custom_reports_array": SECRET}, "config.custom_reports_array"),
    "an empty name": (
        {"custom_reports_array": [{"name": "", "dimensions": []}]},
        "config.custom_reports_array[0].name",
    ),
}
PREDICATE = {
    **SPEC,
    "config_normalization_rules": {
        "type": "ConfigNormalizationRules",
        "validations": [
            {
                "type": "PredicateValidator",
                "value": "{{ config['api_key'] }}",
                "validation_strategy": {"type": "ValidateAdheresToSchema", "base_schema": {}},
            }
        ],
    },
}


@pytest.fixture(scope="module")
def judges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("validations")
    made: dict[str, Any] = {}
    try:
        for name, spec in (("dpath", SPEC), ("predicate", PREDICATE)):
            manifest = spec_manifest(spec)
            path = folder / f"{name}.yaml"
            path.write_text(yaml.safe_dump(manifest, sort_keys=False))
            made[name] = (manifest, Cdk(path))
        yield made
    finally:
        for _, cdk in made.values():
            cdk.close()


def _restsync(manifest: dict[str, Any], config: dict[str, Any]) -> ConfigError | None:
    try:
        plan_manifest(manifest, config)
    except ConfigError as exc:
        return exc
    return None


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_dpath_validations_as_airbyte_cdk(judges: dict[str, Any], case: str) -> None:
    manifest, cdk = judges["dpath"]
    config, where = CONFIGS[case]
    refusal = _restsync(manifest, config)
    assert cdk.accepts(config) is (refusal is None)
    assert (refusal is None) is (where is None)
    if refusal is not None:
        assert refusal.path == where
        assert SECRET not in str(refusal)
        assert "\n" not in str(refusal)


def test_a_predicate_validator_fails_on_any_config_as_in_airbyte_cdk(
    judges: dict[str, Any],
) -> None:
    manifest, cdk = judges["predicate"]
    config = {"api_key": SECRET}
    refusal = _restsync(manifest, config)
    assert not cdk.accepts(config)
    assert refusal is not None
    assert refusal.path == "spec.config_normalization_rules.validations[0]"
    assert SECRET not in str(refusal)
