"""The simulator serves an incremental stream's cursor where the API carries it."""

from __future__ import annotations

from typing import Any

import restsync
from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import SimulatorOptions, serve_in_thread

# linkedin-pages' time-bound statistics: the cursor timeRangeEnd (epoch milliseconds) is added
# from the API's record['timeRange']['end'], which is then removed
STATISTICS: dict[str, Any] = {
    "version": "6.0.0",
    "type": "DeclarativeSource",
    "streams": [
        {
            "type": "DeclarativeStream",
            "name": "statistics",
            "primary_key": [],
            "retriever": {
                "type": "SimpleRetriever",
                "requester": {
                    "type": "HttpRequester",
                    "url_base": "https://x.invalid",
                    "path": "/statistics",
                },
                "record_selector": {
                    "type": "RecordSelector",
                    "extractor": {"type": "DpathExtractor", "field_path": ["elements"]},
                },
            },
            "transformations": [
                {
                    "type": "AddFields",
                    "fields": [
                        {"path": ["timeRangeEnd"], "value": "{{ record['timeRange']['end'] }}"}
                    ],
                },
                {"type": "RemoveFields", "field_pointers": [["timeRange", "end"]]},
            ],
            "incremental_sync": {
                "type": "DatetimeBasedCursor",
                "cursor_field": "timeRangeEnd",
                "datetime_format": "%ms",
                "start_datetime": {
                    "type": "MinMaxDatetime",
                    "datetime": "{{ config['start_date'] }}",
                    "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
                },
                "start_time_option": {
                    "inject_into": "request_parameter",
                    "field_name": "start",
                },
            },
            "schema_loader": {
                "type": "InlineSchemaLoader",
                "schema": {
                    "type": "object",
                    "properties": {
                        "clicks": {"type": "integer"},
                        "timeRangeEnd": {"type": "number"},
                    },
                },
            },
        }
    ],
}


def test_a_cursor_added_from_a_record_path_is_served_at_that_path() -> None:
    config = {"start_date": "2024-01-01T00:00:00Z"}
    served = simulator_plan(plan_manifest(STATISTICS, config))
    incremental = served.resources["statistics"].incremental
    assert incremental is not None and incremental.cursor_path == "timeRange.end"
    with serve_in_thread(served, SimulatorOptions(seed=4)) as sim:
        raw = sim.dataset()["statistics"]
        source = restsync.airbyte_source(STATISTICS, config, base_url=sim.base_url)
        records = list(source.resources["statistics"])
    start_ms = 1704067200000
    assert raw and all(r["timeRange"]["end"] >= start_ms for r in raw)
    # every record passes dlt's incremental: its added cursor is the served epoch milliseconds
    assert sorted(r["timeRangeEnd"] for r in records) == sorted(r["timeRange"]["end"] for r in raw)
    assert all("end" not in r.get("timeRange", {}) for r in records)
