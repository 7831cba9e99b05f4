"""The resolved plan: one immutable object that the engine, the load bridge and the simulator share.

Everything ambiguous in a config is decided here, once, and recorded with the reason
(``ResourcePlan.notes``) so ``restsync plan`` can show users what restsync will do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from restsync._expressions import Condition
from restsync._plan._credentials import header_secrets, param_secrets
from restsync._plan._paging import PagingPlan
from restsync._plan._strategies import AuthPlan, RateBudget
from restsync._selectors import compile_path

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_RETRY",
    "IncrementalPlan",
    "ParentLink",
    "ResourcePlan",
    "RetryPolicy",
    "SourcePlan",
    "TimeParam",
]

# 256 MiB: far above any page an API means to send, low enough that a few concurrent ones fit in
# memory; a server streaming gigabytes fails its resource instead of exhausting the machine
DEFAULT_MAX_RESPONSE_BYTES = 256 * 2**20


@dataclass(frozen=True)
class RetryPolicy:
    status_codes: frozenset[int]
    max_retries: int
    backoff_factor: float
    max_backoff_seconds: float = 60.0
    # a server's Retry-After is honoured up to this many seconds: one bad header cannot stall a run
    retry_after_cap_seconds: float = 120.0
    # the header that says how many seconds to wait (an Airbyte manifest's WaitTimeFromHeader
    # may name another, shipstation's X-Rate-Limit-Reset)
    wait_header: str = "Retry-After"


# The seeds' stated policy: 429 and 5xx gateway errors, three retries, factor 2.
DEFAULT_RETRY = RetryPolicy(frozenset({429, 500, 502, 503, 504}), max_retries=3, backoff_factor=2.0)


@dataclass(frozen=True)
class ParentLink:
    """How a child's requests are built from each record of its parent."""

    resource: str
    # placeholder name in the child's templates -> field path in the parent record
    bindings: Mapping[str, str]
    # parent fields copied into each child row, as ``_<parent>_<field>``
    include: tuple[str, ...]
    implied: bool = False
    # other resources whose records, gathered in full, the child is fetched for in every
    # combination with each record of ``resource`` (a cartesian product, e.g. an Airbyte stream
    # with two SubstreamPartitionRouters); the child then gets ``(record, *others)`` as its
    # parent record
    product: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimeParam:
    name: str
    inject_into: Literal["request_parameter", "header", "body_json"] = "request_parameter"


@dataclass(frozen=True)
class IncrementalPlan:
    cursor_path: str
    initial_value: Any
    end_value: Any = None
    # "max", "min", or a function that picks the latest of a sequence of cursor values (for
    # values whose text order is not their time order, e.g. "%d-%m-%Y" dates)
    last_value_func: Literal["max", "min"] | Callable[[Any], Any] = "max"
    row_order: Literal["asc", "desc"] | None = None
    on_cursor_value_missing: Literal["raise", "include", "exclude"] = "raise"
    # datetime cursors (incremental_sync): values are parsed, compared and stored as datetimes
    datetime_format: str | None = None
    parse_datetimes: bool = False
    lookback: timedelta | None = None
    lag: int | float | None = None
    start_param: TimeParam | None = None
    end_param: TimeParam | None = None
    convert: Callable[[Any], Any] | None = None
    range_start: Literal["open", "closed"] | None = None
    range_end: Literal["open", "closed"] | None = None

    @cached_property
    def read_cursor(self) -> Callable[[Any], Any]:
        """A record's cursor value; the path (dotted, or a JSONPath such as ``$.updated_at``,
        which dlt takes too) compiled once per plan, not once per page."""
        return compile_path(self.cursor_path)

    def start_from(self, saved: Any) -> Any:
        """The cursor value a chain starts from: the saved value (``initial_value`` on a first
        run) moved back by ``lookback``. The start param and every ``{incremental.*}``
        placeholder see this one value, as dlt's ``start_value`` carries its ``lag``."""
        start = self.initial_value if saved is None else saved
        if start is not None and self.lookback is not None:
            return start - self.lookback
        return start

    def format_value(self, value: Any) -> Any:
        """The form in which a cursor value is sent to the server: through ``convert`` if given
        (as dlt does); the seeds' datetime cursors in their ``datetime_format`` (ISO 8601 if none);
        otherwise as it is."""
        if value is None:
            return None
        if self.convert is not None:
            return self.convert(value)
        if self.parse_datetimes and isinstance(value, datetime):
            if value.tzinfo is not None:
                # formats such as "%Y-%m-%dT%H:%M:%SZ" spell UTC: convert before formatting
                value = value.astimezone(UTC)
            if self.datetime_format:
                return value.strftime(self.datetime_format)
            return value.isoformat()
        return value

    def ends_chain(self, value: Any, start: Any) -> bool:
        """Whether a record's cursor ``value`` lies past the far end of the range on data sorted
        by the cursor (dlt's ``row_order``): beyond ``end_value`` ascending, before the start
        value descending. dlt closes the resource at such a page and asks for no more; so does
        the engine. Compared as dlt compares them, through ``last_value_func``."""
        if value is None or self.parse_datetimes:
            return False
        func = self.last_value_func
        pick = func if callable(func) else (max if func == "max" else min)
        try:
            if self.row_order == "asc" and self.end_value is not None:
                end = self.end_value
                return pick((value, end)) != end or (self.range_end != "closed" and value == end)
            if self.row_order == "desc" and start is not None:
                before = pick((value, start)) == start and value != start
                return before or (self.range_start == "open" and value == start)
        except TypeError:  # values that do not compare: dlt's own step reports them
            return False
        return False


