"""Incremental cursors in the plan: dlt's three ways (a param of type incremental, a
``dlt.sources.incremental`` object in params, an endpoint ``incremental`` block) and the seeds'
Airbyte-style ``incremental_sync`` of datetimes.

One resource takes one cursor. As in dlt, a cursor given as a param carries only its start (no
``end_value`` or ``end_param``: use the endpoint block for those), and ``convert`` turns every
value sent to the server (the start and end params and the ``{incremental.*}`` placeholders).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pendulum

from restsync._config import (
    DltCursor,
    EndpointConfig,
    IncrementalParam,
    IncrementalSync,
    ResourceConfig,
)
from restsync._config._messages import short_repr
from restsync._config._params import last_value_func_name
from restsync._errors import ConfigError
from restsync._plan._model import IncrementalPlan, TimeParam

if TYPE_CHECKING:
    from dlt.extract.incremental import Incremental

__all__ = ["from_param", "parse_datetime_value", "resource_incremental"]


def resource_incremental(
    index: int,
    resource: ResourceConfig,
    endpoint: EndpointConfig,
    from_params: IncrementalPlan | None,
    notes: list[str],
) -> IncrementalPlan | None:
    where = f"resources[{index}]"
    found = [
        kind
        for kind, present in (
            ("incremental_sync", resource.incremental_sync is not None),
            ("endpoint.incremental", endpoint.incremental is not None),
            ("an incremental param", from_params is not None),
        )
        if present
    ]
    if len(found) > 1:
        raise ConfigError(
            f"{where}.incremental_sync"
            if resource.incremental_sync
            else f"{where}.endpoint.incremental",
            f"a resource takes one incremental cursor, found {' and '.join(found)}; keep one",
        )
    if resource.incremental_sync is not None:
        plan = _from_incremental_sync(resource.incremental_sync, f"{where}.incremental_sync")
        notes.append(
            f"incremental on '{plan.cursor_path}' as datetimes from "
            f"{plan.initial_value.isoformat()}: older records are dropped, "
            "the saved value advances with each load"
        )
        return plan
    if endpoint.incremental is not None:
        inc = endpoint.incremental
        return _dlt_cursor(
            inc,
            TimeParam(inc.start_param) if inc.start_param else None,
            TimeParam(inc.end_param) if inc.end_param else None,
        )
    return from_params


def from_param(key: str, spec: IncrementalParam | Incremental[Any]) -> IncrementalPlan:
    """A cursor given as the param ``key`` (checked by the config layer's ``read_params``): a
    ``{"type": "incremental"}`` dict or a ``dlt.sources.incremental`` object. Its start value
    is sent as ``key``."""
    if not isinstance(spec, IncrementalParam):  # read_params let only dlt's object through
        return _from_dlt_object(key, spec)
    return _dlt_cursor(spec, TimeParam(key), None)


def _dlt_cursor(
    spec: DltCursor,
    start_param: TimeParam | None,
    end_param: TimeParam | None,
) -> IncrementalPlan:
    """dlt's cursor written as a dict, either as a param or as the endpoint block."""
    return IncrementalPlan(
        cursor_path=spec.cursor_path,
        initial_value=spec.initial_value,
        end_value=spec.end_value,
        last_value_func=spec.last_value_func,
        row_order=spec.row_order,
        on_cursor_value_missing=spec.on_cursor_value_missing,
        lag=spec.lag,
        start_param=start_param,
        end_param=end_param,
        convert=spec.convert,
        range_start=spec.range_start,
        range_end=spec.range_end,
    )


def _from_dlt_object(key: str, cursor: Incremental[Any]) -> IncrementalPlan:
    return IncrementalPlan(
        cursor_path=str(cursor.cursor_path),
        initial_value=cursor.initial_value,
        last_value_func=last_value_func_name(cursor),
        row_order=cursor.row_order,
        on_cursor_value_missing=cursor.on_cursor_value_missing,
        lag=cursor.lag,
        start_param=TimeParam(key),
        range_start=cursor.range_start,
        range_end=cursor.range_end,
    )


def _from_incremental_sync(sync: IncrementalSync, where: str) -> IncrementalPlan:
    start = _parse_datetime(sync.start_datetime, sync.datetime_format, f"{where}.start_datetime")
    end = (
        _parse_datetime(sync.end_datetime, sync.datetime_format, f"{where}.end_datetime")
        if sync.end_datetime is not None
        else None
    )
    lookback = _parse_duration(sync.lookback_window, f"{where}.lookback_window")
    start_param = None
    if sync.start_time_option is not None:
        option = sync.start_time_option
        start_param = TimeParam(option.field_name, option.inject_into)
    elif sync.start_param:
        start_param = TimeParam(sync.start_param)
    end_param = None
    if sync.end_time_option is not None:
        end_param = TimeParam(sync.end_time_option.field_name, sync.end_time_option.inject_into)
    elif sync.end_param:
        end_param = TimeParam(sync.end_param)
    return IncrementalPlan(
        cursor_path=sync.cursor_field,
        initial_value=start,
        end_value=end,
        datetime_format=sync.datetime_format,
        parse_datetimes=True,
        lookback=lookback,
        lag=lookback.total_seconds() if lookback else None,
        start_param=start_param,
        end_param=end_param,
        # a record without the cursor cannot be placed in time: keep it rather than lose it
        on_cursor_value_missing="include",
    )


def parse_datetime_value(value: Any, fmt: str | None) -> datetime:
    """Parse a cursor value as an aware datetime (UTC when the value carries no zone)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float):
        parsed = datetime.fromtimestamp(value, tz=UTC)
    else:
        text = str(value)
        parsed = None
        if fmt:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = pendulum.parse(text, strict=False)  # type: ignore[assignment]
            if not isinstance(parsed, datetime):
                raise ValueError(f"'{text}' is not a datetime")
    assert parsed is not None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        offset = parsed.utcoffset()
    except ValueError:  # pendulum parses "+99:00" into a zone Python cannot use
        offset = _NO_OFFSET
    if offset is None or abs(offset) >= _NO_OFFSET:
        raise ValueError(f"'{value}' has a UTC offset of a day or more")
    return pendulum.instance(parsed)


_NO_OFFSET = timedelta(hours=24)


def _parse_datetime(value: Any, fmt: str | None, where: str) -> datetime:
    try:
        return parse_datetime_value(value, fmt)
    except Exception:
        key = where.rsplit(".", 1)[-1]
        if fmt:
            message = (
                f"{key} '{value}' does not match datetime_format '{fmt}'; "
                "fix the value or the format"
            )
        else:
            message = (
                f"{key} '{value}' is not a datetime; "
                "write it in ISO 8601, e.g. '2024-01-01T00:00:00Z'"
            )
        raise ConfigError(where, message) from None


def _parse_duration(value: Any, where: str) -> timedelta | None:
    if value is None:
        return None
    seconds = _duration_seconds(value)
    if seconds is None:
        raise ConfigError(
            where,
            f"lookback_window {short_repr(value)} is not a duration; "
            "write it in ISO 8601 such as 'P1D' or 'PT6H', or as a number of seconds",
        )
    if not 0 <= seconds <= _MAX_LOOKBACK.total_seconds():
        raise ConfigError(
            where,
            f"lookback_window {short_repr(value)} is out of range; "
            "give a duration from 0 to 100 years, such as 'P1D' or 3600",
        )
    return timedelta(seconds=seconds)


_MAX_LOOKBACK = timedelta(days=36_525)


def _duration_seconds(value: Any) -> float | None:
    """Seconds in a number, a numeric string or an ISO 8601 duration; ``None`` if it is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        else:
            try:
                parsed = pendulum.parse(text)
                seconds = parsed.total_seconds() if isinstance(parsed, timedelta) else math.nan
            except Exception:  # pendulum raises several kinds for text that is no duration
                return None
    return None if math.isnan(seconds) else seconds
