"""Issue 12.1 (CLI): a failed load prints its innermost cause, dlt's explanation and what to do,
never a secret; ``--verbose`` adds the traceback, masked the same way. Against a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.postgres_server import PASSWORD

API_SECRET = "errors-api-secret"
NAME = "video_rooms"


@pytest.fixture(scope="module")
def api() -> Iterator[Any]:
    plan = restsync.plan_config(connectors.connector_config(NAME, lenient=True), name=NAME)
    options = SimulatorOptions(seed=1, token=API_SECRET)
    with serve_in_thread(plan, options, fields=connectors.connector_fields(NAME)) as sim:
        yield sim


def run_into_postgres(
    tmp_path: Path,
    base_url: str,
    credentials: str | None,
    *extra: str,
    dataset: str = "errors_test",
) -> tuple[int, str]:
    """``restsync [extra] run video_rooms --destination postgres``: exit code, all output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESTINATION__")}
    env.update({"API_TOKEN": API_SECRET, "COLUMNS": "200"})
    if credentials is not None:
        env["DESTINATION__POSTGRES__CREDENTIALS"] = credentials
    result = subprocess.run(
        [sys.executable, "-m", "restsync", *extra, "run", NAME, "--base-url", base_url,
         "--destination", "postgres", "--dataset", dataset,
         "--pipelines-dir", str(tmp_path / "pipelines")],
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env=env,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert API_SECRET not in output and PASSWORD not in output
    return result.returncode, " ".join(output.split())


def test_a_missing_password_says_so_and_where_it_goes(postgres: Any, api: Any, tmp_path) -> None:
    without_password = postgres.credentials.replace(f":{PASSWORD}@", "@")
    code, text = run_into_postgres(tmp_path, api.base_url, without_password)
    assert code == 2 and "Traceback" not in text
    assert "error: the postgres destination is missing credentials.password;" in text
    assert "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD" in text
    assert "what to do: set one of the names above in the environment or in .dlt/secrets" in text


def test_a_wrong_password_is_named_but_never_printed(postgres: Any, api: Any, tmp_path) -> None:
    wrong = postgres.credentials.replace(PASSWORD, "Wrong-Secret-123")
    for extra in ((), ("--verbose",)):
        code, text = run_into_postgres(tmp_path, api.base_url, wrong, *extra)
        assert code == 3
        assert 'password authentication failed for user "postgres"' in text
        assert "check the user and password" in text
        assert "Wrong-Secret-123" not in text
        assert ("Traceback" in text) == bool(extra)


def test_missing_credentials_list_where_dlt_looked(api: Any, tmp_path: Path) -> None:
    code, text = run_into_postgres(tmp_path, api.base_url, None)
    assert code == 2 and "Traceback" not in text
    assert "error: the postgres destination is missing credentials.database, " in text
    assert "dlt looked for these names (values are never shown):" in text
    assert "credentials.password: Environment Variables" in text
    assert "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD" in text


def test_a_refused_load_shows_the_database_cause_and_dlt_advice(
    postgres: Any, api: Any, tmp_path: Path
) -> None:
    # a role that may log in but not create schemas: the load step is refused by PostgreSQL
    postgres.query("drop role if exists loader_without_rights")
    postgres.query(f"create role loader_without_rights login password '{PASSWORD}'")
    credentials = postgres.credentials.replace("postgres:", "loader_without_rights:", 1)
    code, text = run_into_postgres(tmp_path, api.base_url, credentials)
    assert code == 3
    assert "error: the load step into postgres failed: permission denied for database" in text
    assert "dlt says: dlt cannot create the dataset of schema `video_rooms`" in text
    assert "(the cause above)" in text
    assert "the next run loads it first" in text


def test_run_refuses_a_reserved_dataset_before_any_request(
    postgres: Any, api: Any, tmp_path: Path
) -> None:
    api.reset_counters()
    code, text = run_into_postgres(tmp_path, api.base_url, postgres.credentials, dataset="pg_x")
    assert code == 2 and "Traceback" not in text
    assert "dataset 'pg_x' cannot be used with --destination postgres: postgres reserves the " \
        "prefix 'pg_' for its own schemas; choose another --dataset" in text
    assert api.counters()["total_requests"] == 0
    assert postgres.query("select count(*) from pg_namespace where nspname = 'pg_x'") == [(0,)]
