"""``restsync.sync`` lets dlt resolve its destination's configuration for the destination's
capabilities once, where dlt resolved it again in each stage (restsync._load._capabilities);
the tables, their schema and the pipeline's state are those of a sync without it."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from aiohttp import web
from dlt.common.destination.reference import Destination
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCase

import restsync
from restsync._load import _capabilities
from restsync._load._capabilities import resolved_once
from tests.conftest import RoutedServer

PAGES, PER_PAGE = 6, 40


def _serve(server: RoutedServer) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        page = int(request.query.get("page", 1))
        data = [
            {"id": page * PER_PAGE + i, "name": f"n{i}", "tags": [{"t": i % 3}], "x": i / 2}
            for i in range(PER_PAGE)
        ]
        return web.json_response({"data": data, "total_pages": PAGES})

    server.start()


def _source(base_url: str) -> Any:
    paginator = {"type": "page_number", "base_page": 1, "total_path": "total_pages"}
    endpoint = {"path": "items", "paginator": paginator}
    return restsync.rest_api_source(
        {"client": {"base_url": base_url}, "resources": [{"name": "items", "endpoint": endpoint}]}
    )


def _pipeline(tmp_path: Path, name: str) -> Any:
    """The pipeline ``sync`` loading into ``name``.duckdb, with its own working folder."""
    return dlt.pipeline(
        pipeline_name="sync",
        destination=dlt.destinations.duckdb(str(tmp_path / f"{name}.duckdb")),
        dataset_name="data",
        pipelines_dir=str(tmp_path / name),
    )


def _partial_resolutions(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per resolution of a destination's configuration: True when partial (the one
    dlt's ``capabilities`` makes for itself)."""
    seen: list[bool] = []
    configuration = Destination.configuration

    def counted(self: Any, initial: Any, accept_partial: bool = False) -> Any:
        seen.append(accept_partial)
        return configuration(self, initial, accept_partial)

    monkeypatch.setattr(Destination, "configuration", counted)
    return seen


def test_a_sync_resolves_the_configuration_for_capabilities_once(
    server: RoutedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(server)
    pipeline = _pipeline(tmp_path, "once")
    seen = _partial_resolutions(monkeypatch)
    restsync.sync(pipeline, _source(server.base_url))
    # dlt alone: 8 partial resolutions in this sync (one per capabilities asked)
    assert seen.count(True) == 1
    assert "capabilities" not in vars(pipeline.destination)  # dlt's own method again after it
    with duckdb.connect(str(tmp_path / "once.duckdb")) as db:
        assert db.sql("select count(*) from data.items").fetchone() == (PAGES * PER_PAGE,)


def test_a_destination_passed_to_the_run_is_resolved_once_too(
    server: RoutedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as restsync run passes its held file's destination
    _serve(server)
    pipeline = dlt.pipeline(
        pipeline_name="given", dataset_name="data", pipelines_dir=str(tmp_path / "given")
    )
    given = dlt.destinations.duckdb(str(tmp_path / "given.duckdb"))
    seen = _partial_resolutions(monkeypatch)
    restsync.sync(pipeline, _source(server.base_url), destination=given)
    # once as given, once after dlt binds it to the pipeline (dlt adds the pipeline's folders
    # to its parameters); dlt alone: 10
    assert seen.count(True) == 2
    assert "capabilities" not in vars(given)
    with duckdb.connect(str(tmp_path / "given.duckdb")) as db:
        assert db.sql("select count(*) from data.items").fetchone() == (PAGES * PER_PAGE,)


def test_new_parameters_are_resolved_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = _pipeline(tmp_path, "params")
    destination = pipeline.destination
    seen = _partial_resolutions(monkeypatch)
    with resolved_once(pipeline):
        first = destination.capabilities()
        again = destination.capabilities(naming=SnakeCase())
        assert seen.count(True) == 1
        # dlt sets credentials passed to run() on the destination's parameters
        destination.config_params["credentials"] = str(tmp_path / "other.duckdb")
        destination.capabilities()
        assert seen.count(True) == 2
        # dlt deep-copies a destination when a pipeline is dropped under a new name
        copied = copy.deepcopy(destination)
        assert copied.capabilities().preferred_loader_file_format == "insert_values"
        copied.capabilities()
        assert seen.count(True) == 3  # the copy's own, once
    assert first.preferred_loader_file_format == again.preferred_loader_file_format
    destination.capabilities()
    assert seen.count(True) == 4  # outside the block: dlt's own, resolved each time


def _tables(path: Path) -> dict[str, Any]:
    """Every table of the file: its columns and its rows, without the ids and times of a load."""
    varying = {"_dlt_load_id", "_dlt_id", "_dlt_parent_id", "inserted_at", "load_id", "created_at"}
    varying |= {"version_hash", "state", "_dlt_root_id", "status"}
    found: dict[str, Any] = {}
    with duckdb.connect(str(path), read_only=True) as db:
        names = db.sql(
            "select table_name from information_schema.tables where table_schema = 'data'"
        ).fetchall()
        for (name,) in sorted(names):
            columns = db.sql(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = 'data' and table_name = '{name}' order by ordinal_position"
            ).fetchall()
            kept = [c for c, _ in columns if c not in varying]
            rows = sorted(
                map(repr, db.sql(f'select {", ".join(kept)} from data."{name}"').fetchall())
            )
            found[name] = (columns, rows)
    return found


def _state(pipeline: Any) -> Any:
    state = dict(pipeline.state)
    for key in ("_local", "_state_version", "_version_hash", "_state_engine_version"):
        state.pop(key, None)
    return state


def test_the_tables_schema_and_state_are_those_of_a_sync_without_it(
    server: RoutedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(server)
    once = _pipeline(tmp_path, "once")
    restsync.sync(once, _source(server.base_url))

    @contextlib.contextmanager
    def nothing(pipeline: Any, given: Any = None) -> Iterator[None]:
        yield

    monkeypatch.setattr(_capabilities, "resolved_once", nothing)
    plain = _pipeline(tmp_path, "plain")
    restsync.sync(plain, _source(server.base_url))

    assert _tables(tmp_path / "once.duckdb") == _tables(tmp_path / "plain.duckdb")
    assert set(_tables(tmp_path / "once.duckdb")) >= {"items", "items__tags", "_dlt_loads"}

    def drop(schema: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in schema.items() if "hash" not in k}

    assert drop(once.default_schema.to_dict()) == drop(plain.default_schema.to_dict())
    assert _state(once) == _state(plain)
