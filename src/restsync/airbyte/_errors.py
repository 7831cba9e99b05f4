"""Airbyte error handlers as restsync's retry policy and one response action.

Without response filters, a DefaultErrorHandler is a retry policy: 429 and 5xx retried (5 retries
by default), every other status below 400 a success and above it a failure. With filters, the
handler (or a CompositeErrorHandler's handlers, in order) also becomes one response action,
``ErrorHandlerAction``, that resolves each response as airbyte-cdk does (``_responses.py``) and
tells the engine what to do: nothing, ignore the response, try again, or fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync._plan import RetryPolicy
from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._parts import Unsupported, _checked, _expect
from restsync.airbyte._responses import ACTIONS, ErrorHandlerAction, ResponseFilter

__all__ = ["build_retry"]

_AIRBYTE_RETRY = frozenset({429, *range(500, 600)})
_WAIT_CAP_SECONDS = 600.0  # Airbyte waits long for a Retry-After; restsync caps it here


def build_retry(
    spec: Any, where: str, ai: Interpolator | None = None
) -> tuple[RetryPolicy, tuple[Any, ...]]:
    """The retry policy of ``spec`` (an error handler, or None), and its response actions.
    ``ai`` renders the numbers a manifest gives as templates (``factor: "{{ config.f }}"``)."""
    ai = ai or Interpolator({})
    handlers = _handlers(spec, where)
    first = handlers[0][0]
    factor = next(
        (_backoff_factor(h, at, ai) for h, at in handlers if h.get("backoff_strategies")), 5.0
    )
    # a CompositeErrorHandler retries as often as its first handler says (airbyte-cdk's rule)
    retries = int(_number(ai, first.get("max_retries", 5), 5, f"{handlers[0][1]}.max_retries"))
    wait_header = next((w for h, at in handlers for w in _wait_headers(h, at)), "Retry-After")
    policy = RetryPolicy(
        _AIRBYTE_RETRY, retries, factor, _WAIT_CAP_SECONDS, _WAIT_CAP_SECONDS, wait_header
    )
    rules = tuple(_filters(h, at) for h, at in handlers)
    if not any(rules):
        return policy, ()
    return policy, (ErrorHandlerAction(rules, _AIRBYTE_RETRY),)


def _handlers(spec: Any, where: str) -> list[tuple[Mapping[str, Any], str]]:
    """The DefaultErrorHandlers of ``spec`` in the order airbyte-cdk asks them."""
    kind = _expect(
        spec, where, ("DefaultErrorHandler", "CompositeErrorHandler", ""), "DefaultErrorHandler"
    )
    spec = spec if isinstance(spec, Mapping) else {}
    if kind != "CompositeErrorHandler":
        return [(spec, where)]
    found = [
        handler
        for i, inner in enumerate(spec.get("error_handlers") or [])
        for handler in _handlers(inner, f"{where}.error_handlers[{i}]")
    ]
    return found or [({}, where)]


def _filters(spec: Mapping[str, Any], where: str) -> tuple[ResponseFilter, ...]:
    filters = []
    for i, rule in enumerate(spec.get("response_filters") or []):
        at = f"{where}.response_filters[{i}]"
        _expect(rule, at, ("HttpResponseFilter",), "HttpResponseFilter")
        action = str(rule.get("action") or "").upper()
        if action not in ACTIONS:
            raise Unsupported(at, "HttpResponseFilter", f"action {action or 'none'}")
        predicate = _checked(rule.get("predicate") or None, at)
        message = _checked(rule.get("error_message") or None, at)
        filters.append(
            ResponseFilter(
                action=action,
                http_codes=frozenset(int(c) for c in rule.get("http_codes") or []),
                error_message_contains=rule.get("error_message_contains") or None,
                predicate=predicate,
                error_message=message,
                # airbyte-cdk renders a predicate without the config, with the filter's
                # parameters
                interpolator=Interpolator({}, rule.get("$parameters")),
            )
        )
    return tuple(filters)


def _number(ai: Interpolator, value: Any, default: float, at: str) -> float:
    """A number the manifest may give as a template; one that renders empty is the default,
    as airbyte-cdk's is, and one that is no number is refused at check."""
    rendered = ai.eval(value, default) if isinstance(value, str) else value
    try:
        return float(default if rendered in (None, "") else rendered)
    except (TypeError, ValueError):
        raise Unsupported(at, "number", f"{value!r} is not a number with this config") from None


def _backoff_factor(spec: Mapping[str, Any], where: str, ai: Interpolator) -> float:
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
            factor = _number(ai, strategy.get("factor", 5), 5, f"{at}.factor")
        elif kind == "ConstantBackoffStrategy":
            # restsync's backoff is exponential: the first wait is the constant's
            seconds = strategy.get("backoff_time_in_seconds", 5)
            factor = _number(ai, seconds, 5, f"{at}.backoff_time_in_seconds")
        elif kind == "WaitUntilTimeFromHeader":
            # a rate limit's reset time: the engine waits with its own backoff (and honours a
            # Retry-After) instead of reading this header, so waits differ; records do not
            continue
        elif strategy.get("regex") or not isinstance(strategy.get("header"), str):
            raise Unsupported(at, "WaitTimeFromHeader", f"header {strategy.get('header')!r}")
    return factor


def _wait_headers(spec: Mapping[str, Any], where: str) -> list[str]:
    """The header a WaitTimeFromHeader reads the seconds to wait from (Retry-After, or
    shipstation's X-Rate-Limit-Reset); the engine honours it as it honours Retry-After."""
    return [
        str(strategy["header"])
        for strategy in spec.get("backoff_strategies") or []
        if isinstance(strategy, Mapping)
        and strategy.get("type") == "WaitTimeFromHeader"
        and isinstance(strategy.get("header"), str)
    ]
