"""Kill ``restsync run`` at a chosen moment, rerun it, and compare with a run that was never killed.

A ``Target`` is one pipeline into one destination (DuckDB file or PostgreSQL schema). The phase a
kill hit is read from the pipeline directory afterwards, not guessed from timing: no package
pending (extract), an extracted package (normalize), a normalized package none of whose jobs ran
(before load), or one with jobs started or done (load).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.time import ensure_pendulum_datetime
from dlt.common.versioned_state import decompress_state

import restsync
from restsync import connectors

NAME = "device_management"
SECRET = "crash-secret"
PHASES_HIT: list[str] = []  # by the seeded random kills, summed up at the end of ``make crash``
_NAMING = NamingConvention()


@dataclass
class Target:
    kind: str  # "duckdb" or "postgres"
    root: Path
    dataset: str
    postgres: Any = None

    @property
    def database(self) -> Path:
        # not named like the dataset: DuckDB cannot tell the catalog from the schema then
        return self.root / f"{self.dataset}_db.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.root / f"pipelines_{self.dataset}"

    def pipeline(self) -> Any:
        if self.kind == "duckdb":
            destination: Any = dlt.destinations.duckdb(str(self.database))
        else:
            destination = dlt.destinations.postgres(credentials=self.postgres.credentials)
        return dlt.pipeline(
            pipeline_name=NAME,
            destination=destination,
            dataset_name=self.dataset,
            pipelines_dir=str(self.pipelines_dir),
        )

    def sync(self, base_url: str) -> None:
        restsync.sync(self.pipeline(), connectors.connector_source(NAME, base_url=base_url))

    def start_cli(self, base_url: str) -> subprocess.Popen[str]:
        args = ["--base-url", base_url, "--dataset", self.dataset]
        args += ["--pipelines-dir", str(self.pipelines_dir), "--progress-every", "0"]
        env = {**os.environ, "API_KEY": SECRET}
        if self.kind == "duckdb":
            args += ["--duckdb-path", str(self.database)]
        else:
            args += ["--destination", "postgres"]
            env["DESTINATION__POSTGRES__CREDENTIALS"] = self.postgres.credentials
        return subprocess.Popen(
            [sys.executable, "-m", "restsync", "run", NAME, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.root,
            env=env,
        )

    # --- what the destination holds ---------------------------------------------------------

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.kind == "postgres":
            return self.postgres.query(sql)
        path = self.database
        if not path.exists():
            return []
        with duckdb.connect(str(path), read_only=True) as db:
            return db.sql(sql).fetchall()

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        """The table without dlt's bookkeeping columns, sorted."""
        columns = [
            r[0]
            for r in self.query(
                "select column_name from information_schema.columns "
                f"where table_schema = '{self.dataset}' and table_name = '{table}' "
                "order by column_name"
            )
            if not r[0].startswith("_dlt")
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        rows = self.query(f'select {listed} from "{self.dataset}"."{table}"')
        return sorted(rows, key=repr)

    def restorable_state(self) -> dict[str, Any] | None:
        """The pipeline state dlt would restore from the destination: the newest one whose load
        completed (``_dlt_loads.status = 0``)."""
        listed = self.query(
            "select table_name from information_schema.tables "
            f"where table_schema = '{self.dataset}'"
        )
        tables = {r[0] for r in listed}
        if "_dlt_loads" not in tables:
            return None
        found = self.query(
            f'select s.state from "{self.dataset}"._dlt_pipeline_state s '
            f'join "{self.dataset}"._dlt_loads l on l.load_id = s._dlt_load_id '
            "where l.status = 0 order by l.load_id desc limit 1"
        )
        return decompress_state(found[0][0]) if found else None

    def cursors(self) -> dict[str, Any]:
        """Incremental resource -> the saved cursor value the destination would restore."""
        state = self.restorable_state() or {}
        resources = state.get("sources", {}).get(NAME, {}).get("resources", {})
        return {
            name: value["last_value"]
            for name, saved in resources.items()
            for value in saved.get("incremental", {}).values()
        }

    def assert_state_not_ahead_of_data(self, plan: Any) -> None:
        for resource, saved in self.cursors().items():
            column = _NAMING.normalize_identifier(plan.resources[resource].incremental.cursor_path)
            loaded = self.query(f'select max("{column}") from "{self.dataset}"."{resource}"')
            newest = loaded[0][0] if loaded else None
            assert newest is not None, f"{resource}: a saved cursor but no data"
            saved_at, newest_at = ensure_pendulum_datetime(saved), ensure_pendulum_datetime(newest)
            assert saved_at <= newest_at, f"{resource}: state {saved} ahead of data {newest}"


def phase_of(target: Target) -> str:
    """Where the killed run was, from what it left in its pipeline directory."""
    pipeline = dlt.attach(pipeline_name=NAME, pipelines_dir=str(target.pipelines_dir))
    if pipeline.list_extracted_load_packages():
        return "normalize"
    normalized = pipeline.list_normalized_load_packages()
    if not normalized:
        return "extract"
    jobs = pipeline.get_load_package_info(normalized[0]).jobs
    return "load" if jobs["started_jobs"] or jobs["completed_jobs"] else "before load"


def wait_for(
    condition: Callable[[], bool], what: str, process: subprocess.Popen[str] | None = None
) -> None:
    """Poll ``condition`` (a counter, a directory, a server view) until it holds; bounded, and
    failing at once if ``process`` ends first."""
    deadline = time.monotonic() + 120
    tick = threading.Event()
    while not condition():
        if process is not None and process.poll() is not None:
            _, errors = process.communicate()
            raise AssertionError(f"the run ended ({process.returncode}) before {what}: {errors}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        tick.wait(0.02)


def kill(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL: no cleanup, no report, as a crash or an OOM kill
    process.communicate(timeout=60)
    assert process.returncode == -9


def plan() -> Any:
    return restsync.plan_config(connectors.connector_config(NAME, lenient=True), name=NAME)
