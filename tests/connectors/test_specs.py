"""Each bundled connector says what its document says: tables, endpoints, keys, paging, schema."""

from __future__ import annotations

import pytest

import restsync
from restsync import connectors
from restsync._config import parse_config
from restsync._plan import SourcePlan, build_plan
from restsync.connectors._yaml import ConfigRef, SecretRef, find_refs

# Every resource of every document, in the document's order: (table, endpoint path, primary key).
RESOURCES = {
    "iot_platform": [
        ("devices", "/v1/devices", "id"),
        ("events", "/v1/events", "id"),
        ("dashboards", "/v1/dashboards", "id"),
        ("variables", "/v1/variables", "id"),
        ("device_groups", "/v1/device_groups", "id"),
        ("device_types", "/v1/device_types", "id"),
    ],
    "webhook_service": [
        ("applications", "/v1/app", "id"),
        ("event_types", "/v1/event-type", "uuid"),
        ("tokens", "/v1/management/authentication/api-token", "id"),
        ("endpoints", "/v1/app/{app_id}/endpoint", "id"),
        ("integrations", "/v1/app/{app_id}/integration", "id"),
        ("ingest_source", "/ingest/api/v1/source", "id"),
        ("ingest_source_endpoint", "/ingest/api/v1/source/{src_id}/endpoint", "id"),
        ("webhook_endpoint", "/v1/operational-webhook/endpoint", "id"),
    ],
    "device_management": [
        ("organizations", "/v2/organizations", "id"),
        ("policies", "/v2/policies", "id"),
        ("activities", "/v2/activities", "id"),
        ("automation_scripts", "/v2/automation/scripts", "id"),
        ("groups", "/v2/groups", "id"),
        ("locations", "/v2/locations", "id"),
        ("roles", "/v2/roles", "id"),
        ("software_products", "/v2/software-products", "id"),
    ],
    "account_analytics": [
        ("accounts", "/v1/accounts", "id"),
        ("accounts_feeds", "/v1/accounts/current/feeds", "id"),
        ("users", "/v1/accounts/current/users", "id"),
        ("smartcode", "/v1/accounts/current/smartcode", "uid"),
        ("campaigns", "/v1/accounts/current/campaigns", "id"),
        ("custom_widgets", "/v1/accounts/current/changesets", "id"),
        ("thresholds", "/v1/accounts/current/thresholds", "uid"),
        ("integrations", "/v1/accounts/current/integrations", "uid"),
        ("labels", "/v1/accounts/current/labels", "id"),
    ],
    "video_rooms": [
        ("sessions", "/v2/sessions", "id"),
        ("rooms", "/v2/rooms", "id"),
        ("active_room_peers", "/v2/active-rooms/{room_id}/peers", "uuid"),
        ("templates", "/v2/templates", "id"),
        ("template_settings", "/v2/templates/{temp_id}/settings", "uuid"),
        ("templates_destinations", "/v2/templates/{temp_id}/destinations", "uuid"),
        ("analytics_events", "/v2/analytics/events", "id"),
        ("recordings", "/v2/recordings", "id"),
    ],
}
KEYS = [(c, table, key) for c, rows in RESOURCES.items() for table, _, key in rows]

# The webhook service's document is the only one with **Required** lists.
REQUIRED = {
    ("webhook_service", "applications"): {"id", "updatedAt"},
    ("webhook_service", "event_types"): {"uuid", "updatedAt"},
    ("webhook_service", "tokens"): {"id", "createdAt"},
    ("webhook_service", "endpoints"): {"id", "updatedAt"},
    ("webhook_service", "integrations"): {"id", "updatedAt"},
    ("webhook_service", "ingest_source"): {"id", "updatedAt"},
    ("webhook_service", "ingest_source_endpoint"): {"id", "updatedAt"},
    ("webhook_service", "webhook_endpoint"): {"id", "updatedAt"},
}

# (records at, paginator type, cursor/offset param, page size) as each document configures them
PAGING = {
    "iot_platform": {
        **dict.fromkeys(["devices", "events", "dashboards"], ("results", "cursor", "page", 200)),
        **dict.fromkeys(
            ["variables", "device_groups", "device_types"], ("results", "cursor", "page", None)
        ),
    },
    "webhook_service": dict.fromkeys(
        [t for t, _, _ in RESOURCES["webhook_service"]], ("data", "cursor", "iterator", None)
    ),
    "device_management": {
        "organizations": ("data", "offset", "after", 20),
        "policies": ("data", "auto", None, None),
        "activities": ("activities", "offset", "after", 20),
        "automation_scripts": ("data", "auto", None, None),
        "groups": ("data", "auto", None, None),
        "locations": ("data", "offset", "after", 20),
        "roles": ("data", "auto", None, None),
        "software_products": ("data", "auto", None, None),
    },
    "account_analytics": dict.fromkeys(
        [t for t, _, _ in RESOURCES["account_analytics"]], ("_data", "offset", "offset", 50)
    ),
    "video_rooms": {
        **dict.fromkeys(
            ["sessions", "rooms", "templates", "recordings"], ("data", "cursor", "start", None)
        ),
        "active_room_peers": ("peers", "cursor", "start", None),
        "template_settings": ("$", "cursor", "start", None),
        "templates_destinations": ("browserRecordings", "cursor", "start", None),
        "analytics_events": ("events", "cursor", "start", None),
    },
}

