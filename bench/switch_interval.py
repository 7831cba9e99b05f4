"""``python -m bench.switch_interval``: an event loop's requests while another thread computes.

    .venv/bin/python -m bench.switch_interval [--rounds 5] [--latency-ms 20] [--busy 0.5]

The shape of a restsync sync without restsync or dlt: an asyncio loop in its own thread sends
400 requests to bench/_mock_api.py's tasks endpoint, 16 in flight (aiohttp, one session), while
the main thread computes in pure Python for ``--busy`` of the time (bursts of 20 ms, as dlt's
thread lays out a batch of pages) and sleeps the rest. Each round runs once with CPython's
default switch interval (5 ms) and once with restsync's while an engine runs
(``restsync._engine._switching.SWITCH_SECONDS``), alternating; the loop's wall seconds, and the
span's ideal (25 rounds of requests at the latency), are printed with their medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time

from bench import _mock_api
from restsync._engine._switching import SWITCH_SECONDS

REQUESTS, IN_FLIGHT = 400, 16


async def _requests(base_url: str) -> None:
    import aiohttp

    queue: asyncio.Queue[int] = asyncio.Queue()
    for project in range(1, REQUESTS + 1):
        queue.put_nowait(project)
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def lane() -> None:
            while not queue.empty():
                project = queue.get_nowait()
                async with session.get(f"{base_url}/projects/{project}/tasks") as answer:
                    await answer.json()

        await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))


def _round(base_url: str, interval: float, busy: float) -> float:
    """The loop's wall seconds for the 400 requests, the main thread busy meanwhile."""
    sys.setswitchinterval(interval)
    took: list[float] = []

    def loop() -> None:
        started = time.perf_counter()
        asyncio.run(_requests(base_url))
        took.append(time.perf_counter() - started)

    thread = threading.Thread(target=loop)
    thread.start()
    burst = 0.02
    while thread.is_alive():
        until = time.perf_counter() + burst
        total = 0
        while time.perf_counter() < until:  # pure Python: holds the GIL but at forced switches
            total += sum(range(200))
        time.sleep(burst * (1 - busy) / busy if busy < 1 else 0)
    thread.join()
    return took[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--busy", type=float, default=0.5, help="share of time the main computes")
    parser.add_argument("--port", type=int, default=18777)
    args = parser.parse_args()
    default = sys.getswitchinterval()
    intervals = {"5 ms (CPython)": 0.005, f"{SWITCH_SECONDS * 1000:g} ms (engine)": SWITCH_SECONDS}
    runs: dict[str, list[float]] = {name: [] for name in intervals}
    loads = [os.getloadavg()[0]]
    try:
        with _mock_api.running(args.port, args.latency_ms) as base_url:
            for round_ in range(args.rounds):
                order = list(intervals) if round_ % 2 == 0 else list(reversed(intervals))
                for name in order:
                    runs[name].append(_round(base_url, intervals[name], args.busy))
                loads.append(os.getloadavg()[0])
    finally:
        sys.setswitchinterval(default)
    ideal = REQUESTS / IN_FLIGHT * args.latency_ms / 1000
    print(
        f"{REQUESTS} requests, {IN_FLIGHT} in flight, {args.latency_ms:g} ms each (ideal "
        f"{ideal:.2f} s), main thread busy {args.busy:.0%}; load average "
        f"{min(loads):.1f}-{max(loads):.1f}"
    )
    for name, took in runs.items():
        shown = " ".join(f"{t:.2f}" for t in took)
        print(f"  switch interval {name}: median {statistics.median(took):.2f} s ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
