"""The engine's lifecycle is clean however a consumer stops early: ``add_limit``, closing the
iterator, an exception in a later step, KeyboardInterrupt. Each way runs many times; each run
happens in a worker thread joined with a timeout (a hang fails the test instead of the suite),
and afterwards no engine thread is left and nothing was logged or raised out of band."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web

import restsync
from tests.conftest import RoutedServer

ROUNDS = 30
POSTS = [{"id": i, "title": f"post {i}"} for i in range(40)]


@pytest.fixture(scope="module")
def blog() -> Iterator[RoutedServer]:
    server = RoutedServer()

    @server.get("/posts")
    async def posts(request: web.Request) -> web.Response:
        page = int(request.query.get("page", 1))
        return web.json_response(
            {"data": POSTS[(page - 1) * 5 : page * 5], "total_pages": len(POSTS) // 5}
        )

    @server.get("/posts/{id}")
    async def post(request: web.Request) -> web.Response:
        post_id = int(request.match_info["id"])
        return web.json_response({"id": post_id, "body": "x" * 50})

    server.start()
    yield server
    server.stop()


def _source(base_url: str) -> Any:
    return restsync.rest_api_source(
        {
            "client": {"base_url": base_url},
            "resources": [
                {
                    "name": "posts",
                    "endpoint": {
                        "path": "posts",
                        "paginator": {"type": "page_number", "base_page": 1},
                    },
                },
                {"name": "post_details", "endpoint": "posts/{resources.posts.id}"},
            ],
        }
    )


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "restsync-engine" and t.is_alive()]


def _run_bounded(consume: Callable[[], Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = consume()
        except BaseException as exc:  # KeyboardInterrupt included: it is what we test
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="consumer")
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the consumer hung"
    return outcome


def _repeat(
    blog: RoutedServer, consume: Callable[[Any], Any], caplog: Any, *, dropped: bool = False
) -> list[Any]:
    """Run ``consume`` ROUNDS times. Without ``dropped``, the engine thread must be gone when the
    consumer returns. With it, the consumer's iterator is released and collected first (dlt's
    iterator holds reference cycles), then the engine must end within a join timeout."""
    outcomes = []
    with caplog.at_level(logging.ERROR):
        # a full collection per round is slow: the dropped cases run half as many rounds
        for _ in range(ROUNDS // 2 if dropped else ROUNDS):
            outcome = _run_bounded(lambda: consume(_source(blog.base_url)))
            if dropped:
                # an error's traceback would keep the iterator's frames alive: keep its type
                if "error" in outcome:
                    outcome["error"] = type(outcome["error"])
                gc.collect()
                for thread in _engine_threads():
                    thread.join(10)
            assert _engine_threads() == [], "an engine thread outlived its consumer"
            outcomes.append(outcome)
    assert not [r for r in caplog.records if "loop" in r.getMessage().lower()]
    return outcomes


def test_add_limit_stops_the_engine(blog, caplog) -> None:
    def consume(source: Any) -> list[Any]:
        return list(source.with_resources("posts", "post_details").add_limit(1))

    for outcome in _repeat(blog, consume, caplog):
        assert "error" not in outcome, outcome.get("error")
        rows = outcome["value"]
        # one page of posts (5) and one page (one record) of details per read chain
        assert 5 <= len(rows) <= 6 + 5


def test_closing_the_iterator_stops_the_engine(blog, caplog) -> None:
    def consume(source: Any) -> Any:
        rows = iter(source.with_resources("posts", "post_details"))
        first = next(rows)
        rows.close()
        return first

    for outcome in _repeat(blog, consume, caplog, dropped=True):
        assert "error" not in outcome, outcome.get("error")


def test_an_exception_in_a_step_stops_the_engine(blog, caplog) -> None:
    def broken(record: Any) -> Any:
        if record["id"] == 3:
            raise ValueError("this step breaks on post 3")
        return record

    def consume(source: Any) -> Any:
        source.resources["posts"].add_map(broken)
        return list(source.with_resources("posts", "post_details"))

    for outcome in _repeat(blog, consume, caplog):
        assert "this step breaks on post 3" in str(outcome.get("error"))


def _interrupt_at_post_7(record: Any) -> Any:
    """A step that the user's Ctrl-C stops at post 7."""
    if record["id"] == 7:
        raise KeyboardInterrupt
    return record


def test_keyboard_interrupt_in_an_extraction_stops_the_engine(blog, caplog, tmp_path) -> None:
    import dlt

    pipeline = dlt.pipeline("interrupted", pipelines_dir=str(tmp_path), destination="duckdb")

    def consume(source: Any) -> Any:
        source.resources["post_details"].add_map(_interrupt_at_post_7)
        return pipeline.extract(source.with_resources("posts", "post_details"))

    for outcome in _repeat(blog, consume, caplog):
        error = outcome.get("error")
        while error is not None and not isinstance(error, KeyboardInterrupt):
            error = error.__cause__ or error.__context__
        assert isinstance(error, KeyboardInterrupt), outcome


def test_keyboard_interrupt_while_iterating_stops_the_engine_once_dropped(blog, caplog) -> None:
    def consume(source: Any) -> Any:
        source.resources["post_details"].add_map(_interrupt_at_post_7)
        return list(source.with_resources("posts", "post_details"))

    # dlt's iterator closes its generators on an Exception, not on KeyboardInterrupt: they
    # are closed when the interrupted iterator is collected
    for outcome in _repeat(blog, consume, caplog, dropped=True):
        assert outcome.get("error") is KeyboardInterrupt
