"""Response actions (dlt's ``response_actions``), run on every response before its status is
judged, in the order the config lists them, as dlt's ``requests`` hooks run:

* ``{'status_code': 404, 'content': 'text', 'action': 'ignore'}``: when every condition given
  matches (the status; the text in the body), the response is ignored: nothing is loaded from
  it and the resource's paging ends there. The later actions do not run.
* ``{... 'action': fn}`` or ``{... 'action': [fn, ...]}``: when the conditions match, the
  functions are called; a dict without conditions calls them for every response (and one
  without conditions and with ``'ignore'`` does nothing, as in dlt).
* ``fn``: called for every response.

A function gets a ``requests.Response`` built from the answer (the object dlt's hooks get), and
may change it: its ``status_code``, ``headers``, ``encoding`` and content (``response._content``,
as dlt's documentation does it) are read back before the status is judged, the body parsed and
the paginator consulted. What the function returns is ignored, as in dlt; a function that raises
dlt's ``IgnoreResponseException`` (or restsync's ``IgnoreResponse``) ignores the response, as
``'ignore'`` does; one that raises restsync's ``RetryRequested`` has the request tried again
under the resource's retry policy (restsync's own extension, used by Airbyte response filters).
``url`` is the URL requested (before any redirect, without the auth's query parameters),
``request`` a prepared request with its method and URL; ``history``, ``cookies``, ``elapsed``
and ``raw`` are empty.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from restsync._engine._retry import RetryRequested
from restsync._errors import ExtractionError

__all__ = ["Answer", "IgnoreResponse", "apply_response_actions", "as_requests_response"]

# where dlt defines the exception its hooks raise to ignore a response
_DLT_IGNORE = ("dlt.sources.helpers.rest_client.exceptions", "IgnoreResponseException")


class IgnoreResponse(Exception):
    """Raised by restsync's own response functions (the Airbyte error handler) to ignore the
    response, as dlt's ``IgnoreResponseException`` does, without importing dlt."""


@dataclass(frozen=True)
class Answer:
    """A response as read off the wire (after redirects), before any action ran."""

    status: int
    headers: dict[str, str]
    raw: bytes
    ignored: bool = False


def apply_response_actions(
    actions: tuple[Any, ...], answer: Answer, method: str, url: str, resource: str
) -> Answer:
    """``answer`` after ``actions``: ignored, changed by a function, or as it was."""
    response = as_requests_response(answer, method, url)
    encoding = response.encoding
    called = False
    for index, action in enumerate(actions):
        verdict, functions = _matching(action, response)
        if verdict == "ignore":
            return Answer(answer.status, answer.headers, b"", ignored=True)
        for fn in functions:
            if not _call(fn, response, resource, index, url):
                return Answer(answer.status, answer.headers, b"", ignored=True)
            called = True
    return _read_back(response, encoding) if called else answer


def _matching(action: Any, response: Any) -> tuple[str | None, list[Callable[..., Any]]]:
    """What ``action`` does to ``response``: ``("ignore", [])``, functions to call, or nothing."""
    if callable(action):
        return None, [action]
    assert isinstance(action, Mapping)  # the plan admits functions and dicts only
    todo = action.get("action")
    functions = [todo] if callable(todo) else list(todo) if isinstance(todo, list) else []
    status, content = action.get("status_code"), action.get("content")
    if status is None and content is None:
        return None, functions
    if status is not None and str(status) != str(response.status_code):
        return None, []
    if content is not None and content not in response.text:
        return None, []
    return (todo if isinstance(todo, str) else None), functions


def _call(fn: Callable[..., Any], response: Any, resource: str, index: int, url: str) -> bool:
    """Run one function on ``response``; False when it asks to ignore the response by raising
    dlt's ``IgnoreResponseException``, as dlt's hooks may."""
    try:
        fn(response)
    except IgnoreResponse:
        return False
    except RetryRequested:
        raise  # an attempt for the retry loop, not a failure of the function
    except Exception as exc:
        if _is_dlt_ignore(exc):
            return False
        name = getattr(fn, "__name__", type(fn).__name__)
        detail = str(exc)
        detail = detail if len(detail) <= 200 else detail[:197] + "..."
        raise ExtractionError(
            resource,
            f"response action {index} ({name}) raised {type(exc).__name__}: {detail}",
            url,
        ) from exc
    return True


def as_requests_response(answer: Answer, method: str, url: str) -> Any:
    """``answer`` as the ``requests.Response`` dlt's own code (actions, paginators) reads."""
    # imported here: requests (a dlt dependency) is needed only by resources with actions
    import requests
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    response = requests.Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response._content = answer.raw
    response.url = url
    response.encoding = get_encoding_from_headers(response.headers)
    try:
        response.reason = HTTPStatus(answer.status).phrase
    except ValueError:
        response.reason = ""
    response.request = requests.Request(method, url).prepare()
    return response


def _read_back(response: Any, encoding: str | None) -> Answer:
    raw = response.content or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    elif response.encoding != encoding and raw:
        # a function set another encoding: dlt then parses the body as text in that encoding
        raw = response.text.encode("utf-8")
    headers = {str(k): str(v) for k, v in response.headers.items()}
    return Answer(int(response.status_code), headers, raw)


def _is_dlt_ignore(exc: Exception) -> bool:
    """Whether ``exc`` is dlt's ``IgnoreResponseException``, read from ``sys.modules``: an
    instance exists only once its module is imported, and the engine must not import dlt itself
    (``restsync run`` imports dlt in another thread meanwhile, and two threads entering dlt's
    circular imports at different modules fail with a partially initialized module)."""
    module, name = _DLT_IGNORE
    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)
