"""page_format arrow: pages reach dlt as Arrow tables (routed handlers on 127.0.0.1, real dlt
pipelines, real DuckDB files). The layout differences it documents are checked here too."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from aiohttp import web

import restsync
from tests.conftest import count_rows, table_names
from tests.engine.test_incremental import _config as incremental_config
from tests.engine.test_incremental import _policies


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


def _columns(path: Any, table: str) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as db:
        rows = db.sql(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'data' and table_name = ?",
            params=[table],
        ).fetchall()
    return dict(rows)


def test_arrow_pages_load_the_same_values_as_dicts(server, make_pipeline, tmp_path) -> None:
    _serve(server, _records(110))
    paths = {fmt: tmp_path / f"{fmt}.duckdb" for fmt in ("dicts", "arrow")}
    for fmt, path in paths.items():
        import dlt

        pipeline = dlt.pipeline(
            pipeline_name=f"p_{fmt}",
            destination=dlt.destinations.duckdb(str(path)),
            dataset_name="data",
            pipelines_dir=str(tmp_path / "pipelines"),
        )
        source = restsync.rest_api_source(_config(server.base_url), page_format=fmt)
        restsync.sync(pipeline, source)
        assert count_rows(path, "data", "things") == 110

    arrow, dicts = _columns(paths["arrow"], "things"), _columns(paths["dicts"], "things")
    # the same scalar columns with the same types: nested objects flattened the same way
    scalars = {c: t for c, t in dicts.items() if not c.startswith("_dlt")}
    assert {c: arrow[c] for c in scalars} == scalars
    assert arrow["created_at"].startswith("TIMESTAMP")
    assert "owner__plan__tier" in arrow
    # documented differences: arrays stay in the row as JSON; no _dlt_id/_dlt_load_id columns
    assert arrow["tags"] == "JSON"
    assert "things__tags" in table_names(paths["dicts"], "data")
    assert "things__tags" not in table_names(paths["arrow"], "data")

    query = (
        "select id, name, price, active, created_at, owner__login, owner__plan__tier, note "
        "from data.things order by id"
    )
    with duckdb.connect(str(paths["dicts"]), read_only=True) as db:
        expected = db.sql(query).fetchall()
    with duckdb.connect(str(paths["arrow"]), read_only=True) as db:
        assert db.sql(query).fetchall() == expected
        tags = db.sql("select tags from data.things where id = 2").fetchone()
    assert tags is not None and tags[0] == '["a","b"]'


def test_a_value_that_does_not_fit_its_column_is_rejected_alone(
    server, make_pipeline, duckdb_path
) -> None:
    records = _records(60)
    records[40]["price"] = "n/a"  # on the second page, after price was established as double
    _serve(server, records)
    source = restsync.rest_api_source(_config(server.base_url, page_format="arrow"))
    restsync.sync(make_pipeline(), source)

    assert count_rows(duckdb_path, "data", "things") == 59
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        rejected = db.sql("select resource, reason, record from data._restsync_rejects").fetchall()
    assert len(rejected) == 1
    resource, reason, record = rejected[0]
    assert resource == "things"
    assert "price" in reason and "n/a" in reason
    assert '"id":40' in record
    report = restsync.runtime_of(source).last_report
    assert report is not None
    assert (report.resources["things"].records, report.resources["things"].rejects) == (59, 1)


def test_mixed_types_inside_one_page_keep_the_first_type(
    server, make_pipeline, duckdb_path
) -> None:
    records = _records(10)
    records[3]["name"] = {"unexpected": "object"}  # text column, one record has an object
    _serve(server, records)
    restsync.sync(
        make_pipeline(), restsync.rest_api_source(_config(server.base_url, page_format="arrow"))
    )
    assert count_rows(duckdb_path, "data", "things") == 9
    assert count_rows(duckdb_path, "data", "_restsync_rejects") == 1


def test_arrow_merge_and_incremental_state(server, make_pipeline, duckdb_path) -> None:
    served = _policies(10)

    @server.get("/v2/policies")
    async def policies(request: web.Request) -> web.Response:
        return web.json_response({"data": served})

    server.start()
    pipeline = make_pipeline()
    config = incremental_config(server.base_url)
    restsync.sync(pipeline, restsync.rest_api_source(config, page_format="arrow"))
    assert count_rows(duckdb_path, "data", "policies") == 8  # two older than the start

    served.extend(_policies(3, start_hour=10))
    restsync.sync(pipeline, restsync.rest_api_source(config, page_format="arrow"))
    assert count_rows(duckdb_path, "data", "policies") == 11
    assert _columns(duckdb_path, "policies")["updated"].startswith("TIMESTAMP")


def test_page_format_is_checked() -> None:
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.rest_api_source(_config("https://api.example.com"), page_format="parquet")
    assert caught.value.message == "page_format is 'parquet'; use 'dicts' or 'arrow'"


def test_a_nested_incremental_cursor_is_refused_with_arrow_pages() -> None:
    config = _config("https://api.example.com", page_format="arrow")
    config["resources"][0]["endpoint"]["incremental"] = {
        "cursor_path": "meta.updated",
        "initial_value": "2024-01-01T00:00:00Z",
    }
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.plan_config(config)
    assert caught.value.path == "resources[0].page_format"
    assert "'meta.updated' is nested" in caught.value.message
    # the same config with dict pages is fine
    config["resources"][0]["page_format"] = "dicts"
    assert restsync.plan_config(config).resources["things"].page_format == "dicts"


@pytest.mark.parametrize(
    "page_format, asked, staged",
    [
        ("dicts", None, "jsonl"),
        ("arrow", None, "parquet"),
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
