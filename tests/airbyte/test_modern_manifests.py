"""What today's manifest-only connectors write that older manifests did not: references read as
written (akeneo's schema key ends in a blank); the config migrated and transformed by
``spec.config_normalization_rules`` before any stream reads it (gong, airtable, stripe); a
``global_substream_cursor`` and a ``StateDelegatingStream`` (stripe)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

import restsync
from restsync import ConfigError
from restsync.airbyte import plan_manifest
from tests.airbyte import manifests as build
from tests.airbyte.apis import serve_fanout


def _manifest(schema_key: str, reference: str) -> dict[str, Any]:
    categories = build.stream(
        "categories",
        build.requester("https://x.invalid", "/categories"),
        [],
        schema={"$ref": reference},
    )
    schemas = {schema_key: build.properties(code="string", level="integer")}
    return build.manifest(categories, version="6.48.0", schemas=schemas)


def test_a_reference_is_read_as_written_blank_included() -> None:
    plan = plan_manifest(_manifest("categories ", "#/schemas/categories "), {})
    columns = plan.resources["categories"].hints["columns"]
    assert columns["level"]["data_type"] == "bigint"


def test_a_reference_to_no_key_is_still_a_config_error() -> None:
    with pytest.raises(ConfigError, match="reference '#/schemas/categories ' points at nothing"):
        plan_manifest(_manifest("categories", "#/schemas/categories "), {})


# --- spec.config_normalization_rules ---------------------------------------------------------

RULES: dict[str, Any] = {
    "type": "ConfigNormalizationRules",
    "config_migrations": [
        {
            "type": "ConfigMigration",
            "description": "the old top-level key moves under credentials",
            "transformations": [
                {
                    "type": "ConfigAddFields",
                    "fields": [
                        {"path": ["credentials", "api_key"], "value": "{{ config['key'] }}"}
                    ],
                    "condition": "{{ config.get('key', False) }}",
                },
                {
                    "type": "ConfigAddFields",
                    "fields": [{"path": ["workers"], "value": "2", "value_type": "integer"}],
                    "condition": "{{ config.get('workers', 25) == 1 }}",
                },
            ],
        }
    ],
    "transformations": [
        {"type": "ConfigRemapField", "field_path": ["region"], "map": {"europe": "eu"}},
        {"type": "ConfigRemoveFields", "field_pointers": [["legacy"]]},
    ],
}


def _ruled_manifest(rules: Any) -> dict[str, Any]:
    manifest = _manifest("categories", "#/schemas/categories")
    requester = manifest["streams"][0]["retriever"]["requester"]
    requester["authenticator"] = {
        "type": "ApiKeyAuthenticator",
        "api_token": "{{ config['credentials']['api_key'] }}",
        "inject_into": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Key"},
    }
    requester["request_parameters"] = {
        "region": "{{ config['region'] }}",
        "legacy": "{{ config.get('legacy', 'gone') }}",
        "workers": "{{ config['workers'] }}",
    }
    manifest["spec"] = {"type": "Spec", "config_normalization_rules": rules}
    return manifest


def test_config_rules_migrate_then_transform_the_config(server: Any) -> None:
    @server.get("/categories")
    async def categories(request: web.Request) -> web.Response:
        if request.headers.get("X-Key") != "old-style-key":
            raise web.HTTPUnauthorized()
        return web.json_response([{"code": "a", "level": 1, **request.query}])

    server.start()
    config = {"key": "old-style-key", "region": "europe", "legacy": "x", "workers": 1}
    source = restsync.airbyte_source(_ruled_manifest(RULES), config, base_url=server.base_url)
    records = list(source.resources["categories"])
    assert records == [{"code": "a", "level": 1, "region": "eu", "legacy": "gone", "workers": "2"}]
    assert config["region"] == "europe"  # the user's own config is left alone


def test_a_config_already_in_the_new_shape_is_kept(server: Any) -> None:
    @server.get("/categories")
    async def categories(request: web.Request) -> web.Response:
        if request.headers.get("X-Key") != "new-key":
            raise web.HTTPUnauthorized()
        return web.json_response([{"code": "a", "level": 1, **request.query}])

    server.start()
    config = {"credentials": {"api_key": "new-key"}, "region": "us", "workers": 4}
    source = restsync.airbyte_source(_ruled_manifest(RULES), config, base_url=server.base_url)
    assert list(source.resources["categories"]) == [
        {"code": "a", "level": 1, "region": "us", "legacy": "gone", "workers": "4"}
    ]


def test_a_custom_config_transformation_is_a_config_error_naming_it() -> None:
    rules = {
        "type": "ConfigNormalizationRules",
        "transformations": [{"type": "CustomConfigTransformation", "class_name": "x.Y"}],
    }
    with pytest.raises(ConfigError, match="CustomConfigTransformation") as raised:
        plan_manifest(_ruled_manifest(rules), {"credentials": {"api_key": "k"}})
    assert raised.value.path == "spec.config_normalization_rules.transformations[0].type"


# --- global_substream_cursor and StateDelegatingStream ---------------------------------------

FANOUT = Path(__file__).parent / "manifests" / "fanout.yaml"


def _fanout_windows(server: Any, pipeline: Any, manifest: Any) -> list[tuple[str, ...]]:
    config = {
        "base_url": server.base_url,
        "token": "t-1",
        "regions": ["eu", "us"],
        "start_date": "2024-01-01",
        "end_date": "2024-01-05",
    }
    restsync.sync(pipeline, restsync.airbyte_source(manifest, config, streams=["metrics"]))
    sent = [
        (r.query["region"], r.query["since"], r.query["until"])
        for r in server.requests
        if r.path == "/metrics"
    ]
    return sorted(sent)


def test_a_global_substream_cursor_reads_the_same_slices(server: Any, make_pipeline: Any) -> None:
    serve_fanout(server)
    server.start()
    plain = _fanout_windows(server, make_pipeline("plain"), FANOUT)
    server.requests.clear()
    manifest = yaml.safe_load(FANOUT.read_text())
    metrics = next(s for s in manifest["streams"] if s.get("name") == "metrics")
    metrics["incremental_sync"]["global_substream_cursor"] = True
    assert _fanout_windows(server, make_pipeline("global"), manifest) == plain
    assert len(plain) == 4  # two regions times two windows


def test_a_state_delegating_stream_runs_its_full_refresh_stream(server: Any) -> None:
    @server.get("/categories")
    async def categories(request: web.Request) -> web.Response:
        return web.json_response([{"code": "a", "level": 1}])

    @server.get("/events")
    async def events(request: web.Request) -> web.Response:
        raise web.HTTPInternalServerError()  # the incremental stream is not read

    server.start()
    full = _manifest("categories", "#/schemas/categories")["streams"][0]
    incremental = copy.deepcopy(full)
    incremental["retriever"]["requester"]["path"] = "/events"
    manifest = _manifest("categories", "#/schemas/categories")
    manifest["streams"] = [
        {
            "type": "StateDelegatingStream",
            "name": "categories",
            "full_refresh_stream": full,
            "incremental_stream": incremental,
        }
    ]
    plan = plan_manifest(manifest, {}, base_url=server.base_url)
    assert any("full_refresh_stream" in note for note in plan.resources["categories"].notes)
    source = restsync.airbyte_source(manifest, {}, base_url=server.base_url)
    assert list(source.resources["categories"]) == [{"code": "a", "level": 1}]
    assert [r.path for r in server.requests] == ["/categories"]


# --- numbers given as templates --------------------------------------------------------------


def _with_error_handler(handler: dict[str, Any]) -> dict[str, Any]:
    manifest = _manifest("categories", "#/schemas/categories")
    manifest["streams"][0]["retriever"]["requester"]["error_handler"] = handler
    return manifest


def test_backoff_numbers_may_be_templates() -> None:
    # apple-search-ads: factor "{{ config.backoff_factor }}"
    handler = {
        "type": "DefaultErrorHandler",
        "max_retries": "{{ config['retries'] }}",
        "backoff_strategies": [
            {"type": "ExponentialBackoffStrategy", "factor": "{{ config.backoff_factor }}"}
        ],
    }
    retry = plan_manifest(_with_error_handler(handler), {"retries": 7, "backoff_factor": 3})
    assert (retry.resources["categories"].retry.max_retries,) == (7,)
    assert retry.resources["categories"].retry.backoff_factor == 3.0
    # a value the config leaves out renders empty: the component's default, as in airbyte-cdk
    default = plan_manifest(_with_error_handler(handler), {"retries": 2})
    assert default.resources["categories"].retry.backoff_factor == 5.0


def test_a_backoff_number_that_is_no_number_is_a_check_error() -> None:
    handler = {
        "type": "DefaultErrorHandler",
        "backoff_strategies": [
            {"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": "{{ config.wait }}"}
        ],
    }
    with pytest.raises(ConfigError, match="is not a number with this config") as raised:
        plan_manifest(_with_error_handler(handler), {"wait": "soon"})
    assert raised.value.path.endswith("backoff_strategies[0].backoff_time_in_seconds")


# --- api_budget ------------------------------------------------------------------------------


def test_the_strictest_api_budget_rate_is_the_sources_rate_budget() -> None:
    # klaviyo: 10 calls a second and 150 a minute; freshdesk: 50 calls a minute
    manifest = _manifest("categories", "#/schemas/categories")
    manifest["api_budget"] = {
        "type": "HTTPAPIBudget",
        "policies": [
            {
                "type": "MovingWindowCallRatePolicy",
                "rates": [{"limit": 10, "interval": "PT1S"}, {"limit": 150, "interval": "PT1M"}],
                "matchers": [{"method": "GET", "url_path_pattern": "^/api/campaigns"}],
            },
            {"type": "FixedWindowCallRatePolicy", "period": "PT1M", "call_limit": 300},
            {"type": "UnlimitedCallRatePolicy", "matchers": []},
        ],
    }
    plan = plan_manifest(manifest, {})
    assert plan.rate_limit is not None
    assert plan.rate_limit.requests_per_second == 150 / 60
    assert plan_manifest(_manifest("categories", "#/schemas/categories"), {}).rate_limit is None
