"""The throwaway PostgreSQL server dies with its test run, also when the run is SIGKILLed (no
``finally`` runs then): tests/postgres_server.py's watchdog stops it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

from tests.postgres_server import ROOT

# a test run that holds the server and waits until it is killed
_HOLDER = """
import sys
from tests.postgres_server import running_postgres
with running_postgres() as server:
    print(server.data_dir, flush=True)
    sys.stdin.read()
"""
_START_SECONDS = 300  # initdb + start under load (the fixture's own pg_ctl timeouts are 120/60 s)
_EXIT_SECONDS = 60


def _line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"the holder printed nothing in {timeout} s"
    return process.stdout.readline().strip()


def test_a_killed_test_run_takes_its_server_along() -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        data_dir = Path(_line(holder, _START_SECONDS))
        assert data_dir.name == "data", f"the holder failed: {data_dir}"
        postmaster = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        exited = os.pidfd_open(postmaster)  # readable once the postmaster has exited
        try:
            assert not select.select([exited], [], [], 0)[0], "the server is not running"
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=_EXIT_SECONDS)
            gone, _, _ = select.select([exited], [], [], _EXIT_SECONDS)
            assert gone, f"postgres (pid {postmaster}) still runs {_EXIT_SECONDS} s after the kill"
        finally:
            os.close(exited)
    finally:
        holder.kill()
        holder.wait(timeout=_EXIT_SECONDS)
