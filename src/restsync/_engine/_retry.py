"""Retries: a pure policy (one ``Attempt`` in, one ``Decision`` out) and the one loop that runs it.

``decide`` never sleeps, reads no clock and touches no network, so every rule below is tested
from a table. ``call_with_retries`` is the retry loop of every request the engine sends
(``HttpClient.fetch`` runs it); it is the only place that waits between tries, and it waits
through an injected ``sleep`` and reads an injected ``clock`` (tenacity's ``RetryCallState`` idea,
without its callback zoo), so it is tested directly without waiting.

The rules, in order:

1. A transport error (connection refused/reset, server disconnected, timeout, truncated body) is
   retriable; a TLS certificate that does not verify is a transport error that is not. Anything
   else raised by ``send`` (a bug, an error the caller already worded) is not retried: it
   propagates at once.
2. A status in ``policy.status_codes`` is retriable; every other status is final (success, or a
   fatal 4xx the caller turns into an error).
3. Attempt ``n`` may be followed by another while ``n <= max_retries`` (3 retries = 4 tries).
4. The wait is the server's ``Retry-After`` (seconds or HTTP-date) capped at
   ``retry_after_cap_seconds``; without one, exponential backoff ``backoff_factor * 2 ** (n - 1)``
   capped at ``max_backoff_seconds``, jittered uniformly in ``[base / 2, base]``. Half jitter keeps
   a floor under the wait (a pure full jitter can retry almost at once) while still spreading the
   concurrent requests that failed together.
"""

from __future__ import annotations

import asyncio
import errno
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Generic, Protocol, TypeVar

import aiohttp

from restsync._engine._request import header
from restsync._plan import RetryPolicy

__all__ = [
    "Attempt",
    "Decision",
    "RetryRequested",
    "TRANSPORT_ERRORS",
    "ResponseLike",
    "Tried",
    "call_with_retries",
    "decide",
    "describe_error",
    "is_retriable_error",
]


class RetryRequested(Exception):
    """An answer arrived, but a response action asks for another try (an Airbyte response
    filter with action RETRY on a status the policy does not retry, or on a matching body).
    It is an attempt like a transport error: counted, backed off and given up under the same
    policy. Its message says why, in a few words."""


# ServerDisconnectedError, ServerTimeoutError and ClientOSError are ClientConnectionErrors; the
# builtins cover errors that reach us unwrapped (asyncio.TimeoutError is TimeoutError since 3.11).
_RETRIABLE_ERRORS: tuple[type[BaseException], ...] = (
    RetryRequested,
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    TimeoutError,
    ConnectionError,
)
# Connection errors that another try cannot fix: the certificate or TLS setup is wrong.
_FATAL_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientSSLError,)

_DEFAULT_RNG = random.Random()


@dataclass(frozen=True)
class Attempt:
    """Everything a retry decision may look at, and nothing else."""

    number: int  # 1 = first try
    status: int | None  # None when there was no response (transport error)
    error: BaseException | None
    headers: Mapping[str, str] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds since the first attempt started; for logs and summaries


@dataclass(frozen=True)
class Decision:
    retry: bool
    wait: float  # seconds to sleep before the next attempt; 0 when not retrying
    reason: str  # short, for logs: "status 503", "connection reset", "status 429, Retry-After 2s"


def is_retriable_error(exc: BaseException) -> bool:
    """Whether a transport error is worth another try (by type, never by message)."""
    return isinstance(exc, _RETRIABLE_ERRORS) and not isinstance(exc, _FATAL_ERRORS)


