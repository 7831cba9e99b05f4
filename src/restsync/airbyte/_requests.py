"""A manifest stream's requests: HttpRequester templates plus a DefaultPaginator, as a traversal.

Airbyte renders the whole request again for every page (path, parameters, headers and body may
all read ``next_page_token``), so this traversal builds each request from the templates and the
chain's slice (the parent record the engine hands it) rather than patching the previous one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

from pydantic import SecretStr

from restsync._engine._paginate import PagingError, Traversal, register_traversal
from restsync._engine._request import Page, Request, header, split_url
from restsync._errors import ExtractionError
from restsync._plan._credentials import header_secrets, param_secrets
from restsync.airbyte._jinja import Interpolator, Slice, TemplateError

__all__ = [
    "truthy",
    "RESET_HEADER",
    "SAVED_COUNT",
    "CursorStrategy",
    "FeedStop",
    "OffsetStrategy",
    "PageStrategy",
    "RequestOption",
    "StreamRequests",
    "link_headers",
    "url_on",
]


@dataclass(frozen=True)
class RequestOption:
    """Where a value goes: ``request_parameter``, ``header``, ``body_json``, ``body_data`` (a
    form field) or ``path``."""

    inject_into: str
    field_name: str = ""
    field_path: tuple[str, ...] = ()

    def inject(self, parts: dict[str, Any], value: Any) -> None:
        if self.inject_into == "body_json" and self.field_path:
            node = parts["body_json"]
            for key in self.field_path[:-1]:
                node = node.setdefault(key, {})
            node[self.field_path[-1]] = value
            return
        target = {
            "request_parameter": "params",
            "header": "headers",
            "body_data": "body_data",
        }.get(self.inject_into, "body_json")
        if not isinstance(parts[target], dict):  # a raw-text body: airbyte-cdk cannot add to it
            raise ValueError(f"cannot add the form field {self.field_name!r} to a text body")
        parts[target][self.field_name] = value


@dataclass(frozen=True)
class CursorStrategy:
    cursor_value: str
    stop_condition: str | None = None
    page_size: int | None = None
    initial: Any = None
    where: str = ""  # the strategy's config path, named when one of its templates fails

    def next_token(self, ai: Interpolator, page: Page, last_token: Any) -> Any:
        scope = _page_scope(page)
        try:
            if self.stop_condition is not None and truthy(ai.eval(self.stop_condition, **scope)):
                return None
            token = ai.string(self.cursor_value, **scope)
        except TemplateError as exc:
            raise TemplateError(f"{self.where}: {exc}") from exc
        return token if token else None


@dataclass(frozen=True)
class OffsetStrategy:
    page_size: int | None = None
    inject_on_first_request: bool = False

    @property
    def initial(self) -> Any:
        return 0 if self.inject_on_first_request else None

    def next_token(self, ai: Interpolator, page: Page, last_token: Any) -> Any:
        size = len(page.records)
        if (self.page_size and size < self.page_size) or size == 0:
            return None
        return (last_token or 0) + size


@dataclass(frozen=True)
class PageStrategy:
    page_size: int | None = None
    start_from_page: int = 0
    inject_on_first_request: bool = False

    @property
    def initial(self) -> Any:
        return self.start_from_page if self.inject_on_first_request else None

    def next_token(self, ai: Interpolator, page: Page, last_token: Any) -> Any:
        size = len(page.records)
        if (self.page_size and size < self.page_size) or size == 0:
            return None
        return self.start_from_page + 1 if last_token is None else last_token + 1


Strategy = CursorStrategy | OffsetStrategy | PageStrategy


@dataclass(frozen=True)
class FeedStop:
    """``is_data_feed``: a page whose last record lies outside the slice's window is the last
    page (the API returns newest first, so everything after it is older still)."""

    cursor_field: str
    formats: tuple[str, ...]
    start_key: str
    end_key: str

    def reached(self, record: Any, stream_slice: Mapping[str, Any]) -> bool:
        if not isinstance(record, Mapping) or record.get(self.cursor_field) is None:
            return False
        value = self._parse(record[self.cursor_field])
        low, high = (
            self._parse(stream_slice.get(self.start_key)),
            self._parse(stream_slice.get(self.end_key)),
        )
        if value is None:
            return False
        return (low is not None and value < low) or (high is not None and value > high)

    def _parse(self, value: Any) -> Any:
        from restsync.airbyte._dates import parse_first_format

        return parse_first_format(value, self.formats)


@dataclass(frozen=True)
class StreamRequests:
    """Everything needed to build a stream's requests; the engine's ``paginator`` for it."""

    stream: str
    interpolator: Interpolator
    url_base: str  # as rendered with the config: replaced by the plan's base_url when overridden
    path: Any = None
    url: Any = None
    # with --base-url: the origin a ``url`` (a whole address, no url_base) moves to, its path
    # kept, as an OAuth token endpoint moves
    url_origin: str = ""
    # with --base-url: what replaces ``url_base`` (without one, each stream keeps its own)
    base_override: str = ""
    method: str = "GET"
    params: Any = None
    headers: Any = None
    body_json: Any = None
    body_data: Any = None  # request_body_data: form fields (a mapping) or a text body
    strategy: Strategy | None = None
    page_token_option: RequestOption | None = None  # inject_into "path": RequestPath
    page_size_option: RequestOption | None = None
    # (option, slice key): partition and time values sent with every request of a slice
    slice_options: tuple[tuple[RequestOption, str], ...] = ()
    # ignore_stream_slicer_parameters_on_paginated_requests: slice options on the first page only
    skip_slice_options_when_paging: bool = False
    feed_stop: FeedStop | None = None
    # an IncrementingCountCursor's start_value_option and start_value: every request carries
    # the start, or the saved cursor the engine hands the first request (SAVED_COUNT)
    count_start: tuple[RequestOption, int] | None = None
    # an API key sent as a form field of every request (ApiKeyAuthenticator into body_data)
    form_key: tuple[str, SecretStr] | None = field(default=None, repr=False)
    type: str = "airbyte"
    notes: tuple[str, ...] = field(default=(), compare=False)

    def secret_values(self, base_url: str) -> list[str]:
        """The credentials among the stream's request headers and parameters, rendered with
        the config, by the rule a dlt config's are (``_plan/_credentials.py``): a key from
        ``config[...]`` in ``request_headers`` is masked wherever restsync prints. A value that
        needs a slice or a page token to render is left out (it is no configured secret)."""
        scope: dict[str, Any] = {"stream_slice": Slice(), "next_page_token": None}
        rendered: dict[str, dict[str, Any]] = {"headers": {}, "params": {}}
        for kind, templates in (("headers", self.headers), ("params", self.params)):
            for name, template in _as_dict(templates).items():
                try:
                    value = self.interpolator.mapping({name: template}, (str,), **scope)
                except Exception:  # a value that needs a slice or page token: no config secret
                    continue
                rendered[kind].update(_as_dict(value))
        keys = [self.form_key[1].get_secret_value()] if self.form_key else []
        return [
            *header_secrets(rendered["headers"], base_url),
            *param_secrets(rendered["params"]),
            *(k for k in keys if k),
        ]

    def describe(self) -> dict[str, Any]:
        """What ``restsync plan`` shows for this paginator."""
        shown: dict[str, Any] = {"type": "airbyte", "method": self.method}
        for key in ("url", "path", "params", "headers", "body_json", "body_data"):
            if getattr(self, key):
                shown[key] = getattr(self, key)
        if self.strategy is not None:
            shown["pagination"] = type(self.strategy).__name__.replace("Strategy", "")
        return shown


class ManifestTraversal(Traversal[StreamRequests]):
    def __init__(self, config: StreamRequests, stop_condition: Any) -> None:
        super().__init__(config, stop_condition)
        self.spec: StreamRequests = config
        self._token: Any = None
        self._count: int | None = None
        self._origin: Request | None = None
        self._resets = 0

    def next(self, request: Request, page: Page) -> Request | None:
        if header(page.headers, RESET_HEADER) is None or self._origin is None:
            return super().next(request, page)
        # a response filter's RESET_PAGINATION: airbyte-cdk starts the slice's pages again from
        # the first (the records read so far stay read), and fails the stream at the second
        # reset of one slice (its PaginationTracker without a cursor allows one)
        self._resets += 1
        if self._resets > 1:
            raise PagingError(
                "the error handler reset the pagination a second time (RESET_PAGINATION); "
                "airbyte-cdk fails the stream there too"
            )
        self._seen.clear()
        return self.first(self._origin)

    def first(self, request: Request) -> Request:
        self._origin = request
        strategy = self.spec.strategy
        self._token = strategy.initial if strategy is not None else None
        if self.spec.count_start is not None:
            saved = dict(request.params).get(SAVED_COUNT)
            start = self.spec.count_start[1]
            self._count = start if saved is None else max(start, _as_int(saved, start))
        return self._build(self._token)

    def rebuild(self) -> Request:
        """The current page's request, built again for the traversal's ``parent`` now (a
        QueryProperties chain sends each page once per chunk of properties, _query.py)."""
        return self._build(self._token)

    def _advance(self, request: Request, page: Page) -> Request | None:
        strategy = self.spec.strategy
        if strategy is None:
            return None
        feed = self.spec.feed_stop
        if feed is not None and page.records and feed.reached(page.records[-1], self._slice()):
            return None
        token = strategy.next_token(self._ai(self._token), page, self._token)
        if token is None:
            return None
        self._token = token
        return self._build(token)

    def _ai(self, token: Any) -> Interpolator:
        return self.spec.interpolator

    def _slice(self) -> Slice:
        parent = self.parent
        if isinstance(parent, Slice):
            return parent
        return Slice(parent if isinstance(parent, Mapping) else {})

    def _build(self, token: Any) -> Request:
        spec = self.spec
        ai = spec.interpolator
        stream_slice = self._slice()
        next_page_token = {"next_page_token": token} if token is not None else None
        scope: dict[str, Any] = {"stream_slice": stream_slice, "next_page_token": next_page_token}
        parts: dict[str, Any] = {
            "params": _as_dict(ai.mapping(spec.params or {}, (str, list), **scope)),
            "headers": _as_dict(ai.mapping(spec.headers or {}, **scope)),
            "body_json": ai.mapping(spec.body_json, **scope) if spec.body_json else None,
            "body_data": _form(ai, spec.body_data, scope),
        }
        if parts["body_json"] is None:
            parts["body_json"] = {}
        if spec.form_key is not None and isinstance(parts["body_data"], dict):
            # airbyte-cdk adds the authenticator's field to the request's own form fields
            parts["body_data"][spec.form_key[0]] = spec.form_key[1].get_secret_value()
        if spec.count_start is not None and self._count is not None:
            spec.count_start[0].inject(parts, self._count)
        paging = token is not None and spec.skip_slice_options_when_paging
        for option, key in () if paging else spec.slice_options:
            if key in stream_slice and stream_slice[key] is not None:
                option.inject(parts, stream_slice[key])
        page_option = spec.page_token_option
        if token is not None and page_option is not None and page_option.inject_into == "path":
            # the token replaces the path: a full URL, or a path under url_base (Airbyte's join)
            url = self._url(ai, scope, path=str(token))
        else:
            url = self._url(ai, scope)
            if token is not None and page_option is not None:
                page_option.inject(parts, token)
        size = spec.strategy.page_size if spec.strategy is not None else None
        if spec.page_size_option is not None and size:
            spec.page_size_option.inject(parts, size)
        base, query = split_url(url)
        params = query + [
            (k, _text(item))
            for k, v in parts["params"].items()
            if v is not None
            for item in (v if isinstance(v, list) else [v])
        ]
        headers = {k: _text(v) for k, v in parts["headers"].items()}
        body = parts["body_json"] or None
        return Request(spec.method, base, tuple(params), headers, body, parts["body_data"] or None)

    def _url(self, ai: Interpolator, scope: dict[str, Any], path: str | None = None) -> str:
        spec = self.spec
        base = ai.text(spec.url_base, **scope) if spec.url_base else ""
        written = path is None  # the manifest's path, not a next-page token's
        if path is None:
            path = ai.text(spec.path, **scope).lstrip("/") if spec.path else ""
        default = spec.url_base.rstrip("/") if spec.url_base else ""
        # only a base URL the user gave replaces url_base: the plan's own base is the first
        # stream's, and a manifest may have several (shortio's two APIs on two hosts)
        override = spec.base_override.rstrip("/")
        if base and override and override != default and base.startswith(default):
            # before the join: urljoin rewrites a base such as 'https://h//api' ('//' collapsed)
            base = override + base[len(default) :]
            moved = _ORIGIN.match(override)
            if written and moved and _ORIGIN.match(path):
                # a whole address as the path (pennylane's plan_items) moves with the base, its
                # path kept: the join would leave it on the real API, credentials and all
                return _ORIGIN.sub(moved.group(0), path, count=1)
        if base:
            return urljoin(base if base.endswith("/") or not path else base + "/", path)
        full = ai.text(spec.url, **scope)
        if spec.url_origin:
            full = _ORIGIN.sub(spec.url_origin, full, count=1)
        if path:
            full = urljoin(full if full.endswith("/") else full + "/", path)
        return full


_ORIGIN = re.compile(r"^https?://[^/?#]+")


def page_cap_error(stream: str, max_pages: int) -> ExtractionError:
    """The failure of a manifest chain that still has a next page after ``max_pages`` pages
    (one sentence for every chain: plain, property-chunked and lazy-child)."""
    return ExtractionError(
        stream,
        f"paging reached max_pages ({max_pages:,}) and the API still offers a next page",
    )


def url_on(resources: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The resources with each stream's ``url_base`` replaced by ``base_url``, and each ``url``
    (a requester without ``url_base``) moved to ``base_url``'s origin, its path kept: a whole
    address must not escape it either (outlook's Graph URLs would reach the real API). Every
    stream is then on ``base_url``'s origin, and its credentials go there."""
    found = _ORIGIN.match(base_url)
    origin = found.group(0) if found else base_url.rstrip("/")
    moved: dict[str, Any] = {}
    for name, resource in resources.items():
        requests = resource.paginator
        if isinstance(requests, StreamRequests) and requests.url and not requests.url_base:
            resource = replace(resource, paginator=replace(requests, url_origin=origin))
        elif isinstance(requests, StreamRequests):
            resource = replace(resource, paginator=replace(requests, base_override=base_url))
        chain: Any = resource.produce
        if chain is not None and getattr(chain, "requests", None) is requests:
            # a chain that reads its pages with the stream's own requests (_lazy.py, _query.py)
            # moves with them: its credentials must not reach the real API either
            resource = replace(resource, produce=replace(chain, requests=resource.paginator))
        moved[name] = replace(resource, base_url="")
    return moved


