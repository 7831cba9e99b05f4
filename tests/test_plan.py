"""The plan stage's inference rules on seed-shaped configs, and the stop_condition sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync._config_files import read_python_config
from restsync._expressions import ConditionError, compile_condition
from restsync._plan import DEFAULT_RETRY, ResourcePlan, SourcePlan, TimeParam

SEEDS = Path(__file__).parent / "seeds"
BASE = {"base_url": "https://api.example.com"}
DEFAULT_CODES = {429, 500, 502, 503, 504}


def plan(*resources: Any, **top: Any) -> SourcePlan:
    client = {**BASE, **top.pop("client", {})}
    return restsync.plan_config({"client": client, "resources": list(resources), **top})


def one(resource: dict[str, Any], **top: Any) -> ResourcePlan:
    (only,) = plan(resource, **top).resources.values()
    return only


def paged(paginator: Any) -> ResourcePlan:
    return one({"name": "devices", "endpoint": {"path": "/v1/devices", "paginator": paginator}})


# --- the seeds ----------------------------------------------------------------------------------

SEED_PARENTS = {
    "account_analytics": {},
    "device_management": {},
    "iot_platform": {},
    "webhook_service": {
        "endpoints": "applications",
        "integrations": "applications",
        "ingest_source_endpoint": "ingest_source",
    },
    "video_rooms": {
        "active_room_peers": "rooms",
        "template_settings": "templates",
        "templates_destinations": "templates",
    },
}


@pytest.mark.parametrize("seed", sorted(SEED_PARENTS))
def test_every_seed_plans_with_the_expected_parents(seed: str) -> None:
    config = read_python_config(SEEDS / f"{seed}.py")
    source = restsync.plan_config(config)
    parents = {r.name: r.parent.resource for r in source.resources.values() if r.parent}
    assert parents == SEED_PARENTS[seed]
    assert [r.name for r in source.resources.values()] == [r["name"] for r in config["resources"]]
    for resource in source.resources.values():
        assert resource.primary_key == ("id",)
        assert resource.write_disposition == "merge"
        if resource.parent is not None:
            assert resource.parent.implied
            assert list(resource.parent.bindings.values()) == ["id"]
            assert resource.parent.include == ("id",)


def test_a_seed_read_statically_plans_its_datetime_cursors() -> None:
    # dlt.config["start_date"] is read without running the file: a placeholder date stands in
    config = read_python_config(SEEDS / "device_management.py")
    policies = restsync.plan_config(config).resources["policies"]
    assert policies.incremental is not None
    assert policies.incremental.cursor_path == "updated"
    assert policies.incremental.datetime_format == "%Y-%m-%dT%H:%M:%SZ"
    assert policies.incremental.initial_value.tzinfo is not None


# --- cursor paginators --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paginator, cursor_param, cursor_path, note",
    [
        pytest.param(
            {"type": "cursor", "cursor_param": "page", "stop_condition": "response.next is none"},
            "page",
            "next",
            "cursor_path inferred as 'next': the field that stop_condition "
            "'response.next is none' tests for null",
            id="null-test-on-attribute",
        ),
        pytest.param(
            {
                "type": "cursor",
                "cursor_param": "page",
                "stop_condition": "{{ response.next is none }}",
            },
            "page",
            "next",
            "cursor_path inferred as 'next': the field that stop_condition "
            "'{{ response.next is none }}' tests for null",
            id="airbyte-braces",
        ),
        pytest.param(
            {
                "type": "cursor",
                "cursor_param": "start",
                "stop_condition": "response.get('last') is None",
            },
            "start",
            "last",
            "cursor_path inferred as 'last': the field that stop_condition "
            "'response.get('last') is None' tests for null",
            id="python-get-is-None",
        ),
        pytest.param(
            {
                "type": "cursor",
                "cursor_param": "start",
                "stop_condition": "response['after'] is not none",
            },
            "start",
            "after",
            "cursor_path inferred as 'after': the field that stop_condition "
            "'response['after'] is not none' tests for null",
            id="item-access",
        ),
        pytest.param(
            {"type": "cursor", "cursor_param": "iterator", "stop_condition": "done"},
            "iterator",
            "iterator",
            "cursor_path inferred as 'iterator': the response field named like cursor_param",
            id="bare-field-falls-back-to-cursor-param",
        ),
        pytest.param(
            {
                "type": "cursor",
                "cursor_param": "start",
                "cursor_path": "meta.after",
                "stop_condition": "response.get('last') is None",
            },
            "start",
            "meta.after",
            None,
            id="explicit-cursor-path-wins",
        ),
        pytest.param(
            {"type": "cursor"},
            "cursor",
            "cursors.next",
            "cursor read at 'cursors.next' and sent as the 'cursor' query parameter (dlt's "
            "defaults: cursors.next, cursor); paging ends when it is missing or empty",
            id="nothing-given-dlt-defaults",
        ),
        pytest.param(
            "cursor",
            "cursor",
            "cursors.next",
            "cursor read at 'cursors.next' and sent as the 'cursor' query parameter (dlt's "
            "defaults: cursors.next, cursor); paging ends when it is missing or empty",
            id="string-shorthand-dlt-defaults",
        ),
    ],
)
def test_cursor_path_inference(
    paginator: Any, cursor_param: str, cursor_path: str, note: str | None
) -> None:
    resource = paged(paginator)
    assert resource.paginator.type == "cursor"
    assert resource.paginator.cursor_param == cursor_param
    assert resource.paginator.cursor_path == cursor_path
    if note is None:
        assert not any("cursor_path" in n for n in resource.notes)
    else:
        assert note in resource.notes


def test_a_cursor_limit_is_the_page_size() -> None:
    resource = paged(
        {"type": "cursor", "cursor_param": "page", "limit": 200, "limit_param": "per_page"}
    )
    assert resource.paginator.limit == 200
    assert "page size 200 is sent as 'per_page'" in resource.notes


@pytest.mark.parametrize(
    "paginator, expected_type",
    [
        (None, "auto"),
        ("single_page", "single_page"),
        ("json_response", "json_link"),  # dlt's deprecated name
        ({"type": "json_response", "next_url_path": "links.next"}, "json_link"),
        ({"type": "page_number", "base_page": 1}, "page_number"),
    ],
)
def test_paginator_shorthands(paginator: Any, expected_type: str) -> None:
    endpoint: dict[str, Any] = {"path": "/v1/devices"}
    if paginator is not None:
        endpoint["paginator"] = paginator
    assert one({"name": "devices", "endpoint": endpoint}).paginator.type == expected_type


def test_a_client_paginator_is_the_default_for_every_endpoint() -> None:
    source = plan(
        "devices",
        {"name": "events", "endpoint": {"path": "/events", "paginator": "single_page"}},
        client={"paginator": {"type": "offset", "limit": 20}},
    )
    assert source.resources["devices"].paginator.type == "offset"
    assert source.resources["events"].paginator.type == "single_page"


# --- notes: every inference is written down -------------------------------------------------

NO_TOTAL = (
    "no total_path: the total is read from 'total' when the response has it (dlt's default), "
    "otherwise paging stops at the first short or empty page"
)


@pytest.mark.parametrize(
    "endpoint, note",
    [
        (
            {"path": "/v1/devices"},
            "no paginator given: detected from the first response as dlt does (Link header, "
            "a next-page URL or cursor under a 'next...' key, a page count, else one page)",
        ),
        (
            {"path": "/v1/devices"},
            "no data_selector: detected from the first response as dlt does (the body's list, "
            "else the first list under data/items/results/..., else the first list, else the body)",
        ),
        (
            {
                "path": "/v2/locations",
                "paginator": {"type": "offset", "limit": 20, "offset_param": "after"},
            },
            NO_TOTAL,
        ),
        (
            {"path": "/v2/items", "paginator": {"type": "page_number", "limit": 50}},
            NO_TOTAL,
        ),
        (
            {"path": "/v2/items/{item_id}", "params": {"item_id": 7}},
            "the path ends with a placeholder: one object per request (the whole body is the "
            "record and one page, as in dlt)",
        ),
    ],
)
def test_notes_record_each_inference(endpoint: dict[str, Any], note: str) -> None:
    assert note in one({"name": "things", "endpoint": endpoint}).notes


def test_nothing_is_noted_when_nothing_is_inferred() -> None:
    resource = one(
        {
            "name": "things",
            "endpoint": {
                "path": "/v2/things",
                "data_selector": "data",
                "paginator": {"type": "offset", "limit": 20, "total_path": "meta.total"},
            },
        }
    )
    # the defaults left to show: fetching ahead, which the total makes exact, and the page cap
    assert resource.notes == (
        "fetches up to 4 pages ahead once the first page gives the total",
        "fails after 100,000 pages in one chain (max_pages)",
    )


@pytest.mark.parametrize(
    "selector, planned", [([], "$"), (["data", "items"], "data.items"), ("$", "$")]
)
def test_data_selector_forms(selector: Any, planned: str) -> None:
    resource = one({"name": "things", "endpoint": {"path": "/things", "data_selector": selector}})
    assert resource.data_selector == planned


# --- parents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resources, child, parent, field, why",
    [
        pytest.param(
            [
                {"name": "applications", "endpoint": "/v1/app"},
                {"name": "endpoints", "endpoint": "/v1/app/{app_id}/endpoint"},
            ],
            "endpoints",
            "applications",
            "id",
            "implied: its path '/v1/app' is the prefix before the placeholder",
            id="prefix-rule",
        ),
        pytest.param(
            [
                {"name": "rooms", "endpoint": "/v2/rooms"},
                {"name": "active_room_peers", "endpoint": "/v2/active-rooms/{room_id}/peers"},
            ],
            "active_room_peers",
            "rooms",
            "id",
            "implied: its name matches the placeholder's stem 'room'",
            id="stem-rule-plural",
        ),
        pytest.param(
            [
                {"name": "categories", "endpoint": "/v1/cats"},
                {"name": "products", "endpoint": "/v1/shop/{category_id}/products"},
            ],
            "products",
            "categories",
            "id",
            "implied: its name matches the placeholder's stem 'category'",
            id="stem-rule-ies",
        ),
        pytest.param(
            [
                {"name": "users", "endpoint": "/v1/users"},
                {"name": "members", "endpoint": "/v1/members"},
                {"name": "roles", "endpoint": "/v1/members/{user_id}/roles"},
            ],
            "roles",
            "members",
            "id",
            "implied: its path '/v1/members' is the prefix before the placeholder",
            id="prefix-rule-before-stem-rule",
        ),
        pytest.param(
            [
                {"name": "templates", "endpoint": "/v2/templates", "primary_key": "uuid"},
                {"name": "template_settings", "endpoint": "/v2/templates/{temp_id}/settings"},
            ],
            "template_settings",
            "templates",
            "uuid",
            "implied: its path '/v2/templates' is the prefix before the placeholder",
            id="joined-on-parent-primary-key",
        ),
    ],
)
def test_implied_parents(
    resources: list[dict[str, Any]], child: str, parent: str, field: str, why: str
) -> None:
    resource = plan(*resources).resources[child]
    assert resource.parent is not None
    assert resource.parent.resource == parent
    assert resource.parent.implied
    (placeholder,) = resource.parent.bindings
    assert resource.parent.bindings == {placeholder: field}
    assert resource.parent.include == (field,)
    assert (
        f"'{{{placeholder}}}' in the path is filled from parent '{parent}' field '{field}' "
        f"({why}); "
        f"child rows carry it as '_{parent}_{field}'"
    ) in resource.notes


def test_the_parent_key_comes_from_resource_defaults() -> None:
    source = plan(
        {"name": "rooms", "endpoint": "/v2/rooms"},
        {"name": "peers", "endpoint": "/v2/rooms/{room_id}/peers"},
        resource_defaults={"primary_key": "room_uid"},
    )
    assert source.resources["peers"].parent.bindings == {"room_id": "room_uid"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "endpoint, bindings, params",
    [
        pytest.param(
            {"path": "/users/{resources.users.id}/posts"},
            {"resources.users.id": "id"},
            {},
            id="placeholder-in-path",
        ),
        pytest.param(
            {"path": "/posts", "params": {"author": "{resources.users.profile.id}"}},
            {"resources.users.profile.id": "profile.id"},
            {"author": "{resources.users.profile.id}"},
            id="placeholder-in-params",
        ),
        pytest.param(
            {
                "path": "/users/{user_id}/posts",
                "params": {
                    "user_id": {"type": "resolve", "resource": "users", "field": "id"},
                    "state": "all",
                },
            },
            {"user_id": "id"},
            {"state": "all"},
            id="resolve-in-path",
        ),
        pytest.param(
            {"path": "/posts", "params": {"uid": "{resources.users.uid}"}},
            {"resources.users.uid": "uid"},
            {"uid": "{resources.users.uid}"},
            id="parent-field-as-query-param",
        ),
    ],
)
def test_explicit_parents(
    endpoint: dict[str, Any], bindings: dict[str, str], params: dict[str, Any]
) -> None:
    resource = plan("users", {"name": "posts", "endpoint": endpoint}).resources["posts"]
    assert resource.parent is not None
    assert resource.parent.resource == "users"
    assert not resource.parent.implied
    assert dict(resource.parent.bindings) == bindings
    assert dict(resource.params) == params
    assert resource.parent.include == ()
    assert not any("implied" in n for n in resource.notes)


def test_include_from_parent_is_carried() -> None:
    source = plan(
        "users",
        {
            "name": "posts",
            "endpoint": "/users/{resources.users.id}/posts",
            "include_from_parent": ["name", "email"],
        },
    )
    assert source.resources["posts"].parent.include == ("name", "email")  # type: ignore[union-attr]


def test_implied_parents_also_carry_include_from_parent() -> None:
    source = plan(
        {"name": "rooms", "endpoint": "/v2/rooms"},
        {"name": "peers", "endpoint": "/v2/rooms/{room_id}/peers", "include_from_parent": ["name"]},
    )
    assert source.resources["peers"].parent.include == ("name", "id")  # type: ignore[union-attr]


def test_parents_chain_and_the_source_knows_its_roots() -> None:
    source = plan(
        {"name": "orgs", "endpoint": "/orgs"},
        {"name": "repos", "endpoint": "/orgs/{org_id}/repos"},
        {
            "name": "issues",
            "endpoint": "/orgs/{resources.repos.org}/repos/{resources.repos.name}/issues",
        },
    )
    assert [r.name for r in source.roots()] == ["orgs"]
    assert [r.name for r in source.lineage("issues")] == ["issues", "repos", "orgs"]
    assert [r.name for r in source.children("repos")] == ["issues"]


# --- resource_defaults ------------------------------------------------------------------------


def test_resource_defaults_deep_merge_and_the_resource_wins() -> None:
    source = plan(
        {
            "name": "users",
            "primary_key": "uid",
            "endpoint": {"path": "/users", "params": {"sort": "desc"}},
        },
        "groups",
        resource_defaults={
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {
                "params": {"per_page": 100, "sort": "asc"},
                "headers": {"X-Tenant": "acme"},
                "data_selector": "data",
            },
        },
    )
    users, groups = source.resources["users"], source.resources["groups"]
    assert users.primary_key == ("uid",)
    assert users.write_disposition == "merge"
    assert dict(users.params) == {"per_page": 100, "sort": "desc"}
    assert dict(users.headers) == {"X-Tenant": "acme"}
    assert users.data_selector == "data"
    # a resource given as a bare name takes every default and fetches its own name
    assert groups.path == "groups"
    assert groups.primary_key == ("id",)
    assert dict(groups.params) == {"per_page": 100, "sort": "asc"}


# --- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_handler, endpoint_handler, codes, retries, factor",
    [
        pytest.param(None, None, DEFAULT_CODES, 3, 2.0, id="defaults"),
        pytest.param(None, {"retry_on_status_codes": [429]}, {429}, 3, 2.0, id="codes-only"),
        pytest.param(None, {"max_retries": 5}, DEFAULT_CODES, 5, 2.0, id="retries-only"),
        pytest.param(None, {"backoff_factor": 1.5}, DEFAULT_CODES, 3, 1.5, id="factor-only"),
        pytest.param(
            {"max_retries": 6, "backoff_factor": 3},
            {"max_retries": 0},
            DEFAULT_CODES,
            0,
            3.0,
            id="endpoint-over-client",
        ),
        pytest.param(
            None,
            {"retry_on_status_codes": [429], "max_retries": 3, "backoff_factor": 2},
            {429},
            3,
            2.0,
            id="account-analytics-seed",
        ),
    ],
)
def test_retry_policy_merges_field_by_field(
    client_handler: dict[str, Any] | None,
    endpoint_handler: dict[str, Any] | None,
    codes: set[int],
    retries: int,
    factor: float,
) -> None:
    endpoint: dict[str, Any] = {"path": "/v1/accounts"}
    if endpoint_handler is not None:
        endpoint["error_handler"] = endpoint_handler
    client = {"error_handler": client_handler} if client_handler else {}
    retry = one({"name": "accounts", "endpoint": endpoint}, client=client).retry
    assert retry.status_codes == frozenset(codes)
    assert retry.max_retries == retries
    assert retry.backoff_factor == factor
    assert retry.retry_after_cap_seconds == 120.0


def test_default_retry_policy_is_the_seeds_policy() -> None:
    assert DEFAULT_RETRY.status_codes == frozenset(DEFAULT_CODES)
    assert (DEFAULT_RETRY.max_retries, DEFAULT_RETRY.backoff_factor) == (3, 2.0)


# --- incremental ----------------------------------------------------------------------------

JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)


def synced(**keys: Any) -> ResourcePlan:
    return one(
        {
            "name": "policies",
            "endpoint": {"path": "/v2/policies", "data_selector": "data"},
            "incremental_sync": {"cursor_field": "updated", **keys},
        }
    )


@pytest.mark.parametrize(
    "start, fmt",
    [
        ("2024-01-01T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ"),  # the seeds' form
        ("2024-01-01T00:00:00Z", None),
        ("2024-01-01", None),
        (datetime(2024, 1, 1), None),  # naive means UTC
    ],
)
def test_start_datetime_is_an_aware_utc_datetime(start: Any, fmt: str | None) -> None:
    inc = synced(start_datetime=start, datetime_format=fmt).incremental
    assert inc is not None
    assert inc.initial_value == JAN_1
    assert inc.initial_value.utcoffset() == timedelta(0)
    assert inc.parse_datetimes
    assert inc.datetime_format == fmt
    # a record without the cursor cannot be placed in time: it is kept
    assert inc.on_cursor_value_missing == "include"


def test_a_start_datetime_with_an_offset_is_the_same_instant() -> None:
    inc = synced(start_datetime="2024-01-01T02:00:00+02:00").incremental
    assert inc is not None
    assert inc.initial_value == JAN_1
    assert inc.initial_value.tzinfo is not None


@pytest.mark.parametrize(
    "window, lookback",
    [
        ("P1D", timedelta(days=1)),
        ("PT6H", timedelta(hours=6)),
        (3600, timedelta(hours=1)),
        ("90", timedelta(seconds=90)),
    ],
)
def test_lookback_window(window: Any, lookback: timedelta) -> None:
    inc = synced(start_datetime="2024-01-01T00:00:00Z", lookback_window=window).incremental
    assert inc is not None
    assert inc.lookback == lookback
    assert inc.lag == lookback.total_seconds()


@pytest.mark.parametrize(
    "keys, start_param, end_param",
    [
        ({}, None, None),
        ({"start_param": "since"}, TimeParam("since"), None),
        ({"start_param": "since", "end_param": "until"}, TimeParam("since"), TimeParam("until")),
        (
            {
                "start_time_option": {"field_name": "X-From", "inject_into": "header"},
                "start_param": "ignored",
            },
            TimeParam("X-From", "header"),
            None,
        ),
        (
            {"end_time_option": {"field_name": "to", "inject_into": "body_json"}},
            None,
            TimeParam("to", "body_json"),
        ),
    ],
)
def test_where_the_start_and_end_are_sent(
    keys: dict[str, Any], start_param: TimeParam | None, end_param: TimeParam | None
) -> None:
    inc = synced(start_datetime="2024-01-01T00:00:00Z", **keys).incremental
    assert inc is not None
    assert inc.start_param == start_param
    assert inc.end_param == end_param


def test_end_datetime_and_the_sent_format() -> None:
    inc = synced(
        start_datetime="2024-01-01T00:00:00Z",
        end_datetime="2024-02-01T00:00:00Z",
        datetime_format="%Y-%m-%dT%H:%M:%SZ",
    ).incremental
    assert inc is not None
    assert inc.end_value == datetime(2024, 2, 1, tzinfo=UTC)
    assert inc.format_value(inc.initial_value) == "2024-01-01T00:00:00Z"


def test_incremental_sync_is_noted() -> None:
    resource = synced(start_datetime="2024-01-01T00:00:00Z")
    assert (
        "incremental on 'updated' as datetimes from 2024-01-01T00:00:00+00:00: "
        "older records are dropped, the saved value advances with each load"
    ) in resource.notes


def test_dlt_incremental_forms() -> None:
    source = plan(
        {
            "name": "issues",
            "endpoint": {
                "path": "/issues",
                "params": {
                    "since": {
                        "type": "incremental",
                        "cursor_path": "updated_at",
                        "initial_value": "2024-01-01",
                    }
                },
            },
        },
        {
            "name": "events",
            "endpoint": {
                "path": "/events",
                "incremental": {"cursor_path": "ts", "start_param": "from", "initial_value": 0},
            },
        },
    )
    issues, events = source.resources["issues"].incremental, source.resources["events"].incremental
    assert issues is not None and events is not None
    assert (issues.cursor_path, issues.start_param, issues.initial_value) == (
        "updated_at",
        TimeParam("since"),
        "2024-01-01",
    )
    assert "since" not in source.resources["issues"].params
    assert (events.cursor_path, events.start_param, events.initial_value) == (
        "ts",
        TimeParam("from"),
        0,
    )
    # dlt's forms are not datetime cursors unless dlt makes them so
    assert not issues.parse_datetimes and not events.parse_datetimes


# --- the stop_condition sandbox ---------------------------------------------------------------


@pytest.mark.parametrize(
    "source, body, stops",
    [
        ("{{ response.next is none }}", {"next": None}, True),
        ("{{ response.next is none }}", {"next": "abc"}, False),
        # an absent field is undefined, and undefined is not none
        # (a missing cursor ends paging anyway)
        ("response.next is none", {}, False),
        ("response.get('last') is None", {"last": None}, True),
        ("response.get('last') is None", {"last": "r_42"}, False),
        ("response.get('last') is None", {}, True),
        ("done", {"done": True, "iterator": "x"}, True),
        ("done", {"done": False, "iterator": "x"}, False),
        ("done", {"iterator": "x"}, False),  # an absent field is undefined, not an error
        ("records | length < 50", {"data": []}, True),
    ],
)
def test_stop_condition_forms(source: str, body: dict[str, Any], stops: bool) -> None:
    assert compile_condition(source)(body, {}, body.get("data", [1])) is stops


@pytest.mark.parametrize(
    "source",
    [
        "response.__class__.__mro__",
        "response.__class__",
        "response.get.__globals__",
        "headers.__init__.__globals__['os']",
        "().__class__.__bases__[0].__subclasses__()",
        "records.__class__.__mro__[1].__subclasses__()",
        "response.clear()",
    ],
)
def test_stop_condition_cannot_reach_python_internals(source: str) -> None:
    # refused when compiled (restsync check), before any response is seen; tests/test_sandbox.py
    # has the full list and the run-time bounds
    with pytest.raises(ConditionError, match="cannot run in the sandbox"):
        compile_condition(source)


@pytest.mark.parametrize("source", ["", "{{ }}", "response.next is", "response.(next)"])
def test_stop_condition_that_does_not_compile(source: str) -> None:
    with pytest.raises(ConditionError):
        compile_condition(source)
