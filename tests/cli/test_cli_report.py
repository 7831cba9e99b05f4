"""Issue 13.2: ``restsync run --report FILE.json`` and the documented exit codes, one test per
code, each report checked against the JSON Schema printed in docs/report.md."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread

ROOT = Path(__file__).parents[2]
CONFIGS = Path(__file__).parent / "configs"
SECRET = "report-secret"


def documented_schema() -> dict[str, Any]:
    text = (ROOT / "docs" / "report.md").read_text()
    section = text.split("## Schema", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None, "docs/report.md has no schema block"
    return json.loads(block.group(1))


def read_report(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text())
    jsonschema.validate(report, documented_schema())
    return report


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "restsync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        preexec_fn=_take_ctrl_c,
    )


def _take_ctrl_c() -> None:
    # A suite started as a background job of a non-interactive shell (`make test &`, some CI
    # runners) inherits SIGINT ignored, as POSIX has it, and so would the child: its Ctrl-C
    # would be lost and the interrupted-run test would see the run finish (exit 0). A user's
    # terminal delivers Ctrl-C, so the child gets the default disposition back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, errors = process.communicate(timeout=180)
    return process.returncode, out, errors


def _simulator(name: str, **options: Any) -> Any:
    plan = restsync.plan_config(connectors.connector_config(name, lenient=True), name=name)
    settings = SimulatorOptions(seed=3, token=SECRET, **options)
    return serve_in_thread(plan, settings, fields=connectors.connector_fields(name))


def _run_args(tmp_path: Path, base_url: str) -> list[str]:
    return [
        "--base-url", base_url, "--duckdb-path", str(tmp_path / "out.duckdb"),
        "--pipelines-dir", str(tmp_path / "pipelines"), "--report", str(tmp_path / "report.json"),
    ]  # fmt: skip


def test_exit_0_reports_every_resource_its_requests_and_the_load(tmp_path: Path) -> None:
    name = "webhook_service"
    # the first request for applications is rate-limited once: one retry, one more request
    with _simulator(name, faults="/v1/app:429/retry=0@1") as sim:
        process = cli("run", name, *_run_args(tmp_path, sim.base_url), cwd=tmp_path,
                      env={"API_KEY": SECRET})  # fmt: skip
        code, out, errors = finish(process)
        served = {table: len(records) for table, records in sim.dataset().items()}
        total_requests = sim.counters()["total_requests"]
    assert code == 0, errors
    report = read_report(tmp_path / "report.json")
    assert (report["status"], report["exit_code"], report["error"]) == ("ok", 0, None)
    assert (report["source"], report["pipeline"], report["dataset"]) == (name, name, name)
    assert report["destination"] == "duckdb"
    resources = report["resources"]
    assert {n: r["records"] for n, r in resources.items()} == served
    assert all(r["status"] == "ok" and r["error"] is None for r in resources.values())
    assert sum(r["requests"] for r in resources.values()) == total_requests
    assert resources["applications"]["retries"] == 1
    assert all(r["requests"] >= r["pages"] > 0 for r in resources.values())
    for entry in resources.values():
        assert report["started_at"] <= entry["first_request_at"] <= entry["last_request_at"]
        assert entry["last_request_at"] <= report["finished_at"]
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as db:
        loaded = [r[0] for r in db.sql(f"select load_id from {name}._dlt_loads").fetchall()]
    assert report["load_ids"] == loaded and len(loaded) == 1
    assert report["pending_load_ids"] == []
    assert "requests" in out  # the summary table shows them too
    assert SECRET not in (tmp_path / "report.json").read_text() + out + errors


def test_exit_1_when_a_resource_fails_and_the_rest_is_loaded(tmp_path: Path) -> None:
    config = connectors.load_yaml_config(CONFIGS / "webhook_service.yaml", lenient=True)
    plan = restsync.plan_config(config, name="webhook_service")
    options = SimulatorOptions(seed=9, token=SECRET)
    fields = connectors.connector_fields("webhook_service")
    with serve_in_thread(plan, options, fields=fields) as sim:
        process = cli("run", str(CONFIGS / "webhook_service.yaml"),
                      *_run_args(tmp_path, sim.base_url), cwd=tmp_path,
                      env={"API_KEY": SECRET})  # fmt: skip
        code, _, errors = finish(process)
    assert code == 1, errors
    report = read_report(tmp_path / "report.json")
    assert (report["status"], report["exit_code"], report["error"]) == ("resource_failed", 1, None)
    failed = {n: r["error"] for n, r in report["resources"].items() if r["status"] == "failed"}
    assert list(failed) == ["event_types"] and "primary key 'id'" in failed["event_types"]
    assert report["resources"]["applications"]["status"] == "ok"
    assert len(report["load_ids"]) == 1  # the healthy resources were loaded


def test_exit_2_for_a_bad_config_still_writes_the_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: {base_url: 'https://x'}\nresources: [{name: a, endpoint: {path: 7}}]")
    code, _, errors = finish(cli("run", str(bad), "--report", "r.json", cwd=tmp_path))
    assert code == 2 and "Traceback" not in errors
    report = read_report(tmp_path / "r.json")
    assert (report["status"], report["exit_code"]) == ("config_error", 2)
    assert "resources[0].endpoint.path" in report["error"] and report["resources"] == {}
    assert report["pipeline"] is None and report["load_ids"] == []


def test_exit_3_when_the_destination_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("not a directory")
    with _simulator("video_rooms") as sim:
        args = _run_args(tmp_path, sim.base_url)
        args[args.index("--duckdb-path") + 1] = str(tmp_path / "a_file" / "out.duckdb")
        code, _, errors = finish(cli("run", "video_rooms", *args, cwd=tmp_path,
                                     env={"API_TOKEN": SECRET}))  # fmt: skip
        requests = sim.counters()["total_requests"]
    assert code == 3, errors
    text = " ".join(errors.split())
    assert "error: the sync step into duckdb failed:" in text and "Not a directory" in text
    assert "Traceback" not in errors and "--verbose" in text
    report = read_report(tmp_path / "report.json")
    assert (report["status"], report["exit_code"]) == ("pipeline_failed", 3)
    assert requests == 0 and {r["status"] for r in report["resources"].values()} == {"not_run"}


def test_exit_4_for_an_unexpected_exception_with_the_traceback_under_verbose(
    tmp_path: Path,
) -> None:
    script = tmp_path / "broken_step.py"
    script.write_text(
        "from restsync import connectors\n"
        "source = connectors.connector_source('video_rooms')\n"
        "source.resources['rooms'].add_map(lambda record: record['no such field'])\n"
    )
    with _simulator("video_rooms") as sim:
        quiet = finish(cli("run", str(script), *_run_args(tmp_path, sim.base_url),
                           cwd=tmp_path, env={"API_TOKEN": SECRET}))  # fmt: skip
        loud = finish(cli("--verbose", "run", str(script), *_run_args(tmp_path, sim.base_url),
                          cwd=tmp_path, env={"API_TOKEN": SECRET}))  # fmt: skip
    assert quiet[0] == loud[0] == 4, quiet[2]
    assert "error: unexpected KeyError: 'no such field'" in quiet[2]
    assert "Traceback" not in quiet[2] and "Traceback" in loud[2]
    assert read_report(tmp_path / "report.json")["status"] == "internal_error"
    assert SECRET not in quiet[1] + quiet[2] + loud[1] + loud[2]


@pytest.mark.parametrize(
    "signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_stopped_run_exits_128_plus_the_signal_and_reports_it(
    signum: int, code: int, tmp_path: Path
) -> None:
    # 1 s per response and five times the data: video_rooms' longest chain is about 14
    # requests, so the run is far from done when the signal comes; an interrupted run exits at
    # once, so the test stays short. (Its exit-0 failures in sessions 10 and 11 were not a
    # slow machine: the suite ran as a background job with SIGINT ignored; see _take_ctrl_c.)
    with _simulator("video_rooms", latency_ms=1000, scale=5) as sim:
        process = cli("run", "video_rooms", *_run_args(tmp_path, sim.base_url),
                      cwd=tmp_path, env={"API_TOKEN": SECRET})  # fmt: skip
        started = threading.Event()

        def wait_for_requests() -> None:
            while process.poll() is None and sim.counters()["total_requests"] < 2:
                started.wait(0.02)
            started.set()

        watcher = threading.Thread(target=wait_for_requests)
        watcher.start()
        assert started.wait(120) and process.poll() is None
        watcher.join()
        process.send_signal(signum)
        returncode, _, errors = finish(process)
    assert returncode == code, errors
    report = read_report(tmp_path / "report.json")
    assert (report["status"], report["exit_code"]) == ("interrupted", code)
    statuses = {r["status"] for r in report["resources"].values()}
    assert "interrupted" in statuses
