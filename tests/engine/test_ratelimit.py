"""The shared rate budget, read from recorded start times on a fake clock (one real-time test)."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from restsync._engine._ratelimit import NoLimit, RateLimiter, make_limiter
from restsync._plan import RateBudget


class FakeClock:
    """Time stands still until someone sleeps; sleeping moves it forward at once.

    The limiter lets only its head waiter sleep, so one sleeper at a time is all these tests need.
    """

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # a cancelled sleeper must not have moved time
        self.now += max(seconds, 0.0)


def limiter(rate: float, burst: int | None = None, **kw: float) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(rate, burst, clock=clock, sleep=clock.sleep, **kw), clock


async def wave(lim: RateLimiter | NoLimit, clock: FakeClock, n: int) -> list[float]:
    """``n`` requests queue at once; returns their start times in the order they were created."""
    starts = [math.nan] * n

    async def one(i: int) -> None:
        await lim.acquire()
        starts[i] = clock.now

    await asyncio.gather(*(one(i) for i in range(n)))
    return starts


def busiest_second(starts: list[float]) -> int:
    return max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts)


@pytest.mark.parametrize(
    ("rate", "burst", "cap"),
    [
        (10, None, 10),
        (10, 3, 10),
        (10, 10, 10),
        (10, 50, 10),  # a burst above the rate cannot break the cap
        (3, 2, 3),
        (100, None, 100),
        (2.5, None, 3),  # an average of 2.5/s needs some seconds with 3
        (0.5, 4, 1),
    ],
)
def test_never_more_than_the_rate_in_any_second(rate: float, burst: int | None, cap: int) -> None:
    async def scenario() -> list[float]:
        lim, clock = limiter(rate, burst)
        size = 4 * cap
        starts = await wave(lim, clock, size)
        clock.now += 5.0  # a lull refills the bucket
        starts += await wave(lim, clock, size)
        clock.now += 0.35
        return starts + await wave(lim, clock, size)

    starts = asyncio.run(scenario())
    assert starts == sorted(starts), "waiters are served first come, first served"
    assert busiest_second(starts) == cap


@pytest.mark.parametrize(("rate", "burst"), [(10, None), (10, 4), (10, 10), (2.5, None), (50, 7)])
def test_queued_waiters_use_the_whole_budget(rate: float, burst: int | None) -> None:
    lim, clock = limiter(rate, burst)
    starts = asyncio.run(wave(lim, clock, 300))
    within_five_seconds = sum(1 for s in starts if s < 5.0)
    assert within_five_seconds >= 0.9 * rate * 5


def test_burst_means_back_to_back_after_a_lull_then_paced() -> None:
    async def scenario() -> tuple[list[float], list[float]]:
        lim, clock = limiter(10, burst=3)
        first = await wave(lim, clock, 6)
        clock.now = 10.0
        return first, await wave(lim, clock, 4)

    first, after_lull = asyncio.run(scenario())
    assert first == pytest.approx([0, 0, 0, 0.1, 0.2, 0.3])
    assert after_lull == pytest.approx([10, 10, 10, 10.1])


def test_default_is_smooth_and_full_burst_goes_in_volleys() -> None:
    smooth, clock = limiter(4)
    assert asyncio.run(wave(smooth, clock, 6)) == pytest.approx([0, 0.25, 0.5, 0.75, 1, 1.25])
    volleys, clock = limiter(4, burst=4)
    assert asyncio.run(wave(volleys, clock, 6)) == pytest.approx([0, 0, 0, 0, 1, 1])


def test_a_cancelled_waiter_leaves_no_hole() -> None:
    async def scenario() -> list[float]:
        lim, clock = limiter(10)
        await lim.acquire()  # t=0; the next slot is 0.1
        doomed = asyncio.create_task(lim.acquire())
        await asyncio.sleep(0)
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return await wave(lim, clock, 2)

    assert asyncio.run(scenario()) == pytest.approx([0.1, 0.2])


def test_429_halves_the_rate_and_successes_restore_it() -> None:
    lim, clock = limiter(10, min_fraction=0.1, recovery_seconds=10)
    lim.on_status(429)
    assert lim.current_rate == 5
    lim.on_status(429)  # the same overload, reported by a request already in flight
    assert lim.current_rate == 5
    for _ in range(5):
        clock.now += 1.0
        lim.on_status(429)
    assert lim.current_rate == 1  # min_fraction of 10
    lim.on_status(404)
    lim.on_status(500)
    assert lim.current_rate == 1
    clock.now += 4.0
    lim.on_status(200)
    assert lim.current_rate == pytest.approx(5)
    clock.now += 100.0
    lim.on_status(204)
    assert lim.current_rate == 10


def test_after_a_429_the_queue_slows_down_at_once() -> None:
    async def scenario() -> list[float]:
        lim, clock = limiter(10)
        starts = await wave(lim, clock, 3)
        lim.on_status(429)
        return starts + await wave(lim, clock, 4)

    # paced at 5/s from the cut, and the 1-second cap drops to 5 too: the sixth start waits
    # until [0, 1) is no longer the window it would share with the first five
    assert asyncio.run(scenario()) == pytest.approx([0, 0.1, 0.2, 0.3, 0.5, 1.0, 1.2])


def test_adapts_to_a_server_stricter_than_the_config() -> None:
    """Configured for 10/s, the server allows 4/s: 429s stay rare and most of the 4/s is used."""
    lim, clock = limiter(10)
    served: list[float] = []
    rejected = 0

    async def request() -> None:
        nonlocal rejected
        await lim.acquire()
        if sum(1 for s in served if s > clock.now - 1.0) >= 4:
            rejected += 1
            lim.on_status(429)
        else:
            served.append(clock.now)
            lim.on_status(200)

    async def scenario() -> None:
        await asyncio.wait_for(asyncio.gather(*(request() for _ in range(600))), timeout=10)

    asyncio.run(scenario())
    assert rejected < 0.15 * 600
    assert len(served) / clock.now > 0.6 * 4


class ReadClock:
    """The real monotonic clock, remembering its last reading: the start the limiter granted."""

    def __init__(self) -> None:
        self.last = math.nan

    def __call__(self) -> float:
        self.last = time.monotonic()
        return self.last


def test_real_clock_keeps_the_cap() -> None:
    """The only real-time test (about 1 s): real event-loop timers, which may fire a hair early,
    not just the arithmetic. Starts are the limiter's own clock readings, so the cap is exact."""

    async def scenario() -> list[float]:
        clock = ReadClock()
        lim = RateLimiter(20, burst=20, clock=clock)  # volleys: the 1 s cap alone holds the 21st
        starts: list[float] = []

        async def one() -> None:
            await lim.acquire()
            # acquire returned without yielding to the loop since its last reading: no other
            # waiter has read the clock in between
            starts.append(clock.last)

        await asyncio.gather(*(one() for _ in range(22)))
        return starts

    starts = asyncio.run(scenario())
    assert len(starts) == 22 and starts == sorted(starts)
    assert busiest_second(starts) == 20


def test_make_limiter() -> None:
    assert isinstance(make_limiter(None), NoLimit)
    lim = make_limiter(RateBudget(requests_per_second=5, burst=2))
    assert isinstance(lim, RateLimiter)
    assert lim.current_rate == 5
    clock = FakeClock()
    assert asyncio.run(wave(NoLimit(), clock, 100)) == [0.0] * 100


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests_per_second": 0},
        {"requests_per_second": 1, "burst": 0},
        {"requests_per_second": 1, "min_fraction": 0},
        {"requests_per_second": 1, "recovery_seconds": 0},
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RateLimiter(**kwargs)
