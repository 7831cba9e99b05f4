"""The simulator's knobs and its one error type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from restsync._errors import RestSyncError

__all__ = ["SimulatorError", "SimulatorOptions"]


class SimulatorError(RestSyncError, ValueError):
    """The plan cannot be served as written, or an option (e.g. the fault spec) is malformed."""


@dataclass(frozen=True)
class SimulatorOptions:
    seed: int = 0
    scale: float = 1.0  # multiplies record counts
    latency_ms: float = 0.0  # added to every API response
    faults: str | None = None  # see restsync.simulator._faults for the grammar
    token: str | None = None  # overrides the credential the plan holds
    host: str = "127.0.0.1"
    port: int = 0  # 0: the OS picks a free port
    # a cursor value as an opaque token, or as the absolute URL of the next page
    cursor_style: Literal["token", "url"] = "token"
    # base record count before ``scale``: per resource for roots, per parent for children.
    # Default: 2.5 pages' worth for roots (so the last page is short), 3 per parent for children.
    records_per_resource: int | None = None

    def __post_init__(self) -> None:
        if self.scale < 0:
            raise SimulatorError(f"scale must be >= 0, got {self.scale}")
        if self.latency_ms < 0:
            raise SimulatorError(f"latency_ms must be >= 0, got {self.latency_ms}")
        if self.cursor_style not in ("token", "url"):
            raise SimulatorError(
                f"cursor_style must be 'token' or 'url', got {self.cursor_style!r}"
            )
        if self.records_per_resource is not None and self.records_per_resource < 0:
            raise SimulatorError(
                f"records_per_resource must be >= 0, got {self.records_per_resource}"
            )