# the request parameter in which the engine hands an IncrementingCountCursor's saved value to
# the first request of its stream (never sent: the traversal builds its own requests)
SAVED_COUNT = "_restsync_saved_count"
# the header the error handler puts on a response whose filter says RESET_PAGINATION (the
# response itself becomes an empty success): its records are none, and its chain starts again
RESET_HEADER = "X-Restsync-Reset-Pagination"


def _as_int(value: Any, default: int) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        return default


def _form(ai: Interpolator, template: Any, scope: dict[str, Any]) -> Any:
    """``request_body_data`` rendered: form fields (``None`` dropped), or a text body sent as
    it is. As in airbyte-cdk, a text is read back as a literal first: one that reads as a
    mapping is form fields, one that reads as a list or a number is no body at all."""
    if isinstance(template, Mapping):  # values read back as request parameters are
        return _as_dict(ai.mapping(template, (str, list), **scope))
    if not template:
        return {}
    rendered = ai.eval(template, "", **scope)
    if isinstance(rendered, Mapping):
        return {k: v for k, v in rendered.items() if v is not None}
    return rendered if isinstance(rendered, str) else {}


register_traversal(StreamRequests, ManifestTraversal)


def link_headers(headers: Mapping[str, str]) -> dict[str, Any]:
    """Response headers as templates see them: ``headers['link']['next']['url']`` works, and
    so does every other parameter of a link (Sentry's ``headers['link']['next']['cursor']``
    and ``['results']``), as airbyte-cdk's templates see ``requests``' ``response.links``."""
    shown: dict[str, Any] = dict(headers)
    raw = next((v for k, v in headers.items() if k.lower() == "link"), "")
    shown["link"] = _links(raw)
    return shown


