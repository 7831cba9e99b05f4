"""Issue 2's promise: each seed file runs exactly as written (only the import line differs).

The seed's own Python file is executed, with its secrets in environment variables as dlt expects,
against a simulator that serves what the seed's document describes (its declared fields, so e.g.
the webhook service's event types carry ``uuid`` and no ``id``). Every resource whose records carry
the configured primary key loads with exact counts; the others fail alone, by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync import connectors
from restsync._config_files import read_python_config, run_python_source
from restsync.simulator import Simulator, SimulatorOptions, serve_in_thread
from tests.conftest import count_rows

SEEDS = Path(__file__).parents[1] / "seeds"


EXPECTED_FAILURES = {
    # the documents key these by another field than resource_defaults' "id"
    "webhook_service": {"event_types"},
    "account_analytics": {"smartcode", "thresholds", "integrations"},
    "video_rooms": {"active_room_peers", "template_settings", "templates_destinations"},
}


@contextmanager
def _seed_served(seed: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Simulator]]:
    """The seed file and the simulator serving its config, the seed's secrets and start date in
    the environment as dlt reads them."""
    for name in ("API_KEY", "API_TOKEN"):
        monkeypatch.setenv(name, "seed-secret")
    monkeypatch.setenv("START_DATE", "2024-01-01T00:00:00Z")
    path = SEEDS / f"{seed}.py"
    plan = restsync.plan_config(read_python_config(path), name=seed)
    options = SimulatorOptions(seed=3, records_per_resource=None)
    with serve_in_thread(plan, options, fields=connectors.connector_fields(seed)) as sim:
        yield path, sim


def _served_with_key(records: list[dict[str, Any]], key: str) -> bool:
    return bool(records) and key in records[0]


@pytest.mark.parametrize("seed", sorted(p.stem for p in SEEDS.glob("*.py")))
def test_seed_runs_as_written(seed: str, monkeypatch, make_pipeline, duckdb_path) -> None:
    with _seed_served(seed, monkeypatch) as (path, sim):
        pipeline = make_pipeline(name=seed, dataset=seed)
        served = sim.dataset()
        keyed = {name for name, records in served.items() if _served_with_key(records, "id")}
        unkeyed = {name for name, records in served.items() if records and "id" not in records[0]}
        assert keyed, "the seed serves nothing it can load"
        for _ in range(2):  # a second run leaves every count unchanged (merge on the key)
            source = run_python_source(path, base_url=sim.base_url)
            failed: set[str] = set()
            try:
                restsync.sync(pipeline, source)
            except restsync.SyncFailed as exc:
                failed = {f.resource for f in exc.failures}
                for failure in exc.failures:
                    assert "primary key 'id'" in str(failure), failure
            assert failed == unkeyed == EXPECTED_FAILURES.get(seed, set())
            for name in keyed:
                assert count_rows(duckdb_path, seed, name) == len(served[name]), name


@pytest.mark.parametrize("seed, expected", sorted(EXPECTED_FAILURES.items()))
def test_documents_keying_resources_otherwise_fail_those_alone(
    seed: str, expected: set[str]
) -> None:
    fields = connectors.connector_fields(seed)
    assert {name for name, columns in fields.items() if "id" not in columns} == expected


@pytest.mark.parametrize(
    "seed",
    ["webhook_service", "account_analytics"],  # seed documents 001 and 003
)
def test_plain_pipeline_run_of_a_seed_raises_naming_each_unkeyed_resource(
    seed: str, monkeypatch, make_pipeline, duckdb_path
) -> None:
    from dlt.pipeline.exceptions import PipelineStepFailed

    with _seed_served(seed, monkeypatch) as (path, sim):
        source = run_python_source(path, base_url=sim.base_url)
        with pytest.raises(PipelineStepFailed) as raised:
            make_pipeline(name=seed, dataset=seed).run(source)
    message = str(raised.value)
    for name in EXPECTED_FAILURES[seed]:
        assert f"resource '{name}'" in message, name
    assert message.count("primary key 'id'") >= len(EXPECTED_FAILURES[seed])
    assert "seed-secret" not in message
