"""Airbyte's datetime formats: strftime codes plus ``%s``, ``%s_as_float``, ``%ms``,
``%epoch_microseconds`` and ``%_ms`` (milliseconds), and ISO 8601 durations (``P1D``, ``PT1S``)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum

__all__ = [
    "CalendarStep",
    "format_datetime",
    "parse_datetime",
    "parse_first_format",
    "parse_duration",
    "parse_iso",
    "parse_step",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_datetime(value: Any, fmt: str) -> datetime:
    """``value`` read with an Airbyte format; a value without a zone is UTC."""
    if fmt == "%s":
        return datetime.fromtimestamp(int(value), tz=UTC)
    if fmt == "%s_as_float":
        return datetime.fromtimestamp(float(value), tz=UTC)
    if fmt == "%epoch_microseconds":
        return _EPOCH + timedelta(microseconds=int(value))
    if fmt == "%ms":
        return _EPOCH + timedelta(milliseconds=int(value))
    parsed = datetime.strptime(str(value), fmt.replace("%_ms", "%f"))
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_first_format(value: Any, formats: tuple[str, ...]) -> datetime | None:
    """``value`` read with the first of ``formats`` that reads it, as airbyte-cdk tries a
    cursor's ``cursor_datetime_formats`` in order; None for no value or none that reads it."""
    if value is None:
        return None
    for fmt in formats:
        try:
            return parse_datetime(value, fmt)
        except (ValueError, TypeError, OverflowError):
            continue
    return None


def format_datetime(value: datetime, fmt: str) -> str:
    if fmt == "%s":
        return str(int(value.timestamp()))
    if fmt == "%s_as_float":
        return str(float(value.timestamp()))
    if fmt == "%epoch_microseconds":
        return str(int(value.timestamp() * 1_000_000))
    if fmt == "%ms":
        return str(int(value.timestamp() * 1000))
    if "%_ms" in fmt:
        text = value.strftime(fmt.replace("%_ms", "%f"))
        return text.replace(value.strftime("%f"), f"{value.microsecond // 1000:03d}")
    return value.strftime(fmt)


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date or datetime as an aware UTC datetime (``2024-01-14`` is midnight UTC)."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration (``P1D``, ``PT1S``, ``P1M`` as 30 days is not assumed: months and
    years are calendar steps in Airbyte, so they are rejected here and handled by the caller)."""
    parsed = pendulum.parse(str(text).strip())
    if not isinstance(parsed, timedelta):
        raise ValueError(f"'{text}' is not an ISO 8601 duration")
    duration: Any = parsed
    if getattr(duration, "years", 0) or getattr(duration, "months", 0):
        raise ValueError(f"'{text}' counts months or years")
    return timedelta(seconds=parsed.total_seconds())


@dataclass(frozen=True)
class CalendarStep:
    """A slice step as Airbyte takes it: months (and years, as 12 months) on the calendar, the
    day kept and clamped to the month's last day (Jan 31 + P1M is Feb 29), then the rest."""

    months: int = 0
    rest: timedelta = timedelta(0)

    def after(self, moment: datetime) -> datetime:
        if self.months:
            index = moment.month - 1 + self.months
            year, month = moment.year + index // 12, index % 12 + 1
            day = min(moment.day, calendar.monthrange(year, month)[1])
            moment = moment.replace(year=year, month=month, day=day)
        return moment + self.rest

    def before(self, moment: datetime) -> datetime:
        """``moment`` less this step, as airbyte-cdk subtracts a lookback window of months
        (isodate's calendar arithmetic: Mar 31 - P1M is Feb 29)."""
        return CalendarStep(-self.months, -self.rest).after(moment)

    def __str__(self) -> str:
        months = f"{self.months} month(s)" if self.months else ""
        rest = str(self.rest) if self.rest else ""
        return " + ".join(part for part in (months, rest) if part)


def parse_step(text: str) -> CalendarStep:
    """An ISO 8601 duration as a slice step, months and years included."""
    parsed = pendulum.parse(str(text).strip())
    if not isinstance(parsed, timedelta):
        raise ValueError(f"'{text}' is not an ISO 8601 duration")
    duration: Any = parsed
    months = 12 * int(getattr(duration, "years", 0)) + int(getattr(duration, "months", 0))
    # pendulum counts a month as 30 days and a year as 365 in total_seconds(): take them out
    rest = timedelta(seconds=parsed.total_seconds()) - _pendulum_calendar_part(duration)
    return CalendarStep(months, rest)


def _pendulum_calendar_part(duration: Any) -> timedelta:
    years, months = int(getattr(duration, "years", 0)), int(getattr(duration, "months", 0))
    return timedelta(days=365 * years + 30 * months)
