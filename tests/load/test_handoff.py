"""The handoff between the engine's loop and dlt's thread: bounded lanes, and pages that wait
in a lane reaching a batching reader as one list, after
gathering enough records (or for long enough) to be worth one item."""

from __future__ import annotations

import asyncio
from typing import Any

from restsync._load._handoff import Handoff

END = object()


def _queue(handoff: Handoff, name: str, *items: Any) -> None:
    async def put_all() -> None:
        for item in items:
            await handoff.put(name, item, len(item))

    asyncio.run(put_all())


def test_a_batching_reader_takes_every_queued_page_as_one_list() -> None:
    handoff = Handoff(max_pages=8, max_records=100)
    handoff.open("things")
    pages = [[{"id": 1}, {"id": 2}], [{"id": 3}], [{"id": 4}, {"id": 5}]]
    _queue(handoff, "things", *pages)
    handoff.end("things", END)

    joined = handoff.take("things", 0.0, batch=True)

    assert joined == [{"id": i} for i in range(1, 6)]
    assert pages[0] == [{"id": 1}, {"id": 2}]  # the engine's own lists are left as they were
    assert handoff.take("things", 0.0, batch=True) is END
    assert handoff.take("things", 0.0, batch=True) is None


def test_a_reader_that_counts_pages_takes_them_one_at_a_time() -> None:
    handoff = Handoff(max_pages=8, max_records=100)
    handoff.open("things")
    _queue(handoff, "things", [{"id": 1}], [{"id": 2}])

    assert handoff.take("things", 0.0) == [{"id": 1}]
    assert handoff.take("things", 0.0) == [{"id": 2}]


def test_taking_a_batch_frees_the_whole_lane() -> None:
    handoff = Handoff(max_pages=2, max_records=100)
    handoff.open("things")
    _queue(handoff, "things", [{"id": 1}], [{"id": 2}])

    handoff.take("things", 0.0, batch=True)

    # both places are free again: two more pages go in without waiting for a reader
    asyncio.run(asyncio.wait_for(_put_two(handoff), timeout=5))
    assert handoff.take("things", 0.0, batch=True) == [{"id": 3}, {"id": 4}]


async def _put_two(handoff: Handoff) -> None:
    await handoff.put("things", [{"id": 3}], 1)
    await handoff.put("things", [{"id": 4}], 1)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _gathering(clock: _Clock) -> Handoff:
    handoff = Handoff(
        max_pages=8, max_records=100, gather_records=4, gather_seconds=0.5, clock=clock
    )
    handoff.open("small")
    handoff.open("other")
    return handoff


def test_a_batching_readers_lane_gathers_until_enough_records_or_its_time() -> None:
    clock = _Clock()
    handoff = _gathering(clock)
    _queue(handoff, "small", [{"id": 1}], [{"id": 2}])

    assert handoff.take("small", 0.0, batch=True) is None  # 2 records of 4, no time passed
    clock.now = 0.49
    assert handoff.take("small", 0.0, batch=True) is None
    clock.now = 0.5  # its oldest page has waited gather_seconds
    assert handoff.take("small", 0.0, batch=True) == [{"id": 1}, {"id": 2}]

    _queue(handoff, "small", [{"id": 3}, {"id": 4}], [{"id": 5}, {"id": 6}])
    assert handoff.take("small", 0.0, batch=True) == [{"id": i} for i in range(3, 7)]  # 4


def test_a_gathering_lane_is_ready_at_its_end_and_a_page_counting_reader_never_waits() -> None:
    clock = _Clock()
    handoff = _gathering(clock)
    _queue(handoff, "small", [{"id": 1}])
    handoff.end("small", END)
    assert handoff.take("small", 0.0, batch=True) == [{"id": 1}]
    assert handoff.take("small", 0.0, batch=True) is END

    _queue(handoff, "other", [{"id": 7}])
    assert handoff.take("other", 0.0) == [{"id": 7}]  # batch=False: no gathering


def test_a_full_lane_is_ready_however_few_records_it_holds() -> None:
    handoff = Handoff(max_pages=2, max_records=100, gather_records=50, gather_seconds=60.0)
    handoff.open("things")
    _queue(handoff, "things", [{"id": 1}])
    assert handoff.take("things", 0.0, batch=True) is None
    _queue(handoff, "things", [{"id": 2}])  # two pages: the page bound, the engine would wait
    assert handoff.take("things", 0.0, batch=True) == [{"id": 1}, {"id": 2}]
