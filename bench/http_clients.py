"""Why restsync's engine uses aiohttp: the same page fetches with aiohttp and httpx, side by side.

    .venv/bin/python -m bench.http_clients [--requests 2000] [--concurrency 16] [--latency-ms 0]

Both clients fetch the same simulated endpoint (JSON pages of 100 records) with the same number
of requests in flight, parse the body with orjson, and report requests/s and CPU seconds used by
the client process. httpx is not a restsync dependency; install it into the venv to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

import orjson

import restsync
from restsync.simulator import SimulatorOptions, serve_in_thread


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _aiohttp(url: str, requests: int, concurrency: int) -> None:
    import aiohttp

    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            async with slots, session.get(url, params={"offset": i % 10 * 100, "limit": 100}) as r:
                orjson.loads(await r.read())

        await asyncio.gather(*(one(i) for i in range(requests)))


async def _httpx(url: str, requests: int, concurrency: int) -> None:
    import httpx

    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(i: int) -> None:
            async with slots:
                r = await client.get(url, params={"offset": i % 10 * 100, "limit": 100})
                orjson.loads(r.content)

        await asyncio.gather(*(one(i) for i in range(requests)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    config = {
        "client": {"base_url": "http://127.0.0.1"},
        "resources": [
            {
                "name": "items",
                "endpoint": {"path": "/items", "paginator": {"type": "offset", "limit": 100}},
            }
        ],
    }
    plan = restsync.plan_config(config, name="http_clients")
    options = SimulatorOptions(latency_ms=args.latency_ms, records_per_resource=1000)
    print(f"{args.requests} requests, {args.concurrency} in flight, {args.latency_ms} ms latency")
    print(f"{'client':8} {'wall s':>8} {'req/s':>8} {'client CPU s':>13}")
    with serve_in_thread(plan, options) as sim:
        url = sim.base_url.rstrip("/") + "/items"
        for name, run in (("aiohttp", _aiohttp), ("httpx", _httpx)):
            try:
                cpu, began = _cpu(), time.perf_counter()
                asyncio.run(run(url, args.requests, args.concurrency))
                wall, used = time.perf_counter() - began, _cpu() - cpu
            except ImportError:
                print(f"{name:8} not installed")
                continue
            # the simulator shares this process: CPU includes its share, equally for both clients
            print(f"{name:8} {wall:8.2f} {args.requests / wall:8.0f} {used:13.2f}")


if __name__ == "__main__":
    main()
