"""A connector config is checked against the manifest's ``spec.connection_specification`` as
airbyte-cdk checks it before it reads: a config the CDK refuses is refused by ``check``,
``plan``, ``run`` and ``airbyte_source`` with one sentence naming the config path and the fix,
never a traceback, never a secret's value. Before, restsync read such configs (and the CDK read
nothing). test_spec_check_cdk.py runs the same configs through the CDK's own check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync import ConfigError
from restsync.airbyte import plan_manifest
from tests.airbyte import manifests as build
from tests.airbyte.spec_samples import GONG, HELLOBATON, JOTFORM, QONTO, STATUSPAGE
from tests.conftest import run_restsync

SECRET = "sk-live-7f3a9c2e"


def spec_manifest(spec: dict[str, Any]) -> dict[str, Any]:
    """One stream that reads no config value, under ``spec``: only the spec can refuse."""
    stream = build.stream("items", build.requester("https://api.example.com", "/items"), [])
    return build.manifest(
        stream, spec=spec, check={"type": "CheckStream", "stream_names": ["items"]}
    )


QONTO_OK = {
    "endpoint": "Production",
    "api_key": "my-org:3564f",
    "iban": "FR7630001007941234567890185",
}
JOTFORM_OK = {
    "api_key": SECRET,
    "api_endpoint": {"api_endpoint": "basic", "url_prefix": "EU"},
    "start_date": "2024-01-01T00:00:00Z",
    "end_date": "2024-02-01T00:00:00Z",
}

REFUSED = [
    # (spec, config, the whole message)
    (
        QONTO,
        {**QONTO_OK, "iban": "fr76"},
        "config.iban: 'fr76' does not match '^[A-Z0-9]*$'; give a value that does",
    ),
    (
        QONTO,
        {**QONTO_OK, "start_date": "2024/01/31"},
        "config.start_date: '2024/01/31' does not match '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'; give a "
        "value that does, like 'YYYY-MM-DD'",
    ),
    (
        QONTO,
        {**QONTO_OK, "endpoint": "Prod"},
        "config.endpoint: 'Prod' is not one of the spec's values; give one of 'Production', "
        "'Test Mocked API Server'",
    ),
    (
        QONTO,
        {k: v for k, v in QONTO_OK.items() if k != "api_key"},
        "config.api_key: missing; give it (API key): the spec requires it",
    ),
    (
        QONTO,
        {**QONTO_OK, "iban": 7630001},
        "config.iban: 7630001 is a number, the spec wants string; give a value of that type",
    ),
    # a secret's value is never shown, even where it is the value refused
    (
        QONTO,
        {**QONTO_OK, "api_key": SECRET},
        "config.api_key: the value does not match '^[\\\\w-]+:[\\\\w]+$'; give a value that does",
    ),
    (
        JOTFORM,
        {**JOTFORM_OK, "api_endpoint": {"api_endpoint": "basic"}},
        "config.api_endpoint: matches none of the spec's options (Basic: url_prefix missing; "
        "Enterprise: enterprise_url missing); give the fields of one of them",
    ),
    (
        JOTFORM,
        {**JOTFORM_OK, "end_date": "2024-02-01"},
        "config.end_date: '2024-02-01' does not match "
        "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'; give a value that does",
    ),
    (
        GONG,
        {"credentials": {"auth_type": "APIKey", "access_key": SECRET}},
        "config.credentials: matches none of the spec's options (Authenticate via Gong (OAuth): "
        "client_id missing; Authenticate with API Key: access_key_secret missing); give the "
        "fields of one of them",
    ),
    (
        STATUSPAGE,
        {"api_key": 12345},
        "config.api_key: the value is a number, the spec wants string; give a value of that type",
    ),
    (
        STATUSPAGE,
        {"api_key": "k", "_limit": "ten"},
        "config._limit: airbyte-cdk's test setting is not a whole number; give one or leave it out",
    ),
    (
        HELLOBATON,
        {"api_key": SECRET, "company": "google"},
        "spec.connection_specification.required: the manifest's spec is not a valid JSON schema "
        "(Draft7Validator): ['api_key', 'api_key', 'company'] has non-unique elements; fix the "
        "manifest (airbyte-cdk refuses it too)",
    ),
]


@pytest.mark.parametrize(("spec", "config", "message"), REFUSED)
def test_a_config_the_spec_refuses_is_refused_with_one_sentence(
    spec: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        plan_manifest(spec_manifest(spec), config)
    assert str(refused.value) == message
    assert SECRET not in str(refused.value)


ACCEPTED = [
    (QONTO, QONTO_OK),
    # formats are notes, not checks (airbyte-cdk passes no format checker)
    (QONTO, {**QONTO_OK, "start_date": "2024-13-45"}),
    (JOTFORM, JOTFORM_OK),
    # keys the spec does not name are allowed unless it says otherwise
    (JOTFORM, {**JOTFORM_OK, "extra": {"anything": [1, 2]}}),
    # the old shape, moved into credentials by the spec's config migration before the check
    (GONG, {"access_key": "a", "access_key_secret": SECRET}),
    # airbyte-cdk's own test keys are not checked
    (STATUSPAGE, {"api_key": "k", "_limit": 5, "_page_size": " 10 "}),
]


@pytest.mark.parametrize(("spec", "config"), ACCEPTED)
def test_a_config_the_spec_accepts_plans(spec: dict[str, Any], config: dict[str, Any]) -> None:
    assert list(plan_manifest(spec_manifest(spec), config).resources) == ["items"]


def _spec(schema: Any) -> dict[str, Any]:
    return {"type": "Spec", "connection_specification": schema}


BROKEN = [
    # specs jsonschema cannot use: airbyte-cdk fails on each (an exception, nothing read)
    (
        _spec({"type": "object", "$schema": 5}),
        {"a": 1},
        "spec.connection_specification: jsonschema cannot check the config against this spec "
        "(AttributeError); fix the manifest's spec (airbyte-cdk fails on it too)",
    ),
    (
        _spec({"type": "object", "properties": {"a": {"$dynamicRef": "#nowhere"}}}),
        {"a": 1},
        "spec.connection_specification: the spec's reference '' cannot be resolved; fix the "
        "manifest (airbyte-cdk fails on it too)",
    ),
    (
        _spec(False),
        {},
        "spec.connection_specification: the spec accepts no config at all; fix the manifest",
    ),
    # an older draft, as its $schema names it: draft 3's required flag on the field
    (
        _spec(
            {
                "$schema": "http://json-schema.org/draft-03/schema#",
                "type": "object",
                "properties": {"a": {"type": "string", "required": True}},
            }
        ),
        {},
        "config.a: missing; give it: the spec requires it",
    ),
]


@pytest.mark.parametrize(("spec", "config", "message"), BROKEN)
def test_a_spec_jsonschema_cannot_use_is_named_not_a_traceback(
    spec: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        plan_manifest(spec_manifest(spec), config)
    assert str(refused.value) == message


def test_a_manifest_without_a_spec_is_not_checked() -> None:
    # airbyte-cdk would look for spec.yaml in its package and refuse; restsync reads it
    stream = build.stream("items", build.requester("https://api.example.com", "/items"), [])
    assert list(plan_manifest(build.manifest(stream), {"anything": 1}).resources) == ["items"]


def test_airbyte_source_refuses_it_too() -> None:
    with pytest.raises(ConfigError, match=r"^config\.iban: 'fr76' does not match"):
        restsync.airbyte_source(spec_manifest(QONTO), {**QONTO_OK, "iban": "fr76"})


@pytest.mark.parametrize("command", ["check", "plan", "run"])
def test_the_cli_refuses_it_in_one_line_without_the_secret(command: str, tmp_path: Path) -> None:
    manifest, config = tmp_path / "qonto.yaml", tmp_path / "config.json"
    manifest.write_text(json.dumps(spec_manifest(QONTO)))
    config.write_text(json.dumps({**QONTO_OK, "api_key": SECRET}))
    extra = ["--duckdb-path", tmp_path / "out.duckdb"] if command == "run" else []
    done = run_restsync(command, manifest, "--config", config, *extra, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "config.api_key: the value does not match" in output
    assert "Traceback" not in output
    assert SECRET not in output
