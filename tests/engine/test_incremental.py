"""incremental_sync as the seeds write it: datetimes compared as such, state advanced by loads."""

from __future__ import annotations

from typing import Any

import duckdb
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows


def _policies(n: int, start_hour: int = 0) -> list[dict[str, Any]]:
    # 2023-12-31T22:00Z .. : the first two are older than start_datetime and must be dropped
    out = []
    for i in range(n):
        hours = start_hour + i - 2
        day, hour = divmod(hours, 24)
        stamp = (
            f"2024-01-{1 + day:02d}T{hour:02d}:00:00Z"
            if hours >= 0
            else f"2023-12-31T{24 + hours:02d}:00:00Z"
        )
        out.append({"id": f"p{start_hour + i}", "updated": stamp, "name": f"policy {i}"})
    return out


def _serve(server: RoutedServer, served: list[dict[str, Any]]) -> None:
    """Start ``server`` answering /v2/policies with ``served`` as it is at each request."""

    @server.get("/v2/policies")
    async def policies(request: web.Request) -> web.Response:
        return web.json_response({"data": served})

    server.start()


def _config(base_url: str, **sync: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, "auth": {"type": "bearer", "token": "t"}},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {
                "name": "policies",
                "endpoint": {"path": "/v2/policies", "data_selector": "data"},
                "incremental_sync": {
                    "cursor_field": "updated",
                    "start_datetime": "2024-01-01T00:00:00Z",
                    "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
                    **sync,
                },
            }
        ],
    }


def test_older_records_are_dropped_and_a_later_run_loads_only_newer(
    server, make_pipeline, duckdb_path
) -> None:
    served = _policies(10)
    _serve(server, served)
    pipeline = make_pipeline()
    restsync.sync(pipeline, restsync.rest_api_source(_config(server.base_url)))
    assert count_rows(duckdb_path, "data", "policies") == 8

    served.extend(_policies(3, start_hour=10))  # three newer records appear
    restsync.sync(pipeline, restsync.rest_api_source(_config(server.base_url)))
    assert count_rows(duckdb_path, "data", "policies") == 11
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        per_load = db.sql(
            "select count(*) from data.policies group by _dlt_load_id order by min(_dlt_load_id)"
        ).fetchall()
        column_type = db.sql(
            "select data_type from information_schema.columns "
            "where table_schema = 'data' and table_name = 'policies' and column_name = 'updated'"
        ).fetchone()
    assert per_load == [(8,), (3,)]
    assert column_type is not None and column_type[0].startswith("TIMESTAMP")


def test_the_start_value_is_sent_when_asked_and_advances(server, make_pipeline) -> None:
    served = _policies(5)
    _serve(server, served)
    pipeline = make_pipeline()
    config = _config(
        server.base_url, start_time_option={"field_name": "since"}, lookback_window="PT1H"
    )
    restsync.sync(pipeline, restsync.rest_api_source(config))
    restsync.sync(pipeline, restsync.rest_api_source(config))
    sent = [r.query.get("since") for r in server.requests]
    # first run: the configured start minus lookback; second run: the newest loaded value minus it
    assert sent == ["2023-12-31T23:00:00Z", "2024-01-01T01:00:00Z"]


def test_lookback_moves_the_sent_start_and_the_placeholders_alike(server, make_pipeline) -> None:
    # one start value per chain: the start param and {incremental.start_value} never disagree
    _serve(server, _policies(3, start_hour=2))
    config = _config(
        server.base_url, start_time_option={"field_name": "since"}, lookback_window="PT2H"
    )
    config["resources"][0]["endpoint"]["params"] = {
        "from": "{incremental.start_value}",
        "last": "{incremental.last_value}",
    }
    restsync.sync(make_pipeline(), restsync.rest_api_source(config))
    [request] = server.requests
    assert request.query.get("since") == "2023-12-31T22:00:00Z"
    assert request.query.get("from") == "2023-12-31T22:00:00Z"
    assert request.query.get("last") == "2023-12-31T22:00:00Z"