@dataclass(frozen=True)
class ResourcePlan:
    name: str
    config_path: str  # e.g. "resources[3]": where errors point
    method: str
    path: str  # may hold {placeholders} bound by ``parent``
    params: Mapping[str, Any]
    headers: Mapping[str, Any]
    json_body: Any
    paginator: PagingPlan
    data_selector: str | None
    stop_condition: Condition | None
    auth: AuthPlan | None
    retry: RetryPolicy
    primary_key: tuple[str, ...]
    write_disposition: Any
    table_name: str | Callable[[Any], str]  # a function: the table of each record (dlt's)
    hints: Mapping[str, Any]  # further dlt table hints (columns, merge_key, ...)
    parent: ParentLink | None = None
    incremental: IncrementalPlan | None = None
    processing_steps: tuple[Mapping[str, Any], ...] = ()
    response_actions: tuple[Any, ...] = ()
    max_concurrency: int | None = None
    prefetch_pages: int | None = None  # None: the source's
    # fetch ahead without a known total (a guess that can cost requests past the end)
    speculate: bool = True
    page_format: str = "arrow"  # "dicts": pages reach dlt as lists of dicts
    max_pages: int = 100_000  # per chain of pages: a runaway paginator fails the resource
    selected: bool = True
    notes: tuple[str, ...] = ()
    # Records computed rather than fetched (partitions, time slices): called once per parent
    # record (None for a root) with the run's start values by resource; no request is sent.
    compute: Callable[[Any, Mapping[str, Any]], list[Any]] | None = None
    # A computed record's identity: one whose key a record computed for an earlier parent
    # record had in this run is dropped (Airbyte reads a partition once per sync, however many
    # parent records name it; the records of one call may share a key: its time windows).
    compute_key: Callable[[Any], Hashable] | None = None
    # Records a resource gets by its own exchange of requests (an Airbyte AsyncRetriever's
    # report jobs: create, poll, download): called once per parent record (None for a root)
    # with a fetch (a Request -> the engine's Response, retried and under the origin rule) and
    # the engine's sleep; yields the records page by page. The paginator is then not used.
    produce: Callable[[Any, Any, Any], AsyncIterator[list[Any]]] | None = None
    # Steps run once per run before the resource's first request (an Airbyte stream's schema
    # or property list, read from the API): each called in order with the resource, a fetch
    # (as ``produce``'s) and the engine's sleep, it returns the resource the chains then run as
    # (``_engine/_before.py``). Its requests count as the resource's; its failure is the
    # resource's.
    before: tuple[Callable[[Any, Any, Any], Awaitable[Any]], ...] = ()
    # Record selection beyond a data_selector: (body, headers, parent record) -> records.
    select: Callable[[Any, Mapping[str, str], Any], list[Any]] | None = None
    # A body that is not JSON (an Airbyte decoder's XML, CSV, gzip...): (raw body, headers) ->
    # the page. It raises ValueError with one sentence for a body it cannot decode. None: JSON.
    decode: Callable[[bytes, Mapping[str, str]], Any] | None = None
    # the simulator's side of ``decode``: a page's JSON value -> (body, Content-Type) in the
    # format the resource reads (XML, CSV, JSON lines, gzip, zip). None: served as JSON
    encode_body: Callable[[Any], tuple[bytes, str]] | None = None
    # dlt's endpoint ``data``: form fields (a dict or pairs) or a raw body (str/bytes)
    form_body: Any = None
    # the resource's own base URL, where its config declares one (an Airbyte stream's url_base
    # or whole url); "" for the source's. Its origin is the only one the resource's
    # credentials go to (``_engine/_origin.py``)
    base_url: str = ""

    def column_hints(self) -> dict[str, Mapping[str, Any]]:
        """The ``columns`` hints by column name, from either of dlt's forms: a dict by name, or
        a list of dicts that carry a ``name``."""
        columns = self.hints.get("columns")
        if isinstance(columns, Mapping):
            return {str(k): v if isinstance(v, Mapping) else {} for k, v in columns.items()}
        if isinstance(columns, list):
            return {c["name"]: c for c in columns if isinstance(c, Mapping) and "name" in c}
        return {}

    def required_columns(self) -> tuple[str, ...]:
        """Columns hinted ``nullable: False`` outside the primary key: a record without one is
        rejected (the key is checked on its own)."""
        return tuple(
            name
            for name, hint in self.column_hints().items()
            if hint.get("nullable") is False and name not in self.primary_key
        )


