"""Shared fixtures: a routed HTTP server on 127.0.0.1 and a dlt pipeline into a real DuckDB file.

Every fixture is safe under pytest-xdist (``make test`` runs several workers): ports are the OS's
free ones, files go to tmp paths, the PostgreSQL server is one per worker, and dlt keeps its
default pipelines directory in a per-worker temp dir (``_private_dlt_data_dir``).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RoutedServer:
    """A tiny aiohttp app on its own loop and thread; tests add routes before the first request."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.requests: list[web.Request] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def route(self, method: str, path: str, handler: Handler) -> None:
        async def recording(request: web.Request) -> web.StreamResponse:
            self.requests.append(request)
            return await handler(request)

        self.app.router.add_route(method, path, recording)

    def get(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.route("GET", path, handler)
            return handler

        return register

    def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._runner = web.AppRunner(self.app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            scheme = "https" if ssl_context else "http"
            self.base_url = f"{scheme}://127.0.0.1:{port}"
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        assert ready.wait(10), "test server did not start"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def server() -> Iterator[RoutedServer]:
    routed = RoutedServer()
    yield routed
    routed.stop()


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def make_pipeline(tmp_path: Path, duckdb_path: Path) -> Callable[..., Any]:
    def make(name: str = "test", dataset: str = "data") -> Any:
        return dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(duckdb_path)),
            dataset_name=dataset,
            pipelines_dir=str(tmp_path / "pipelines"),
        )

    return make


def run_restsync(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """``python -m restsync ARGS`` as a child process, its output captured as text. ``env`` adds
    to this process's environment; the console is 200 columns wide, wide enough for a message
    naming a tmp path (an xdist worker's is longer): the console breaks a line inside a word that
    does not fit."""
    return subprocess.run(
        [sys.executable, "-m", "restsync", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def items_config(base_url: str) -> dict[str, Any]:
    """A config of one resource, ``items``: the list at ``/items``, one page."""
    return {
        "client": {"base_url": base_url},
        "resources": [
            {"name": "items", "endpoint": {"path": "/items", "paginator": "single_page"}}
        ],
    }


def fetch_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` selects from the DuckDB file at ``path`` (opened read-only)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def count_rows(path: Path, dataset: str, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.sql(f'select count(*) from "{dataset}"."{table}"').fetchone()[0]  # type: ignore[index]


def table_names(path: Path, dataset: str) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.sql(
            "select table_name from information_schema.tables where table_schema = ?",
            params=[dataset],
        ).fetchall()
    return {r[0] for r in rows}


@pytest.fixture(scope="session", autouse=True)
def _private_dlt_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dlt's default pipelines directory (as root: /var/dlt/pipelines) for this session alone.

    CLI runs without ``--pipelines-dir`` keep state there under the pipeline's name; shared, two
    workers (or two checkouts on one machine) syncing a pipeline of the same name at once would
    mix their state. The CLI subprocesses inherit the variable.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLT_DATA_DIR", str(tmp_path_factory.mktemp("dlt-data")))
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL server for the whole session (tests/postgres_server.py); never a
    skip: if it cannot start, the tests that need it fail."""
    from tests.postgres_server import running_postgres

    try:
        with running_postgres() as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(f"PostgreSQL for the destination tests: {exc}")
