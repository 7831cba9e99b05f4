"""A whole-run bound: ``client.max_run_seconds``.

Each request is bounded by ``timeout_seconds``, but a server that sends a valid page a little
faster than that, forever, with a new cursor each time, is bounded only by ``max_pages`` times
the timeout (days at the defaults). ``max_run_seconds`` ends every request still running at
that point: the resource it serves fails by name, saying so; a resource that finished first is
loaded. Before it, the key was refused as unknown and such a run went on to ``max_pages``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import dlt
import pytest
from aiohttp import web
from dlt.pipeline.exceptions import PipelineStepFailed

import restsync
from tests.conftest import RoutedServer, count_rows, run_restsync, table_names
from tests.security.bounded import BOUND_SECONDS, sync_within_bound

PAGE_SECONDS = 0.25  # each page well inside timeout_seconds: no single request times out


def _serve(server: RoutedServer) -> None:
    @server.get("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(PAGE_SECONDS)
        after = int(request.query.get("after", "0"))
        return web.json_response({"data": [{"id": after}], "next": str(after + 1)})

    @server.get("/quick")
    async def quick(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}, {"id": 3}]})

    server.start()


def _config(base_url: str) -> dict[str, Any]:
    cursor = {"type": "cursor", "cursor_path": "next", "cursor_param": "after"}
    return {
        "client": {
            "base_url": base_url,
            # far above max_run_seconds: only the run bound can end a request, even when a
            # loaded machine stretches a 0.25 s page past a second
            "timeout_seconds": 30,
            "max_run_seconds": 2,
            "error_handler": {"max_retries": 0},
        },
        "resources": [
            {
                "name": "slow",
                "endpoint": {"path": "/slow", "data_selector": "data", "paginator": cursor},
            },
            {
                "name": "quick",
                "endpoint": {"path": "/quick", "data_selector": "data", "paginator": "single_page"},
            },
        ],
    }


def test_a_never_ending_resource_is_cut_at_max_run_seconds(
    server: RoutedServer, make_pipeline: Any, duckdb_path: Path
) -> None:
    _serve(server)
    error = sync_within_bound(_config(server.base_url), make_pipeline)

    assert isinstance(error, restsync.SyncFailed)
    assert [f.resource for f in error.failures] == ["slow"]
    message = str(error.failures[0])
    assert "the run reached client.max_run_seconds (2 s)" in message
    assert "raise max_run_seconds (restsync run --timeout)" in message
    assert count_rows(duckdb_path, "data", "quick") == 3
    slow_requests = [r for r in server.requests if r.path == "/slow"]
    assert len(slow_requests) >= 2  # it did page on until the bound


def test_with_pipeline_run_a_cut_run_loads_nothing(
    server: RoutedServer, tmp_path: Path, duckdb_path: Path
) -> None:
    _serve(server)
    pipeline = dlt.pipeline(
        "bounded", destination=dlt.destinations.duckdb(str(duckdb_path)), dataset_name="data"
    )
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            pipeline.run(restsync.rest_api_source(_config(server.base_url)))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND_SECONDS)
    assert not thread.is_alive()
    assert isinstance(outcome[0], PipelineStepFailed)
    assert "max_run_seconds" in str(outcome[0])
    assert not {"slow", "quick"} & table_names(duckdb_path, "data")


def test_max_run_seconds_must_be_positive() -> None:
    config = _config("http://127.0.0.1:9")
    config["client"]["max_run_seconds"] = 0
    with pytest.raises(restsync.ConfigError, match="max_run_seconds is 0; set it to a number"):
        restsync.rest_api_source(config)


def test_restsync_run_timeout_cuts_the_run_and_exits_1(
    server: RoutedServer, tmp_path: Path
) -> None:
    _serve(server)
    config = _config(server.base_url)
    del config["client"]["max_run_seconds"]  # the command line sets it
    spec = tmp_path / "bounded.json"
    spec.write_text(json.dumps(config))
    report, db = tmp_path / "report.json", tmp_path / "out.duckdb"
    done = run_restsync(
        "run", spec, "--timeout", "2", "--duckdb-path", db, "--pipelines-dir", tmp_path / "p",
        "--report", report, timeout=BOUND_SECONDS,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    outcome = json.loads(report.read_text())
    assert outcome["status"] == "resource_failed"
    assert outcome["resources"]["quick"]["status"] == "ok"
    assert outcome["resources"]["slow"]["status"] == "failed"
    assert "client.max_run_seconds (2 s)" in outcome["resources"]["slow"]["error"]
    assert count_rows(db, "bounded", "quick") == 3