INCREMENTAL = {
    ("device_management", "policies"): "updated",
    ("device_management", "activities"): "activityTime",
    ("device_management", "automation_scripts"): "updatedOn",
    ("device_management", "groups"): "updated",
    ("device_management", "roles"): "created",
}

# (auth type, header name for an api key, secret name) from each document's Authentication
AUTH = {
    "iot_platform": ("api_key", "api_key", "api_token"),
    "webhook_service": ("bearer", None, "api_key"),
    "device_management": ("bearer", None, "api_key"),
    "account_analytics": ("api_key", "api_key", "api_key"),
    "video_rooms": ("bearer", None, "api_token"),
}

DATA_TYPES = {"text", "bigint", "double", "bool", "timestamp", "json"}


def _plan(name: str) -> SourcePlan:
    return build_plan(parse_config(connectors.connector_config(name, lenient=True)), name=name)


def test_the_five_documents_are_bundled() -> None:
    assert connectors.names() == sorted(RESOURCES)


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_tables_and_endpoints_are_the_documents(name: str) -> None:
    plan = _plan(name)
    assert [(r.table_name, r.path) for r in plan.resources.values()] == [
        (table, path) for table, path, _ in RESOURCES[name]
    ]
    assert plan.base_url == "https://api.example.com"
    assert all(r.write_disposition == "merge" for r in plan.resources.values())


@pytest.mark.parametrize("name, table, key", KEYS)
def test_primary_key_is_the_documents(name: str, table: str, key: str) -> None:
    resource = _plan(name).resources[table]
    assert resource.primary_key == (key,)
    assert connectors.connector_fields(name)[table][key] == {
        "data_type": "text",
        "nullable": False,
    }


@pytest.mark.parametrize("name, table, key", KEYS)
def test_only_the_key_and_the_documents_required_fields_are_not_null(
    name: str, table: str, key: str
) -> None:
    columns = connectors.connector_fields(name)[table]
    not_null = {c for c, hint in columns.items() if hint.get("nullable") is False}
    assert not_null == REQUIRED.get((name, table), {key})


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_paging_follows_the_document(name: str) -> None:
    for table, resource in _plan(name).resources.items():
        p = resource.paginator
        param = getattr(p, "cursor_param", None) or getattr(p, "offset_param", None)
        actual = (resource.data_selector, p.type, param, getattr(p, "limit", None))
        assert actual == PAGING[name][table], table


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_incremental_cursors_follow_the_document_and_are_declared(name: str) -> None:
    fields = connectors.connector_fields(name)
    for table, resource in _plan(name).resources.items():
        expected = INCREMENTAL.get((name, table))
        actual = resource.incremental.cursor_path if resource.incremental else None
        assert actual == expected, table
        if expected:
            assert fields[table][expected]["data_type"] == "timestamp"
            assert resource.incremental.datetime_format == "%Y-%m-%dT%H:%M:%SZ"


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_retries_follow_the_document(name: str) -> None:
    # account_analytics' document retries on 429 only; the others on 429 and 5xx gateway errors
    codes = {429} if name == "account_analytics" else {429, 500, 502, 503, 504}
    for resource in _plan(name).resources.values():
        assert (resource.retry.status_codes, resource.retry.max_retries) == (codes, 3)
        assert resource.retry.backoff_factor == 2


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_auth_references_the_documents_secret(name: str) -> None:
    kind, header, secret = AUTH[name]
    auth = connectors.load_spec(name).config["client"]["auth"]
    assert auth["type"] == kind
    if kind == "api_key":
        assert (auth["name"], auth["location"]) == (header, "header")
    assert find_refs(auth) == [SecretRef(secret)]


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_metadata_lists_exactly_the_references_the_spec_makes(name: str) -> None:
    spec = connectors.load_spec(name)
    refs = find_refs(spec.config)
    assert spec.secrets == tuple(dict.fromkeys(r.name for r in refs if isinstance(r, SecretRef)))
    assert spec.config_values == tuple(
        dict.fromkeys(r.name for r in refs if isinstance(r, ConfigRef))
    )
    assert spec.title and spec.description
    assert "connector" not in spec.config


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_declared_columns_are_valid_dlt_hints(name: str) -> None:
    for table, columns in connectors.connector_fields(name).items():
        for column, hint in columns.items():
            assert set(hint) <= {"data_type", "nullable"}, (table, column)
            assert hint["data_type"] in DATA_TYPES, (table, column)


def test_an_unknown_connector_lists_the_available_ones() -> None:
    with pytest.raises(restsync.ConfigError) as error:
        connectors.load_spec("nope")
    assert str(error.value) == (
        "unknown connector 'nope'; available: account_analytics, device_management, "
        "iot_platform, video_rooms, webhook_service"
    )


def test_a_connector_name_is_not_a_path() -> None:
    with pytest.raises(restsync.ConfigError, match="unknown connector '../specs/iot_platform'"):
        connectors.connector_config("../specs/iot_platform")


def test_callers_get_their_own_copies() -> None:
    connectors.load_spec("iot_platform").config["resources"].clear()
    connectors.connector_fields("iot_platform")["devices"]["id"]["data_type"] = "bigint"
    connectors.names().clear()
    assert len(connectors.load_spec("iot_platform").config["resources"]) == 6
    assert connectors.connector_fields("iot_platform")["devices"]["id"]["data_type"] == "text"
    assert len(connectors.names()) == 5
