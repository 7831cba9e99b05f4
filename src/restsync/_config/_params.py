"""An endpoint's ``params`` read and checked: plain query values, ``resolve`` params (a parent's
field) and the one incremental cursor a param may carry.

dlt's rule, kept here: a cursor given as a param carries only its start. ``end_value`` and
``end_param`` belong in the endpoint's ``incremental`` block, so a param holding either is a
config error rather than a bound silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from restsync._config._dlt_loaded import INCREMENTAL, is_dlt_instance
from restsync._config._model import EndpointConfig, IncrementalParam, ResolveParam
from restsync._config._parse import _validate
from restsync._errors import ConfigError

if TYPE_CHECKING:
    from dlt.extract.incremental import Incremental

__all__ = ["EndpointParams", "is_incremental_param", "last_value_func_name", "read_params"]

# a dlt incremental object's last_value_func, by the name the plan keeps
_LAST_VALUE_FUNCS: dict[Any, Literal["max", "min"]] = {max: "max", min: "min"}


@dataclass(frozen=True)
class EndpointParams:
    plain: dict[str, Any] = field(default_factory=dict)
    resolve: dict[str, ResolveParam] = field(default_factory=dict)
    # the param that carries the cursor and its spec: a validated dict or dlt's own object
    cursor: tuple[str, IncrementalParam | Incremental[Any]] | None = None


def is_incremental_param(value: Any) -> bool:
    return is_dlt_instance(value, INCREMENTAL) or (
        isinstance(value, Mapping) and value.get("type") == "incremental"
    )


def read_params(endpoint: EndpointConfig, where: str, loc: tuple[Any, ...]) -> EndpointParams:
    """``endpoint.params`` sorted by kind; ``where``/``loc`` name the endpoint in errors."""
    plain: dict[str, Any] = {}
    resolve: dict[str, ResolveParam] = {}
    cursors: dict[str, IncrementalParam | Incremental[Any]] = {}
    for key, value in endpoint.params.items():
        at, at_loc = f"{where}.params.{key}", (*loc, "params", key)
        if is_incremental_param(value):
            cursors[key] = _cursor(value, at, at_loc)
        elif isinstance(value, Mapping) and "type" in value:
            if value["type"] != "resolve":
                raise ConfigError(
                    f"{at}.type",
                    f"unknown param type '{value['type']}'; use 'resolve' or 'incremental'",
                )
            resolve[key] = _validate(ResolveParam, value, at_loc)
        else:
            _check_query_value(value, at)
            plain[key] = value
    if len(cursors) > 1:
        names = list(cursors)
        raise ConfigError(
            f"{where}.params.{names[1]}",
            f"an endpoint takes one incremental param, but {', '.join(names)} are; keep one",
        )
    return EndpointParams(plain, resolve, next(iter(cursors.items()), None))


def _cursor(value: Any, where: str, loc: tuple[Any, ...]) -> IncrementalParam | Incremental[Any]:
    if is_dlt_instance(value, INCREMENTAL):
        if value.end_value is not None:
            raise _only_the_start(f"{where}.end_value", "end_value")
        if value.last_value_func not in _LAST_VALUE_FUNCS:
            raise ConfigError(
                where,
                "restsync keeps cursors with max or min only; give last_value_func=max or min",
            )
        cursor: Incremental[Any] = value
        return cursor
    for bounded in ("end_value", "end_param"):
        if value.get(bounded) is not None:  # dlt refuses only a truthy one: any is a mistake
            raise _only_the_start(f"{where}.{bounded}", bounded)
    spec: IncrementalParam = _validate(IncrementalParam, value, loc)
    return spec


def last_value_func_name(cursor: Incremental[Any]) -> Literal["max", "min"]:
    """The name of a checked dlt cursor's ``last_value_func`` (``max`` or ``min``)."""
    return _LAST_VALUE_FUNCS[cursor.last_value_func]


def _only_the_start(where: str, key: str) -> ConfigError:
    return ConfigError(
        where,
        f"an incremental param carries only the start ({key} is not allowed here); "
        "to set an end, use endpoint.incremental with end_value and end_param",
    )


def _check_query_value(value: Any, where: str) -> None:
    """A query parameter is a value or a list of values; anything nested has no query form."""
    items = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(item, Mapping | list | tuple) for item in items):
        raise ConfigError(
            where,
            "a query parameter takes a string, a number or a list of them; for a parent field "
            "or a cursor write {'type': 'resolve', ...} or {'type': 'incremental', ...}",
        )
