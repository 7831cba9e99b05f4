"""A server that sends its status line and then its headers a byte at a time, forever: every read
succeeds quickly, so only a deadline on the whole request ends it. ``timeout_seconds`` is that
deadline; the resource fails by name, the run ends, and another resource loads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer, count_rows
from tests.security.bounded import sync_within_bound


class DrippingHeaders:
    """A raw TCP server (aiohttp would not send half a header) that answers every request with
    ``HTTP/1.1 200 OK`` and then one header byte every 0.2 s until the client hangs up."""

    def __init__(self) -> None:
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        try:
            while not self._stop.is_set():
                writer.write(b"a")
                await writer.drain()
                try:
                    await asyncio.wait_for(self._stop.wait(), 0.2)
                except TimeoutError:
                    pass
        except ConnectionError:
            pass  # the client gave up, as it should
        finally:
            writer.close()

    def start(self) -> None:
        ready = threading.Event()

        async def serve() -> None:
            server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            async with server:
                await self._stop.wait()
            # the handlers see the stop within 0.2 s; a loop closed under a pending one reports
            # its GeneratorExit later, in whichever test then runs
            await asyncio.gather(*self._handlers, return_exceptions=True)

        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(serve(),))
        self._thread.start()
        assert ready.wait(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def dripping() -> Iterator[DrippingHeaders]:
    server = DrippingHeaders()
    server.start()
    yield server
    server.stop()


def test_headers_sent_a_byte_at_a_time_meet_the_request_deadline(
    dripping: DrippingHeaders, server: RoutedServer, make_pipeline, duckdb_path
) -> None:
    async def users(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": 1}, {"id": 2}]})

    server.route("GET", "/users", users)
    server.start()

    def resource(name: str, url: str) -> dict[str, object]:
        endpoint = {"path": url, "paginator": "single_page", "data_selector": "data"}
        return {"name": name, "primary_key": "id", "endpoint": endpoint}

    config = {
        "client": {
            "base_url": server.base_url,
            "timeout_seconds": 1,
            "error_handler": {"max_retries": 1, "backoff_factor": 0},
        },
        "resources": [
            resource("slow", f"http://127.0.0.1:{dripping.port}/slow"),
            resource("users", "/users"),
        ],
    }
    error = sync_within_bound(config, make_pipeline)
    assert isinstance(error, restsync.SyncFailed), error
    (failure,) = error.failures
    assert failure.resource == "slow"
    assert failure.message.startswith("the request timed out after 2 attempts")
    assert dripping.connections == 2
    assert count_rows(duckdb_path, "data", "users") == 2
