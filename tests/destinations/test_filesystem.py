"""Issue 13.1: dlt's ``filesystem`` destination writing Parquet files to a local folder, read back
with DuckDB and compared with what the simulator served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCase

import restsync
from restsync import connectors
from tests.conftest import run_restsync
from tests.destinations.helpers import SECRET, served_counts, simulator, sync


def _pipeline(tmp_path: Path, name: str) -> Any:
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.filesystem(bucket_url=str(tmp_path / "lake")),
        dataset_name=name,
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def _parquet(lake: Path, dataset: str, table: str) -> duckdb.DuckDBPyRelation:
    files = sorted((lake / dataset / table).glob("*.parquet"))
    assert files, f"no Parquet files for {table}"
    return duckdb.read_parquet([str(f) for f in files])


def _keys(lake: Path, dataset: str, table: str, column: str) -> list[Any]:
    rows = _parquet(lake, dataset, table).select(f'"{column}"').fetchall()
    return sorted(row[0] for row in rows)


def _counts(lake: Path, dataset: str, tables: dict[str, int]) -> dict[str, int]:
    return {t: len(_parquet(lake, dataset, t).fetchall()) for t in tables}


def test_every_table_is_written_as_parquet_with_exactly_the_served_records(
    tmp_path: Path,
) -> None:
    name = "webhook_service"
    with simulator(name, seed=5) as sim:
        sync(name, sim.base_url, _pipeline(tmp_path, name), loader_file_format="parquet")
        served = sim.dataset()
    lake = tmp_path / "lake"
    plan = restsync.plan_config(connectors.connector_config(name), name=name)
    naming = SnakeCase()
    for table, records in served.items():
        (key,) = plan.resources[table].primary_key
        column = naming.normalize_identifier(key)
        assert records, table
        assert _keys(lake, name, table, column) == sorted(r[key] for r in records), table
    data_files = [p for p in lake.rglob("*") if p.is_file() and not p.parent.name.startswith("_")]
    assert data_files and all(p.suffix == ".parquet" for p in data_files if p.name != "init")


def test_incremental_tables_get_only_new_records_and_the_others_append(tmp_path: Path) -> None:
    name = "device_management"
    plan = restsync.plan_config(connectors.connector_config(name), name=name)
    incremental = {n for n, r in plan.resources.items() if r.incremental is not None}
    pipeline = _pipeline(tmp_path, name)
    lake = tmp_path / "lake"
    with simulator(name, seed=2) as sim:
        sync(name, sim.base_url, pipeline, loader_file_format="parquet")
        first = served_counts(sim)
        assert _counts(lake, name, first) == first
        sync(name, sim.base_url, pipeline, loader_file_format="parquet")
        # nothing new: incremental tables are unchanged; the rest append (files cannot merge)
        again = {t: n if t in incremental else 2 * n for t, n in first.items()}
        assert _counts(lake, name, first) == again
        sim.add_records("policies", 4)
        sync(name, sim.base_url, pipeline, loader_file_format="parquet")
    assert "policies" in incremental and len(incremental) >= 5
    assert _counts(lake, name, {"policies": 0}) == {"policies": first["policies"] + 4}
    per_load = _parquet(lake, name, "policies").aggregate("count(*)", "_dlt_load_id")
    assert sorted(row[0] for row in per_load.fetchall()) == [4, first["policies"]]


def test_cli_merge_appends_on_plain_files_and_full_refresh_rewrites(tmp_path: Path) -> None:
    """Plain Parquet files cannot be updated in place: dlt appends where a resource asks for
    merge, so a re-run duplicates rows; ``--full-refresh`` writes exactly the API's data again."""
    name = "video_rooms"
    lake = tmp_path / "lake"
    env = {"DESTINATION__FILESYSTEM__BUCKET_URL": str(lake), "API_TOKEN": SECRET}
    args = ["--destination", "filesystem", "--loader-file-format", "parquet"]
    args += ["--dataset", name, "--pipelines-dir", str(tmp_path / "pipelines")]
    with simulator(name, seed=6) as sim:
        sync(name, sim.base_url, _pipeline(tmp_path, name), loader_file_format="parquet")
        url = ["--base-url", sim.base_url]
        again = run_restsync("run", name, *url, *args, cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        assert "cannot merge into plain files" in " ".join(again.stderr.split())
        expected = served_counts(sim)
        assert _counts(lake, name, expected) == {t: 2 * n for t, n in expected.items()}
        refreshed = run_restsync("run", name, *url, *args, "--full-refresh", cwd=tmp_path, env=env)
    assert refreshed.returncode == 0, refreshed.stderr
    assert _counts(lake, name, expected) == expected
