"""A manifest's DatetimeBasedCursor: the windows of each run and the dlt incremental that keeps
its cursor in dlt state (see docs/airbyte.md, "State")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from restsync._errors import ConfigError
from restsync._plan import IncrementalPlan
from restsync._plan._model import TimeParam
from restsync.airbyte._dates import (
    CalendarStep,
    format_datetime,
    parse_datetime,
    parse_duration,
    parse_first_format,
    parse_step,
)
from restsync.airbyte._jinja import Interpolator, TemplateError
from restsync.airbyte._parts import Unsupported, _expect, request_option
from restsync.airbyte._records import ClientSideCursor
from restsync.airbyte._requests import SAVED_COUNT, RequestOption
from restsync.airbyte._slices import DatetimeSlicer, Slicer

__all__ = [
    "LatestCursor",
    "count_start",
    "cursor_value",
    "datetime_cursor",
    "feed_stop",
    "incremental_plan",
    "text_cursor",
]

_EPOCH_FORMATS = ("%s", "%ms", "%s_as_float", "%epoch_microseconds")


def datetime_cursor(spec: Any, ai: Interpolator, where: str, name: str) -> DatetimeSlicer | None:
    if not spec or _counting(spec):
        return None
    _expect(spec, where, ("DatetimeBasedCursor",))
    # global_substream_cursor (one cursor for all partitions, not one each) is accepted as it
    # is: restsync keeps one cursor per stream anyway, and the slices are the same
    if spec.get("clamping"):
        raise Unsupported(where, "DatetimeBasedCursor", "clamping")
    cai = ai.with_parameters(spec.get("$parameters"))
    fmt = str(spec.get("datetime_format"))
    start = _min_max(spec.get("start_datetime"), cai, fmt, f"{where}.start_datetime")
    if start is None:
        template = spec.get("start_datetime")
        if isinstance(template, Mapping):
            template = template.get("datetime")
        raise ConfigError(
            f"{where}.start_datetime",
            f"stream '{name}': start_datetime {template!r} is empty with this config; "
            "give the config value it reads (e.g. start_date)",
        )
    end = _min_max(spec.get("end_datetime"), cai, fmt, f"{where}.end_datetime")
    return DatetimeSlicer(
        stream=name,
        datetime_format=fmt,
        start=start,
        end=end,
        step=_step(cai.eval(spec.get("step")), where),
        granularity=_duration(cai.eval(spec.get("cursor_granularity")), where),
        start_key=str(cai.eval(spec.get("partition_field_start")) or "start_time"),
        end_key=str(cai.eval(spec.get("partition_field_end")) or "end_time"),
        lookback=_lookback(cai.eval(spec.get("lookback_window")), where),
        cursor_formats=tuple(spec.get("cursor_datetime_formats") or ()),
    )


def client_side_cursor(spec: Any, ai: Interpolator, where: str) -> ClientSideCursor | None:
    """The record filter of an ``is_client_side_incremental`` cursor: from the start (a saved
    cursor is dlt's to apply) to the end; a data feed filters by its own stop instead."""
    if not spec or not spec.get("is_client_side_incremental") or spec.get("is_data_feed"):
        return None
    cai = ai.with_parameters(spec.get("$parameters"))
    fmt = str(spec.get("datetime_format"))
    start = _min_max(spec.get("start_datetime"), cai, fmt, f"{where}.start_datetime")
    if start is None:
        return None  # datetime_cursor names the missing start
    return ClientSideCursor(
        cursor_field=str(cai.eval(spec.get("cursor_field"))),
        formats=(*(str(f) for f in spec.get("cursor_datetime_formats") or ()), fmt),
        lowest=start,
        highest=_min_max(spec.get("end_datetime"), cai, fmt, f"{where}.end_datetime"),
    )


def incremental_plan(spec: Any, ai: Interpolator, where: str) -> IncrementalPlan | None:
    """dlt's incremental for the stream's cursor, which keeps the latest value for the state.
    It has no initial value, so dlt drops no record older than the start: airbyte-cdk emits
    whatever the API returns (the windows start at ``start_datetime``, ``DatetimeSlicer``). A
    data feed is the exception: airbyte-cdk drops the records before the start after paging,
    as dlt does from an initial value."""
    if not spec:
        return None
    cai = ai.with_parameters(spec.get("$parameters"))
    if _counting(spec):
        # no initial value: dlt drops nothing on a first run, as airbyte-cdk emits everything
        return IncrementalPlan(
            cursor_path=str(cai.eval(spec.get("cursor_field"))),
            initial_value=None,
            last_value_func="max",
            on_cursor_value_missing="include",
            # the engine puts a saved value in this parameter of the first request it hands
            # the stream's traversal, which sends it where start_value_option says
            start_param=TimeParam(SAVED_COUNT),
        )
    fmt = str(spec.get("datetime_format"))
    start = _min_max(spec.get("start_datetime"), cai, fmt, where)
    assert start is not None
    initial = cursor_value(start, fmt) if spec.get("is_data_feed") else None
    formats = (*(str(f) for f in spec.get("cursor_datetime_formats") or ()), fmt)
    return IncrementalPlan(
        cursor_path=str(cai.eval(spec.get("cursor_field"))),
        initial_value=initial,
        last_value_func=LatestCursor(formats),
        on_cursor_value_missing="include",
    )


def cursor_value(instant: datetime, fmt: str) -> Any:
    """``instant`` as the API sends the cursor: text in ``fmt``, a number for epoch formats."""
    text = format_datetime(instant, fmt)
    if fmt not in _EPOCH_FORMATS:
        return text
    return float(text) if "." in text else int(text)


def text_cursor(spec: Any) -> bool:
    """Whether the cursor's values are text (any format but the epoch ones)."""
    return not _counting(spec) and str(spec.get("datetime_format")) not in _EPOCH_FORMATS


def _counting(spec: Any) -> bool:
    return isinstance(spec, Mapping) and spec.get("type") == "IncrementingCountCursor"


def count_start(
    spec: Any, ai: Interpolator, where: str, routed: bool
) -> tuple[RequestOption, int] | None:
    """An IncrementingCountCursor's ``start_value_option`` and ``start_value`` (0 if none):
    every request of the stream carries the start, or the saved cursor once there is one, as
    airbyte-cdk sends them (one slice, no end)."""
    if not _counting(spec):
        return None
    if routed:
        # airbyte-cdk refuses a partition router beside this cursor
        raise Unsupported(where, "IncrementingCountCursor", "with a partition router")
    cai = ai.with_parameters(spec.get("$parameters"))
    try:
        start = int(str(cai.eval(spec.get("start_value"), 0)))
    except (TypeError, ValueError):
        raise Unsupported(
            where, "IncrementingCountCursor", "a start_value that is no integer"
        ) from None
    option = request_option(spec.get("start_value_option"), cai, f"{where}.start_value_option")
    if option is None:
        return None
    if option.inject_into not in ("request_parameter", "header", "body_json"):
        raise Unsupported(where, "IncrementingCountCursor", f"a start sent as {option.inject_into}")
    return option, start


@dataclass(frozen=True)
class LatestCursor:
    """dlt's last_value_func for an Airbyte cursor: the latest value by the instant it reads as
    in the cursor's formats. A value no format reads never wins and never fails the stream:
    airbyte-cdk leaves such a record out of its state and still emits it."""

    formats: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "__name__", "latest_cursor")  # dlt names the function

    def __call__(self, values: Any) -> Any:
        values = list(values)
        readable = [(instant, v) for v in values if (instant := self._instant(v)) is not None]
        if not readable:
            return values[0]
        return max(readable, key=lambda pair: pair[0])[1]

    def _instant(self, value: Any) -> datetime | None:
        if isinstance(value, bool):
            return None
        return parse_first_format(value, self.formats)


