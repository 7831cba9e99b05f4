"""``restsync.sync`` sends the first requests while dlt prepares its extract (state, schemas, the
destination's stored state), not when dlt first reads a resource; the tables are the same, a
resource with a cursor still starts from dlt's state, and a run that fails before dlt's extract
leaves no engine running."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import dlt
import duckdb
import pytest
from aiohttp import web
from dlt.pipeline.pipeline import Pipeline

import restsync
from tests.conftest import RoutedServer

PAGES = 300
BIG_PAGE = 100  # 30,000 records: more than the handoff holds ahead of dlt
SMALL_PAGE = 5


def _serve(server: RoutedServer, per_page: int = SMALL_PAGE) -> threading.Event:
    asked = threading.Event()

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        asked.set()
        page = int(request.query.get("page", 1))
        data = [{"id": page * per_page + i, "page": page} for i in range(per_page)]
        return web.json_response({"data": data, "total_pages": PAGES})

    server.start()
    return asked


def _source(base_url: str, incremental: bool = False) -> Any:
    endpoint: dict[str, Any] = {
        "path": "items",
        "paginator": {"type": "page_number", "base_page": 1, "total_path": "total_pages"},
    }
    if incremental:
        endpoint["incremental"] = {"cursor_path": "id", "initial_value": 0}
    return restsync.rest_api_source(
        {"client": {"base_url": base_url}, "resources": [{"name": "items", "endpoint": endpoint}]}
    )


def _asked_before_extract(
    monkeypatch: pytest.MonkeyPatch, asked: threading.Event, wait: float = 10
) -> list[bool]:
    """Whether the API had been asked when dlt's extract step began (read at its start, waiting
    up to ``wait`` seconds for a request that is on its way)."""
    seen: list[bool] = []
    extract = Pipeline.extract

    def noting(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        seen.append(asked.wait(wait) if wait else asked.is_set())
        return extract(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "extract", noting)
    return seen


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "restsync-engine" and t.is_alive()]


def test_sync_asks_the_api_before_dlts_extract_and_loads_every_page(
    server: RoutedServer,
    make_pipeline: Callable[..., Any],
    duckdb_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _serve(server)
    seen = _asked_before_extract(monkeypatch, asked)
    restsync.sync(make_pipeline(), _source(server.base_url))
    assert seen == [True]
    assert _engine_threads() == []
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        count, pages, first, last = (
            db.sql(
                "select count(*), count(distinct page), min(id), max(id) from data.items"
            ).fetchone()
            or ()
        )
    expected = (PAGES * SMALL_PAGE, PAGES, SMALL_PAGE, (PAGES + 1) * SMALL_PAGE - 1)
    assert (count, pages, first, last) == expected


def test_a_resource_with_a_cursor_still_starts_from_dlts_state(
    server: RoutedServer,
    make_pipeline: Callable[..., Any],
    duckdb_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _serve(server)
    pipeline = make_pipeline()
    restsync.sync(pipeline, _source(server.base_url, incremental=True))
    asked.clear()
    seen = _asked_before_extract(monkeypatch, asked, wait=0)  # nothing may be on its way
    before = len(server.requests)
    restsync.sync(pipeline, _source(server.base_url, incremental=True))
    # the second run waited for dlt's state: no request before the extract began
    assert seen == [False] and len(server.requests) > before
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        assert db.sql("select count(*) from data.items").fetchone() == (PAGES * SMALL_PAGE,)


def test_a_run_that_fails_in_dlts_extract_leaves_no_engine_running(
    server: RoutedServer, make_pipeline: Callable[..., Any]
) -> None:
    asked = _serve(server, per_page=BIG_PAGE)
    with pytest.raises(Exception, match="bogus"):
        restsync.sync(make_pipeline(), _source(server.base_url), write_disposition="bogus")
    assert asked.is_set()  # the engine had started
    assert _engine_threads() == []
    assert len(server.requests) < PAGES  # it stopped at the handoff's bound, then was cancelled


def test_a_duckdb_file_that_cannot_be_opened_fails_before_any_request(
    server: RoutedServer, tmp_path: Any
) -> None:
    _serve(server)
    (tmp_path / "a_file").write_text("not a directory")
    pipeline = dlt.pipeline(
        pipeline_name="unopened",
        destination=dlt.destinations.duckdb(str(tmp_path / "a_file" / "out.duckdb")),
        dataset_name="data",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    with pytest.raises(Exception, match="Not a directory"):
        restsync.sync(pipeline, _source(server.base_url))
    assert server.requests == [] and _engine_threads() == []
