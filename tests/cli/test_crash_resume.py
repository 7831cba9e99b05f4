"""Issue 9.8: SIGKILL ``restsync run`` during extraction, between extraction and load, and during
the load; one rerun gives the same tables as a run never killed, and the saved incremental state is
never ahead of the loaded data. The moments are made, not guessed: the simulator's counters mark
extraction, and a lock held on a PostgreSQL table holds the load at a known step. ``make crash``
adds kills at seeded random moments (tests/cli/crash_random.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.cli.crash_harness import SECRET, Target, kill, phase_of, plan, wait_for

ADDED = {"policies": 5, "activities": 4, "roles": 3}  # new records between the two syncs


def _targets(kind: str, tmp_path: Path, postgres: Any) -> tuple[Target, Target]:
    clean, crashed = (Target(kind, tmp_path, d, postgres) for d in ("clean", "crashed"))
    if kind == "postgres":
        for dataset in ("clean", "crashed", "crashed_staging", "clean_staging"):
            postgres.query(f'drop schema if exists "{dataset}" cascade')
    return clean, crashed


def _prepare(api: Any, clean: Target, crashed: Target) -> None:
    """Both pipelines load once; the API gets new records; the clean one syncs them."""
    assert set(ADDED) <= {n for n, r in plan().resources.items() if r.incremental}
    clean.sync(api.base_url)
    crashed.sync(api.base_url)
    for resource, count in ADDED.items():
        api.add_records(resource, count)
    clean.sync(api.base_url)
    api.reset_counters()


def _resume_and_compare(api: Any, clean: Target, crashed: Target) -> None:
    crashed.assert_state_not_ahead_of_data(plan())
    rerun = crashed.start_cli(api.base_url)
    out, errors = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, errors
    for table in api.dataset():
        assert crashed.rows(table) == clean.rows(table), table
    assert crashed.cursors() == clean.cursors() != {}
    crashed.assert_state_not_ahead_of_data(plan())
    assert SECRET not in out + errors


def _responses(api: Any) -> int:
    return sum(api.counters()["requests"].values())


@contextmanager
def _locked(postgres: Any, table: str) -> Iterator[None]:
    """Hold an exclusive lock on ``table``: whoever needs it next waits until the block ends."""
    connection = postgres.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"lock table {table} in access exclusive mode")
        yield
    finally:
        connection.rollback()
        connection.close()


def _waiting_on_a_lock(postgres: Any) -> int:
    rows = postgres.query(
        "select count(*) from pg_stat_activity "
        "where wait_event_type = 'Lock' and pid <> pg_backend_pid()"
    )
    return int(rows[0][0])


def test_kill_during_the_first_extraction(crash_api: Any, tmp_path: Path) -> None:
    # the first run of a pipeline: nothing loaded yet, so the rerun starts over
    api = crash_api
    clean, crashed = _targets("duckdb", tmp_path, None)
    clean.sync(api.base_url)
    api.reset_counters()
    process = crashed.start_cli(api.base_url)
    wait_for(lambda: _responses(api) >= 4, "four pages were served", process)
    kill(process)
    assert phase_of(crashed) == "extract"
    _resume_and_compare(api, clean, crashed)


@pytest.mark.parametrize(
    "locked_table, phase",
    [('"crashed"._dlt_version', "before load"), ('"crashed".policies', "load")],
    ids=["between-extract-and-load", "during-load"],
)
def test_kill_while_the_load_waits(
    locked_table: str, phase: str, crash_api: Any, postgres: Any, tmp_path: Path
) -> None:
    """``_dlt_version`` is read before any job runs; ``policies`` is merged after its rows were
    staged and other tables were loaded: either lock stops the load at a known step."""
    api = crash_api
    clean, crashed = _targets("postgres", tmp_path, postgres)
    _prepare(api, clean, crashed)
    process = crashed.start_cli(api.base_url)
    wait_for(lambda: _responses(api) >= 1, "extraction started", process)
    with _locked(postgres, locked_table):
        wait_for(lambda: _waiting_on_a_lock(postgres) > 0, "the load waited", process)
        kill(process)
        # the server notices the dead client and rolls its transaction back
        wait_for(lambda: _waiting_on_a_lock(postgres) == 0, "the server let go")
    assert phase_of(crashed) == phase
    _resume_and_compare(api, clean, crashed)
