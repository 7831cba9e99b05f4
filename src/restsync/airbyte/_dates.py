"""Airbyte's datetime formats: strftime codes plus ``%s``, ``%s_as_float``, ``%ms``,
``%epoch_microseconds`` and ``%_ms`` (milliseconds), and ISO 8601 durations (``P1D``, ``PT1S``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum

__all__ = ["format_datetime", "parse_datetime", "parse_duration", "parse_iso"]

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
