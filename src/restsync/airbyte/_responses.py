"""Airbyte's response filters, resolved per response as airbyte-cdk resolves them.

A handler's filters are asked in order; the first that matches gives the action. A filter
matches when the status is one of its ``http_codes``, OR its ``predicate`` renders true (with
``response``: the JSON body, ``{}`` when it is not JSON; ``headers``; ``request_url``: the URL
without its query), OR its ``error_message_contains`` is in the body's error message. When none
matches, a status below 400 is a success, a mapped status has its default action (400, 401,
403, 404, 405 fail; 408 and 5xx retry; 429 rate-limited), and any other status is retried. A
CompositeErrorHandler asks its handlers in turn and stops at the first SUCCESS, RETRY or IGNORE;
otherwise the last handler's action stands.

What the engine is then told (``ErrorHandlerAction``): SUCCESS and IGNORE keep a response below
400 as it is (airbyte-cdk reads its records and pages on, whatever the action) and ignore one of
400 and above (no records, the chain ends there); RETRY, RATE_LIMITED and
REFRESH_TOKEN_THEN_RETRY try again (a status the retry policy retries anyway is left to it);
FAIL fails the stream (a status of 400 or more that the policy does not retry is left to the
engine, which names it); RESET_PAGINATION turns the response into an empty success marked with
``RESET_HEADER``, on which the stream's traversal starts its pages again (once per chain, as
airbyte-cdk's PaginationTracker allows; the second reset fails the stream).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from restsync._engine._actions import IgnoreResponse
from restsync._engine._retry import RetryRequested
from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._requests import RESET_HEADER

__all__ = ["ACTIONS", "ErrorHandlerAction", "FilterFailed", "ResponseFilter"]

_RETRY_ACTIONS = frozenset({"RETRY", "RATE_LIMITED", "REFRESH_TOKEN_THEN_RETRY"})
ACTIONS = frozenset({"SUCCESS", "IGNORE", "FAIL", "RESET_PAGINATION", *_RETRY_ACTIONS})
_FINAL = frozenset({"SUCCESS", "RETRY", "IGNORE", "RESET_PAGINATION"})  # a composite stops here
_DEFAULT_ACTIONS = {
    400: "FAIL",
    401: "FAIL",
    403: "FAIL",
    404: "FAIL",
    405: "FAIL",
    408: "RETRY",
    429: "RATE_LIMITED",
    500: "RETRY",
    502: "RETRY",
    503: "RETRY",
    504: "RETRY",
}
# what airbyte-cdk's InterpolatedBoolean reads as false (compared with ==, so 0 is False too)
_FALSE_VALUES: tuple[Any, ...] = (
    *("False", "false", "{}", "[]", "()", "", "0", "0.0"),
    *({}, False, None, [], (), set()),
)
# the keys airbyte-cdk's JSON error-message parser looks under, in its order
_ERROR_KEYS = (
    "message",
    "messages",
    "error",
    "errors",
    "failures",
    "failure",
    "detail",
    "err",
    "error_message",
    "msg",
    "reason",
    "status_message",
)


class FilterFailed(Exception):
    """A response filter with action FAIL matched a response the engine would have kept."""


@dataclass(frozen=True, eq=False)
class ResponseFilter:
    action: str
    http_codes: frozenset[int]
    error_message_contains: str | None
    predicate: str | None
    error_message: str | None
    interpolator: Interpolator


@dataclass
class _Seen:
    """One response as the filters see it, each part read once."""

    status: int
    body: Any
    headers: Mapping[str, str]
    request_url: str
    error_text: str | None


@dataclass(frozen=True, eq=False)
class ErrorHandlerAction:
    """A response action (see restsync._engine._actions) running a manifest's error handlers."""

    handlers: tuple[tuple[ResponseFilter, ...], ...]
    retried: frozenset[int]  # the statuses the resource's retry policy retries by itself

    @property
    def __name__(self) -> str:  # how a failing response action is named in errors
        return "error_handler"

    def __call__(self, response: Any) -> None:
        seen = _seen(response)
        action, rule = self.resolve(seen)
        if action == "RESET_PAGINATION":
            # airbyte-cdk neither retries nor reads this response: it starts the slice's pages
            # again. The response becomes an empty success the traversal knows by its header
            # (ManifestTraversal.next); the records already read stay, as airbyte-cdk's do
            response.status_code = 200
            response._content = b"{}"
            response.headers[RESET_HEADER] = "1"
        elif action in ("SUCCESS", "IGNORE"):
            if seen.status >= 400:
                raise IgnoreResponse()
        elif action in _RETRY_ACTIONS:
            if seen.status not in self.retried:
                raise RetryRequested(
                    f"the error handler retries this response (HTTP {seen.status})"
                )
        elif seen.status < 400 or seen.status in self.retried:
            raise FilterFailed(_failure(seen, rule))

    def resolve(self, seen: _Seen) -> tuple[str, ResponseFilter | None]:
        resolution: tuple[str, ResponseFilter | None] = ("SUCCESS", None)
        for filters in self.handlers:
            resolution = _resolve_one(filters, seen)
            if resolution[0] in _FINAL:
                break
        return resolution


def _resolve_one(
    filters: tuple[ResponseFilter, ...], seen: _Seen
) -> tuple[str, ResponseFilter | None]:
    for rule in filters:
        if _matches(rule, seen):
            return rule.action, rule
    if seen.status < 400:
        return "SUCCESS", None
    return _DEFAULT_ACTIONS.get(seen.status, "RETRY"), None


def _matches(rule: ResponseFilter, seen: _Seen) -> bool:
    if seen.status in rule.http_codes:
        return True
    if rule.predicate:
        value = rule.interpolator.eval(
            rule.predicate,
            "False",
            response=seen.body,
            headers=seen.headers,
            request_url=seen.request_url,
        )
        if value not in _FALSE_VALUES:
            return True
    contains = rule.error_message_contains
    return bool(contains and seen.error_text and contains in seen.error_text)


def _seen(response: Any) -> _Seen:
    try:
        body: Any = response.json()
        parsed = True
    except ValueError:
        body, parsed = {}, False
    text = _error_text(body) if parsed else response.content.decode("utf-8", "replace")
    parts = urlsplit(str(response.url or ""))
    host = parts.netloc.rsplit("@", 1)[-1]
    url = urlunsplit((parts.scheme, host, parts.path, "", "")) if response.url else ""
    return _Seen(int(response.status_code), body, response.headers, url, text)


def _error_text(value: Any) -> str | None:
    """The error message of a JSON body, found as airbyte-cdk's parser finds it."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(t for t in (_error_text(v) for v in value) if t is not None)
    if isinstance(value, dict):
        return _error_text(next((value[k] for k in _ERROR_KEYS if value.get(k)), None))
    return None


def _failure(seen: _Seen, rule: ResponseFilter | None) -> str:
    detail = ""
    if rule is not None and rule.error_message:
        rendered = rule.interpolator.text(
            rule.error_message, response=seen.body, headers=seen.headers
        )
        detail = f": {rendered[:200]}" if rendered else ""
    return f"the manifest's error handler fails this response (HTTP {seen.status}){detail}"
