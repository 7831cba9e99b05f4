"""``restsync.sync`` into a DuckDB file holds the file open for the whole sync, as ``restsync run``
does: dlt's stages share one open database instead of opening and checkpointing the file each,
DuckDB's allocator gives freed pages back at once meanwhile, and when the sync returns (or
fails) the file is whole and free for another process, and the allocator's own settings are
back. The tables are the same as dlt loads them without restsync holding anything."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from aiohttp import web
from dlt.pipeline.pipeline import Pipeline

import restsync
from restsync._load._release import _JemallocControl
from tests.conftest import RoutedServer

PAGES, PER_PAGE = 20, 50


def _serve(server: RoutedServer) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        page = int(request.query.get("page", 1))
        data = [{"id": page * PER_PAGE + i, "name": f"n{i}"} for i in range(PER_PAGE)]
        return web.json_response({"data": data, "total_pages": PAGES})

    server.start()


def _source(base_url: str) -> Any:
    paginator = {"type": "page_number", "base_page": 1, "total_path": "total_pages"}
    endpoint = {"path": "items", "paginator": paginator}
    return restsync.rest_api_source(
        {"client": {"base_url": base_url}, "resources": [{"name": "items", "endpoint": endpoint}]}
    )


def _opens_elsewhere(path: Path) -> bool:
    """Whether another process can open the file now (DuckDB locks a file a process holds)."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).close()"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=60)
    return done.returncode == 0


def _dirty_decay() -> int | None:
    control = _JemallocControl.of_duckdb()
    return None if control is None else control.read(b"arenas.dirty_decay_ms")


def _at_normalize(monkeypatch: pytest.MonkeyPatch, check: Callable[[], Any]) -> list[Any]:
    """``check()`` read when dlt's normalize step begins: after its extract, before its load."""
    seen: list[Any] = []
    normalize = Pipeline.normalize

    def noting(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        seen.append(check())
        return normalize(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "normalize", noting)
    return seen


def test_the_file_is_held_through_the_sync_and_free_after_it(
    server: RoutedServer,
    make_pipeline: Callable[..., Any],
    duckdb_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _serve(server)
    before = _dirty_decay()
    seen = _at_normalize(monkeypatch, lambda: (_opens_elsewhere(duckdb_path), _dirty_decay()))
    restsync.sync(make_pipeline(), _source(server.base_url))
    assert seen == [(False, 0)]  # held by this process, freed pages given back at once
    assert _opens_elsewhere(duckdb_path)
    assert _dirty_decay() == before
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        rows = db.sql("select count(*), min(id), max(id) from data.items").fetchone()
    assert rows == (PAGES * PER_PAGE, PER_PAGE, (PAGES + 1) * PER_PAGE - 1)


def test_the_tables_are_those_dlt_loads_without_the_held_file(
    server: RoutedServer, tmp_path: Path
) -> None:
    _serve(server)
    paths = {}
    for name, run_kwargs in (("held", {}), ("dlts", {"credentials": None})):
        path = tmp_path / f"{name}.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(path)),
            dataset_name="data",
            pipelines_dir=str(tmp_path / "pipelines"),
        )
        # an explicit credentials argument (None: the destination's own) holds nothing
        restsync.sync(pipeline, _source(server.base_url), **run_kwargs)
        paths[name] = path
    query = "select * exclude (_dlt_load_id, _dlt_id) from data.items order by id"
    with (
        duckdb.connect(str(paths["held"]), read_only=True) as held,
        duckdb.connect(str(paths["dlts"]), read_only=True) as plain,
    ):
        assert held.sql(query).fetchall() == plain.sql(query).fetchall()
        assert (
            held.sql("describe data.items").fetchall()
            == plain.sql("describe data.items").fetchall()
        )


def test_a_failed_sync_lets_the_file_go(
    server: RoutedServer, make_pipeline: Callable[..., Any], duckdb_path: Path
) -> None:
    _serve(server)
    before = _dirty_decay()

    def failing(record: Any) -> Any:
        raise RuntimeError("a step failed")

    source = _source(server.base_url)
    source.items.add_map(failing)
    with pytest.raises(Exception, match="a step failed"):
        restsync.sync(make_pipeline(), source)
    assert _opens_elsewhere(duckdb_path)
    assert _dirty_decay() == before
