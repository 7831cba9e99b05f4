"""``dynamic_streams`` (issue 14): dynamic.yaml's three resolvers give the streams airbyte-cdk
7.39.1 gives, with the same records (scripts/airbyte_diff.py compares them: 9 of 9 identical);
``check`` and ``plan`` send no request and name what an API lists at run time; what restsync
cannot resolve is one sentence naming the entry, and the other streams still run."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from aiohttp import web
from typer.testing import CliRunner

import restsync
from restsync import ConfigError
from restsync.airbyte import plan_manifest, skipped_streams
from restsync.airbyte._dynamic import dpath_new, dpath_set
from restsync.cli import app
from tests.airbyte.conftest import Simulate
from tests.airbyte.dynamic_api import config, serve_dynamic
from tests.conftest import count_rows, fetch_rows

MANIFEST = Path(__file__).parent / "manifests" / "dynamic.yaml"
LISTED = ["alpha_orders", "alpha_items", "beta_orders"]  # the HTTP resolver's streams
FROM_CONFIG = ["report_daily", "report_weekly", "report_monthly"]
FROM_PARAMETERS = ["metric_clicks", "metric_views"]
AT_RUN_TIME = (
    "dynamic_streams[0] (template 'tables') is resolved at run time (HttpComponentsResolver: "
    "its streams are listed by a request to {{ config['base_url'] }}/workspaces/"
    "{{ stream_partition.workspace_id }}/tables); check and plan send no request, so they do "
    "not show its streams; the other streams still run"
)


def _distinct(path: Path, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """The distinct values of those columns (a column dlt left out, all null, reads None)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        result = connection.sql(f"select * from data.{table}")
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.fetchall()]
    return sorted({tuple(row.get(c) for c in columns) for row in rows}, key=str)


def _streams(source: Any) -> list[str]:
    return [n for n in source.resources if not n.startswith("_")]


def _document() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())  # type: ignore[no-any-return]


def test_each_resolvers_streams_load_the_records_airbyte_cdk_reads(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_dynamic(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, config(server.base_url))
    assert _streams(source) == ["workspaces", *LISTED, *FROM_CONFIG, *FROM_PARAMETERS]
    restsync.sync(make_pipeline(), source)
    counts = {t: count_rows(duckdb_path, "data", t) for t in LISTED + FROM_PARAMETERS}
    assert counts == {**dict.fromkeys(LISTED, 3), **dict.fromkeys(FROM_PARAMETERS, 2)}
    # the slice and the listed record fill the template: path, an added field, a parameter
    # that wins over the template's own (use_parent_parameters)
    items = fetch_rows(
        duckdb_path, "select id, table_name, workspace from data.alpha_items order by 1"
    )
    assert items == [(f"t2-{i}", "Items", "w1") for i in range(3)]
    # '**' sets the kind everywhere; a missing parameter is created only with a value, and
    # only where its condition holds
    reports = {
        name: _distinct(duckdb_path, name, "kind", "granularity", "limit", "region")
        for name in FROM_CONFIG
    }
    assert reports == {
        "report_daily": [("sales", "day", "5", None)],
        "report_weekly": [("traffic", "week", None, "eu")],
        "report_monthly": [("sales", "month", None, None)],
    }
    metrics = fetch_rows(duckdb_path, "select distinct metric from data.metric_views")
    assert metrics == [("views",)]
    # the listing's requests: two pages for w1, one for w2, before any stream's
    listing = [r.path_qs for r in server.requests if r.path.endswith("/tables")]
    assert sorted(listing) == [
        "/workspaces/w1/tables",
        "/workspaces/w1/tables?page=2",
        "/workspaces/w2/tables",
    ]


def test_the_yaml_read_back_primary_keys_are_the_streams_keys() -> None:
    plan = plan_manifest(MANIFEST, config("http://127.0.0.1:9"))
    keys = {n: plan.resources[n].primary_key for n in FROM_PARAMETERS}
    assert keys == {"metric_clicks": ("day", "n"), "metric_views": ("n",)}


def test_plan_shows_the_config_and_parameter_streams_and_sends_no_request(server: Any) -> None:
    serve_dynamic(server)
    server.start()
    plan = plan_manifest(MANIFEST, config(server.base_url))
    assert list(plan.resources) == ["workspaces", *FROM_CONFIG, *FROM_PARAMETERS]
    assert list(plan.extras["skipped_streams"].values()) == [AT_RUN_TIME]
    assert plan.resources["report_weekly"].config_path == "dynamic_streams[1].stream_template"
    assert server.requests == []


def test_cli_check_passes_a_manifest_of_only_listed_streams_and_plan_says_when(
    tmp_path: Path,
) -> None:
    """google-sheets and airtable declare only an HTTP-resolved dynamic stream: refused whole
    before; now checked, with the warning that its streams are listed at run time."""
    document = _document()
    document["streams"] = []
    document["dynamic_streams"] = document["dynamic_streams"][:1]
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(document))
    settings = tmp_path / "config.json"
    settings.write_text(json.dumps(config("http://127.0.0.1:9")))
    checked = CliRunner().invoke(app, ["check", str(manifest), "--config", str(settings)])
    assert checked.exit_code == 0, checked.output
    flat = " ".join(checked.output.split())
    assert "dynamic_streams[0] (template 'tables') is resolved at run time" in flat
    assert "no other stream can run" in flat
    planned = CliRunner().invoke(app, ["plan", str(MANIFEST), "--config", str(settings)])
    assert planned.exit_code == 0, planned.output
    assert "report_monthly -> table report_monthly" in planned.output
    assert "skipped:" in planned.output and "resolved at run time" in planned.output


