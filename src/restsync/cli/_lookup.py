"""Where dlt looked for a value it could not find: names and files only, never a value.

dlt reports a missing secret or credential as ``ConfigFieldMissingException`` with one lookup trace
per (provider, key) it tried. These helpers turn those traces into a few readable lines, and look up
a source's named secrets the same way dlt will at run time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["describe_missing", "missing_value", "searched_files"]

_SHOWN_NAMES = 6  # per field and provider; the rest are summarised, the pattern is plain by then


def describe_missing(missing: Any) -> list[str]:
    """Lines for a ``ConfigFieldMissingException``: each missing field and the names tried."""
    lines: list[str] = []
    for field, traces in _flatten(missing.traces, ""):
        lines.append(f"{field}: " + _names_by_provider(traces))
    return lines


def missing_value(name: str, *, secret: bool) -> list[str] | None:
    """``None`` if dlt can resolve ``name`` (from ``dlt.secrets``, else ``dlt.config``); else the
    names it tried, as lines. Only whether a value exists is looked at, never the value."""
    import dlt
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    accessor = dlt.secrets if secret else dlt.config
    try:
        accessor[name]
    except ConfigFieldMissingException as exc:
        return describe_missing(exc)
    return None


def searched_files() -> list[str]:
    """The config and secrets files dlt reads, marking the ones that do not exist."""
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs import PluggableRunContext

    files = []
    for provider in Container()[PluggableRunContext].providers.providers:
        present = set(provider.present_locations)
        for location in provider.locations:
            mark = "" if location in present else " (missing)"
            files.append(f"{os.path.abspath(location)}{mark}")
    return files


def _flatten(traces: Mapping[str, Any], prefix: str) -> Iterable[tuple[str, list[Any]]]:
    from dlt.common.configuration.exceptions import LookupTraces

    for field, found in traces.items():
        if isinstance(found, LookupTraces):
            yield from _flatten(found.traces, f"{prefix}{field}.")
            continue
        nested = [t for t in found if isinstance(t, LookupTraces)]
        if nested:
            for inner in nested:
                yield from _flatten(inner.traces, f"{prefix}{field}.")
            continue
        yield f"{prefix}{field}", list(found)


def _names_by_provider(traces: list[Any]) -> str:
    by_provider: dict[str, list[str]] = {}
    for trace in traces:
        names = by_provider.setdefault(trace.provider, [])
        if trace.key not in names:
            names.append(trace.key)
    parts = []
    for provider, names in by_provider.items():
        shown = ", ".join(names[:_SHOWN_NAMES])
        more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
        parts.append(f"{provider} {shown}{more}")
    return "; ".join(parts) or "no provider had it"
