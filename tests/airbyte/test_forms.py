"""Form bodies (forms.yaml, identical to airbyte-cdk 7.39.1 in scripts/airbyte_diff.py):
body_data request options and request_body_data as form fields or as a text body; the
simulator reads a page token or size from a form body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import restsync
from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.airbyte.apis import serve_forms
from tests.conftest import count_rows, fetch_rows

MANIFEST = Path(__file__).parent / "manifests" / "forms.yaml"
CONFIG = {"query": "a b&c", "start_date": "2024-01-01", "end_date": "2024-01-03"}


def test_form_bodies_are_sent_as_airbyte_cdk_sends_them(
    server: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_forms(server)
    server.start()
    source = restsync.airbyte_source(MANIFEST, {**CONFIG, "base_url": server.base_url})
    restsync.sync(make_pipeline(), source)
    counts = {t: count_rows(duckdb_path, "data", t) for t in ("books", "search", "daily", "note")}
    assert counts == {"books": 5, "search": 14, "daily": 2, "note": 1}
    # a GET carries the page size as a form body (aiohttp parses forms of POSTs only)
    assert fetch_rows(duckdb_path, "select distinct text from data.books") == [("page_size=2",)]
    # form fields from the config (a missing one sent as 'None', as airbyte-cdk does), the
    # partition and the offset token
    search = fetch_rows(
        duckdb_path,
        "select form__q, form__limit, form__empty, form__shelf, form__offset from data.search "
        "where id = 's2-4'",
    )
    assert search == [("a b&c", "3", "None", "s2", "3")]
    daily = fetch_rows(duckdb_path, "select form__from, form__to from data.daily order by 1")
    assert daily == [("2024-01-01", "2024-01-01"), ("2024-01-02", "2024-01-03")]
    # a text body goes as written, without a Content-Type
    assert fetch_rows(duckdb_path, "select text, type from data.note") == [
        ("query=a b&c;raw", "none")
    ]


def test_the_simulator_serves_a_page_size_in_a_form_body(
    make_pipeline: Any, duckdb_path: Path
) -> None:
    """gutendex's contract: the page number in the query, the page size (2) in a form body,
    which the simulator reads as a flat JSON object instead of refusing a body that is not
    JSON; every record arrives, two a page."""
    config = {**CONFIG, "base_url": "http://127.0.0.1:9"}
    plan = simulator_plan(plan_manifest(MANIFEST, config, streams=["books"]))
    with serve_in_thread(plan, SimulatorOptions(seed=3)) as sim:
        dataset = sim.dataset()
        source = restsync.airbyte_source(MANIFEST, config, streams=["books"], base_url=sim.base_url)
        restsync.sync(make_pipeline(), source)
        requests = sim.counters()["requests"]
    total = len(dataset["books"])
    assert total > 2
    assert count_rows(duckdb_path, "data", "books") == total
    assert requests["/books"] == total // 2 + 1
