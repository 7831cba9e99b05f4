"""A manifest's ``api_budget`` as restsync's rate budget.

airbyte-cdk's ``HTTPAPIBudget`` holds call-rate policies, each for the requests its matchers
select: ``MovingWindowCallRatePolicy`` (``rates``: ``limit`` calls per ``interval``),
``FixedWindowCallRatePolicy`` (``call_limit`` per ``period``), ``UnlimitedCallRatePolicy``.
restsync has one budget for the whole source, so it takes the strictest rate of all policies for
every request: never faster than any policy allows (slower for requests a looser policy covers;
the records are the same). A rate restsync cannot read (a template) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync._plan import RateBudget
from restsync.airbyte._dates import parse_duration

__all__ = ["rate_budget"]


def rate_budget(manifest: Mapping[str, Any]) -> RateBudget | None:
    """The strictest requests-per-second of the manifest's ``api_budget``, or None."""
    budget = manifest.get("api_budget")
    if not isinstance(budget, Mapping):
        return None
    rates: list[float] = []
    for policy in budget.get("policies") or []:
        if not isinstance(policy, Mapping):
            continue
        kind = policy.get("type")
        if kind == "MovingWindowCallRatePolicy":
            for rate in policy.get("rates") or []:
                rates += _rate(rate.get("limit"), rate.get("interval"))
        elif kind == "FixedWindowCallRatePolicy":
            rates += _rate(policy.get("call_limit"), policy.get("period"))
    return RateBudget(requests_per_second=min(rates)) if rates else None


def _rate(limit: Any, period: Any) -> list[float]:
    try:
        seconds = parse_duration(str(period)).total_seconds()
        calls = float(limit)
    except (TypeError, ValueError):
        return []
    return [calls / seconds] if seconds > 0 and calls > 0 else []
