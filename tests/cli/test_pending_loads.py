"""Issue 9.7: data an interrupted run extracted and did not load is loaded first, and then the
sync that was asked for still happens (plain ``pipeline.run`` loads the package and stops)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.conftest import count_rows, run_restsync

NAME = "device_management"
SECRET = "pending-secret"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", SECRET)


def _pipeline(tmp_path: Path) -> Any:
    return dlt.pipeline(
        pipeline_name=NAME,
        destination=dlt.destinations.duckdb(str(tmp_path / "out.duckdb")),
        dataset_name=NAME,
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def _leave_pending(pipeline: Any, base_url: str, stage: str) -> None:
    """What a run killed after extraction (``extracted``) or after normalizing leaves behind.

    A first run is loaded before: when the dataset does not exist yet, dlt discards the local
    state and packages of a pipeline (it starts over), so there is nothing pending to test."""
    restsync.sync(pipeline, connectors.connector_source(NAME, base_url=base_url))
    pipeline.extract(connectors.connector_source(NAME, base_url=base_url))
    if stage == "normalized":
        pipeline.normalize()
    assert pipeline.has_pending_data


def _loads(tmp_path: Path) -> list[str]:
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as db:
        rows = db.sql(f"select load_id from {NAME}._dlt_loads order by load_id").fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("stage", ["extracted", "normalized"])
def test_sync_loads_the_pending_package_then_syncs(stage: str, tmp_path: Path) -> None:
    plan = restsync.plan_config(connectors.connector_config(NAME), name=NAME)
    fields = connectors.connector_fields(NAME)
    with serve_in_thread(plan, SimulatorOptions(seed=4, token=SECRET), fields=fields) as sim:
        _leave_pending(_pipeline(tmp_path), sim.base_url, stage)
        first = len(sim.dataset()["policies"])
        sim.add_records("policies", 3)  # only a real sync after the pending load sees these
        pipeline = _pipeline(tmp_path)  # a new process would start from the directory, too
        source = connectors.connector_source(NAME, base_url=sim.base_url)
        restsync.sync(pipeline, source)
        served = {t: len(records) for t, records in sim.dataset().items()}
    assert not pipeline.has_pending_data
    assert restsync.runtime_of(source).last_report is not None  # this sync extracted
    assert {t: count_rows(tmp_path / "out.duckdb", NAME, t) for t in served} == served
    assert served["policies"] == first + 3
    assert len(_loads(tmp_path)) == 3  # the first run's, the pending package, this sync's


def test_cli_reports_the_pending_load_and_syncs(tmp_path: Path) -> None:
    plan = restsync.plan_config(connectors.connector_config(NAME), name=NAME)
    fields = connectors.connector_fields(NAME)
    with serve_in_thread(plan, SimulatorOptions(seed=5, token=SECRET), fields=fields) as sim:
        _leave_pending(_pipeline(tmp_path), sim.base_url, "extracted")
        sim.add_records("policies", 2)
        result = run_restsync(
            "run", NAME, "--base-url", sim.base_url, "--duckdb-path", tmp_path / "out.duckdb",
            "--pipelines-dir", tmp_path / "pipelines", "--report", "report.json", cwd=tmp_path,
        )  # fmt: skip
        served = {t: len(records) for t, records in sim.dataset().items()}
    assert result.returncode == 0, result.stderr
    assert "loaded 1 package(s) left pending by an earlier, interrupted run" in result.stdout
    assert "nothing was extracted" not in result.stdout and "policies" in result.stdout
    assert {t: count_rows(tmp_path / "out.duckdb", NAME, t) for t in served} == served
    report = json.loads((tmp_path / "report.json").read_text())
    loads = _loads(tmp_path)
    assert len(loads) == 3 and report["load_ids"] == loads[1:]
    assert report["pending_load_ids"] == loads[1:2]
    assert report["resources"]["policies"]["status"] == "ok"
