"""Never silently different: a stream outside the supported set fails check, by name, saying
which streams can still run; `plan` shows the translation; selecting only the supported streams
runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync.airbyte import plan_manifest, stream_problems
from tests.airbyte import manifests as build
from tests.conftest import count_rows, run_restsync

MANIFESTS = Path(__file__).parent / "manifests"
UNSUPPORTED = MANIFESTS / "unsupported.yaml"
CONFIG = {"base_url": "http://127.0.0.1:9"}


def test_each_unsupported_stream_is_named_with_its_component() -> None:
    problems = stream_problems(UNSUPPORTED, CONFIG)
    assert sorted(problems) == ["invoices", "reports"]
    assert str(problems["invoices"]) == (
        "streams[1].retriever.paginator.pagination_strategy: stream 'invoices' uses "
        "CustomPaginationStrategy (custom Python class source_x.components.InvoicePages), "
        "which restsync cannot run; the other streams can still run: users"
    )
    assert str(problems["reports"]) == (
        "streams[2].retriever.creation_requester: stream 'reports' uses AsyncRetriever "
        "(no creation_requester), "
        "which restsync cannot run; the other streams can still run: users"
    )


def test_planning_all_streams_fails_but_the_supported_one_plans() -> None:
    with pytest.raises(restsync.ConfigError, match="stream 'invoices' uses"):
        plan_manifest(UNSUPPORTED, CONFIG)
    plan = plan_manifest(UNSUPPORTED, CONFIG, streams=["users"])
    assert [r.name for r in plan.resources.values()] == ["users"]


def test_supported_streams_run_when_selected(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/users")
    async def users(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1}, {"id": 2}])

    server.start()
    config = {"base_url": server.base_url}
    source = restsync.airbyte_source(UNSUPPORTED, config, streams=["users"])
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "users") == 2


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = run_restsync(*args)
    # the console wraps long lines: compare with single spaces
    done.stdout, done.stderr = " ".join(done.stdout.split()), " ".join(done.stderr.split())
    return done


def test_cli_check_and_plan(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CONFIG, "api_key": "s3cret-value", "status": "open"}))
    failed = _cli("check", str(UNSUPPORTED), "--config", str(config))
    assert failed.returncode == 2
    assert "stream 'invoices' uses CustomPaginationStrategy" in failed.stderr
    assert "stream 'reports' uses AsyncRetriever" in failed.stderr
    assert "Traceback" not in failed.stderr
    ok = _cli("check", str(MANIFESTS / "core.yaml"), "--config", str(config))
    assert ok.returncode == 0, ok.stderr
    assert "valid Airbyte manifest (5 streams)" in ok.stdout
    no_start = _cli("plan", str(MANIFESTS / "fanout.yaml"), "--config", str(config))
    assert no_start.returncode == 2
    assert "streams[2].incremental_sync.start_datetime: stream 'metrics'" in no_start.stderr
    config.write_text(json.dumps({**CONFIG, "regions": ["eu"], "start_date": "2024-01-01"}))
    shown = _cli("plan", str(MANIFESTS / "fanout.yaml"), "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "_tasks_slices" in shown.stdout and "one partition per parent record" in shown.stdout
    config.write_text(json.dumps({**CONFIG, "api_key": "s3cret-value", "status": "open"}))
    secret = _cli("plan", str(MANIFESTS / "core.yaml"), "--config", str(config))
    assert secret.returncode == 0, secret.stderr
    assert "s3cret-value" not in secret.stdout + secret.stderr


def test_cli_run_without_a_config_file_says_so(tmp_path: Path) -> None:
    missing = _cli("run", str(MANIFESTS / "core.yaml"), "--config", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "nope.json does not exist" in missing.stderr


def test_concurrency_level_sets_requests_in_flight() -> None:
    import yaml

    manifest = yaml.safe_load((MANIFESTS / "unsupported.yaml").read_text())
    manifest["concurrency_level"] = {
        "type": "ConcurrencyLevel",
        "default_concurrency": "{{ config.get('num_workers', 40) }}",
        "max_concurrency": 30,
    }
    assert plan_manifest(manifest, CONFIG, streams=["users"]).max_concurrency == 30
    config = {**CONFIG, "num_workers": 4}
    assert plan_manifest(manifest, config, streams=["users"]).max_concurrency == 4
    del manifest["concurrency_level"]
    assert plan_manifest(manifest, CONFIG, streams=["users"]).max_concurrency == 16


def test_a_missing_config_value_is_a_config_error_naming_the_stream() -> None:
    with pytest.raises(restsync.ConfigError) as raised:
        plan_manifest(UNSUPPORTED, {}, streams=["users"])
    assert raised.value.path == "streams[0].retriever.requester.url_base"
    assert "stream 'users'" in raised.value.message and "--config" in raised.value.message


def _stream_with_extractor(extractor: dict[str, Any], base_url: str) -> dict[str, Any]:
    selector = {"type": "RecordSelector", "extractor": extractor}
    return build.manifest(build.stream("users", build.requester(base_url, "/u"), selector))


def test_a_class_name_of_airbyte_cdks_own_component_is_that_component(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    @server.get("/u")
    async def users(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}, {"id": 3}]})

    server.start()
    extractor = {
        "type": "CustomRecordExtractor",
        "class_name": "airbyte_cdk.sources.declarative.extractors.DpathExtractor",
        "field_path": ["data"],
    }
    manifest = _stream_with_extractor(extractor, server.base_url)
    restsync.sync(make_pipeline(), restsync.airbyte_source(manifest, {}))
    assert count_rows(duckdb_path, "data", "users") == 3


def test_a_class_name_of_an_unsupported_cdk_component_is_still_rejected() -> None:
    extractor = {
        "type": "CustomRecordExtractor",
        "class_name": "airbyte_cdk.sources.declarative.extractors.ResponseToFileExtractor",
    }
    problems = stream_problems(_stream_with_extractor(extractor, "https://x.invalid"), {})
    message = str(problems["users"])
    assert "stream 'users' uses ResponseToFileExtractor (not supported)" in message


def test_a_template_reading_stream_state_is_refused_as_airbyte_cdk_refuses_it() -> None:
    """airbyte-cdk 7 fails any template naming stream_state (insightly, sentry, ... of June
    2024); check refuses that stream, naming where, and the others still run."""

    def stream(name: str, param: str) -> dict[str, Any]:
        requester = {"url_base": "http://127.0.0.1:9", "path": f"/{name}"}
        requester["request_parameters"] = {"since": param}
        return {
            "type": "DeclarativeStream",
            "name": name,
            "retriever": {"requester": requester, "record_selector": {"extractor": {}}},
        }

    manifest = build.manifest(
        stream("old", "{{ stream_state.get('updated', '2020') }}"),
        stream("new", "{{ stream_interval.start_time }}"),
    )
    problems = stream_problems(manifest, {})
    assert list(problems) == ["old"]
    assert str(problems["old"]).startswith(
        "streams[0].retriever.requester.request_parameters.since: stream 'old' uses template "
        "(stream_state in a template, which airbyte-cdk no longer supports"
    )
    assert plan_manifest(manifest, {}, streams=["new"]).resources["new"].name == "new"


def test_a_request_option_without_a_field_name_is_refused_as_airbyte_cdk_refuses_it() -> None:
    """n8n's page_size_option has field_name "": airbyte-cdk 7 will not build that stream."""
    paginator = {
        "type": "DefaultPaginator",
        "page_size_option": {"inject_into": "request_parameter", "field_name": ""},
        "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.n }}"},
    }
    retriever = {"requester": {"url_base": "http://127.0.0.1:9", "path": "/e"}}
    retriever |= {"paginator": paginator, "record_selector": {"extractor": {}}}
    manifest = {"version": "0.29.0", "streams": [{"name": "executions", "retriever": retriever}]}
    problem = str(stream_problems(manifest, {})["executions"])
    assert problem.startswith(
        "streams[0].retriever.paginator.page_size_option: stream 'executions' uses "
        "RequestOption (neither a field_name nor a field_path; airbyte-cdk refuses it too)"
    )