def test_when_the_listing_fails_the_other_streams_still_run(
    server: Any, make_pipeline: Any, duckdb_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    @server.get("/workspaces/{workspace}/tables")
    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"error": "no"}, status=403)

    serve_dynamic(server)  # the route above answers first
    server.start()
    with caplog.at_level(logging.WARNING, logger="restsync"):
        source = restsync.airbyte_source(MANIFEST, config(server.base_url))
    assert _streams(source) == ["workspaces", *FROM_CONFIG, *FROM_PARAMETERS]
    [warning] = [r.getMessage() for r in caplog.records if "dynamic_streams" in r.getMessage()]
    assert warning.startswith(
        "dynamic_streams[0] (template 'tables') is not run: it uses HttpComponentsResolver "
        "(listing its streams failed: "
    )
    assert warning.endswith(
        "at dynamic_streams[0].components_resolver, which restsync cannot run; "
        "the other streams still run"
    )
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "report_daily") == 2


def test_a_resolver_restsync_cannot_run_is_named_and_the_others_run() -> None:
    document = _document()
    document["dynamic_streams"][2]["components_resolver"]["type"] = "CustomComponentsResolver"
    skipped = skipped_streams(document, config("http://127.0.0.1:9"))
    assert skipped["dynamic_streams[2] (template 'metric')"] == (
        "dynamic_streams[2] (template 'metric') is not run: it uses CustomComponentsResolver "
        "(an unknown components resolver) at dynamic_streams[2].components_resolver, which "
        "restsync cannot run; the other streams still run"
    )
    plan = plan_manifest(document, config("http://127.0.0.1:9"))
    assert list(plan.resources) == ["workspaces", *FROM_CONFIG]


def test_a_template_component_restsync_cannot_run_names_the_resolved_stream() -> None:
    document = _document()
    template = document["dynamic_streams"][1]["stream_template"]
    template["schema_loader"] = {
        "type": "CustomSchemaLoader",
        "class_name": "source_declarative_manifest.components.Loader",
    }
    with pytest.raises(ConfigError) as raised:
        plan_manifest(document, config("http://127.0.0.1:9"))
    assert raised.value.path == "dynamic_streams[1].stream_template.schema_loader"
    assert "stream 'report_daily' uses CustomSchemaLoader" in str(raised.value)
    # the others still plan when chosen
    plan = plan_manifest(document, config("http://127.0.0.1:9"), streams=["metric_views"])
    assert [n for n, r in plan.resources.items() if r.selected] == ["metric_views"]


def test_two_streams_with_one_name_from_the_config_is_a_config_error() -> None:
    settings = config("http://127.0.0.1:9")
    settings["reports"] = [{"name": "monthly", "granularity": "day", "kind": "sales"}]
    with pytest.raises(ConfigError) as raised:
        plan_manifest(MANIFEST, settings)
    assert raised.value.path == "dynamic_streams[1].components_resolver"
    assert "resolves two streams named 'report_monthly'; check the config's list" in str(
        raised.value
    )


