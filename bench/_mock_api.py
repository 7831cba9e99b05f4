"""The mock API that ``bench.airbyte`` and ``bench.small_run`` sync from, in its own process.

It serves the two manifests of bench/manifests/ after a fixed latency per request:

* ``fanout.yaml``: ``/projects?page=&per_page=`` lists ``projects`` projects, and
  ``/projects/{id}/tasks`` answers two cursor pages of 50 tasks each (``?cursor=2`` the second);
* ``slices.yaml``: ``/events?since=<day>&offset=`` answers 150 events a day, 100 a page.

``running(port, ...)`` starts it (``python -m bench._mock_api``) and stops it when the block ends,
so the tools' CPU readings never include the server's. With ``log_requests`` it keeps each
request's arrival and answer times, which ``request_log(port)`` reads back (and clears).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["TASK_PAGES", "TASKS_PER_PAGE", "request_log", "running", "wait_for_port"]

ROOT = Path(__file__).resolve().parent.parent
TASKS_PER_PAGE, TASK_PAGES = 50, 2
EVENTS_PER_DAY, EVENTS_PER_PAGE = 150, 100
_LOG_PATH = "/_log"


def wait_for_port(port: int) -> None:
    """Return once something listens on 127.0.0.1:``port`` (at most ~10 s)."""
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the mock API did not start")


@contextmanager
def running(
    port: int, latency_ms: float, projects: int = 200, *, log_requests: bool = False
) -> Iterator[str]:
    """The mock API on 127.0.0.1:``port`` in a child process for the block; its base URL."""
    command = [
        sys.executable,
        "-m",
        "bench._mock_api",
        f"--port={port}",
        f"--latency-ms={latency_ms}",
        f"--projects={projects}",
    ]
    server = subprocess.Popen(command + (["--log-requests"] if log_requests else []), cwd=ROOT)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def request_log(port: int) -> list[tuple[float, float, str]]:
    """(arrived, answered, path) of each request since the last call (``log_requests`` only)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{_LOG_PATH}", timeout=30) as answer:
        return [(arrived, answered, path) for arrived, answered, path in json.load(answer)]


def _app(latency_ms: float, projects: int, log_requests: bool) -> Any:
    from aiohttp import web

    delay = latency_ms / 1000
    log: list[tuple[float, float, str]] = []

    @web.middleware
    async def timed(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == _LOG_PATH:
            answer = web.json_response(log[:])
            log.clear()
            return answer
        arrived = time.time()
        response: web.StreamResponse = await handler(request)
        log.append((arrived, time.time(), request.path))
        return response

    async def project_list(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        page, size = int(request.query["page"]), int(request.query["per_page"])
        ids = range((page - 1) * size + 1, min(page * size, projects) + 1)
        return web.json_response({"data": [{"id": i, "name": f"p{i}"} for i in ids]})

    async def tasks(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        project = int(request.match_info["project"])
        second = request.query.get("cursor") == "2"
        first_id = project * 1000 + (TASKS_PER_PAGE if second else 0)
        rows = [{"id": first_id + t, "done": t % 2 == 0} for t in range(TASKS_PER_PAGE)]
        return web.json_response({"data": rows, "next": None if second else "2"})

    async def events(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        day, offset = request.query["since"][:10], int(request.query.get("offset", "0"))
        count = max(EVENTS_PER_DAY - offset, 0)
        rows = [
            {"id": f"{day}-{offset + i}", "updated_at": f"{day}T12:00:00Z"}
            for i in range(min(EVENTS_PER_PAGE, count))
        ]
        return web.json_response({"data": rows})

    async def answered_by_the_middleware(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application(middlewares=[timed] if log_requests else [])
    app.router.add_get("/projects", project_list)
    app.router.add_get("/projects/{project}/tasks", tasks)
    app.router.add_get("/events", events)
    if log_requests:
        app.router.add_get(_LOG_PATH, answered_by_the_middleware)
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description="the benches' mock API (see bench/_mock_api.py)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--log-requests", action="store_true")
    args = parser.parse_args()
    from aiohttp import web

    app = _app(args.latency_ms, args.projects, args.log_requests)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
