"""``restsync simulate MANIFEST`` serves the streams a plain route does not: report-job streams
(AsyncRetriever: the job front answers create, poll and download in front of the simulator) and
the streams an API lists (dynamic_streams with an HttpComponentsResolver: the listing and each
stream it names), so ``restsync run MANIFEST --base-url`` loads them with no network. Before, the
run's job creation got no job back, and the listed streams were "not served"."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.airbyte.async_api import report_manifest
from tests.conftest import count_rows, fetch_rows, run_restsync

CONFIG = {"api_key": "sk-report-secret-4242"}


def _served_at(process: subprocess.Popen[str], bound: float = 60) -> str:
    """The address ``restsync simulate`` prints (its first lines), read within ``bound`` s."""
    assert process.stdout is not None
    ends = time.monotonic() + bound
    while time.monotonic() < ends:
        line = process.stdout.readline()
        found = re.search(r"serving .* at (http://127\.0\.0\.1:\d+\S*)", line)
        if found:
            return found.group(1)
        if not line and process.poll() is not None:
            break
    raise AssertionError("restsync simulate printed no address")


def _simulated_run(manifest: Path, config: Path, seed: int, tmp_path: Path) -> Path:
    """``restsync simulate MANIFEST`` in a child process, then ``restsync run MANIFEST
    --base-url <its address>`` into a DuckDB file: that file (the run must succeed)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "restsync", "simulate", str(manifest), "--config", str(config),
         "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    try:
        url = _served_at(process)
        db = tmp_path / "out.duckdb"
        done = run_restsync(
            "run", manifest, "--config", config, "--base-url", url,
            "--duckdb-path", db, "--pipelines-dir", tmp_path / "p",
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return db
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_simulate_serves_a_report_job_stream_that_run_loads(tmp_path: Path) -> None:
    manifest, config = tmp_path / "reports.yaml", tmp_path / "config.json"
    manifest.write_text(yaml.safe_dump(report_manifest("https://reports.example.com")))
    config.write_text(json.dumps(CONFIG))
    db = _simulated_run(manifest, config, 3, tmp_path)
    assert count_rows(db, "reports", "clicks") > 3  # each segment's job downloads records


def test_simulate_serves_the_streams_an_api_lists_and_run_loads_them(tmp_path: Path) -> None:
    document = yaml.safe_load((Path(__file__).parent / "manifests" / "dynamic.yaml").read_text())
    document["dynamic_streams"] = document["dynamic_streams"][:1]  # the HTTP-listed one
    manifest, config = tmp_path / "listed.yaml", tmp_path / "config.json"
    manifest.write_text(yaml.safe_dump(document))
    config.write_text(json.dumps({"base_url": "https://x.invalid", "key": "k-1"}))
    db = _simulated_run(manifest, config, 36, tmp_path)
    tables = fetch_rows(
        db,
        "select table_name from information_schema.tables where table_schema = 'listed' "
        "and table_name not like '_dlt%' and table_name <> 'workspaces'",
    )
    assert len(tables) > 3, tables  # one table per stream the served listing names
    for (table,) in tables[:3]:
        assert count_rows(db, "listed", table) > 0
