"""`restsync run` on a YAML config and on a connector, against a simulator over loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import restsync
from restsync import connectors
from restsync.simulator import Simulator, SimulatorOptions, serve_in_thread
from tests.conftest import count_rows, run_restsync

CONFIGS = Path(__file__).parent / "configs"


def _run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_restsync("run", *args, cwd=cwd, env=env)


@contextmanager
def _serving(connector: str, token: str, **options: Any) -> Iterator[Simulator]:
    """The bundled ``connector`` served by the simulator, its auth answering only ``token``."""
    plan = restsync.plan_config(connectors.connector_config(connector, lenient=True))
    fields = connectors.connector_fields(connector)
    with serve_in_thread(plan, SimulatorOptions(token=token, **options), fields=fields) as sim:
        yield sim


def _run_served(
    folder: Path, source: str, sim: Simulator, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``restsync run SOURCE`` against ``sim``, in ``folder`` and its pipelines in there too."""
    pipelines = str(folder / "pipelines")
    run = (source, "--base-url", sim.base_url, "--pipelines-dir", pipelines, *args)
    return _run(*run, cwd=folder, env=env)


def test_run_a_yaml_seed_reports_the_mis_keyed_resource_and_loads_the_rest(tmp_path: Path) -> None:
    env = {"API_KEY": "yaml-secret"}
    config = connectors.load_yaml_config(CONFIGS / "webhook_service.yaml", lenient=True)
    plan = restsync.plan_config(config, name="webhook_service")
    fields = connectors.connector_fields("webhook_service")
    options = SimulatorOptions(seed=9, token="yaml-secret")
    with serve_in_thread(plan, options, fields=fields) as sim:
        database = tmp_path / "out.duckdb"
        result = _run_served(
            tmp_path,
            str(CONFIGS / "webhook_service.yaml"),
            sim,
            "--duckdb-path",
            str(database),
            "--dataset",
            "hooks",
            env=env,
        )
        served = sim.dataset()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "resource 'event_types'" in result.stderr and "primary key 'id'" in result.stderr
    assert "applications" in result.stdout and "failed" in result.stdout
    for table in ("applications", "tokens", "endpoints", "integrations", "webhook_endpoint"):
        assert count_rows(database, "hooks", table) == len(served[table]), table


def test_run_a_connector_with_selected_resources(tmp_path: Path) -> None:
    env = {"API_TOKEN": "c-secret"}
    with _serving("video_rooms", "c-secret", seed=1) as sim:
        database = tmp_path / "v.duckdb"
        result = _run_served(
            tmp_path,
            "video_rooms",
            sim,
            "--duckdb-path",
            str(database),
            "--resources",
            "active_room_peers",
            env=env,
        )
        served = sim.dataset()
    assert result.returncode == 0, result.stderr
    assert count_rows(database, "video_rooms", "active_room_peers") == len(
        served["active_room_peers"]
    )
    assert "active_room_peers" in result.stdout


def test_run_with_arrow_pages_loads_through_parquet(tmp_path: Path) -> None:
    env = {"API_TOKEN": "a-secret"}
    with _serving("iot_platform", "a-secret", seed=3) as sim:
        database = tmp_path / "i.duckdb"
        result = _run_served(
            tmp_path,
            "iot_platform",
            sim,
            "--duckdb-path",
            str(database),
            "--page-format",
            "arrow",
            env=env,
        )
        served = sim.dataset()
    assert result.returncode == 0, result.stderr
    # dlt warns when it has to turn Arrow tables back into rows for another file format
    assert "degrade performance" not in result.stderr
    for table, records in served.items():
        assert count_rows(database, "iot_platform", table) == len(records), table
    jobs = list((tmp_path / "pipelines").rglob("completed_jobs/*"))
    # data files, not the merge statements (.sql) dlt runs after them
    data_files = [j.name for j in jobs if not j.name.startswith("_dlt") and j.suffix != ".sql"]
    assert data_files and all(name.endswith(".parquet") for name in data_files), data_files


def test_run_without_a_terminal_prints_progress_lines(tmp_path: Path) -> None:
    env = {"API_TOKEN": "p-secret"}
    # 40 ms per response: the run takes about a second on a quiet machine (its cursor chains
    # alone take 0.4 s), so a line every 0.05 s gives several (at 0.3 s it gave one, once the
    # machine was fast enough)
    with _serving("video_rooms", "p-secret", seed=2, latency_ms=40) as sim:
        result = _run_served(
            tmp_path,
            "video_rooms",
            sim,
            "--duckdb-path",
            str(tmp_path / "v.duckdb"),
            "--progress-every",
            "0.05",
            env=env,
        )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("syncing ")]
    assert len(lines) >= 2, result.stderr
    assert "resources done" in lines[-1] and "records" in lines[-1]
    # counts only grow from one line to the next
    pages = [int(line.split(", ")[1].split()[0]) for line in lines]
    assert pages == sorted(pages) and pages[-1] > 0


def test_run_with_the_default_duckdb_file_twice(tmp_path: Path) -> None:
    # the default file is not named like the dataset: DuckDB could not tell them apart
    env = {"API_KEY": "d-secret"}
    name = "device_management"
    with _serving(name, "d-secret", seed=4) as sim:
        results = [_run_served(tmp_path, name, sim, env=env) for _ in range(2)]
        served = sim.dataset()
    assert [r.returncode for r in results] == [0, 0], results[-1].stderr
    database = tmp_path / f"{name}_data.duckdb"
    assert count_rows(database, name, "policies") == len(served["policies"])


def test_run_refuses_a_duckdb_file_named_like_the_dataset(tmp_path: Path) -> None:
    result = _run(
        "video_rooms", "--base-url", "http://127.0.0.1:9", "--duckdb-path", "video_rooms.duckdb",
        cwd=tmp_path, env={"API_TOKEN": "t"},
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is named like the dataset 'video_rooms'" in " ".join(result.stderr.split())
    assert not (tmp_path / "video_rooms.duckdb").exists()
