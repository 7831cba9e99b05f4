"""What the engine reports while and after it runs: per-resource counts, times and errors."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from restsync._errors import ExtractionError

__all__ = ["ResourceStats", "RunReport"]


@dataclass
class ResourceStats:
    name: str
    pages: int = 0
    records: int = 0
    rejects: int = 0
    retries: int = 0
    requests: int = 0  # sent, retries included; predictions dropped unsent are not counted
    started: float | None = None
    finished: float | None = None
    error: ExtractionError | None = None
    delivered: bool = True
    first_request_at: float | None = None  # wall-clock (epoch seconds), for the run report
    last_request_at: float | None = None  # when the last answer arrived

    def note_request(self, sent_at: float, answered_at: float) -> None:
        self.requests += 1
        if self.first_request_at is None or sent_at < self.first_request_at:
            self.first_request_at = sent_at
        if self.last_request_at is None or answered_at > self.last_request_at:
            self.last_request_at = answered_at

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        return "ok" if self.finished is not None else "running"

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


@dataclass
class RunReport:
    resources: dict[str, ResourceStats] = field(default_factory=dict)

    def failures(self) -> list[ExtractionError]:
        return [s.error for s in self.resources.values() if s.error is not None and s.delivered]

    @property
    def ok(self) -> bool:
        return not self.failures()
