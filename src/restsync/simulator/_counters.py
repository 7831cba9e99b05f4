"""Request counters: per path template, per status, concurrency and requests per second.

Updated from the server's event loop and read (or reset) from test threads, hence the lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

__all__ = ["Counters"]


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._status: Counter[str] = Counter()
        self._by_second: Counter[str] = Counter()
        self._total = 0
        self._in_flight = 0
        self._peak = 0

    def enter(self) -> int:
        """Count a request arriving; returns its number (1-based since the last reset)."""
        with self._lock:
            self._total += 1
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            self._by_second[str(int(time.time()))] += 1
            return self._total

    def leave(self, template: str, status: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._requests[template] += 1
            self._status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "status": dict(self._status),
                "peak_concurrency": self._peak,
                "in_flight": self._in_flight,
                "total_requests": self._total,
                # wall-clock epoch second -> requests that arrived in it
                "requests_by_second": dict(self._by_second),
            }

    def reset(self) -> None:
        """Forget history; requests still in flight stay counted as in flight."""
        with self._lock:
            self._requests.clear()
            self._status.clear()
            self._by_second.clear()
            self._total = 0
            self._peak = self._in_flight
