"""One request budget shared by every resource of a source, slowed down by 429s.

What ``RateLimiter(r, burst=b)`` guarantees about request *starts* (when ``acquire`` returns):

* **Hard cap.** No half-open window ``[t, t + w)`` (``window_seconds``, 1 s by default) holds
  more than ``ceil(r)`` starts:
  exactly ``r`` for an integer rate, and as close as an average rate of ``r`` allows otherwise
  (2.5/s needs some windows with 3). It is enforced directly, from the recorded start times, and
  follows ``current_rate``: after a 429 the next second already holds no more than the new rate.
* **Pacing.** On average one start per ``1 / r`` seconds: a token bucket holding ``b`` tokens,
  refilled at ``r`` per second (implemented as GCRA: one "theoretical arrival time", no timers).
* **Burst.** ``burst=1`` (the default) spaces starts evenly. ``burst=b`` lets up to ``b`` starts go
  back to back after a lull, but never past the hard cap, so the effective burst is
  ``min(b, ceil(r))``: with 10/s and ``burst=10`` the requests go in volleys of ten, one volley per
  second; with ``burst=3`` three go together and the rest follow at 0.1 s steps.
* **Utilisation.** With waiters queued, starts follow the schedule back to back: the full budget.
* **Fairness.** Waiters are served in arrival order (``asyncio.Lock`` is FIFO).

The lock is held while the head waiter sleeps until its start time, rather than handing out
reservations in advance: a cancelled waiter then leaves no hole in the schedule, and a 429 slows
the very next start instead of only those queued after the current backlog. The schedule advances
from the planned times, not from when the sleeper actually woke, so timer lateness does not
accumulate into lost budget.

Adaptation is AIMD, like TCP: a 429 halves the shared rate (never below ``min_fraction`` of the
configured rate; further 429s within a second are responses to requests already in flight and are
ignored); every later success adds back ``configured * dt / recovery_seconds`` for the time ``dt``
since the last adjustment, so a fully throttled budget is restored within ``recovery_seconds`` of
successful traffic.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from restsync._plan import RateBudget

__all__ = ["NoLimit", "RateLimiter", "make_limiter"]

# 429s that arrive this soon after a cut answer requests sent before it; they carry no new news
_DECREASE_COOLDOWN_SECONDS = 1.0


class RateLimiter:
    def __init__(
        self,
        requests_per_second: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        min_fraction: float = 0.1,
        recovery_seconds: float = 10.0,
        window_seconds: float = 1.0,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError(f"requests_per_second must be positive, got {requests_per_second}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        if not 0 < min_fraction <= 1 or recovery_seconds <= 0:
            raise ValueError("min_fraction must be in (0, 1] and recovery_seconds positive")
        self._configured = float(requests_per_second)
        self._window = window_seconds
        self._burst = burst or 1
        self._clock = clock
        self._sleep = sleep
        self._min_rate = self._configured * min_fraction
        self._recovery_seconds = recovery_seconds
        self._rate = self._configured
        self._lock = asyncio.Lock()
        self._tat = -math.inf  # GCRA theoretical arrival time of the next start
        self._starts: deque[float] = deque(maxlen=math.ceil(self._configured))
        self._last_cut = -math.inf
        self._last_adjust = -math.inf

    @property
    def current_rate(self) -> float:
        """Requests per second allowed now: the configured rate, or less after 429s."""
        return self._rate

    async def acquire(self) -> None:
        """Wait until a request may start; the caller must start it right away."""
        async with self._lock:
            interval = self._window / self._rate
            target = max(self._clock(), self._tat - (self._burst - 1) * interval)
            cap = math.ceil(self._rate)
            if len(self._starts) >= cap:
                target = max(target, self._starts[-cap] + self._window)
            # loop: the event loop may fire a timer a hair early, and the cap must hold exactly
            while (now := self._clock()) < target:
                await self._sleep(target - now)
            self._tat = max(self._tat, target) + interval
            self._starts.append(now)

    def on_status(self, status: int) -> None:
        """Feed back every response status: 429 slows the budget down, successes restore it."""
        now = self._clock()
        if status == 429:
            if now - self._last_cut >= _DECREASE_COOLDOWN_SECONDS:
                self._rate = max(self._min_rate, self._rate / 2)
                self._last_cut = self._last_adjust = now
        elif status < 400 and self._rate < self._configured:
            gained = self._configured * (now - self._last_adjust) / self._recovery_seconds
            self._rate = min(self._configured, self._rate + gained)
            self._last_adjust = now


class NoLimit:
    """The limiter used when a source sets no rate limit."""

    async def acquire(self) -> None:
        return None

    def on_status(self, status: int) -> None:
        return None


def make_limiter(rate_limit: RateBudget | None) -> RateLimiter | NoLimit:
    if rate_limit is None:
        return NoLimit()
    # The API counts requests when they arrive, not when we send them: a little network or
    # scheduling jitter can pull the first of a full window late and squeeze one request too many
    # into the server's second. Pacing over 1.05 s keeps that margin for 5 % of the budget.
    return RateLimiter(rate_limit.requests_per_second, rate_limit.burst, window_seconds=1.05)
