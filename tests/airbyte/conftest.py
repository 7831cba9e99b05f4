"""The setup of an offline manifest run: the simulator serving a manifest, and the manifest's
source pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync._plan import SourcePlan
from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import Simulator, SimulatorOptions, serve_in_thread


@dataclass(frozen=True)
class Simulated:
    served: SourcePlan  # the plan the simulator serves
    sim: Simulator  # running until the test ends
    source: Any  # the manifest's dlt source, its base URL the simulator's

    def served_and_read(self, stream: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The records the simulator serves for ``stream``, then the records its source reads."""
        return self.sim.dataset()[stream], list(self.source.resources[stream])

    def requests(self) -> dict[str, int]:
        """How many requests the simulator answered so far, per path."""
        requests: dict[str, int] = self.sim.counters()["requests"]
        return requests


Simulate = Callable[..., Simulated]


@pytest.fixture
def simulate() -> Iterator[Simulate]:
    """``simulate(manifest, config, seed=..., streams=...)``: serve the manifest from the
    simulator and build its source against it; every simulator started stops at teardown."""
    with ExitStack() as running:

        def start(
            manifest: Path | dict[str, Any],
            config: dict[str, Any] | None = None,
            *,
            seed: int,
            streams: Sequence[str] | None = None,
        ) -> Simulated:
            config = config or {}
            served = simulator_plan(plan_manifest(manifest, config, streams=streams))
            sim = running.enter_context(serve_in_thread(served, SimulatorOptions(seed=seed)))
            source = restsync.airbyte_source(
                manifest, config, base_url=sim.base_url, streams=streams
            )
            return Simulated(served, sim, source)

        yield start