@dataclass(frozen=True)
class SourcePlan:
    name: str
    base_url: str
    headers: Mapping[str, Any]
    auth: AuthPlan | None
    resources: Mapping[str, ResourcePlan]
    max_concurrency: int = 16
    prefetch_pages: int = 4
    rate_limit: RateBudget | None = None
    timeout_seconds: float = 60.0
    # the requests of a whole run end by then: a resource still fetching fails (None: no bound)
    max_run_seconds: float | None = None
    verify_tls: bool = True
    # most bytes one response body may have (decompressed): a bigger one fails its resource
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    extras: Mapping[str, Any] = field(default_factory=dict)

    def secret_values(self) -> tuple[str, ...]:
        """The plan's credentials, never to be shown: what each auth answers, the configured
        headers that are credentials and the values of secret-named query parameters
        (``_credentials``), of the source and of every resource."""
        values = list(header_secrets(self.headers, self.base_url))
        for auth in (self.auth, *(r.auth for r in self.senders())):
            if auth is not None:
                values += auth.secret_values()
        for resource in self.senders():
            values += header_secrets(resource.headers, resource.base_url or self.base_url)
            values += param_secrets(resource.params)
            # a paginator that builds the requests itself (an Airbyte stream's) knows its own
            own = getattr(resource.paginator, "secret_values", None)
            if callable(own):
                values += own(resource.base_url or self.base_url)
        return tuple(dict.fromkeys(v for v in values if v))

    def senders(self) -> list[ResourcePlan]:
        """Every resource that requests are sent as: the plan's resources, and those a resource
        that runs its own requests names (``produce.senders``: a report job's polling,
        download, abort and delete requesters, each with its own auth, origin and retries)."""
        found = list(self.resources.values())
        for resource in self.resources.values():
            found += getattr(resource.produce, "senders", {}).values()
        return found

    def children(self, name: str) -> list[ResourcePlan]:
        return [r for r in self.resources.values() if r.parent and r.parent.resource == name]

    def roots(self) -> list[ResourcePlan]:
        return [r for r in self.resources.values() if r.parent is None]

    def lineage(self, name: str) -> Iterator[ResourcePlan]:
        """The resource and its ancestors, nearest first."""
        current: ResourcePlan | None = self.resources[name]
        while current is not None:
            yield current
            current = self.resources[current.parent.resource] if current.parent else None

    def needs(self, name: str) -> set[str]:
        """The resources a run of ``name`` needs: its lineage, and for a child fetched over a
        product of parents, every one of those parents' lineages too."""
        needed: set[str] = set()
        pending = [name]
        while pending:
            for resource in self.lineage(pending.pop()):
                if resource.name not in needed:
                    needed.add(resource.name)
                    pending.extend(resource.parent.product if resource.parent else ())
        return needed