def _min_max(spec: Any, ai: Interpolator, fmt: str, where: str) -> datetime | None:
    """A start or end datetime, read strictly with its format as Airbyte reads it (a value in
    another format is a config error, not a guess); ``min_datetime``/``max_datetime`` clamp it."""
    bounds: tuple[Any, Any] = (None, None)
    if isinstance(spec, Mapping):
        fmt = str(spec.get("datetime_format") or fmt)
        bounds = (spec.get("min_datetime"), spec.get("max_datetime"))
        spec = spec.get("datetime")
    value = _read_datetime(spec, ai, fmt, where)
    if value is None:
        return None
    low, high = (_read_datetime(b, ai, fmt, where) for b in bounds)
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def _read_datetime(template: Any, ai: Interpolator, fmt: str, where: str) -> datetime | None:
    if template is None:
        return None
    try:
        value = ai.eval(template)
    except TemplateError as exc:
        raise ConfigError(where, f"{exc}; give the config values it reads") from None
    if value is None or value == "":
        return None
    try:
        return parse_datetime(str(value), fmt)
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(
            where,
            f"the datetime '{value}' does not match the format '{fmt}'; "
            "give the config value in that format",
        ) from None


def _duration(value: Any, where: str) -> timedelta | None:
    if value in (None, ""):
        return None
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise Unsupported(where, "DatetimeBasedCursor", str(exc)) from None


def _lookback(value: Any, where: str) -> CalendarStep | None:
    if value in (None, ""):
        return None
    try:
        return parse_step(str(value))
    except ValueError as exc:
        raise Unsupported(where, "DatetimeBasedCursor", str(exc)) from None


def _step(value: Any, where: str) -> CalendarStep | None:
    if value in (None, ""):
        return None
    try:
        step = parse_step(str(value))
    except ValueError as exc:
        raise Unsupported(where, "DatetimeBasedCursor", str(exc)) from None
    if step.after(datetime(2000, 1, 1, tzinfo=UTC)) <= datetime(2000, 1, 1, tzinfo=UTC):
        raise Unsupported(where, "DatetimeBasedCursor", f"a step of {value!r} does not advance")
    return step


def feed_stop(stream: Mapping[str, Any], slicer: Slicer | None) -> Any:
    from restsync.airbyte._requests import FeedStop

    spec = stream.get("incremental_sync")
    if not isinstance(spec, Mapping) or not spec.get("is_data_feed") or slicer is None:
        return None
    window = slicer.cursor
    if window is None:
        return None
    formats = (*(str(f) for f in spec.get("cursor_datetime_formats") or ()), window.datetime_format)
    return FeedStop(str(spec.get("cursor_field")), formats, window.start_key, window.end_key)
