"""Faults: the spec grammar, and what each kind does on the wire."""

from __future__ import annotations

import http.client
import json
import re
import time

import pytest
from sim_plans import one_resource
from sim_walker import fetch

from restsync.simulator import (
    Simulator,
    SimulatorError,
    SimulatorOptions,
    parse_faults,
    serve_in_thread,
)

PLAN = one_resource({"paginator": {"type": "cursor", "cursor_param": "c", "cursor_path": "c"}})
NETWORK_ERRORS = (OSError, http.client.HTTPException)


def _statuses(faults: str, n: int, seed: int = 0) -> list[int]:
    with serve_in_thread(PLAN, SimulatorOptions(seed=seed, faults=faults)) as sim:
        return [fetch(sim.base_url + "/items").status for _ in range(n)]


# --- grammar ----------------------------------------------------------------------------------


def test_spec_items_parse() -> None:
    rules = parse_faults("429:0.1, 500@7x2, /v1/devices:503:1.0, retry=0, 429/retry=2@1, slow=3,"
                         " slow/for=0.5:0.2, reset:0.02, truncated:0.01, html:0.01")
    by_kind = [(r.fault.kind, r.scope, r.rate, r.at, r.count) for r in rules]
    assert by_kind == [
        ("429", None, 0.1, None, 1),
        ("500", None, None, 7, 2),
        ("503", "/v1/devices", 1.0, None, 1),
        ("429", None, None, 1, 1),
        ("slow", None, 0.2, None, 1),
        ("reset", None, 0.02, None, 1),
        ("truncated", None, 0.01, None, 1),
        ("html", None, 0.01, None, 1),
    ]
    assert rules[0].fault.retry_after == 0  # the retry= setting applies to every 429 item
    assert rules[3].fault.retry_after == 2
    assert rules[4].fault.slow_seconds == 0.5


@pytest.mark.parametrize("bad", ["418:0.1", "429:2", "429:x", "500@0", "500@3xq", "nope=1",
                                 "500/retry=1:0.5", "429", "/x:500", "a:b:c:d"])
def test_a_bad_item_is_named_in_the_error(bad: str) -> None:
    with pytest.raises(SimulatorError, match=re.escape(f"fault spec item '{bad}'")):
        parse_faults(f"429:0.1,{bad}")


def test_a_bad_spec_fails_at_construction() -> None:
    with pytest.raises(SimulatorError, match="'wat:1'"):
        Simulator(PLAN, SimulatorOptions(faults="wat:1"))


# --- kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_status_faults(status: int) -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults=f"{status}/retry=0@1" if status == 429
                                                else f"{status}@1")) as sim:
        first, second = fetch(sim.base_url + "/items"), fetch(sim.base_url + "/items")
    assert first.status == status and "error" in first.json()
    assert second.status == 200
    if status == 429:
        assert first.headers["Retry-After"] == "0"


def test_429_sends_retry_after_one_by_default() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="429@1")) as sim:
        assert fetch(sim.base_url + "/items").headers["Retry-After"] == "1"


def test_schedule_hits_the_numbered_requests() -> None:
    assert _statuses("500@2x2", 5) == [200, 500, 500, 200, 200]


def test_scoped_fault_hits_only_its_path() -> None:
    plan = one_resource({})
    with serve_in_thread(plan, SimulatorOptions(faults="/items:503:1.0")) as sim:
        assert [fetch(sim.base_url + "/items").status for _ in range(3)] == [503] * 3
        assert fetch(sim.base_url + "/other").status == 404


def test_reset_closes_the_connection_without_a_response() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="reset@1")) as sim:
        with pytest.raises(NETWORK_ERRORS):
            fetch(sim.base_url + "/items")
        assert fetch(sim.base_url + "/items").status == 200
        counters = sim.counters()
    assert counters["status"] == {"reset": 1, "200": 1}


def test_slow_stalls_past_a_client_timeout() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="slow/for=600@1")) as sim:
        with pytest.raises(NETWORK_ERRORS):
            fetch(sim.base_url + "/items", timeout=0.2)
        assert fetch(sim.base_url + "/items").status == 200
        assert sim.counters()["in_flight"] == 1  # the first request still stalls
    # stopping wakes the stalled handler, which then answers: had the server's shutdown had to
    # cancel it instead, it would be counted as an "error"
    assert sim.counters()["status"] == {"200": 2}
    assert sim.counters()["in_flight"] == 0


def test_slow_answers_after_the_stall() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="slow=0.2,slow@1")) as sim:
        began = time.monotonic()
        reply = fetch(sim.base_url + "/items", timeout=5)
    assert reply.status == 200 and time.monotonic() - began >= 0.2


def test_truncated_body_is_cut_json() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="truncated@1")) as sim:
        cut, whole = fetch(sim.base_url + "/items"), fetch(sim.base_url + "/items")
    assert cut.status == 200
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert whole.raw.startswith(cut.raw) and len(cut.raw) < len(whole.raw)


def test_html_error_page_with_status_200() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="html@1")) as sim:
        reply = fetch(sim.base_url + "/items")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.raw.lstrip().startswith(b"<!DOCTYPE html>")


def test_a_faulted_request_does_not_advance_paging() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="500@2")) as sim:
        cursor = fetch(sim.base_url + "/items").json()["c"]
        assert fetch(sim.base_url + "/items", params={"c": cursor}).status == 500
        retried = fetch(sim.base_url + "/items", params={"c": cursor}).json()
    with serve_in_thread(PLAN) as clean:
        expected = fetch(clean.base_url + "/items", params={"c": cursor}).json()
    assert retried == expected


def test_random_faults_are_deterministic_by_seed() -> None:
    once, again = _statuses("500:0.3", 30, seed=1), _statuses("500:0.3", 30, seed=1)
    other = _statuses("500:0.3", 30, seed=2)
    assert once == again
    assert once != other
    assert 0 < once.count(500) < 30


def test_reset_counters_restarts_request_numbering() -> None:
    with serve_in_thread(PLAN, SimulatorOptions(faults="500@1")) as sim:
        assert fetch(sim.base_url + "/items").status == 500
        assert fetch(sim.base_url + "/items").status == 200
        sim.reset_counters()
        assert fetch(sim.base_url + "/items").status == 500
