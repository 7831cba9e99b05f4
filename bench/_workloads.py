"""The three workloads of issue 5, as (config, simulator options) cases.

1. the five seeds at scale 5 with 50 ms latency: restsync, dlt default, dlt parallelized;
2. one resource of flat ~300-byte records, zero latency, at 100k and 1M records;
3. a seed under a 20 requests/s budget (restsync only: dlt's rest_api has no rate limit).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync.simulator import SimulatorOptions

__all__ = [
    "BIG_FIELDS",
    "SEEDS",
    "Case",
    "big_case",
    "rate_case",
    "seed_case",
    "seed_config",
]

SEEDS = ("iot_platform", "webhook_service", "device_management", "account_analytics", "video_rooms")

# ~300 bytes of JSON per record (orjson), flat but for one nested object that dlt flattens into
# columns: no lists, so no nested child tables and one DuckDB row per API record.
BIG_FIELDS: dict[str, dict[str, dict[str, Any]]] = {
    "events": {
        "id": {"data_type": "bigint"},
        "name": {"data_type": "text"},
        "email": {},
        "status": {},
        "region": {},
        "created_at": {"data_type": "timestamp"},
        "updated_at": {"data_type": "timestamp"},
        "active": {"data_type": "bool"},
        "score": {"data_type": "bigint"},
        "amount": {"data_type": "double"},
        "metadata": {"data_type": "json"},
    }
}


DUCKDB_CAPPED = "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"
DUCKDB_CAP = {"memory_limit": "32MB", "threads": 1}


@dataclass(frozen=True)
class Case:
    workload: int
    name: str  # what the tables call the case, e.g. "webhook_service" or "1M records"
    source_name: str
    config: Mapping[str, Any]  # restsync dialect; base_url is replaced by the simulator's
    options: SimulatorOptions
    tools: tuple[str, ...]
    fields: Mapping[str, Any] | None = None
    # pipeline settings, the same for every tool: loader file format (None: dlt's default for
    # duckdb, insert_values) and environment variables (dlt config) for the child process
    file_format: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def pipeline_settings(self) -> str:
        text = self.file_format or "insert_values (dlt default)"
        if self.env.get("DATA_WRITER__DISABLE_COMPRESSION") == "true":
            text += ", uncompressed"
        if DUCKDB_CAPPED in self.env:
            text += (
                f", DuckDB capped (memory_limit {DUCKDB_CAP['memory_limit']}, "
                f"threads {DUCKDB_CAP['threads']})"
            )
        return text


def seed_config(name: str) -> dict[str, Any]:
    # the tests' reader of tests/seeds/*.py: the seed documents' configs, secrets as literals
    from tests.simulator.seed_configs import seed_config as read

    return read(name)


def seed_case(
    name: str,
    *,
    scale: float,
    latency_ms: float,
    tools: tuple[str, ...],
    staged_as_shipped: bool = False,
) -> Case:
    """A seed at ``scale``; ``staged_as_shipped``: every tool stages its load the way
    ``restsync run`` does (jsonl, dlt's intermediate files uncompressed) instead of dlt's
    DuckDB default, so the normalize + load step is the cheaper one for all of them."""
    return Case(
        workload=1,
        name=f"{name} (jsonl, uncompressed)" if staged_as_shipped else name,
        source_name=name,
        config=seed_config(name),
        options=SimulatorOptions(seed=1, scale=scale, latency_ms=latency_ms),
        tools=tools,
        file_format="jsonl" if staged_as_shipped else None,
        env={"DATA_WRITER__DISABLE_COMPRESSION": "true"} if staged_as_shipped else {},
    )


def big_case(
    records: int,
    *,
    page_size: int,
    tools: tuple[str, ...],
    file_format: str | None = "jsonl",
    compress: bool = True,
    cap_duckdb: bool = False,
) -> Case:
    config = {
        "client": {"base_url": "https://api.example.com"},
        "resources": [
            {
                "name": "events",
                "primary_key": "id",
                "write_disposition": "append",
                "endpoint": {
                    "path": "/events",
                    "data_selector": "data",
                    "paginator": {"type": "offset", "limit": page_size},
                },
            }
        ],
    }
    label = f"{records // 1_000_000}M" if records >= 1_000_000 else f"{records // 1000}k"
    return Case(
        workload=2,
        name=f"{label} records",
        source_name="big",
        config=config,
        options=SimulatorOptions(seed=1, records_per_resource=records),
        tools=tools,
        fields=BIG_FIELDS,
        file_format=file_format,
        env={
            **({} if compress else {"DATA_WRITER__DISABLE_COMPRESSION": "true"}),
            # DuckDB's own settings through dlt's config: docs/benchmarks.md#memory
            **({DUCKDB_CAPPED: json.dumps(DUCKDB_CAP)} if cap_duckdb else {}),
        },
    )


def rate_case(name: str, *, scale: float, latency_ms: float, rps: float) -> Case:
    config = copy.deepcopy(seed_config(name))
    config["client"]["rate_limit"] = {"requests_per_second": rps}
    return Case(
        workload=3,
        name=f"{name} @ {rps:g} req/s",
        source_name=name,
        config=config,
        options=SimulatorOptions(seed=1, scale=scale, latency_ms=latency_ms),
        tools=("restsync",),
    )
