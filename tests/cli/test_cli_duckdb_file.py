"""`restsync run` into a DuckDB file loads through one held connection (cli/_duckdb_file.py): the
tables come out as ``restsync.sync`` makes them through dlt's own connections, over two runs (the
second merges, nested tables included); dlt's staging tables are left empty, so the one checkpoint
at the end writes only the data; and the file is whole when the process exits (no log left)."""

from __future__ import annotations

import os
from pathlib import Path

import dlt
import duckdb

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.conftest import run_restsync
from tests.load.layout import assert_identical, describe

CONNECTOR = "video_rooms"


def _cli_run(base_url: str, database: Path, tmp_path: Path) -> None:
    result = run_restsync(
        "run", CONNECTOR, "--base-url", base_url, "--duckdb-path", database,
        "--pipelines-dir", tmp_path / "cli-pipelines", "--progress-every", "0",
        cwd=tmp_path, env={"API_TOKEN": "d-secret"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def _sync(base_url: str, database: Path, tmp_path: Path) -> object:
    pipeline = dlt.pipeline(
        pipeline_name="reference",
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name=CONNECTOR,
        pipelines_dir=str(tmp_path / "sync-pipelines"),
    )
    with restsync.overrides(base_url=base_url):
        source = restsync.rest_api_source(connectors.connector_config(CONNECTOR), name=CONNECTOR)
    restsync.sync(pipeline, source)
    return pipeline.default_schema


def test_run_into_a_duckdb_file_loads_the_same_tables_and_leaves_staging_empty(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("API_TOKEN", "d-secret")
    plan = restsync.plan_config(connectors.connector_config(CONNECTOR), name=CONNECTOR)
    options = SimulatorOptions(seed=5, token="d-secret")
    cli_db, sync_db = tmp_path / "cli.duckdb", tmp_path / "sync.duckdb"
    with serve_in_thread(plan, options, fields=connectors.connector_fields(CONNECTOR)) as sim:
        for _ in range(2):
            _cli_run(sim.base_url, cli_db, tmp_path)
            schema = _sync(sim.base_url, sync_db, tmp_path)
    assert not cli_db.with_name(cli_db.name + ".wal").exists()
    cli = dlt.attach(pipeline_name=CONNECTOR, pipelines_dir=str(tmp_path / "cli-pipelines"))
    ours = describe(cli_db, CONNECTOR, cli.default_schema)
    assert_identical(ours, describe(sync_db, CONNECTOR, schema))
    with duckdb.connect(str(cli_db), read_only=True) as db:
        staged = db.sql(
            "select table_name, estimated_size from duckdb_tables() "
            f"where schema_name = '{CONNECTOR}_staging' and not starts_with(table_name, '_dlt')"
        ).fetchall()
    assert staged and all(rows == 0 for _, rows in staged), staged


def test_an_in_process_run_leaves_the_environment_as_it_found_it(
    tmp_path: Path, monkeypatch
) -> None:
    """The held connection's dlt setting lasts for the run only: a program embedding the CLI
    (here typer's runner, in this process) keeps dlt's default for its own syncs afterwards,
    and a value the user set stays."""
    from typer.testing import CliRunner

    from restsync.cli import app

    monkeypatch.setenv("API_TOKEN", "d-secret")
    monkeypatch.delenv("LOAD__TRUNCATE_STAGING_DATASET", raising=False)
    monkeypatch.chdir(tmp_path)
    plan = restsync.plan_config(connectors.connector_config(CONNECTOR), name=CONNECTOR)
    options = SimulatorOptions(seed=5, token="d-secret")
    with serve_in_thread(plan, options, fields=connectors.connector_fields(CONNECTOR)) as sim:
        for user_value in (None, "false"):
            if user_value is not None:
                monkeypatch.setenv("LOAD__TRUNCATE_STAGING_DATASET", user_value)
            arguments = ["run", CONNECTOR, "--base-url", sim.base_url, "--progress-every", "0"]
            arguments += ["--duckdb-path", str(tmp_path / "in-process.duckdb")]
            arguments += ["--pipelines-dir", str(tmp_path / "pipelines")]
            result = CliRunner().invoke(app, arguments)
            assert result.exit_code == 0, result.output
            assert os.environ.get("LOAD__TRUNCATE_STAGING_DATASET") == user_value
