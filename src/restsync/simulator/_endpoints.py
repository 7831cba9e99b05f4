"""One served resource: match its path, check its credential, find its parent, serve a page.

Requests and responses are plain values (``Incoming`` -> ``Outgoing``), so this module knows
nothing of aiohttp and every decision here can be tested without a socket.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from yarl import URL

from restsync._plan import PLACEHOLDER, IncrementalPlan, ResourcePlan, parse_datetime_value
from restsync._selectors import field_value
from restsync.simulator._auth import Credential, Issuer
from restsync.simulator._paging import Pager, PageRequest, PagingError
from restsync.simulator._placement import Placement, with_fields
from restsync.simulator._stop_rule import StopRule
from restsync.simulator._store import Rows, Store

__all__ = [
    "WINDOW_DAY",
    "WINDOW_MONTH",
    "WINDOW_YEAR",
    "BindingSource",
    "Endpoint",
    "Incoming",
    "Outgoing",
    "Router",
    "Template",
    "TimeFilter",
    "path_period",
]


@dataclass(frozen=True)
class Incoming:
    method: str
    path: str
    url: URL
    query: Mapping[str, str]
    headers: Mapping[str, str]  # case-insensitive in practice (aiohttp's CIMultiDictProxy)
    cookies: Mapping[str, str]
    body: Any = None


@dataclass(frozen=True)
class Outgoing:
    status: int
    body: Any  # JSON values; records as ``orjson.Fragment`` (their stored JSON)
    headers: Mapping[str, str] = field(default_factory=dict)


def error(status: int, message: str) -> Outgoing:
    return Outgoing(status, {"error": message})


class Template:
    """Text with ``{placeholders}``, matched against a concrete value to read them back."""

    def __init__(self, text: str, *, segment: bool) -> None:
        self.text = text
        self.names: list[str] = []
        pattern, position = "", 0
        for match in PLACEHOLDER.finditer(text):
            pattern += re.escape(text[position : match.start()])
            # names such as "resources.p.f" are not valid group names: number the groups
            pattern += f"(?P<g{len(self.names)}>{'[^/]+' if segment else '.+?'})"
            self.names.append(match.group(1))
            position = match.end()
        pattern += re.escape(text[position:])
        self._regex = re.compile(pattern + ("/?" if segment else ""))

    def match(self, value: str) -> dict[str, str] | None:
        found = self._regex.fullmatch(value)
        if found is None:
            return None
        return {name: found.group(f"g{i}") for i, name in enumerate(self.names)}


@dataclass(frozen=True)
class BindingSource:
    """Where a child request carries a parent value besides its path."""

    where: Literal["query", "header", "json"]
    key: str  # query param, header name or dotted JSON body path
    template: Template

    def read(self, incoming: Incoming) -> str | None:
        if self.where == "query":
            value = incoming.query.get(self.key)
        elif self.where == "header":
            value = incoming.headers.get(self.key)
        else:
            found = field_value(incoming.body, self.key)
            value = None if found is None else str(found)
        return value


# path placeholders that carry a calendar period's parts (nytimes' '/archive/v1/2024/7.json')
WINDOW_YEAR, WINDOW_MONTH, WINDOW_DAY = "window.year", "window.month", "window.day"


def path_period(values: Mapping[str, str]) -> tuple[float, float] | None:
    """The period a path names by its parts, as timestamps [start, end): a year, a month of a
    year, a day of a month; None when the path has no year."""
    try:
        year = int(values[WINDOW_YEAR])
        month = int(values.get(WINDOW_MONTH, 1))
        day = int(values.get(WINDOW_DAY, 1))
        start = datetime(year, month, day, tzinfo=UTC)
    except KeyError:
        return None
    except ValueError as exc:
        raise PagingError(f"the path names no calendar period ({exc})") from None
    if WINDOW_DAY in values:
        end = start + timedelta(days=1)
    elif WINDOW_MONTH in values:
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    else:
        end = datetime(year + 1, 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


@dataclass(frozen=True)
class TimeFilter:
    """Server-side filtering by the incremental start/end params the plan sends, or by the
    calendar period the request's path names (``period_in_path``: the path template carries
    ``{window.year}``, ``path_period``)."""

    incremental: IncrementalPlan
    numeric: bool
    period_in_path: bool = False

    def bounds(self, incoming: Incoming) -> tuple[float | None, float | None]:
        inc = self.incremental
        return self._read(inc.start_param, incoming), self._read(inc.end_param, incoming)

    def span(
        self, rows: Rows, incoming: Incoming, path_values: Mapping[str, str]
    ) -> tuple[int, int]:
        """The rows (``start``, ``stop``) whose cursor lies between the request's start and end
        values: a contiguous run, since the cursor increases with the row."""
        inc = self.incremental
        if self.period_in_path:
            period = path_period(path_values)
            if period is None:
                return 0, len(rows)
            start = rows.position(period[0], after=False)
            return start, max(start, rows.position(period[1], after=False))
        low, high = self.bounds(incoming)
        start = 0 if low is None else rows.position(low, after=inc.range_start == "open")
        # dlt's end_value is exclusive unless range_end says "closed"
        stop = len(rows) if high is None else rows.position(high, after=inc.range_end == "closed")
        return start, max(start, stop)

    def _read(self, param: Any, incoming: Incoming) -> float | None:
        if param is None:
            return None
        if param.inject_into == "header":
            raw = incoming.headers.get(param.name)
        elif param.inject_into == "body_json":
            raw = field_value(incoming.body, param.name)
        else:
            raw = incoming.query.get(param.name)
        if raw in (None, ""):
            return None
        try:
            if self.numeric:
                value = float(raw)
                return None if math.isnan(value) else value  # a NaN bound excludes nothing
            return parse_datetime_value(raw, self.incremental.datetime_format).timestamp()
        except (TypeError, ValueError) as exc:
            raise PagingError(f"'{param.name}' is not a valid cursor value ({exc})") from None


@dataclass(frozen=True)
class Endpoint:
    resource: ResourcePlan
    template: str  # the full path template, prefix included: the counters' key
    relative: str  # the path as the config writes it
    path: Template
    pager: Pager
    placement: Placement
    stop_rule: StopRule
    credential: Credential | None
    bindings: Sequence[str] = ()  # parent placeholders, in ParentLink order
    sources: Mapping[str, BindingSource] = field(default_factory=dict)  # placeholder -> non-path
    time_filter: TimeFilter | None = None

    def sent(self, query: Mapping[str, str], body: Any) -> bool:
        """Whether a request sends this resource's literal parameters and JSON body fields
        (those without a ``{placeholder}``), and sends at least one."""
        sent = sent_texts(self.resource, headers=False)
        literal = [(w, k, t) for w, k, t in sent if "{" not in t]

        def value(where: str, key: str) -> Any:
            return query.get(key) if where == "query" else field_value(body, key)

        return bool(literal) and all(str(value(w, k)) == t for w, k, t in literal)

    def respond(
        self, incoming: Incoming, path_values: Mapping[str, str], store: Store, cursor_style: str
    ) -> Outgoing:
        if self.credential is not None and not self.credential.accepts(
            incoming.headers, incoming.query, incoming.cookies
        ):
            return error(401, "unauthorized")
        try:
            return self._page(incoming, path_values, store, cursor_style)
        except PagingError as exc:
            return error(400, str(exc))

    def _page(
        self, incoming: Incoming, path_values: Mapping[str, str], store: Store, cursor_style: str
    ) -> Outgoing:
        name = self.resource.name
        parent_key = None
        if self.bindings:
            values = dict(path_values)
            for placeholder, source in self.sources.items():
                raw = source.read(incoming)
                found = source.template.match(raw) if raw is not None else None
                if found is None or placeholder not in found:
                    return error(400, f"missing {source.where} value '{source.key}'")
                values[placeholder] = found[placeholder]
            parent_key = tuple(values[p] for p in self.bindings)
        rows = store.page_source(name, parent_key)
        if rows is None:
            if any(p not in self.sources for p in self.bindings):
                return error(404, "not found")
            rows = Rows([], None, 0, None)  # a filter by an unknown parent value matches nothing
        start, stop = 0, len(rows)
        if self.time_filter is not None and stop:
            start, stop = self.time_filter.span(rows, incoming, path_values)
        in_query = self.credential is not None and self.credential.location == "query"
        hidden = frozenset([self.credential.name] if in_query and self.credential else [])
        low = start

        def find(path: str, value: str) -> int | None:
            found = rows.find(path, value, low, stop)
            return None if found is None else found - low

        request = PageRequest(
            incoming.url, incoming.query, incoming.body, hidden, cursor_style, find
        )
        page = self.pager.page(request, stop - start)
        fields = {**page.fields, **self.stop_rule.fields(page)}
        window = start + page.start, start + page.stop
        # records go out as the JSON they are stored as, unless fields must merge into one
        records: list[Any]
        if self.placement.one_object or page.last_record:
            records = rows.decoded(*window)
            if records and page.last_record:
                records[-1] = with_fields(records[-1], page.last_record)
        else:
            records = rows.fragments(*window)
        return Outgoing(200, self.placement.body(records, fields), page.headers)


class Router:
    """Finds the endpoint for a request: literal paths win over templated ones."""

    def __init__(self, endpoints: Sequence[Endpoint], tokens: Sequence[Issuer]) -> None:
        self._endpoints = sorted(
            endpoints, key=lambda e: (len(e.path.names), -len(e.template), e.template)
        )
        self._tokens = {t.path.rstrip("/") or "/": t for t in tokens}
        routes = [(e.resource.method.upper(), e.template) for e in self._endpoints]
        self._shared = len(set(routes)) < len(routes)

    def token_endpoint(self, path: str) -> Issuer | None:
        return self._tokens.get(path.rstrip("/") or "/")

    @property
    def shared(self) -> bool:
        """Whether two endpoints share a method and path (told apart by what they are sent)."""
        return self._shared

    def match(
        self, method: str, path: str, query: Mapping[str, str] | None = None, body: Any = None
    ) -> tuple[Endpoint, dict[str, str]] | str | None:
        """The endpoint and its path values; ``"method"`` when only the method differs. Of
        endpoints at one method and path (an RPC-style API's ``POST /`` with ``{"Function":
        "GetContacts"}``), the one whose literal parameters and body fields the request sends."""
        wrong_method = False
        found: list[tuple[Endpoint, dict[str, str]]] = []
        for endpoint in self._endpoints:
            values = endpoint.path.match(path)
            if values is None or (found and endpoint.template != found[0][0].template):
                continue
            if endpoint.resource.method.upper() != method.upper():
                wrong_method = True
                continue
            found.append((endpoint, values))
        if not found:
            return "method" if wrong_method else None
        if len(found) > 1:
            for endpoint, values in found:
                if endpoint.sent(query or {}, body):
                    return endpoint, values
        return found[0]


def sent_texts(resource: ResourcePlan, *, headers: bool) -> list[tuple[str, str, str]]:
    """(where, key, text) of the resource's parameters, headers (if asked) and JSON body texts
    (dotted keys): where a template or a literal a route is told apart by can stand."""
    out = [("query", str(k), v) for k, v in resource.params.items() if isinstance(v, str)]
    if headers:
        out += [("header", str(k), v) for k, v in resource.headers.items() if isinstance(v, str)]

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str):
            out.append(("json", path, value))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))

    walk(resource.json_body, "")
    return out
