"""Retry policy: when to try again and how long to wait, read as a table."""

from __future__ import annotations

import asyncio
import errno
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import pytest

from restsync._engine._retry import (
    Attempt,
    Decision,
    Tried,
    call_with_retries,
    decide,
    is_retriable_error,
)
from restsync._plan import DEFAULT_RETRY, RetryPolicy

POLICY = RetryPolicy(frozenset({429, 503}), max_retries=3, backoff_factor=2.0)
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def status(code: int, number: int = 1, **headers: str) -> Attempt:
    return Attempt(number, code, None, {k.replace("_", "-"): v for k, v in headers.items()}, 0.0)


def failure(error: BaseException, number: int = 1) -> Attempt:
    return Attempt(number, None, error, {}, 0.0)


@pytest.mark.parametrize(
    ("attempt", "retry", "reason"),
    [
        (status(503), True, "status 503"),
        (status(429, number=3), True, "status 429"),
        (status(200), False, "status 200"),
        (status(404), False, "status 404"),
        (status(500), False, "status 500"),  # not in this policy's list
        (status(503, number=4), False, "status 503, gave up after 4 attempts"),
        (failure(aiohttp.ServerDisconnectedError()), True, "server disconnected"),
        (failure(TimeoutError()), True, "timeout"),
        (failure(aiohttp.ClientPayloadError("cut")), True, "incomplete response body"),
        (failure(aiohttp.ClientOSError(errno.ECONNRESET, "reset")), True, "connection reset"),
        (failure(ConnectionResetError()), True, "connection reset"),
        (failure(aiohttp.ClientConnectionError()), True, "ClientConnectionError"),
        (failure(aiohttp.InvalidURL("nope")), False, "InvalidURL"),
        (failure(ValueError("bug")), False, "ValueError"),
        (failure(TimeoutError(), number=4), False, "timeout, gave up after 4 attempts"),
    ],
)
def test_whether_to_retry(attempt: Attempt, retry: bool, reason: str) -> None:
    decision = decide(POLICY, attempt, rng=random.Random(0))
    assert (decision.retry, decision.reason) == (retry, reason)
    assert (decision.wait > 0) == retry


def test_tls_certificate_errors_are_fatal() -> None:
    key = aiohttp.client_reqrep.ConnectionKey("h", 443, True, True, None, None, None)
    error = aiohttp.ClientConnectorCertificateError(key, Exception("self-signed"))
    assert not is_retriable_error(error)
    assert decide(POLICY, failure(error)) == Decision(False, 0.0, "TLS error")


def test_max_retries_three_means_four_tries() -> None:
    tries = [decide(DEFAULT_RETRY, status(503, number=n)).retry for n in range(1, 6)]
    assert tries == [True, True, True, False, False]


@pytest.mark.parametrize(
    ("headers", "wait", "reason"),
    [
        ({"Retry-After": "2"}, 2.0, "status 429, Retry-After 2s"),
        ({"retry-after": " 0.5 "}, 0.5, "status 429, Retry-After 0.5s"),
        ({"RETRY-AFTER": "0"}, 0.0, "status 429, Retry-After 0s"),
        ({"Retry-After": "600"}, 120.0, "status 429, Retry-After 600s (capped at 120s)"),
        ({"Retry-After": "1e9"}, 120.0, "status 429, Retry-After 1e+09s (capped at 120s)"),
        ({"Retry-After": "Wed, 01 May 2024 12:00:30 GMT"}, 30.0, "status 429, Retry-After 30s"),
        ({"Retry-After": "Wed, 01 May 2024 11:59:00 GMT"}, 0.0, "status 429, Retry-After 0s"),
        # the server's own Date wins over our clock, so skew between the two does not matter
        (
            {
                "Retry-After": "Wed, 01 May 2024 13:00:05 GMT",
                "Date": "Wed, 01 May 2024 13:00:00 GMT",
            },
            5.0,
            "status 429, Retry-After 5s",
        ),
    ],
)
def test_retry_after_is_honoured_up_to_the_cap(headers: dict, wait: float, reason: str) -> None:
    decision = decide(POLICY, Attempt(1, 429, None, headers, 0.0), now=NOW)
    assert decision == Decision(True, wait, reason)


@pytest.mark.parametrize("value", ["soon", "-3", "nan", "inf", ""])
def test_unreadable_retry_after_falls_back_to_backoff(value: str) -> None:
    decision = decide(POLICY, status(503, Retry_After=value), rng=random.Random(1), now=NOW)
    assert decision == Decision(True, random.Random(1).uniform(1.0, 2.0), "status 503")


