"""What the destination tests share: a bundled connector served by the simulator, synced."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import restsync
from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread

SECRET = "destination-secret"


@contextmanager
def simulator(name: str, seed: int = 3) -> Iterator[Any]:
    plan = restsync.plan_config(connectors.connector_config(name), name=name)
    options = SimulatorOptions(seed=seed, token=SECRET)
    with serve_in_thread(plan, options, fields=connectors.connector_fields(name)) as sim:
        yield sim


def sync(name: str, base_url: str, pipeline: Any, **run_kwargs: Any) -> Any:
    """``restsync.sync`` of a bundled connector; returns the run's report (no resource failed)."""
    source = connectors.connector_source(name, base_url=base_url)
    restsync.sync(pipeline, source, **run_kwargs)
    report = restsync.runtime_of(source).last_report
    assert report is not None and not report.failures()
    return report


def served_counts(sim: Any) -> dict[str, int]:
    return {table: len(records) for table, records in sim.dataset().items()}
