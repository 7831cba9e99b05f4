"""A path built from a time window's parts, served with the window the path names.

nytimes' archive asks ``/archive/v1/{{ stream_slice['start_time'].split('-')[0] | int }}/{{
stream_slice['start_time'].split('-')[1] | int }}.json``: one month a request, the month in
the path, no time parameter. The path is rendered for two windows whose year, month and day all
differ (2031-07-15 and 2029-11-23); a number that moves with one of them is that part of the
window. The path is served with a placeholder there (``{window.year}``, ``{window.month}``,
``{window.day}``) and each request gets the records whose cursor lies in the period its path
names (a year, a month, a day: ``simulator/_endpoints.path_period``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from restsync.airbyte._cursor import cursor_value
from restsync.airbyte._jinja import Slice, TemplateError
from restsync.airbyte._requests import StreamRequests
from restsync.airbyte._slices import Slicer
from restsync.simulator._endpoints import WINDOW_DAY, WINDOW_MONTH, WINDOW_YEAR

__all__ = ["window_path"]

_WHEN = (datetime(2031, 7, 15, tzinfo=UTC), datetime(2029, 11, 23, tzinfo=UTC))
_PARTS = {
    WINDOW_YEAR: (2031, 2029),
    WINDOW_MONTH: (7, 11),
    WINDOW_DAY: (15, 23),
}
_NUMBER = re.compile(r"(\d+)")


def window_path(requests: StreamRequests, slicer: Slicer | None, marks: Slice) -> str | None:
    """The path with a placeholder at each part of the window it carries; None when the path
    does not move with the window, or moves in a way that is not its year, month or day."""
    window = slicer.cursor if slicer is not None else None
    if window is None:
        return None
    rendered: list[list[str]] = []
    for when in _WHEN:
        values = {
            **marks,
            window.start_key: cursor_value(when, window.datetime_format),
            window.end_key: cursor_value(when + timedelta(days=1), window.datetime_format),
        }
        try:
            text = requests.interpolator.text(
                requests.path, stream_slice=Slice(values), next_page_token=None
            )
        except TemplateError:
            return None
        rendered.append(_NUMBER.split(str(text)))
    first, second = rendered
    if len(first) != len(second):
        return None
    out: list[str] = []
    for at, (one, other) in enumerate(zip(first, second, strict=True)):
        if one == other:
            out.append(one)
        elif at % 2 == 0:  # text between numbers: it does not move with the window
            return None
        else:
            part = next((n for n, pair in _PARTS.items() if pair == (int(one), int(other))), None)
            if part is None:
                return None
            out.append("{" + part + "}")
    served = "".join(out)
    return served if WINDOW_YEAR in served else None