def test_backoff_grows_exponentially_with_half_jitter_and_a_cap() -> None:
    policy = RetryPolicy(
        frozenset({503}), max_retries=10, backoff_factor=2.0, max_backoff_seconds=10
    )
    bases = [2, 4, 8, 10, 10, 10]
    rng, replay = random.Random(42), random.Random(42)
    waits = [decide(policy, status(503, number=n), rng=rng).wait for n in range(1, 7)]
    assert waits == [replay.uniform(b / 2, b) for b in bases]
    assert all(b / 2 <= w <= b for w, b in zip(waits, bases, strict=True))


def test_a_zero_factor_retries_at_once() -> None:
    policy = RetryPolicy(frozenset({503}), max_retries=3, backoff_factor=0.0)
    assert decide(policy, status(503, number=1)).wait == 0.0


def test_huge_attempt_numbers_do_not_overflow() -> None:
    policy = RetryPolicy(frozenset({503}), max_retries=5000, backoff_factor=2.0)
    assert 30 <= decide(policy, status(503, number=4000)).wait <= 60


# --- call_with_retries: the one retry loop, with a clock that moves only when it 'sleeps' -------


@dataclass(frozen=True)
class FakeResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    ignored: bool = False


@dataclass
class Harness:
    """A scripted server, a recording retry hook and a clock that only moves when we 'sleep'."""

    script: list[FakeResponse | BaseException]
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    retries: list[Decision] = field(default_factory=list)
    sends: int = 0
    stop_after: int | None = None  # the retry hook raises on this retry: the caller gave up

    async def send(self) -> FakeResponse:
        self.sends += 1
        outcome = self.script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def before_retry(self, decision: Decision) -> None:
        self.retries.append(decision)
        if self.stop_after is not None and len(self.retries) == self.stop_after:
            raise LookupError("nobody needs this request any more")

    def run(self, policy: RetryPolicy = POLICY) -> Tried[FakeResponse]:
        return asyncio.run(
            call_with_retries(
                self.send,
                policy,
                sleep=self.sleep,
                clock=lambda: self.now,
                rng=random.Random(3),
                accept=lambda response: response.ignored,
                before_retry=self.before_retry,
            )
        )


def test_retries_until_success() -> None:
    h = Harness([FakeResponse(503), FakeResponse(429, {"Retry-After": "7"}), FakeResponse(200)])
    assert h.run() == Tried(FakeResponse(200), None, 3)
    rng = random.Random(3)
    assert h.sleeps == [rng.uniform(1.0, 2.0), 7.0]
    assert [d.reason for d in h.retries] == ["status 503", "status 429, Retry-After 7s"]
    assert h.script == []


def test_exhausted_retries_return_the_last_response() -> None:
    h = Harness([FakeResponse(503, {"n": str(n)}) for n in range(1, 6)])
    assert h.run() == Tried(FakeResponse(503, {"n": "4"}), None, 4)
    assert (len(h.sleeps), h.sends, len(h.script)) == (3, 4, 1)


def test_fatal_status_is_returned_at_once() -> None:
    h = Harness([FakeResponse(404), FakeResponse(200)])
    assert h.run() == Tried(FakeResponse(404), None, 1)
    assert (h.sleeps, h.retries) == ([], [])


def test_an_accepted_response_is_final_whatever_its_status() -> None:
    h = Harness([FakeResponse(503, ignored=True), FakeResponse(200)])
    assert h.run() == Tried(FakeResponse(503, ignored=True), None, 1)
    assert h.sleeps == []


def test_transport_errors_are_retried_then_returned() -> None:
    errors = [aiohttp.ServerDisconnectedError(), TimeoutError(), aiohttp.ClientOSError()]
    last = aiohttp.ServerDisconnectedError("the last one")
    h = Harness([*errors, last, FakeResponse(200)])
    tried = h.run()
    assert (tried.response, tried.error, tried.attempts) == (None, last, 4)
    assert len(h.sleeps) == 3


def test_a_certificate_error_is_returned_without_a_retry() -> None:
    key = aiohttp.client_reqrep.ConnectionKey("h", 443, True, True, None, None, None)
    error = aiohttp.ClientConnectorCertificateError(key, Exception("self-signed"))
    h = Harness([error, FakeResponse(200)])
    assert h.run() == Tried(None, error, 1)
    assert h.sleeps == []


def test_transport_error_then_success() -> None:
    h = Harness([TimeoutError(), FakeResponse(200)])
    assert h.run() == Tried(FakeResponse(200), None, 2)
    assert [d.reason for d in h.retries] == ["timeout"]


def test_other_exceptions_propagate_without_waiting() -> None:
    h = Harness([KeyError("bug"), FakeResponse(200)])
    with pytest.raises(KeyError):
        h.run()
    assert (h.sleeps, h.sends) == ([], 1)


def test_the_retry_hook_can_stop_the_loop_before_it_waits() -> None:
    h = Harness([FakeResponse(503), FakeResponse(503), FakeResponse(200)], stop_after=2)
    with pytest.raises(LookupError):
        h.run()
    assert (h.sends, len(h.sleeps)) == (2, 1)  # the second retry was never waited for

