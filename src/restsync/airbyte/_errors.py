"""Airbyte error handlers as restsync's retry policy and ignore actions.

A DefaultErrorHandler retries 429 and 5xx (5 retries by default); its HttpResponseFilters add
statuses to retry (RETRY, RATE_LIMITED), to skip (IGNORE: the response yields no records and ends
its chain) or to fail at once (FAIL). A CompositeErrorHandler's handlers are merged: a status any
of them retries is retried, an ignored status is never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync._plan import RetryPolicy
from restsync.airbyte._parts import Unsupported, _expect

__all__ = ["build_retry"]

_AIRBYTE_RETRY = frozenset({429, *range(500, 600)})
_WAIT_CAP_SECONDS = 600.0  # Airbyte waits long for a Retry-After; restsync caps it here


def build_retry(spec: Any, where: str) -> tuple[RetryPolicy, tuple[dict[str, Any], ...]]:
    kind = _expect(
        spec, where, ("DefaultErrorHandler", "CompositeErrorHandler", ""), "DefaultErrorHandler"
    )
    if kind == "CompositeErrorHandler":
        return _composite(spec, where)
    spec = spec if isinstance(spec, Mapping) else {}
    codes, actions = _filters(spec, where)
    factor = _backoff_factor(spec, where)
    retries = int(spec.get("max_retries", 5))
    policy = RetryPolicy(frozenset(codes), retries, factor, _WAIT_CAP_SECONDS, _WAIT_CAP_SECONDS)
    return policy, tuple(actions)


def _composite(
    spec: Mapping[str, Any], where: str
) -> tuple[RetryPolicy, tuple[dict[str, Any], ...]]:
    parts = [
        build_retry(h, f"{where}.error_handlers[{i}]")
        for i, h in enumerate(spec.get("error_handlers") or [])
    ]
    if not parts:
        return build_retry(None, where)
    retried = frozenset[int]().union(*(p.status_codes for p, _ in parts))
    ignored = {int(a["status_code"]) for _, acts in parts for a in acts if "status_code" in a}
    first = parts[0][0]
    policy = RetryPolicy(
        retried - ignored,
        max(p.max_retries for p, _ in parts),
        first.backoff_factor,
        first.max_backoff_seconds,
        first.retry_after_cap_seconds,
    )
    return policy, tuple(a for _, acts in parts for a in acts)


def _filters(spec: Mapping[str, Any], where: str) -> tuple[set[int], list[dict[str, Any]]]:
    codes = set(_AIRBYTE_RETRY)
    actions: list[dict[str, Any]] = []
    for i, rule in enumerate(spec.get("response_filters") or []):
        at = f"{where}.response_filters[{i}]"
        _expect(rule, at, ("HttpResponseFilter",), "HttpResponseFilter")
        if rule.get("predicate"):
            raise Unsupported(at, "HttpResponseFilter", "a predicate on the response")
        action = str(rule.get("action") or "").upper()
        statuses = [int(c) for c in rule.get("http_codes") or []]
        contains = rule.get("error_message_contains")
        if action in ("RETRY", "RATE_LIMITED"):
            codes.update(statuses)
        elif action == "IGNORE":
            extra = {"content": contains} if contains else {}
            actions += [{"status_code": c, "action": "ignore", **extra} for c in statuses]
            if contains and not statuses:
                actions.append({"content": contains, "action": "ignore"})
            codes.difference_update(statuses)
        elif action in ("FAIL", "REFRESH_TOKEN_THEN_RETRY"):
            codes.difference_update(statuses)
        else:
            raise Unsupported(at, "HttpResponseFilter", f"action {action or 'none'}")
    return codes, actions


def _backoff_factor(spec: Mapping[str, Any], where: str) -> float:
    factor = 5.0
    for i, strategy in enumerate(spec.get("backoff_strategies") or []):
        at = f"{where}.backoff_strategies[{i}]"
        kind = _expect(
            strategy,
            at,
            (
                "ExponentialBackoffStrategy",
                "ConstantBackoffStrategy",
                "WaitTimeFromHeader",
                "WaitUntilTimeFromHeader",
            ),
        )
        if kind == "ExponentialBackoffStrategy":
            factor = float(strategy.get("factor", 5))
        elif kind == "ConstantBackoffStrategy":
            # restsync's backoff is exponential: the first wait is the constant's
            factor = float(strategy.get("backoff_time_in_seconds", 5))
        elif kind == "WaitUntilTimeFromHeader":
            # a rate limit's reset time: the engine waits with its own backoff (and honours a
            # Retry-After) instead of reading this header, so waits differ; records do not
            continue
        elif str(strategy.get("header", "")).lower() != "retry-after" or strategy.get("regex"):
            raise Unsupported(at, "WaitTimeFromHeader", f"header {strategy.get('header')!r}")
    return factor
