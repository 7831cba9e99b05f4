"""page_format: Arrow pages (the default) load dlt's own tables; 'dicts' leaves rows to dlt.

Routed handlers on 127.0.0.1, real dlt pipelines, real DuckDB files. Each case loads both ways
and compares every table (tests/load/layout.py), and checks whether the fast path was taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from aiohttp import web

import restsync
from tests.conftest import count_rows
from tests.engine.test_incremental import _config as incremental_config
from tests.engine.test_incremental import _policies
from tests.load.layout import assert_identical, load_both


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": f"thing {i}",
            "price": i * 1.5,
            "active": i % 2 == 0,
            "created_at": f"2024-03-{1 + i % 28:02d}T12:00:00Z",
            "owner": {"login": f"user{i}", "plan": {"tier": "pro" if i % 3 else "free"}},
            "tags": ["a", "b"][: i % 3],
            "parts": [{"sku": f"s{i}-{j}", "sizes": [j, j + 1]} for j in range(i % 2 + 1)],
            "note": None if i % 5 else f"note {i}",
        }
        for i in range(n)
    ]


def _serve(server: Any, records: list[dict[str, Any]]) -> None:
    @server.get("/things")
    async def things(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response({"data": records[offset : offset + limit]})

    server.start()


def _config(base_url: str, **resource: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url},
        "resources": [
            {
                "name": "things",
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {
                    "path": "/things",
                    "data_selector": "data",
                    "paginator": {"type": "offset", "limit": 25},
                },
                **resource,
            }
        ],
    }


def _both(tmp_path: Path, config: dict[str, Any], runs: int = 1) -> tuple[Any, Any, Any]:
    def build(page_format: str) -> Any:
        return restsync.rest_api_source(config, page_format=page_format)

    fast, dicts, fallbacks = load_both(tmp_path, "data", build, runs)
    return fast, dicts, fallbacks["things"]


def test_nested_records_load_dlts_tables_as_arrow_pages(server, tmp_path) -> None:
    _serve(server, _records(110))
    fast, dicts, fallback = _both(tmp_path, _config(server.base_url))
    assert_identical(fast, dicts)
    assert fallback is None
    nested = {"things__tags", "things__parts", "things__parts__sizes"}
    assert set(fast["columns"]) == {"things", *nested}
    assert [c[0] for c in fast["columns"]["things__parts__sizes"]] == [
        "value", "_dlt_root_id", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"
    ]  # fmt: skip


def test_a_second_run_replaces_the_nested_rows_of_a_merged_record(server, tmp_path) -> None:
    records = _records(30)
    _serve(server, records)
    config = _config(server.base_url)
    for page_format in ("arrow", "dicts"):
        path = tmp_path / f"{page_format}.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name=f"p_{page_format}",
            destination=dlt.destinations.duckdb(str(path)),
            dataset_name="data",
            pipelines_dir=str(tmp_path / "pipelines"),
        )
        records[2]["tags"] = ["a", "b"]
        restsync.sync(pipeline, restsync.rest_api_source(config, page_format=page_format))
        records[2]["tags"] = ["c"]
        restsync.sync(pipeline, restsync.rest_api_source(config, page_format=page_format))
        with duckdb.connect(str(path), read_only=True) as db:
            tags = db.sql(
                "select t.value from data.things__tags t join data.things p "
                "on t._dlt_parent_id = p._dlt_id where p.id = 2"
            ).fetchall()
        assert tags == [("c",)], page_format
        assert count_rows(path, "data", "things__tags") == 29  # 30 tags, one of two replaced


def test_a_value_needing_a_variant_column_hands_the_rest_to_dlts_normalizer(
    server, tmp_path
) -> None:
    records = _records(60)
    records[40]["price"] = "n/a"  # on the second page, after price became a double column
    _serve(server, records)
    fast, dicts, fallback = _both(tmp_path, _config(server.base_url))
    assert_identical(fast, dicts)
    assert fallback == "a value of column 'price' needs a variant column"
    assert ("price__v_text", "VARCHAR", "YES") in fast["columns"]["things"]


def test_a_merge_strategy_that_hashes_rows_uses_dlts_normalizer(server, tmp_path) -> None:
    _serve(server, _records(30))
    upsert = {"disposition": "merge", "strategy": "upsert"}
    config = _config(server.base_url, write_disposition=upsert)
    fast, dicts, fallback = _both(tmp_path, config, runs=2)
    assert_identical(fast, dicts)
    assert fallback == "its merge strategy derives _dlt_id from the row"


def test_max_table_nesting_keeps_deeper_values_as_json(server, tmp_path) -> None:
    _serve(server, _records(40))

    def build(page_format: str) -> Any:
        config = _config(server.base_url)
        return restsync.rest_api_source(config, page_format=page_format, max_table_nesting=1)

    fast, dicts, fallbacks = load_both(tmp_path, "data", build, runs=2)
    assert_identical(fast, dicts)
    assert fallbacks["things"] is None
    assert ("owner__plan", "JSON", "YES") in fast["columns"]["things"]
    assert ("sizes", "JSON", "YES") in fast["columns"]["things__parts"]


def test_an_incremental_cursor_sees_records_as_with_dicts(server, tmp_path) -> None:
    served = _policies(10)
    for policy in served:
        policy["meta"] = {"updated": policy["updated"]}  # a nested cursor, read by dlt

    @server.get("/v2/policies")
    async def policies(request: web.Request) -> web.Response:
        return web.json_response({"data": served})

    server.start()
    config = incremental_config(server.base_url)
    config["resources"][0]["endpoint"]["incremental"] = {
        "cursor_path": "meta.updated",
        "initial_value": "2024-01-01T03:00:00Z",
    }
    del config["resources"][0]["incremental_sync"]

    def build(page_format: str) -> Any:
        return restsync.rest_api_source(config, page_format=page_format)

    fast, dicts, fallbacks = load_both(tmp_path, "data", build, runs=2)
    assert_identical(fast, dicts)
    assert fallbacks["policies"] is None
    assert sum(fast["rows"]["policies"].values()) == 5  # from 03:00 on


def test_add_limit_loads_the_nested_rows_of_the_pages_it_read(server, tmp_path) -> None:
    _serve(server, _records(110))

    def build(page_format: str) -> Any:
        source = restsync.rest_api_source(_config(server.base_url), page_format=page_format)
        return source.add_limit(2)

    fast, dicts, _ = load_both(tmp_path, "data", build)
    assert_identical(fast, dicts)
    assert sum(fast["rows"]["things"].values()) == 50


def test_a_users_add_map_sees_records(server, tmp_path) -> None:
    _serve(server, _records(30))
    seen: list[type] = []

    def shout(record: dict[str, Any]) -> dict[str, Any]:
        seen.append(type(record))
        return {**record, "name": record["name"].upper()}

    def build(page_format: str) -> Any:
        source = restsync.rest_api_source(_config(server.base_url), page_format=page_format)
        source.resources["things"].add_map(shout)
        return source

    fast, dicts, fallbacks = load_both(tmp_path, "data", build)
    assert_identical(fast, dicts)
    assert fallbacks["things"] is None and set(seen) == {dict}
    assert "THING 1" in {dict(data).get("name") for _, data in fast["rows"]["things"]}


def test_pages_read_outside_a_pipeline_stay_records(server) -> None:
    _serve(server, _records(30))
    rows = list(restsync.rest_api_source(_config(server.base_url)))
    assert len(rows) == 30 and all(isinstance(r, dict) for r in rows)


def test_page_format_is_checked() -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.rest_api_source(_config("https://api.example.com"), page_format="parquet")
    assert caught.value.message == "page_format is 'parquet'; use 'dicts' or 'arrow'"


@pytest.mark.parametrize(
    "page_format, asked, staged",
    [
        (None, None, "parquet"),
        ("dicts", None, "jsonl"),
        ("dicts", "insert_values", "insert_values"),
    ],
)
def test_sync_stages_duckdb_loads_in_the_fast_format_unless_told(
    page_format, asked, staged, server, make_pipeline, duckdb_path, tmp_path
) -> None:
    _serve(server, _records(30))
    source = restsync.rest_api_source(_config(server.base_url), page_format=page_format)
    kwargs = {"loader_file_format": asked} if asked else {}
    restsync.sync(make_pipeline(), source, **kwargs)
    assert count_rows(duckdb_path, "data", "things") == 30
    # job files are named table.id.n.format[.gz]; merge statements (.sql) are not data files
    jobs = (tmp_path / "pipelines").rglob("completed_jobs/things.*")
    formats = {j.name.split(".")[3] for j in jobs} - {"sql"}
    assert formats == {staged}
