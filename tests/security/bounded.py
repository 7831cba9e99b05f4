"""A sync run in a thread that must end within a bound: a hang fails the test instead of
blocking the suite."""

from __future__ import annotations

import threading
from typing import Any

import restsync

BOUND_SECONDS = 60  # far above any case's real duration; a hang would block for hours


def sync_within_bound(config: dict[str, Any], make_pipeline: Any) -> BaseException | None:
    """What ``restsync.sync`` of ``config`` raised (``None`` if nothing), asserting it ended."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            restsync.sync(make_pipeline(), restsync.rest_api_source(config))
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND_SECONDS)
    assert not thread.is_alive(), f"the run did not end within {BOUND_SECONDS} s"
    return outcome[0]