_QUOTES = " '\""


def _links(value: str) -> dict[str, dict[str, str]]:
    """A Link header as ``requests`` reads it: each link keyed by its whole ``rel`` (or its
    URL), with its URL and every ``key=value`` parameter up to the first that is not one."""
    links: dict[str, dict[str, str]] = {}
    value = value.strip(_QUOTES)
    for part in re.split(", *<", value) if value else ():
        address, _, params = part.partition(";")
        link = {"url": address.strip("<>" + _QUOTES)}
        for param in params.split(";"):
            pieces = param.split("=")
            if len(pieces) != 2:
                break
            link[pieces[0].strip(_QUOTES)] = pieces[1].strip(_QUOTES)
        links[link.get("rel") or link["url"]] = link
    return links


def _page_scope(page: Page) -> dict[str, Any]:
    return {
        "response": page.body if page.body is not None else {},
        "headers": link_headers(page.headers),
        "last_record": page.records[-1] if page.records else None,
        "last_page_size": len(page.records),
    }


_FALSE = ("False", "false", "{}", "[]", "()", "", "0", "0.0")


def truthy(value: Any) -> bool:
    """A rendered condition as airbyte-cdk reads it: a text is false when it is one of
    ``_FALSE`` (the simulator reads its served stop conditions the same way)."""
    if isinstance(value, str):
        return value not in _FALSE
    return bool(value)


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return str(value)  # as Airbyte's HTTP client sends it: True is "True"
