"""Counters: per path template, per status, concurrency, per second; also over HTTP."""

from __future__ import annotations

import asyncio

import aiohttp
from sim_plans import plan_of, seed_plan
from sim_walker import fetch

from restsync.simulator import Simulator, SimulatorOptions, serve_in_thread


def _post(url: str) -> tuple[int, dict]:
    reply = fetch(url, method="POST", form={})
    return reply.status, reply.json()


def test_counters_count_paths_and_statuses() -> None:
    plan = seed_plan("webhook_service")
    with serve_in_thread(plan, SimulatorOptions(faults="429/retry=0@2")) as sim:
        app = sim.dataset()["applications"][0]["id"]
        fetch(sim.base_url + "/v1/app", sim.credential)
        fetch(sim.base_url + "/v1/app", sim.credential)
        fetch(sim.base_url + f"/v1/app/{app}/endpoint", sim.credential)
        fetch(sim.base_url + "/v1/app")
        fetch(sim.base_url + "/nowhere", sim.credential)
        counters = sim.counters()
    assert counters["requests"] == {
        "/v1/app": 3, "/v1/app/{app_id}/endpoint": 1, "<unmatched>": 1}
    assert counters["status"] == {"200": 2, "429": 1, "401": 1, "404": 1}
    assert counters["total_requests"] == 5
    assert counters["in_flight"] == 0
    assert counters["faults"] == {"429": 1}
    assert sum(counters["requests_by_second"].values()) == 5


def test_counters_over_http_and_reset() -> None:
    plan = seed_plan("webhook_service")
    with serve_in_thread(plan) as sim:
        fetch(sim.base_url + "/v1/app", sim.credential)
        over_http = fetch(sim.base_url + "/_simulator/counters").json()
        assert over_http == sim.counters()
        assert over_http["total_requests"] == 1
        assert _post(sim.base_url + "/_simulator/reset") == (200, {"reset": True})
        assert sim.counters()["total_requests"] == 0
        assert sim.counters()["requests"] == {}


def test_control_endpoints_answer_at_the_root_and_under_the_base_path() -> None:
    plan = plan_of({"client": {"base_url": "https://api.example.com/v1"}, "resources": ["items"]})
    with serve_in_thread(plan) as sim:
        assert sim.base_url.endswith("/v1")
        root = sim.base_url.removesuffix("/v1")
        assert fetch(sim.base_url + "/_simulator/counters").status == 200
        assert fetch(root + "/_simulator/counters").status == 200
        assert _post(sim.base_url + "/_simulator/reset") == (200, {"reset": True})
        assert sim.counters()["total_requests"] == 0


def test_add_over_http() -> None:
    plan = seed_plan("webhook_service")
    with serve_in_thread(plan) as sim:
        before = len(sim.dataset()["tokens"])
        status, body = _post(sim.base_url + "/_simulator/add?resource=tokens&n=5")
        assert (status, body) == (200, {"resource": "tokens", "added": 5, "total": before + 5})
        assert len(sim.dataset()["tokens"]) == before + 5
        assert _post(sim.base_url + "/_simulator/add?resource=nope&n=1")[0] == 400
        assert sim.counters()["total_requests"] == 0  # control endpoints are not counted


def test_peak_concurrency_counts_overlapping_requests() -> None:
    plan = seed_plan("webhook_service")

    async def scenario() -> dict:
        async with Simulator(plan, SimulatorOptions(latency_ms=150)) as sim:
            headers = {sim.credential["header"]: sim.credential["value"]}
            async with aiohttp.ClientSession(headers=headers) as session:

                async def get() -> int:
                    async with session.get(sim.base_url + "/v1/app") as response:
                        await response.read()
                        return response.status

                statuses = await asyncio.gather(*(get() for _ in range(6)))
            assert statuses == [200] * 6
            return sim.counters()

    counters = asyncio.run(scenario())
    assert counters["peak_concurrency"] == 6
    assert counters["in_flight"] == 0


class Clock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_max_requests_in_1s_window_is_the_busiest_sliding_second() -> None:
    plan = seed_plan("webhook_service")
    clock = Clock()
    with serve_in_thread(plan, clock=clock) as sim:
        assert sim.counters()["max_requests_in_1s_window"] == 0

        def burst(n: int) -> None:
            for _ in range(n):
                assert fetch(sim.base_url + "/v1/app", sim.credential).status == 200

        # 3 + 3 requests 0.3 s apart share a window; 4 more, 1.5 s later, are a window of their
        # own: 6, neither the 10 requests in all nor the 4 of the latest window
        burst(3)
        clock.now += 0.3
        burst(3)
        clock.now += 1.5
        burst(4)
        counters = sim.counters()
        assert counters["total_requests"] == 10
        assert counters["max_requests_in_1s_window"] == 6
        assert fetch(sim.base_url + "/_simulator/counters").json()["max_requests_in_1s_window"] == 6

        # windows are half-open: a request exactly 1 s after another is in the next window
        clock.now = 200.0
        burst(7)
        clock.now = 201.0
        burst(7)
        assert sim.counters()["max_requests_in_1s_window"] == 7

        sim.reset_counters()
        assert sim.counters()["max_requests_in_1s_window"] == 0
        burst(2)  # the 7 requests before the reset are forgotten, though within the second
        assert sim.counters()["max_requests_in_1s_window"] == 2