def test_the_simulator_serves_the_config_and_parameter_streams(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    streams = ["report_weekly", "metric_clicks"]
    run = simulate(MANIFEST, config("http://127.0.0.1:9"), seed=4, streams=streams)
    dataset = run.sim.dataset()
    restsync.sync(make_pipeline(), run.source)
    assert {s: count_rows(duckdb_path, "data", s) for s in streams} == {
        s: len(dataset[s]) for s in streams
    }


TREE = {"a": {"name": "x", "b": [{"name": "y"}, {"other": 1}]}, "name": "z"}


@pytest.mark.parametrize(
    ("glob", "changed", "after"),
    [
        (["name"], 1, {**TREE, "name": "V"}),
        (
            ["a", "b", "0", "name"],
            1,
            {"a": {"name": "x", "b": [{"name": "V"}, {"other": 1}]}, "name": "z"},
        ),
        (["**", "name"], 3, {"a": {"name": "V", "b": [{"name": "V"}, {"other": 1}]}, "name": "V"}),
        (["a", "*"], 2, {"a": {"name": "V", "b": "V"}, "name": "z"}),
        (["a", "missing"], 0, TREE),
    ],
)
def test_a_mapping_sets_every_existing_place_its_path_matches(
    glob: list[str], changed: int, after: dict[str, Any]
) -> None:
    tree = copy.deepcopy(TREE)
    assert dpath_set(tree, glob, "V") == changed
    assert tree == after


def test_create_or_update_creates_the_mappings_on_the_way() -> None:
    tree = copy.deepcopy(TREE)
    dpath_new(tree, ["a", "new", "deeper"], 5)
    dpath_new(tree, ["a", "b", "1", "other"], 2)
    assert tree["a"]["new"] == {"deeper": 5}
    assert tree["a"]["b"][1] == {"other": 2}


def test_a_listed_template_restsync_cannot_run_is_named_before_any_request(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    """Every stream its API lists would load its schema with a custom loader (as airtable's
    did with a DynamicSchemaLoader before session 14), and no mapping replaces that loader."""
    serve_dynamic(server)
    server.start()
    document = _document()
    document["dynamic_streams"][0]["stream_template"]["schema_loader"] = {
        "type": "CustomSchemaLoader",
        "class_name": "source_declarative_manifest.components.Loader",
    }
    reason = (
        "dynamic_streams[0] (template 'tables') is not run: it uses CustomSchemaLoader (custom "
        "Python class source_declarative_manifest.components.Loader) at "
        "dynamic_streams[0].stream_template.schema_loader, which restsync cannot run; the other "
        "streams still run"
    )
    assert list(skipped_streams(document, config(server.base_url)).values()) == [reason]
    source = restsync.airbyte_source(document, config(server.base_url))
    assert _streams(source) == ["workspaces", *FROM_CONFIG, *FROM_PARAMETERS]
    assert not [r for r in server.requests if r.path.endswith("/tables")]
    # a mapping that replaces the loader may give one restsync runs: known at run time only
    document["dynamic_streams"][0]["components_resolver"]["components_mapping"].append(
        {"type": "ComponentMappingDefinition", "field_path": ["schema_loader"], "value": "{}"}
    )
    [later] = skipped_streams(document, config(server.base_url)).values()
    assert "is resolved at run time" in later


def test_a_config_item_the_mapping_cannot_read_is_named_with_the_fix() -> None:
    document = _document()
    mapping = document["dynamic_streams"][1]["components_resolver"]["components_mapping"][0]
    mapping["value"] = "report_{{ components_values.name.replace(' ', '_') }}"
    settings = config("http://127.0.0.1:9")
    settings["reports"] = ["daily"]  # a text, not a report object
    with pytest.raises(ConfigError) as raised:
        plan_manifest(document, settings)
    assert raised.value.path == "dynamic_streams[1].components_resolver.components_mapping[0]"
    assert raised.value.message.startswith(
        "the mapping cannot be rendered for item 0 of the config's 'reports': template "
    )
    assert raised.value.message.endswith("; fix that item of the config")


def test_use_parent_parameters_false_keeps_the_templates_own(server: Any) -> None:
    """airbyte-cdk 7.39.1 gives '' here (its own read of this manifest, /tmp copy): the
    template's transformation keeps its propagated parameter over the mapped one."""
    serve_dynamic(server)
    server.start()
    document = _document()
    document["dynamic_streams"][0]["use_parent_parameters"] = False
    source = restsync.airbyte_source(
        document, config(server.base_url), streams=["alpha_items"], page_format="dicts"
    )
    records = [dict(r) for r in source.resources["alpha_items"]]
    assert {r["workspace"] for r in records} == {""}
    assert len(records) == 3


def test_a_run_of_dynamic_streams_that_resolve_to_none_says_so() -> None:
    document = _document()
    document["streams"] = []
    document["dynamic_streams"] = document["dynamic_streams"][1:2]
    document["dynamic_streams"][0]["components_resolver"]["stream_config"].pop("default_values")
    settings = {**config("http://127.0.0.1:9"), "reports": []}
    assert plan_manifest(document, settings).resources == {}  # check and plan: nothing to show
    with pytest.raises(ConfigError) as raised:
        restsync.airbyte_source(document, settings)
    assert str(raised.value) == (
        "dynamic_streams: the dynamic_streams resolve to no stream with this config; give the "
        "config lists their resolvers read, or check what the API lists"
    )


def test_a_run_of_other_streams_sends_no_listing_request(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    serve_dynamic(server)
    server.start()
    with caplog.at_level(logging.WARNING, logger="restsync"):
        source = restsync.airbyte_source(
            MANIFEST, config(server.base_url), streams=["workspaces", "report_daily"]
        )
    assert [n for n, r in source.resources.items() if r.selected and not n.startswith("_")] == [
        "workspaces",
        "report_daily",
    ]
    assert server.requests == []  # building the source reads no listing
    assert not [r for r in caplog.records if "dynamic_streams" in r.getMessage()]
    # a listed stream asked for by name: the listing is read to find it
    source = restsync.airbyte_source(MANIFEST, config(server.base_url), streams=["beta_orders"])
    assert "beta_orders" in source.resources
    assert [r.path for r in server.requests if r.path.endswith("/tables")] != []