def decide(
    policy: RetryPolicy,
    attempt: Attempt,
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Decision:
    """Whether to try again after ``attempt``, and how long to wait first.

    ``now`` is the wall-clock reference for an HTTP-date ``Retry-After`` when the response carries
    no ``Date`` header (the server's own ``Date`` is preferred: it cancels out clock skew).
    """
    if attempt.error is not None:
        reason = describe_error(attempt.error)
        retriable = is_retriable_error(attempt.error)
    elif attempt.status is None:
        reason, retriable = "no response", True
    else:
        reason = f"status {attempt.status}"
        retriable = attempt.status in policy.status_codes
    if not retriable:
        return Decision(False, 0.0, reason)
    if attempt.number > policy.max_retries:
        return Decision(False, 0.0, f"{reason}, gave up after {attempt.number} attempts")

    retry_after = (
        None if attempt.status is None else _retry_after(attempt.headers, now, policy.wait_header)
    )
    if retry_after is not None:
        wait = min(retry_after, policy.retry_after_cap_seconds)
        capped = f" (capped at {wait:g}s)" if wait < retry_after else ""
        return Decision(True, wait, f"{reason}, {policy.wait_header} {retry_after:g}s{capped}")
    return Decision(True, _backoff(policy, attempt.number, rng or _DEFAULT_RNG), reason)


class ResponseLike(Protocol):
    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


R = TypeVar("R", bound=ResponseLike)

# What ``send`` may raise that is about the network, not about our code: given to ``decide``.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    RetryRequested,
    aiohttp.ClientError,
    TimeoutError,
    ConnectionError,
)


@dataclass(frozen=True)
class Tried(Generic[R]):
    """How a call with retries ended: the last response, or the last transport error."""

    response: R | None
    error: BaseException | None
    attempts: int


def _never(response: object) -> bool:
    return False


async def call_with_retries(
    send: Callable[[], Awaitable[R]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    accept: Callable[[R], bool] = _never,
    before_retry: Callable[[Decision], None] | None = None,
) -> Tried[R]:
    """Call ``send`` until ``decide`` says stop; return how it ended, whatever the status.

    ``send`` returns a response (``.status``, ``.headers``) whose body is already read, or raises.
    A transport error (``TRANSPORT_ERRORS``) is an attempt like a response; any other exception
    propagates at once. The caller words the final error: it knows the resource and the URL.

    ``accept`` marks a response as final whatever its status (one a response action ignores).
    ``before_retry`` sees each decision to try again before the wait (retry counters), and may
    raise to stop (a request nobody needs any more).
    """
    started = clock()
    number = 0
    while True:
        number += 1
        try:
            response = await send()
        except TRANSPORT_ERRORS as exc:
            tried: Tried[R] = Tried(None, exc, number)
            attempt = Attempt(number, None, exc, {}, clock() - started)
        else:
            tried = Tried(response, None, number)
            if accept(response):
                return tried
            attempt = Attempt(number, response.status, None, response.headers, clock() - started)
        decision = decide(policy, attempt, rng=rng)
        if not decision.retry:
            return tried
        if before_retry is not None:
            before_retry(decision)
        await sleep(decision.wait)


def _backoff(policy: RetryPolicy, number: int, rng: random.Random) -> float:
    """``factor * 2 ** (n - 1)`` seconds (urllib3's and Airbyte's reading of a backoff factor):
    factor 2 waits about 2, 4, 8 s; factor 0 retries at once."""
    try:
        base = policy.backoff_factor * 2.0 ** (number - 1)
    except OverflowError:
        base = math.inf
    base = min(base, policy.max_backoff_seconds)
    return rng.uniform(base / 2, base)


def _retry_after(
    headers: Mapping[str, str], now: datetime | None, name: str = "Retry-After"
) -> float | None:
    """Seconds the server asked us to wait (in header ``name``), or None when absent or
    unreadable."""
    value = header(headers, name)
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        if when is None:
            return None
        reference = _http_date(header(headers, "Date") or "") or now or datetime.now(UTC)
        return max(0.0, (when - reference).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" parses as a naive datetime; HTTP dates are always GMT
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def describe_error(exc: BaseException) -> str:
    """What a transport error means, in a few words ("connection refused"), for logs and errors."""
    if isinstance(exc, RetryRequested):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "incomplete response body"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "TLS error"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "host name not found"
    code = getattr(exc, "errno", None)
    if isinstance(exc, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return "connection refused"
    if isinstance(exc, ConnectionResetError) or code == errno.ECONNRESET:
        return "connection reset"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "host unreachable"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connection failed"
    return type(exc).__name__
