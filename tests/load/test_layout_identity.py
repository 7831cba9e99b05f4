"""Issue 11.1: Arrow pages (the default) load exactly the tables dlt's normalizer makes.

Each bundled connector runs against the simulator twice into one DuckDB file (the second run
merges on the primary key, nested tables included), and each seed file (the same APIs, written
as dlt-style Python) once, with the default page format and with ``page_format: dicts``; every
table must come out the same: names, columns, types, dlt schema hints, rows and parent/child
links (tests/load/layout.py). The fast path must also have been taken in every run: the test
names every resource whose pages went to dlt as dicts, and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync import connectors
from restsync._config_files import read_python_config, run_python_source
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.load.layout import assert_identical, load_both

SEEDS = Path(__file__).parents[1] / "seeds"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch) -> None:
    for name in ("API_KEY", "API_TOKEN"):
        monkeypatch.setenv(name, "seed-secret")
    monkeypatch.setenv("START_DATE", "2024-01-01T00:00:00Z")


@pytest.mark.parametrize("name", connectors.names())
def test_each_connector_loads_the_same_tables_with_arrow_pages(name: str, tmp_path) -> None:
    plan = restsync.plan_config(connectors.connector_config(name), name=name)
    fields = connectors.connector_fields(name)
    with serve_in_thread(plan, SimulatorOptions(seed=12), fields=fields) as sim:

        def build(page_format: str) -> Any:
            with restsync.overrides(base_url=sim.base_url, page_format=page_format):
                return restsync.rest_api_source(connectors.connector_config(name), name=name)

        fast, dicts, fallbacks = load_both(tmp_path, name, build, runs=2)
    assert_identical(fast, dicts)
    assert fallbacks == dict.fromkeys(plan.resources)  # every page went as Arrow tables


@pytest.mark.parametrize("seed", sorted(p.stem for p in SEEDS.glob("*.py")))
def test_each_seed_loads_the_same_tables_with_arrow_pages(seed: str, tmp_path) -> None:
    path = SEEDS / f"{seed}.py"
    plan = restsync.plan_config(read_python_config(path), name=seed)
    options = SimulatorOptions(seed=3, records_per_resource=None)
    with serve_in_thread(plan, options, fields=connectors.connector_fields(seed)) as sim:

        def build(page_format: str) -> Any:
            return run_python_source(path, base_url=sim.base_url, page_format=page_format)

        fast, dicts, fallbacks = load_both(tmp_path, seed, build)
    assert_identical(fast, dicts)
    assert fallbacks == dict.fromkeys(plan.resources)