def test_a_page_token_and_page_size_on_one_key_are_refused_as_airbyte_cdk_refuses_them() -> None:
    """postmarkapp sends both as ``offset``: airbyte-cdk 7 will not build that paginator, and
    sending the page size as the offset would fetch one page forever."""

    def stream(name: str, size_key: str) -> dict[str, Any]:
        option = {"type": "RequestOption", "inject_into": "request_parameter"}
        paginator = {
            "type": "DefaultPaginator",
            "page_token_option": option | {"field_name": "offset"},
            "page_size_option": option | {"field_name": size_key},
            "pagination_strategy": {"type": "OffsetIncrement", "page_size": 500},
        }
        retriever = {"requester": {"url_base": "http://127.0.0.1:9", "path": f"/{name}"}}
        retriever |= {"paginator": paginator, "record_selector": {"extractor": {}}}
        return {"name": name, "retriever": retriever}

    manifest = {
        "version": "5.10.2",
        "streams": [stream("domains", "offset"), stream("ok", "count")],
    }
    problems = stream_problems(manifest, {})
    assert list(problems) == ["domains"]
    assert str(problems["domains"]).startswith(
        "streams[0].retriever.paginator.page_size_option: stream 'domains' uses RequestOption "
        "('offset' in request_parameter is also the page_token_option's key; give the two "
        "options different field names (airbyte-cdk refuses it too))"
    )


