"""Checks on a validated resource that its types cannot express: processing steps and response
actions hold functions or dicts of a fixed form, and an endpoint's ``json`` and ``data`` exclude
each other. Each failure is a ``ConfigError`` naming the key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from restsync._config._messages import short_repr
from restsync._config._model import EndpointConfig, ResourceConfig
from restsync._errors import ConfigError

__all__ = ["check_resource"]


def check_resource(resource: ResourceConfig, where: str) -> None:
    _check_steps(resource.processing_steps, where)
    if resource.endpoint is not None:
        _check_actions(resource.endpoint, f"{where}.endpoint")
        _check_bodies(resource.endpoint, f"{where}.endpoint")


def _check_steps(steps: Sequence[Mapping[str, Any]], where: str) -> None:
    for i, step in enumerate(steps):
        unknown = set(step) - {"filter", "map", "yield_map"}
        if unknown or len(step) != 1:
            keys = ", ".join(f"'{k}'" for k in sorted(step, key=str)) or "no key"
            raise ConfigError(
                f"{where}.processing_steps[{i}]",
                f"a processing step has {keys}; write each step as "
                "{'filter': fn}, {'map': fn} or {'yield_map': fn}",
            )
        ((kind, fn),) = step.items()
        if not callable(fn):
            raise ConfigError(
                f"{where}.processing_steps[{i}].{kind}",
                f"the '{kind}' step is {short_repr(fn)}, not a function; give a callable, "
                f"e.g. {{'{kind}': lambda record: record}}",
            )


def _check_actions(endpoint: EndpointConfig, where: str) -> None:
    """dlt's forms: a function, or a dict whose ``action`` is 'ignore', a function or a list of
    functions (_engine/_actions.py runs them)."""
    for i, action in enumerate(endpoint.response_actions or ()):
        if callable(action):
            continue
        if not isinstance(action, Mapping):
            raise ConfigError(
                f"{where}.response_actions[{i}]",
                f"a response action is {short_repr(action)}; give a dict such as "
                "{'status_code': 404, 'action': 'ignore'} or a function of the response",
            )
        _check_action_conditions(action, f"{where}.response_actions[{i}]")
        todo = action.get("action")
        if todo == "ignore" or callable(todo):
            continue
        if isinstance(todo, list) and todo and all(callable(fn) for fn in todo):
            continue
        raise ConfigError(
            f"{where}.response_actions[{i}].action",
            f"action {short_repr(todo)} is not supported; use 'ignore' (skip the response and end "
            "that resource's paging), a function of the response or a list of functions",
        )


def _check_action_conditions(action: Mapping[str, Any], where: str) -> None:
    """dlt's conditions: one ``status_code`` (a number) and one ``content`` text per action. dlt
    refuses a list of codes; it takes a code written as text and never matches it (it compares
    the text with the response's number), so that is refused here too."""
    status, content = action.get("status_code"), action.get("content")
    if isinstance(status, str) and status.strip().isdigit():
        raise ConfigError(
            f"{where}.status_code",
            f"status_code is the text {short_repr(status)}; write it as a number "
            f"({status.strip()}): a code in quotes never matches a response",
        )
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise ConfigError(
            f"{where}.status_code",
            f"status_code is {short_repr(status)}; give one status code per action, e.g. "
            "{'status_code': 404, 'action': 'ignore'}, and one action for each code",
        )
    if content is not None and not isinstance(content, str):
        raise ConfigError(
            f"{where}.content",
            f"content is {short_repr(content)}; give the text the response body must contain, "
            "e.g. {'content': 'not found', 'action': 'ignore'}",
        )


def _check_bodies(endpoint: EndpointConfig, where: str) -> None:
    """dlt refuses ``json`` and ``data`` together when it sends the first request; here when
    the config is read. (Like dlt, an empty one of the two does not count.)"""
    if endpoint.data and endpoint.json_body:
        raise ConfigError(
            f"{where}.data",
            "the endpoint has both 'json' and 'data'; keep one: 'json' for a JSON body, "
            "'data' for form fields or a raw body",
        )
