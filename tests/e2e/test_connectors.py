"""Issue 4: each bundled connector against the simulator, loaded into a real DuckDB file."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.conftest import count_rows

NAMES = connectors.names()


@pytest.fixture(autouse=True)
def _secrets(monkeypatch) -> None:
    for name in ("API_KEY", "API_TOKEN"):
        monkeypatch.setenv(name, "connector-secret")


def _sync(name: str, base_url: str, pipeline: Any) -> Any:
    source = connectors.connector_source(name, base_url=base_url)
    restsync.sync(pipeline, source)
    return restsync.runtime_of(source).last_report


def _plan(name: str) -> Any:
    return restsync.plan_config(connectors.connector_config(name), name=name)


def _assert_exact(name: str, path: Any, served: dict[str, list[Any]]) -> None:
    for table, records in served.items():
        if records:
            assert count_rows(path, name, table) == len(records), table


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cursor_style", ["token", "url"])
def test_every_table_loads_exactly_and_a_second_run_changes_nothing(
    name: str, cursor_style: str, make_pipeline, duckdb_path
) -> None:
    options = SimulatorOptions(seed=11, cursor_style=cursor_style)  # type: ignore[arg-type]
    fields = connectors.connector_fields(name)
    with serve_in_thread(_plan(name), options, fields=fields) as sim:
        pipeline = make_pipeline(name=name, dataset=name)
        _sync(name, sim.base_url, pipeline)
        served = sim.dataset()
        _assert_exact(name, duckdb_path, served)
        _sync(name, sim.base_url, pipeline)
        _assert_exact(name, duckdb_path, served)
    assert all(records for records in served.values()), "every resource serves records"


@pytest.mark.parametrize(
    "name, child, parent, column",
    [
        ("webhook_service", "endpoints", "applications", "_applications_id"),
        ("webhook_service", "ingest_source_endpoint", "ingest_source", "_ingest_source_id"),
        ("video_rooms", "active_room_peers", "rooms", "_rooms_id"),
        ("video_rooms", "template_settings", "templates", "_templates_id"),
    ],
)
def test_child_rows_link_to_their_parent(
    name, child, parent, column, make_pipeline, duckdb_path
) -> None:
    with serve_in_thread(
        _plan(name), SimulatorOptions(seed=5), fields=connectors.connector_fields(name)
    ) as sim:
        _sync(name, sim.base_url, make_pipeline(name=name, dataset=name))
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        linked, orphans = db.sql(
            f'select count(p.id), count(*) - count(p.id) from "{name}"."{child}" c '
            f'left join "{name}"."{parent}" p on c.{column} = p.id'
        ).fetchone()  # type: ignore[misc]
    assert linked > 0 and orphans == 0


def test_an_incremental_run_loads_only_new_records(make_pipeline, duckdb_path) -> None:
    name = "device_management"
    with serve_in_thread(
        _plan(name), SimulatorOptions(seed=2), fields=connectors.connector_fields(name)
    ) as sim:
        pipeline = make_pipeline(name=name, dataset=name)
        _sync(name, sim.base_url, pipeline)
        before = count_rows(duckdb_path, name, "policies")
        sim.add_records("policies", 4)
        _sync(name, sim.base_url, pipeline)
        assert (
            count_rows(duckdb_path, name, "policies")
            == before + 4
            == len(sim.dataset()["policies"])
        )
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        per_load = db.sql(
            f"select count(*) from {name}.policies group by _dlt_load_id order by min(_dlt_load_id)"
        ).fetchall()
    assert per_load == [(before,), (4,)]


@pytest.mark.parametrize("fault", ["429/retry=0@2x2", "503@3", "500@4,502@6"])
def test_injected_faults_are_recovered(fault: str, make_pipeline, duckdb_path) -> None:
    name = "webhook_service"
    config = connectors.connector_config(name)
    config["client"]["error_handler"]["backoff_factor"] = 0  # keep the test from really waiting
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=4, faults=fault)
    with serve_in_thread(plan, options, fields=connectors.connector_fields(name)) as sim:
        with restsync.overrides(base_url=sim.base_url):
            source = restsync.rest_api_source(config, name=name)
        restsync.sync(make_pipeline(name=name, dataset=name), source)
        _assert_exact(name, duckdb_path, sim.dataset())
    report = restsync.runtime_of(source).last_report
    assert report is not None and sum(s.retries for s in report.resources.values()) >= 1


def test_records_breaking_the_declared_schema_are_rejected_not_lost(
    make_pipeline, duckdb_path
) -> None:
    name = "webhook_service"
    broken = {"applications": 3, "tokens": 2}
    fields = connectors.connector_fields(name)
    with serve_in_thread(
        _plan(name), SimulatorOptions(seed=8), fields=fields, break_records=broken
    ) as sim:
        report = _sync(name, sim.base_url, make_pipeline(name=name, dataset=name))
        served = sim.dataset()
    for table, count in broken.items():
        assert count_rows(duckdb_path, name, table) == len(served[table]) - count
        assert report.resources[table].rejects == count
    # a rejected application still has its id: its endpoints are fetched all the same
    assert count_rows(duckdb_path, name, "endpoints") == len(served["endpoints"])
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        rows = db.sql(
            f"select resource, reason, count(*) from {name}._restsync_rejects "
            "group by all order by 1"
        ).fetchall()
    assert rows == [
        ("applications", "missing required field 'updatedAt'", 3),
        ("tokens", "missing required field 'createdAt'", 2),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_connector_loads_exactly_with_arrow_pages(
    name: str, make_pipeline, duckdb_path
) -> None:
    fields = connectors.connector_fields(name)
    with serve_in_thread(_plan(name), SimulatorOptions(seed=12), fields=fields) as sim:
        pipeline = make_pipeline(name=name, dataset=name)
        with restsync.overrides(page_format="arrow"):
            for _ in range(2):  # merge on the key: the second run changes no count
                report = _sync(name, sim.base_url, pipeline)
                _assert_exact(name, duckdb_path, sim.dataset())
    assert report is not None and not report.failures()
    assert all(s.rejects == 0 for s in report.resources.values())