def test_body_json_page_options_collide_only_on_a_shared_path() -> None:
    """airbyte-cdk merges body_json options by path: ``page.size`` beside ``page.after`` is fine,
    ``page`` beside ``page.after`` is not."""

    def stream(name: str, size_path: list[str]) -> dict[str, Any]:
        option = {"type": "RequestOption", "inject_into": "body_json"}
        paginator = {
            "type": "DefaultPaginator",
            "page_token_option": option | {"field_path": ["page", "after"]},
            "page_size_option": option | {"field_path": size_path},
            "pagination_strategy": {
                "type": "CursorPagination",
                "cursor_value": "{{ response.n }}",
                "page_size": 10,
            },
        }
        requester = {"url_base": "http://127.0.0.1:9", "path": f"/{name}", "http_method": "POST"}
        retriever = {"requester": requester, "paginator": paginator}
        retriever |= {"record_selector": {"extractor": {}}}
        return {"name": name, "retriever": retriever}

    manifest = {
        "version": "6.0.0",
        "streams": [stream("nested", ["page", "size"]), stream("clash", ["page"])],
    }
    problems = stream_problems(manifest, {})
    assert list(problems) == ["clash"]
    assert "'page' in body_json is also the page_token_option's key" in str(problems["clash"])


def test_a_request_option_with_both_field_name_and_field_path_is_refused() -> None:
    """workable's page token option names both: airbyte-cdk 7 will not build that stream."""
    option = {"inject_into": "body_json", "field_name": "since", "field_path": ["since"]}
    paginator = {
        "type": "DefaultPaginator",
        "page_token_option": option,
        "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.n }}"},
    }
    retriever = {"requester": {"url_base": "http://127.0.0.1:9", "path": "/jobs"}}
    retriever |= {"paginator": paginator, "record_selector": {"extractor": {}}}
    manifest = {"version": "0.29.0", "streams": [{"name": "jobs", "retriever": retriever}]}
    assert "RequestOption (both a field_name and a field_path; airbyte-cdk refuses it too)" in str(
        stream_problems(manifest, {})["jobs"]
    )
