"""Issue 13.4: examples/scheduled_sync.py, the cron-style script docs/deploy.md shows, run as cron
would run it: its exit codes and its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.conftest import count_rows

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "examples" / "scheduled_sync.py"
MIS_KEYED = Path(__file__).parent / "configs" / "webhook_service.yaml"
SECRET = "cron-secret"


def cron(source: str, base_url: str, cwd: Path, **env: str) -> tuple[int, dict[str, Any], str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "API_TOKEN")}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), source, "--base-url", base_url, "--report", "report.json"],
        capture_output=True, text=True, timeout=180, cwd=cwd, env={**clean, **env},
    )  # fmt: skip
    report = json.loads((cwd / "report.json").read_text())
    assert report["exit_code"] == result.returncode
    return result.returncode, report, result.stderr


def _api(config: dict[str, Any], name: str) -> Any:
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=8, token=SECRET)
    return serve_in_thread(plan, options, fields=connectors.connector_fields(name))


def test_every_quarter_hour_exit_0_and_only_new_records(tmp_path: Path) -> None:
    name = "device_management"
    with _api(connectors.connector_config(name, lenient=True), name) as api:
        first = cron(name, api.base_url, tmp_path, API_KEY=SECRET)
        api.add_records("policies", 3)
        second = cron(name, api.base_url, tmp_path, API_KEY=SECRET)
        served = {t: len(records) for t, records in api.dataset().items()}
    assert (first[0], second[0]) == (0, 0), second[2]
    report = second[1]
    assert report["error"] is None and len(report["load_ids"]) == 1
    assert set(report["resources"]) == set(served)
    assert all(r["status"] == "ok" and r["requests"] > 0 for r in report["resources"].values())
    database = tmp_path / f"{name}_data.duckdb"
    assert {t: count_rows(database, name, t) for t in served} == served


def test_a_failed_resource_exits_1_after_loading_the_others(tmp_path: Path) -> None:
    config = connectors.load_yaml_config(MIS_KEYED, lenient=True)
    with _api(config, "webhook_service") as api:
        code, report, errors = cron(str(MIS_KEYED), api.base_url, tmp_path, API_KEY=SECRET)
        served = api.dataset()
    assert code == 1, errors
    failed = [n for n, r in report["resources"].items() if r["status"] == "failed"]
    assert failed == ["event_types"] and "primary key 'id'" in report["error"]
    database = tmp_path / "webhook_service_data.duckdb"
    assert count_rows(database, "webhook_service", "tokens") == len(served["tokens"])


def test_a_missing_secret_exits_2_before_any_request(tmp_path: Path) -> None:
    name = "device_management"
    with _api(connectors.connector_config(name, lenient=True), name) as api:
        code, report, errors = cron(name, api.base_url, tmp_path)
        requests = api.counters()["total_requests"]
    assert code == 2 and requests == 0
    assert "secret 'api_key' is not set" in report["error"] and "Traceback" not in errors
