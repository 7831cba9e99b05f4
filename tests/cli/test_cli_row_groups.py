"""`restsync run` into a DuckDB file writes row groups of at most 61,440 rows, half DuckDB's
default: DuckDB fills a row group in memory before it writes it, so this bounds what an insert
holds (cli/_duckdb_file.py). The file's catalog is the one every session of dlt uses, a user's
own session settings still reach them, and data spills next to the file."""

from __future__ import annotations

import json
from pathlib import Path

import dlt
import duckdb

import restsync
from restsync.cli._duckdb_file import ROW_GROUP_ROWS, HeldDestination
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.conftest import run_restsync

RECORDS = 70_000  # more than one row group of ROW_GROUP_ROWS, less than one of DuckDB's default

CONFIG = {
    "client": {"base_url": "https://api.example.com"},
    "resources": [
        {
            "name": "events",
            "primary_key": "id",
            "write_disposition": "append",
            "endpoint": {
                "path": "/events",
                "data_selector": "data",
                "paginator": {"type": "offset", "limit": 5000},
            },
        }
    ],
}
FIELDS = {"events": {"id": {"data_type": "bigint"}, "name": {"data_type": "text"}}}


def _row_groups(database: Path, table: str) -> list[int]:
    """The number of rows in each row group of ``table``."""
    with duckdb.connect(str(database), read_only=True) as db:
        rows = db.sql(
            f"select row_group_id, max(count) from pragma_storage_info('{table}') "
            "group by row_group_id order by row_group_id"
        ).fetchall()
    return [count for _, count in rows]


def test_run_writes_row_groups_of_at_most_the_held_connections_size(tmp_path: Path) -> None:
    plan = restsync.plan_config(CONFIG, name="events")
    options = SimulatorOptions(seed=3, records_per_resource=RECORDS)
    (tmp_path / "events.json").write_text(json.dumps(CONFIG))
    database = tmp_path / "out.duckdb"
    with serve_in_thread(plan, options, fields=FIELDS) as sim:
        result = run_restsync(
            "run", tmp_path / "events.json", "--base-url", sim.base_url,
            "--duckdb-path", database, "--dataset", "big",
            "--pipelines-dir", tmp_path / "pipelines", "--progress-every", "0", cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _row_groups(database, "big.events") == [ROW_GROUP_ROWS, RECORDS - ROW_GROUP_ROWS]


def test_every_session_uses_the_files_catalog_with_the_users_settings_and_spills_beside_it(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(
        "DESTINATION__DUCKDB__CREDENTIALS__LOCAL_CONFIG", '{"enable_progress_bar": false}'
    )
    database = tmp_path / "held.duckdb"
    held = HeldDestination(database)
    try:
        pipeline = dlt.pipeline(
            pipeline_name="held", dataset_name="ds", pipelines_dir=str(tmp_path / "pipelines")
        )
        pipeline.run([{"i": i} for i in range(3)], table_name="t", **held.run_kwargs)
        with pipeline.sql_client() as client:
            session = client.execute_sql(
                "select current_database(), current_setting('enable_progress_bar'), "
                "current_setting('temp_directory')"
            )[0]
    finally:
        held.close()
    assert session == ("held", False, f"{database.absolute()}.tmp")
    with duckdb.connect(str(database), read_only=True) as db:
        assert db.sql("select count(*) from ds.t").fetchone() == (3,)


def test_a_pipelines_own_session_settings_win_whole_over_the_general_ones(
    tmp_path: Path, monkeypatch
) -> None:
    """As dlt resolves any setting: ``<pipeline>.destination.duckdb.credentials.local_config``
    is the one a pipeline's sessions get, not merged with the general key's."""
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__LOCAL_CONFIG", '{"errors_as_json": true}')
    monkeypatch.setenv(
        "SCOPED__DESTINATION__DUCKDB__CREDENTIALS__LOCAL_CONFIG", '{"enable_progress_bar": true}'
    )
    held = HeldDestination(tmp_path / "scoped.duckdb", "scoped")
    try:
        pipeline = dlt.pipeline(
            pipeline_name="scoped", dataset_name="ds", pipelines_dir=str(tmp_path / "pipelines")
        )
        pipeline.run([{"i": 1}], table_name="t", **held.run_kwargs)
        with pipeline.sql_client() as client:
            session = client.execute_sql(
                "select current_database(), current_setting('enable_progress_bar'), "
                "current_setting('errors_as_json')"
            )[0]
    finally:
        held.close()
    assert session == ("scoped", True, False)  # the general key's setting is not merged in
