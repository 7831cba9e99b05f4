"""Issue 13.1: the bundled connectors into a real PostgreSQL server, through ``restsync.sync`` and
through ``restsync run --destination postgres``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pytest

from restsync import connectors
from tests.conftest import run_restsync
from tests.destinations.helpers import SECRET, served_counts, simulator, sync


@pytest.fixture
def pg_pipeline(postgres: Any, tmp_path: Path) -> Any:
    def make(name: str, dataset: str) -> Any:
        postgres.query(f'drop schema if exists "{dataset}" cascade')
        return dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.postgres(credentials=postgres.credentials),
            dataset_name=dataset,
            pipelines_dir=str(tmp_path / "pipelines"),
        )

    return make


def _loaded_counts(postgres: Any, dataset: str, tables: dict[str, int]) -> dict[str, int]:
    return {table: postgres.count(dataset, table) for table in tables}


def _rows(postgres: Any, dataset: str, table: str) -> list[tuple[Any, ...]]:
    """Every row without dlt's bookkeeping columns, sorted: what a re-load must not change."""
    columns = [
        r[0]
        for r in postgres.query(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s and column_name not like '\\_dlt%%' "
            "order by column_name",
            (dataset, table),
        )
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    return postgres.query(f'select {listed} from "{dataset}"."{table}" order by 1, 2')


def test_all_five_connectors_load_exactly(postgres: Any, pg_pipeline: Any) -> None:
    for name in connectors.names():
        with simulator(name) as sim:
            sync(name, sim.base_url, pg_pipeline(name, f"all_{name}"))
            expected = served_counts(sim)
        assert all(expected.values()), name
        assert _loaded_counts(postgres, f"all_{name}", expected) == expected, name


def test_a_second_run_merges_and_changes_nothing(postgres: Any, pg_pipeline: Any) -> None:
    name, dataset = "webhook_service", "hooks_twice"
    pipeline = pg_pipeline(name, dataset)
    with simulator(name, seed=4) as sim:
        sync(name, sim.base_url, pipeline)
        expected = served_counts(sim)
        before = {table: _rows(postgres, dataset, table) for table in expected}
        sync(name, sim.base_url, pipeline)
    after = {table: _rows(postgres, dataset, table) for table in expected}
    assert _loaded_counts(postgres, dataset, expected) == expected
    assert after == before
    loads = postgres.query(f'select count(*) from "{dataset}"._dlt_loads where status = 0')
    assert loads == [(2,)]


def test_an_incremental_run_adds_exactly_the_new_records(postgres: Any, pg_pipeline: Any) -> None:
    name, dataset = "device_management", "devices_incremental"
    pipeline = pg_pipeline(name, dataset)
    with simulator(name, seed=2) as sim:
        sync(name, sim.base_url, pipeline)
        before = postgres.count(dataset, "policies")
        sim.add_records("policies", 4)
        sync(name, sim.base_url, pipeline)
        served = len(sim.dataset()["policies"])
    assert postgres.count(dataset, "policies") == before + 4 == served
    per_load = postgres.query(
        f'select count(*) from "{dataset}".policies group by _dlt_load_id order by 1 desc'
    )
    assert per_load == [(before,), (4,)]


def test_cli_full_refresh_drops_what_the_api_no_longer_has(
    postgres: Any, pg_pipeline: Any, tmp_path: Path
) -> None:
    name, dataset = "video_rooms", "rooms_refresh"
    pipeline = pg_pipeline(name, dataset)
    with simulator(name, seed=6) as sim:
        sync(name, sim.base_url, pipeline)
        expected = served_counts(sim)
        assert _loaded_counts(postgres, dataset, expected) == expected
        # a row the API does not serve: only a full refresh removes it
        postgres.query(
            f'insert into "{dataset}".rooms (id, _dlt_load_id, _dlt_id) '
            "values ('gone', 'x', 'gone')"
        )
        # the same pipeline from the command line, credentials from the environment
        refreshed = run_restsync(
            "run", name, "--base-url", sim.base_url, "--full-refresh",
            "--destination", "postgres", "--dataset", dataset,
            "--pipelines-dir", str(tmp_path / "pipelines"),
            cwd=tmp_path,
            env={"DESTINATION__POSTGRES__CREDENTIALS": postgres.credentials, "API_TOKEN": SECRET},
        )  # fmt: skip
    assert refreshed.returncode == 0, refreshed.stderr
    assert _loaded_counts(postgres, dataset, expected) == expected
    assert postgres.query(f"select count(*) from \"{dataset}\".rooms where id = 'gone'") == [(0,)]
    assert SECRET not in refreshed.stdout + refreshed.stderr
    assert "pg-test-secret" not in refreshed.stdout + refreshed.stderr
