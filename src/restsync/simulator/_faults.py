"""Fault injection: parse the ``faults`` spec, and decide per request which fault (if any) to serve.

Grammar (comma-separated items, whitespace ignored)::

    item     := setting | [scope ":"] fault ":" RATE | [scope ":"] fault "@" N ["x" COUNT]
    setting  := "retry=" SECONDS          default Retry-After of every 429 (default 1)
              | "slow=" SECONDS           default stall of every slow fault (default 30)
    scope    := a path starting with "/": a path template as the config writes it
                ("/v1/app/{app_id}/endpoint") or one concrete path ("/v1/app/7/endpoint")
    fault    := KIND ("/" OPTION)*
    KIND     := 429 | 500 | 502 | 503 | 504 | reset | slow | truncated | html
    OPTION   := "retry=" SECONDS (429 only) | "for=" SECONDS (slow only)
    RATE     := a probability in [0, 1]

Examples: ``"429:0.1,503:0.05"`` (random), ``"429@3,500@7x2"`` (the 3rd request gets a 429, the 7th
and 8th a 500), ``"/v1/devices:503:1.0"`` (that path always fails), ``"retry=0,429/retry=0:0.5"``.

Request numbers start at 1 and count every API request the simulator receives (control endpoints
under ``/_simulator`` excluded); a scoped item counts only the requests in its scope. Schedules are
checked before rates; among each, the first matching item wins. A random item decides from
``Random(seed, item, request number)`` alone, so the same request number gets the same fault on
every run, whatever order concurrent requests arrive in.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from restsync.simulator._options import SimulatorError

__all__ = ["Fault", "FaultInjector", "FaultRule", "parse_faults"]

STATUS_KINDS = {"429": 429, "500": 500, "502": 502, "503": 503, "504": 504}
OTHER_KINDS = ("reset", "slow", "truncated", "html")
_GRAMMAR_HINT = (
    "write items like '429:0.1', '500@7x2', '/v1/path:503:1.0', '429/retry=0:0.5' or 'slow=2'; "
    "kinds are " + ", ".join([*STATUS_KINDS, *OTHER_KINDS])
)


@dataclass(frozen=True)
class Fault:
    kind: str  # "429", "500", ..., "reset", "slow", "truncated", "html"
    retry_after: float = 1.0  # seconds, sent as Retry-After with a 429
    slow_seconds: float = 30.0  # how long a slow response stalls before it is served

    @property
    def status(self) -> int | None:
        return STATUS_KINDS.get(self.kind)


@dataclass(frozen=True)
class FaultRule:
    fault: Fault
    scope: str | None = None
    rate: float | None = None  # random item
    at: int | None = None  # scheduled item: first request number
    count: int = 1  # scheduled item: how many consecutive requests

    def scheduled_for(self, number: int) -> bool:
        return self.at is not None and self.at <= number < self.at + self.count


def parse_faults(spec: str | None) -> list[FaultRule]:
    """Parse a fault spec; a bad item raises ``SimulatorError`` naming that item."""
    if not spec or not spec.strip():
        return []
    defaults = {"retry": 1.0, "slow": 30.0}
    pending: list[tuple[str, str | None, str, str]] = []  # (token, scope, fault text, how)
    for raw in spec.split(","):
        token = raw.strip()
        if not token:
            continue
        parts = [p.strip() for p in token.split(":")]
        scope = None
        if parts[0].startswith("/"):
            scope, parts = parts[0], parts[1:]
        if len(parts) == 1 and "@" in parts[0]:
            fault_text, _, at = parts[0].rpartition("@")
            pending.append((token, scope, fault_text, "@" + at))
        elif len(parts) == 1 and "=" in parts[0] and scope is None:
            key, _, value = parts[0].partition("=")
            if key not in defaults:
                raise _bad(token, f"unknown setting '{key}' (settings are retry=, slow=)")
            defaults[key] = _seconds(value, token)
        elif len(parts) == 2:
            pending.append((token, scope, parts[0], parts[1]))
        else:
            raise _bad(token, "expected KIND:RATE or KIND@N")
    return [_rule(token, scope, text, how, defaults) for token, scope, text, how in pending]


def _rule(
    token: str, scope: str | None, fault_text: str, how: str, defaults: dict[str, float]
) -> FaultRule:
    kind, *options = [p.strip() for p in fault_text.split("/")]
    if kind not in STATUS_KINDS and kind not in OTHER_KINDS:
        raise _bad(token, f"unknown fault kind '{kind}'")
    retry_after, slow = defaults["retry"], defaults["slow"]
    for option in options:
        key, _, value = option.partition("=")
        if kind == "429" and key == "retry":
            retry_after = _seconds(value, token)
        elif kind == "slow" and key == "for":
            slow = _seconds(value, token)
        else:
            raise _bad(token, f"option '{option}' does not apply to '{kind}'")
    fault = Fault(kind, retry_after=retry_after, slow_seconds=slow)
    if how.startswith("@"):
        at_text, _, count_text = how[1:].partition("x")
        at, count = _positive(at_text, token), _positive(count_text or "1", token)
        return FaultRule(fault, scope=scope, at=at, count=count)
    try:
        rate = float(how)
    except ValueError:
        raise _bad(token, f"rate '{how}' is not a number") from None
    if not 0.0 <= rate <= 1.0:
        raise _bad(token, f"rate {rate} is outside [0, 1]")
    return FaultRule(fault, scope=scope, rate=rate)


def _seconds(text: str, token: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(token, f"'{text}' is not a number of seconds") from None
    if value < 0:
        raise _bad(token, f"'{text}' is negative")
    return value


def _positive(text: str, token: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise _bad(token, f"'{text}' is not a positive request number or count")
    return int(text)


def _bad(token: str, why: str) -> SimulatorError:
    return SimulatorError(f"fault spec item '{token}' is invalid: {why}; {_GRAMMAR_HINT}")


class FaultInjector:
    """Decides each request's fault; thread-safe, so tests may reset it from another thread."""

    def __init__(self, rules: Iterable[FaultRule], seed: int) -> None:
        self._rules = list(rules)
        self._seed = seed
        self._scoped: dict[str, int] = {}
        self._lock = threading.Lock()

    def decide(self, number: int, names: Iterable[str]) -> Fault | None:
        """The fault for request ``number`` (1-based, overall); ``names`` are the request's path
        and path template, with and without the base URL's prefix."""
        if not self._rules:
            return None
        names = set(names)
        with self._lock:
            local: dict[str, int] = {}
            for scope in {r.scope for r in self._rules if r.scope in names}:
                assert scope is not None
                self._scoped[scope] = local[scope] = self._scoped.get(scope, 0) + 1
        candidates = [
            (index, rule, number if rule.scope is None else local[rule.scope])
            for index, rule in enumerate(self._rules)
            if rule.scope is None or rule.scope in local
        ]
        for _, rule, n in candidates:
            if rule.scheduled_for(n):
                return rule.fault
        for index, rule, n in candidates:
            if rule.rate is not None and rule.rate > 0:
                if random.Random(f"{self._seed}:{index}:{n}").random() < rule.rate:
                    return rule.fault
        return None

    def reset(self) -> None:
        with self._lock:
            self._scoped.clear()
