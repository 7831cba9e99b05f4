"""The connector specs follow their documents; the generated docs are current."""

from __future__ import annotations

from pathlib import Path

import pytest

import restsync
from restsync import connectors
from restsync.connectors._docs import write_docs

DOCS = Path(__file__).parents[2] / "docs" / "connectors"

TABLES = {
    "iot_platform": [
        "devices",
        "events",
        "dashboards",
        "variables",
        "device_groups",
        "device_types",
    ],
    "webhook_service": [
        "applications",
        "event_types",
        "tokens",
        "endpoints",
        "integrations",
        "ingest_source",
        "ingest_source_endpoint",
        "webhook_endpoint",
    ],
    "device_management": [
        "organizations",
        "policies",
        "activities",
        "automation_scripts",
        "groups",
        "locations",
        "roles",
        "software_products",
    ],
    "account_analytics": [
        "accounts",
        "accounts_feeds",
        "users",
        "smartcode",
        "campaigns",
        "custom_widgets",
        "thresholds",
        "integrations",
        "labels",
    ],
    "video_rooms": [
        "sessions",
        "rooms",
        "active_room_peers",
        "templates",
        "template_settings",
        "templates_destinations",
        "analytics_events",
        "recordings",
    ],
}

# keys other than "id", as each document's own schema gives them
OTHER_KEYS = {
    ("webhook_service", "event_types"): "uuid",
    ("account_analytics", "smartcode"): "uid",
    ("account_analytics", "thresholds"): "uid",
    ("account_analytics", "integrations"): "uid",
    ("video_rooms", "active_room_peers"): "uuid",
    ("video_rooms", "template_settings"): "uuid",
    ("video_rooms", "templates_destinations"): "uuid",
}


def test_the_five_connectors_are_bundled() -> None:
    assert connectors.names() == sorted(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_keys_and_required_fields_follow_the_document(name: str) -> None:
    plan = restsync.plan_config(connectors.connector_config(name, lenient=True), name=name)
    assert [r.table_name for r in plan.resources.values()] == TABLES[name]
    for resource in plan.resources.values():
        expected = OTHER_KEYS.get((name, resource.name), "id")
        assert resource.primary_key == (expected,), resource.name
        columns = resource.hints["columns"]
        assert columns[expected]["nullable"] is False


def test_webhook_service_required_fields_are_not_null() -> None:
    fields = connectors.connector_fields("webhook_service")
    required = {
        r: sorted(c for c, h in cols.items() if h.get("nullable") is False)
        for r, cols in fields.items()
    }
    assert required["applications"] == ["id", "updatedAt"]
    assert required["event_types"] == ["updatedAt", "uuid"]
    assert required["tokens"] == ["createdAt", "id"]


def test_an_unknown_connector_lists_the_available_ones() -> None:
    with pytest.raises(restsync.ConfigError) as error:
        connectors.load_spec("nope")
    assert error.value.message == (
        "unknown connector 'nope'; available: account_analytics, device_management, "
        "iot_platform, video_rooms, webhook_service"
    )


def test_a_missing_secret_says_how_to_set_it(monkeypatch) -> None:
    monkeypatch.delenv("API_KEY", raising=False)
    with pytest.raises(restsync.ConfigError) as error:
        connectors.connector_config("webhook_service")
    assert str(error.value) == (
        "client.auth.token: secret 'api_key' is not set; export API_KEY=... "
        'or add api_key = "..." to .dlt/secrets.toml'
    )


def test_secrets_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("API_KEY", "from-env")
    config = connectors.connector_config("webhook_service")
    assert config["client"]["auth"]["token"] == "from-env"


def test_yaml_files_reference_secrets_and_config_values(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "t0k")
    path = tmp_path / "api.yaml"
    path.write_text(
        "client:\n"
        "  base_url: https://api.example.com\n"
        "  auth: {type: bearer, token: !secret my_token}\n"
        "resources:\n"
        "  - name: things\n"
        "    incremental_sync:\n"
        "      cursor_field: updated\n"
        "      start_datetime: !config {name: since_date, default: '2024-02-01T00:00:00Z'}\n"
    )
    config = connectors.load_yaml_config(path)
    assert config["client"]["auth"]["token"] == "t0k"
    assert config["resources"][0]["incremental_sync"]["start_datetime"] == "2024-02-01T00:00:00Z"


def test_generated_docs_are_up_to_date(tmp_path) -> None:
    for path in write_docs(tmp_path):
        checked_in = DOCS / path.name
        assert checked_in.exists(), f"run `make docs`: {checked_in} is missing"
        assert checked_in.read_text() == path.read_text(), f"run `make docs`: {path.name} is stale"
