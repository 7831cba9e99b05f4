from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from restsync import connectors
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.cli.crash_harness import NAME, PHASES_HIT, SECRET, plan


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--crash-kills",
        type=int,
        default=30,
        help="kills at seeded random moments in tests/cli/crash_random.py (make crash)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "crash_seed" in metafunc.fixturenames:
        kills = max(1, metafunc.config.getoption("--crash-kills"))
        metafunc.parametrize("crash_seed", range(kills))


@pytest.fixture
def crash_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The API the crash tests sync: 100 ms per response, so extraction takes several round
    trips and there is time to act in between."""
    monkeypatch.setenv("API_KEY", SECRET)
    options = SimulatorOptions(seed=21, token=SECRET, latency_ms=100)
    with serve_in_thread(plan(), options, fields=connectors.connector_fields(NAME)) as sim:
        yield sim


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if PHASES_HIT:
        counts = {phase: PHASES_HIT.count(phase) for phase in sorted(set(PHASES_HIT))}
        listed = ", ".join(f"{phase}: {n}" for phase, n in counts.items())
        terminalreporter.write_line(f"seeded kills by destination and phase hit: {listed}")
