"""Request counters: per path template, per status, concurrency, requests per second and the
busiest sliding second.

Updated from the server's event loop and read (or reset) from test threads, hence the lock. The
sliding window reads an injected monotonic clock, so a test can place requests in time exactly.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

__all__ = ["Counters"]

_WINDOW = 1.0  # seconds


class Counters:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._status: Counter[str] = Counter()
        self._by_second: Counter[str] = Counter()
        self._total = 0
        self._in_flight = 0
        self._peak = 0
        # arrival times (monotonic) of the requests of the last second, and the most ever seen
        # there: the busiest sliding 1 s window, which per-second buckets cannot show (a burst
        # straddling a second boundary is split in two)
        self._recent: deque[float] = deque()
        self._peak_window = 0

    def enter(self) -> int:
        """Count a request arriving; returns its number (1-based since the last reset)."""
        with self._lock:
            now = self._clock()  # under the lock: arrivals enter the deque in time order
            self._total += 1
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            self._by_second[str(int(time.time()))] += 1
            recent = self._recent
            recent.append(now)
            while recent[0] <= now - _WINDOW:  # windows are half-open: [t, t + 1 s)
                recent.popleft()
            self._peak_window = max(self._peak_window, len(recent))
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
                "max_requests_in_1s_window": self._peak_window,
            }

    def reset(self) -> None:
        """Forget history; requests still in flight stay counted as in flight."""
        with self._lock:
            self._requests.clear()
            self._status.clear()
            self._by_second.clear()
            self._recent.clear()
            self._peak_window = 0
            self._total = 0
            self._peak = self._in_flight
