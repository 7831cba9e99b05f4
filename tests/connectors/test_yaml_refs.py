"""``!secret`` and ``!config`` in YAML: resolved through dlt's providers, clear when missing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import restsync
from restsync import connectors
from restsync.connectors import ConfigRef, SecretRef


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch) -> None:
    for name in ("API_KEY", "API_TOKEN", "START_DATE", "MY_TOKEN", "SOURCES__CRM__API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "api.yaml"
    path.write_text(text)
    return path


def test_a_missing_secret_says_how_to_set_it() -> None:
    with pytest.raises(restsync.ConfigError) as error:
        connectors.connector_config("webhook_service")
    assert error.value.path == "client.auth.token"
    assert error.value.message == (
        "secret 'api_key' is not set; export API_KEY=... or add it to .dlt/secrets.toml"
    )


def test_a_secret_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("API_KEY", "from-env")
    config = connectors.connector_config("webhook_service")
    assert config["client"]["auth"]["token"] == "from-env"
    monkeypatch.setenv("API_TOKEN", "iot-token")
    assert connectors.connector_config("iot_platform")["client"]["auth"]["api_key"] == "iot-token"


def test_lenient_puts_a_placeholder_where_the_secret_is_missing() -> None:
    config = connectors.connector_config("account_analytics", lenient=True)
    assert config["client"]["auth"]["api_key"] == "<secret:api_key>"


def test_the_start_date_defaults_and_the_environment_overrides_it(monkeypatch) -> None:
    def starts() -> set[datetime]:
        plan = restsync.plan_config(connectors.connector_config("device_management", lenient=True))
        return {r.incremental.initial_value for r in plan.resources.values() if r.incremental}

    assert starts() == {datetime(2024, 1, 1, tzinfo=UTC)}
    monkeypatch.setenv("START_DATE", "2024-06-01T00:00:00Z")
    assert starts() == {datetime(2024, 6, 1, tzinfo=UTC)}


def test_a_yaml_file_references_secrets_and_config_values(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "t0k")
    path = _write(
        tmp_path,
        "connector: {title: ignored}\n"
        "client:\n"
        "  base_url: https://api.example.com\n"
        "  auth: {type: bearer, token: !secret my_token}\n"
        "resources:\n"
        "  - name: things\n"
        "    incremental_sync:\n"
        "      cursor_field: updated\n"
        "      start_datetime: !config {name: since_date, default: '2024-02-01T00:00:00Z'}\n",
    )
    config = connectors.load_yaml_config(path)
    assert "connector" not in config
    assert config["client"]["auth"]["token"] == "t0k"
    assert config["resources"][0]["incremental_sync"]["start_datetime"] == "2024-02-01T00:00:00Z"


def test_a_dotted_name_reads_dlts_sectioned_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCES__CRM__API_KEY", "sectioned")
    path = _write(tmp_path, "token: !secret sources.crm.api_key\nother: !secret sources.crm.x\n")
    assert connectors.load_yaml_config(path, lenient=True) == {
        "token": "sectioned",
        "other": "<secret:sources.crm.x>",
    }
    with pytest.raises(restsync.ConfigError, match=r"export SOURCES__CRM__X=\.\.\."):
        connectors.load_yaml_config(path)


def test_a_required_config_value_that_is_missing(tmp_path) -> None:
    path = _write(tmp_path, "resources:\n  - start: !config start_date\n    n: !config page_n\n")
    with pytest.raises(restsync.ConfigError) as error:
        connectors.load_yaml_config(path)
    assert str(error.value) == (
        "resources[0].start: config value 'start_date' is not set; "
        "export START_DATE=... or add it to .dlt/config.toml"
    )
    # checking needs no values: a date stands in for a date, so the plan still validates
    assert connectors.load_yaml_config(path, lenient=True) == {
        "resources": [{"start": "2024-01-01T00:00:00Z", "n": "<config:page_n>"}]
    }


def test_json_configs_write_the_same_references(monkeypatch) -> None:
    monkeypatch.setenv("API_KEY", "k")
    raw = {"token": {"$secret": "api_key"}, "since": {"$config": "start_date", "default": "x"}}
    assert connectors.resolve_refs(raw) == {"token": "k", "since": "x"}


def test_the_tags_load_as_markers(tmp_path) -> None:
    from restsync.connectors._yaml import read_yaml

    path = _write(tmp_path, "a: !secret api_key\nb: !config start_date\nc: !config {name: n}\n")
    assert read_yaml(path) == {
        "a": SecretRef("api_key"),
        "b": ConfigRef("start_date"),
        "c": ConfigRef("n", None),
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: !secret\n", "(line 1): !secret needs the name to look up, e.g. '!secret api_key'"),
        ("a: !secret [x]\n", "(line 1): !secret needs the name to look up"),
        ("a: 1\nb: !config {default: x}\n", "(line 2): !config takes a name ('!config start"),
        ("a: !config {name: n, dflt: x}\n", "(line 1): !config takes a name"),
        ("a: !!python/object:os.system {}\n", "(line 1): could not determine a constructor"),
        ("a: [1, 2\n", "is not valid YAML (line 2)"),
    ],
)
def test_malformed_yaml_is_a_config_error_with_its_line(tmp_path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(restsync.ConfigError) as error:
        connectors.load_yaml_config(path)
    assert message in str(error.value)


def test_a_yaml_file_must_hold_a_mapping(tmp_path) -> None:
    path = _write(tmp_path, "- just\n- a list\n")
    with pytest.raises(restsync.ConfigError, match="must hold a mapping with 'client'"):
        connectors.load_yaml_config(path)
