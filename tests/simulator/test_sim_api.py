"""The simulator's public surface, and its async lifecycle."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from sim_plans import one_resource, seed_plan
from sim_walker import fetch

import restsync.simulator as simulator
from restsync.simulator import Simulator, SimulatorError, SimulatorOptions, serve_in_thread


def test_exported_members() -> None:
    assert sorted(simulator.__all__) == [
        "Simulator", "SimulatorError", "SimulatorOptions", "parse_faults", "serve_in_thread"]


def test_options_are_validated() -> None:
    with pytest.raises(SimulatorError, match="cursor_style"):
        SimulatorOptions(cursor_style="page")  # type: ignore[arg-type]
    with pytest.raises(SimulatorError, match="scale"):
        SimulatorOptions(scale=-1)


def test_async_start_serve_stop() -> None:
    plan = seed_plan("iot_platform")

    async def scenario() -> None:
        sim = Simulator(plan)
        base_url = await sim.start()
        try:
            assert base_url == sim.base_url and base_url.startswith("http://127.0.0.1:")
            with pytest.raises(SimulatorError, match="already running"):
                await sim.start()
            headers = {sim.credential["header"]: sim.credential["value"]}
            async with aiohttp.ClientSession(headers=headers) as session:
                async with session.get(base_url + "/v1/devices", params={"limit": 200}) as reply:
                    body = await reply.json()
            assert len(body["results"]) == 200 and body["next"]
        finally:
            await sim.stop()
        await sim.stop()  # stopping twice is harmless

    asyncio.run(scenario())


def test_secrets_stay_out_of_logs(caplog: pytest.LogCaptureFixture) -> None:
    plan = one_resource({"paginator": {"type": "json_link"}}, auth={
        "type": "api_key", "name": "key", "api_key": "very-secret", "location": "query"})
    caplog.set_level(logging.DEBUG)
    with serve_in_thread(plan, SimulatorOptions(faults="500@2")) as sim:
        for _ in range(3):
            fetch(sim.base_url + "/items", sim.credential)
        fetch(sim.base_url + "/items", {"query": "key", "value": "wrong-secret"})
    assert "very-secret" not in caplog.text and "wrong-secret" not in caplog.text
