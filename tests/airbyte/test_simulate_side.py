"""Offline runs of streams that read a side endpoint first (session 14): the simulator serves a
DynamicSchemaLoader's schema endpoint and a PropertiesFromEndpoint's property endpoint, with
names the stream's own simulated records carry; before, such a run failed the stream with the
404 that named the side endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import restsync
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.airbyte.test_components_s14 import _CHECK, _contacts_from_endpoint, _typed_stream
from tests.conftest import fetch_rows

_CONFIG = {"token": "tok-side-4321"}


def _columns(duckdb_path: Path, table: str) -> dict[str, str]:
    rows = fetch_rows(
        duckdb_path,
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = 'data' and table_name = '{table}'",
    )
    return {str(name): str(kind) for name, kind in rows if not str(name).startswith("_dlt")}


def test_a_dynamic_schema_stream_loads_offline_with_the_served_schemas_columns(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    """The schema endpoint serves three fields, one mapped to an integer by a types_mapping
    condition; the stream's records carry them, and DuckDB's columns are the schema's types."""
    stream = _typed_stream("https://api.example.com")
    stream["schema_loader"]["schema_type_identifier"]["types_mapping"] = [
        {
            "type": "TypesMap",
            "current_type": "string",
            "target_type": "integer",
            "condition": "{{ raw_schema['name'].endswith('2') }}",
        }
    ]
    run = simulate(build.manifest(stream, version="6.44.0", check=_CHECK), _CONFIG, seed=5)
    served = run.sim.dataset()["items"]
    restsync.sync(make_pipeline(), run.source)
    requests = run.requests()
    assert requests["/fields"] == 1 and requests["/items"] >= 1
    loaded = fetch_rows(duckdb_path, "select id, nam_000002 from data.items order by id")
    assert len(loaded) == len(served) > 0
    assert [r[1] for r in loaded] == [
        r["nam_000002"] for r in sorted(served, key=lambda r: r["id"])
    ]
    columns = _columns(duckdb_path, "items")
    assert columns["nam_000002"] == "BIGINT"
    assert columns["nam_000001"] == columns["nam_000003"] == "VARCHAR"


def test_a_properties_from_endpoint_stream_loads_offline_asking_for_the_served_properties(
    simulate: Simulate, make_pipeline: Any, duckdb_path: Path
) -> None:
    """The property endpoint is paged (a cursor) and read whole; the stream asks for its
    properties in chunks of two beside 'name', and its records carry every property."""
    stream = _contacts_from_endpoint("https://api.example.com")
    run = simulate(build.manifest(stream, version="6.44.0", check=_CHECK), _CONFIG, seed=7)
    served = run.sim.dataset()["items"]
    restsync.sync(make_pipeline(), run.source)
    requests = run.requests()
    assert requests["/properties"] >= 1 and requests["/contacts"] >= 2  # a page per chunk
    rows = fetch_rows(duckdb_path, "select nam_000001, nam_000002, nam_000003 from data.items")
    assert len(rows) == len(served) > 0
    assert sorted(rows) == sorted(
        (r["nam_000001"], r["nam_000002"], r["nam_000003"]) for r in served
    )


@pytest.mark.parametrize("kind", ["schema", "properties"])
def test_airbyte_cdk_reads_the_simulated_side_reads_as_restsync_does(
    simulate: Simulate, tmp_path: Path, kind: str
) -> None:
    """airbyte-cdk 7.39.1 runs the manifest against the same simulator: its side read finds the
    served names (one schema read, or the property pages), and its records are restsync's."""
    base = "{{ config['base_url'] }}"
    stream = _typed_stream(base) if kind == "schema" else _contacts_from_endpoint(base)
    manifest = tmp_path / f"{kind}.yaml"
    manifest.write_text(json.dumps(build.manifest(stream, version="6.44.0", check=_CHECK)))
    run = simulate(manifest, {**_CONFIG, "base_url": "http://api.invalid"}, seed=11)
    config = {**_CONFIG, "base_url": run.sim.base_url}
    expected, errors = reference_records(manifest, config)
    assert errors == []
    got = restsync_records(manifest, config)
    assert len(expected["items"]) == len(run.sim.dataset()["items"]) > 0
    assert canonical(got["items"]) == canonical(expected["items"])
    carried = {key for record in expected["items"] for key in record}
    assert {"nam_000001", "nam_000002", "nam_000003"} <= carried
