"""A throwaway PostgreSQL server for the destination tests, started from the machine's binaries.

``.ci/postgres-bin`` finds initdb and pg_ctl (installing Debian's ``postgresql`` package if they are
missing). The server runs as the ``postgres`` user when the tests run as root (PostgreSQL refuses
root), listens on 127.0.0.1 at a free port with password auth, keeps its data in a temp dir, and is
stopped and deleted whatever happens, a SIGKILL of the test run included (a watchdog process). There
is no skip: a destination that cannot start fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pg-test-secret"  # only this throwaway server knows it


class PostgresServer:
    def __init__(self, bin_dir: Path, workdir: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.port = port
        self.data_dir = workdir / "data"
        self.user = "postgres"

    @property
    def credentials(self) -> str:
        """A connection string for dlt (``DESTINATION__POSTGRES__CREDENTIALS``)."""
        return f"postgresql://{self.user}:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    def connect(self) -> Any:
        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=PASSWORD, dbname="postgres"
        )

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        connection = self.connect()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def count(self, dataset: str, table: str) -> int:
        return int(self.query(f'select count(*) from "{dataset}"."{table}"')[0][0])

    def tables(self, dataset: str) -> set[str]:
        rows = self.query(
            "select table_name from information_schema.tables where table_schema = %s", (dataset,)
        )
        return {r[0] for r in rows}

    # --- lifecycle ----------------------------------------------------------------------------

    def init(self) -> None:
        password_file = self.workdir / "password"
        password_file.write_text(PASSWORD + "\n")
        self._own(password_file)
        self._as_server_user(
            "initdb", "-D", str(self.data_dir), "-U", self.user, "-E", "UTF8", "--no-sync",
            "--auth=scram-sha-256", f"--pwfile={password_file}",
        )

    def launch(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            # a backend notices a killed client within 100 ms even while it waits on a lock,
            # and rolls back (the crash tests kill clients that wait)
            "-c client_connection_check_interval=100"
        )
        self._as_server_user(
            "pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60",
            "-l", str(self.workdir / "server.log"), "-o", options, "start",
        )

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._as_server_user(
                "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False
            )

    def log_tail(self) -> str:
        log = self.workdir / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def _as_server_user(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            problem = f"{program} failed ({result.returncode}): {result.stderr.strip()}"
            raise RuntimeError(f"{problem}\n{self.log_tail()}")

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            server_user = pwd.getpwnam("postgres")
            os.chown(path, server_user.pw_uid, server_user.pw_gid)


def postgres_bin() -> Path:
    """The directory with initdb and pg_ctl; installs PostgreSQL if there is none."""
    result = subprocess.run(
        [str(ROOT / ".ci" / "postgres-bin")], capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise RuntimeError(f"no PostgreSQL server binaries: {result.stderr.strip()}")
    return Path(result.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    if os.geteuid() == 0 and not _has_user("postgres"):
        raise RuntimeError("tests run as root but there is no 'postgres' user to run the server")
    # not under pytest's tmp dirs: those are private to root, and the server runs as postgres
    workdir = Path(tempfile.mkdtemp(prefix="restsync-pg-"))
    server = PostgresServer(bin_dir, workdir, _free_port())
    watchdog = _watchdog(server)
    try:
        server._own(workdir)
        server.init()
        for attempt in range(3):
            try:
                server.launch()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                server.port = _free_port()  # another process took the port meanwhile
        yield server
    finally:
        server.stop()
        _release(watchdog)
        shutil.rmtree(workdir, ignore_errors=True)


# The server outlives a killed test run unless something stops it: pg_ctl detaches it, and a
# SIGKILL runs no ``finally``. The watchdog is a process of its own session (a kill of the test
# run's process group spares it) that reads a pipe only this test process holds open: at EOF
# (a normal exit, or the test process died) it stops the server as ``pg_ctl -m immediate`` does
# (SIGQUIT to the postmaster) if it still runs, and deletes the work dir.
_WATCHDOG = """
import os, shutil, signal, sys
sys.stdin.buffer.read()
data_dir, workdir = sys.argv[1], sys.argv[2]
try:
    with open(os.path.join(data_dir, "postmaster.pid")) as pid_file:
        os.kill(int(pid_file.readline()), signal.SIGQUIT)
except (OSError, ValueError):
    pass  # stopped already, or never started
shutil.rmtree(workdir, ignore_errors=True)
"""


def _watchdog(server: PostgresServer) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(server.data_dir), str(server.workdir)],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )


def _release(watchdog: subprocess.Popen[bytes]) -> None:
    """End the watchdog after a normal stop (it then finds no server to stop)."""
    assert watchdog.stdin is not None
    watchdog.stdin.close()
    watchdog.wait(timeout=60)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
