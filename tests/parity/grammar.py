"""A grammar of plain dlt ``rest_api`` configs for the fake API (hypothesis strategies).

``generated_cases()`` draws one :class:`~tests.parity.harness.Case`: one to eight resources whose
shapes combine the axes dlt documents — paginators (given, as a string, or auto-detected),
data selectors (given or detected), params with placeholders, children by resolve param or
``{resources.x.field}`` placeholder (in the path, the query or a POST's JSON body) with
``include_from_parent``, paged children with response actions, processing steps, incremental
cursors (as a param, as an endpoint block, in placeholders in the query or a JSON body;
``end_value``/``end_param``, ``range_start``/``range_end`` open or closed, ``lag``,
``row_order``, ``on_cursor_value_missing`` on events without a cursor value), write
dispositions (dicts with merge strategies too, ``scd2`` among them) with primary keys (compound
too) and merge keys, ``columns`` hints and ``table_name``, response actions (dicts and
functions), auth (OAuth2 client credentials among them) on the client or an endpoint, on a
parent and its child (inherited, or the child's own), POST searches paged in the JSON body,
nested lists (child tables), ``parallelized``, unselected parents, default paginators and a
selection of resources. Every config drawn is one dlt runs.

Some shapes are left out on purpose, each because of a row of docs/dlt-differences.md:

* offset/page-number paging without a total, and a failing resource, do not compare requests
  ("requests the API sees with offset or page-number paging and no known total"; "a failed
  resource": dlt stops at the first failure, restsync finishes the others);
* offset or page-number paging is given a total or ``has_more_path`` whenever the response has
  no ``total`` ("offset or page-number paging without ``total_path``");
* an incremental cursor is never put on a child ("incremental cursor on a **child** resource");
* ``row_order: desc`` does not compare requests ("``row_order: desc``, second run");
* a data selector always names a key the body has, and bodies are records ("a ``data_selector``
  path absent from a non-empty body", "a response body that is a bare JSON string");
* merge keys are unique within a run ("rows with the same primary key twice in one run");
* a failing resource answers 4xx, never 5xx ("retries": the policies differ, and dlt's waits are
  long);
* a cursor's endpoint always has ``params`` of its own, if empty ("an endpoint ``incremental``
  with ``start_param`` ... and ``resource_defaults`` with endpoint ``params``");
* OAuth2 token requests are compared by round, restsync's no more than dlt's ("OAuth2 client
  credentials on several resources": dlt asks for a token per resource).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.parity.fake_api import API_KEY, BASIC, CLIENT, TOKEN
from tests.parity.harness import Case

# --- builtin callables for processing steps -----------------------------------------------------


def keep_even_ids(record: dict[str, Any]) -> bool:
    return record["id"] % 2 == 0


def keep_first_ten(record: dict[str, Any]) -> bool:
    return record["id"] <= 10


def drop_third_ones(record: dict[str, Any]) -> bool:
    return record["id"] % 3 != 0


def shout_title(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "title": str(record.get("title", "")).upper()}


def add_score(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "score": record["id"] * 1.5}


def without_author(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "author"}


FILTERS = (keep_even_ids, keep_first_ten, drop_third_ones)
MAPS = (shout_title, add_score, without_author)


def skip_post_3_pages(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A response action function: a page with "Post 3" in it is ignored (dlt's exception)."""
    from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException

    if '"Post 3"' in response.text:
        raise IgnoreResponseException
    return response


def stamp_status(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A response action function that rewrites the body (dlt's documented ``_content``)."""
    import json

    body = response.json()
    rows = body.get("data") if isinstance(body, dict) else body
    if isinstance(rows, list):
        for row in rows:
            if isinstance(row, dict):
                row["seen"] = response.status_code
    response._content = json.dumps(body).encode("utf-8")
    return response


ACTIONS = (
    [{"status_code": 200, "content": '"Post 3"', "action": "ignore"}],
    [skip_post_3_pages],
    [{"status_code": 200, "action": skip_post_3_pages}],
    [{"status_code": 200, "action": stamp_status}],
)

# --- paging: a fake API style, and the dlt paginators that read it ----------------------------

# style -> (paginators for it; ``None`` is dlt's auto-detection; data selectors for it)
SELECTOR_OF: dict[str, tuple[Any, ...]] = {
    "plain": (None, "$"),
    "link": (None, "$"),
    "header_cursor": (None, "$"),
    "next_page": (None, "items", "$.items"),
    "links_next": (None, "results", "$.results"),
}
DATA = (None, "data", "$.data")


def _offset(limit: int, **more: Any) -> dict[str, Any]:
    return {"type": "offset", "limit": limit, **more}


PAGINATORS: dict[str, Callable[[int], tuple[Any, ...]]] = {
    "plain": lambda n: (None, "single_page", {"type": "single_page"}),
    "wrapped": lambda n: (None, "single_page"),
    "link": lambda n: (None, "header_link", {"type": "header_link"}),
    "next_url": lambda n: (
        None,
        "json_link",
        {"type": "json_link", "next_url_path": "next"},
        {"type": "json_link", "next_url_path": "$.next"},
    ),
    "next_page": lambda n: (None, {"type": "json_link", "next_url_path": "next_page"}),
    "links_next": lambda n: (None, {"type": "json_link", "next_url_path": "links.next"}),
    "page": lambda n: (
        None,
        {"type": "page_number", "base_page": 1, "total_path": "total_pages"},
    ),
    "page_total": lambda n: (
        {"type": "page_number", "base_page": 1, "total_path": "total"},
        {"type": "page_number", "base_page": 1, "total_path": "total", "maximum_page": 3},
    ),
    "page_more": lambda n: (
        {"type": "page_number", "base_page": 1, "total_path": None, "has_more_path": "has_more"},
    ),
    "offset": lambda n: (
        _offset(n),
        _offset(n, total_path="total"),
        _offset(n, total_path="total", maximum_offset=3 * n),
    ),
    "offset_nototal": lambda n: (_offset(n, total_path=None),),
    "offset_more": lambda n: (_offset(n, total_path=None, has_more_path="has_more"),),
    "cursor": lambda n: (
        None,
        {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
    ),
    "cursor_meta": lambda n: (
        {"type": "cursor", "cursor_path": "meta.next", "cursor_param": "cursor"},
    ),
    "header_cursor": lambda n: (
        {"type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "cursor"},
    ),
}
# the styles whose paging dlt ends only on an empty page: restsync fetches ahead there
FETCHES_AHEAD = {"offset_nototal", "offset_more", "page_more"}


@st.composite
def paged_endpoint(draw: st.DrawFn, path: str, styles: tuple[str, ...] = tuple(PAGINATORS)) -> Any:
    """An endpoint dict on ``<style>/<path>``, and whether its requests are deterministic."""
    style = draw(st.sampled_from(styles))
    size = draw(st.sampled_from((2, 4, 5, 7)))
    endpoint: dict[str, Any] = {"path": f"{style}/{path}"}
    paginator = draw(st.sampled_from(PAGINATORS[style](size)))
    if paginator is not None:
        endpoint["paginator"] = paginator
    selector = draw(st.sampled_from(SELECTOR_OF.get(style, DATA)))
    if selector is not None:
        endpoint["data_selector"] = selector
    params: dict[str, Any] = {}
    if not style.startswith("offset") and draw(st.booleans()):
        params["per_page"] = size  # the fake API's page size for pages and cursors
    if draw(st.booleans()):
        params["sort"] = draw(st.sampled_from(("asc", "id", "-updated_at")))
    if params:
        endpoint["params"] = params
    # only an offset or page-number paginator may end on an empty page (dlt's auto-detection
    # never picks one for these styles)
    deterministic = style not in FETCHES_AHEAD
    return endpoint, deterministic


@st.composite
def steps(draw: st.DrawFn) -> list[dict[str, Any]]:
    step = st.one_of(
        st.builds(lambda f: {"filter": f}, st.sampled_from(FILTERS)),
        st.builds(lambda m: {"map": m}, st.sampled_from(MAPS)),
    )
    return draw(st.lists(step, max_size=2))


# --- resources --------------------------------------------------------------------------------

START = "2024-01-01T05:00:00Z"
END = "2024-01-01T20:00:00Z"
INCREMENTAL_STYLES = ("wrapped", "next_url", "link", "page", "offset", "cursor")


@dataclass
class Drawn:
    """A resource dict and what the comparison must know about it."""

    resource: dict[str, Any]
    deterministic: bool = True  # the requests dlt sends can be compared
    may_fail: bool = False
    rounds: int = 1


DISPOSITIONS: tuple[Any, ...] = (
    None,
    "append",
    "replace",
    "merge",
    {"disposition": "append"},
    {"disposition": "replace"},
    {"disposition": "merge"},
    {"disposition": "merge", "strategy": "delete-insert"},
    {"disposition": "merge", "strategy": "upsert"},
    # dlt's validity columns: harness.read_tables compares whether _dlt_valid_to is set
    {"disposition": "merge", "strategy": "scd2"},
)


@st.composite
def disposition(
    draw: st.DrawFn, resource: dict[str, Any], compound: tuple[str, ...] | None = None
) -> None:
    choice = draw(st.sampled_from(DISPOSITIONS))
    if choice is not None:
        resource["write_disposition"] = copy.copy(choice)
    merge = choice == "merge" or (isinstance(choice, dict) and choice["disposition"] == "merge")
    if merge or (choice is not None and draw(st.booleans())):
        key: Any = "id"
        if compound and draw(st.booleans()):
            key = list(compound)
        resource["primary_key"] = key
        if merge and choice != {"disposition": "merge", "strategy": "upsert"}:
            if draw(st.integers(0, 3)) == 0:
                resource["merge_key"] = "id"


COLUMN_HINTS: tuple[dict[str, Any], ...] = (
    {"title": {"data_type": "text", "nullable": False}},
    {"id": {"data_type": "bigint"}, "updated_at": {"data_type": "timestamp"}},
    {"user_id": {"data_type": "text"}},
    {"updated_at": {"data_type": "text"}},
    {"extra": {"data_type": "text"}},
    {"id": {"data_type": "bigint", "unique": True}},
)


@st.composite
def table_hints(draw: st.DrawFn, resource: dict[str, Any]) -> None:
    """``columns`` hints and a ``table_name`` of its own."""
    if draw(st.integers(0, 3)) == 0:
        resource["columns"] = copy.deepcopy(draw(st.sampled_from(COLUMN_HINTS)))
    if draw(st.integers(0, 4)) == 0:
        resource["table_name"] = f"t_{resource['name']}"


@st.composite
def listing(draw: st.DrawFn, name: str) -> Drawn:
    """Posts (or posts with a list of tags: a child table), paged in any style."""
    what = draw(st.sampled_from(("posts", "tagged")))
    endpoint, deterministic = draw(paged_endpoint(what))
    if draw(st.integers(0, 4)) == 0:
        # a page with "Post 3" in it is ignored (the rows of that page are not loaded), or a
        # function changes each page
        endpoint["response_actions"] = copy.copy(draw(st.sampled_from(ACTIONS)))
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    if found := draw(steps()):
        resource["processing_steps"] = found
    draw(disposition(resource, compound=("id", "title")))
    draw(table_hints(resource))
    return Drawn(resource, deterministic)


TOKEN_PATH = "oauth/token"

# --- auth, and POST bodies --------------------------------------------------------------------

AUTHS: dict[str, dict[str, Any]] = {
    "bearer": {"type": "bearer", "token": TOKEN},
    "api_key": {"type": "api_key", "name": "X-API-Key", "api_key": API_KEY},
    "api_key_query": {
        "type": "api_key",
        "name": "api_key",
        "api_key": API_KEY,
        "location": "query",
    },
    "basic": {"type": "http_basic", "username": BASIC[0], "password": BASIC[1]},
    # ConfigOf makes the token URL absolute (the fake API's base URL is known only then)
    "oauth": {
        "type": "oauth2_client_credentials",
        "access_token_url": TOKEN_PATH,
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
    },
}


@st.composite
def authed(draw: st.DrawFn, name: str) -> tuple[Drawn, dict[str, Any] | None]:
    """Posts behind a credential: the auth is the endpoint's or the client's (returned), and
    sometimes wrong (401: the resource fails on both sides)."""
    kind = draw(st.sampled_from(tuple(AUTHS)))
    auth = copy.deepcopy(AUTHS[kind])
    wrong = draw(st.integers(0, 5)) == 0
    if wrong:
        auth = copy.deepcopy(AUTHS[draw(st.sampled_from([k for k in AUTHS if k != kind]))])
    endpoint: dict[str, Any] = {"path": f"auth/{kind}/posts"}
    if paginator := draw(st.sampled_from((None, "single_page"))):
        endpoint["paginator"] = paginator
    if selector := draw(st.sampled_from((None, "data", "$.data"))):
        endpoint["data_selector"] = selector
    on_client = draw(st.booleans())
    if not on_client:
        endpoint["auth"] = auth
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    draw(disposition(resource))
    draw(table_hints(resource))
    return Drawn(resource, may_fail=wrong), auth if on_client else None


@st.composite
def guarded_chain(draw: st.DrawFn) -> tuple[list[Drawn], dict[str, Any] | None]:
    """A parent and a child behind credentials: the client's auth (the child inherits it), an
    endpoint's own on the parent, or the child's own credential overriding the client's (another
    kind); OAuth2 client credentials among them (the token requests are compared too)."""
    kind = draw(st.sampled_from(tuple(AUTHS)))
    auth = copy.deepcopy(AUTHS[kind])
    endpoint, deterministic = draw(
        paged_endpoint("posts", ("wrapped", "next_url", "page", "cursor"))
    )
    endpoint["path"] = f"auth/{kind}/{endpoint['path']}"
    parent: dict[str, Any] = {"name": GUARDED, "endpoint": endpoint}
    draw(disposition(parent))
    on_client = draw(st.booleans())
    if not on_client:
        endpoint["auth"] = auth
    own = draw(st.sampled_from([None, *[k for k in AUTHS if k != kind]]))
    # a child without its own auth inherits the client's (only): a parent's endpoint auth is
    # the parent's
    child_kind = own or (kind if on_client else None)
    prefix = f"auth/{child_kind}/" if child_kind else ""
    guarded_child = draw(child(KEYS, GUARDED, prefix=prefix))
    if own is not None:
        guarded_child.resource["endpoint"]["auth"] = copy.deepcopy(AUTHS[own])
    guarded_child.deterministic = guarded_child.deterministic and deterministic
    return [Drawn(parent, deterministic), guarded_child], auth if on_client else None


SEARCH_PAGINATORS: dict[str, Callable[[int], tuple[Any, ...]]] = {
    "body_page": lambda n: (
        {
            "type": "page_number",
            "base_page": 1,
            "page_body_path": "page",
            "total_path": "total_pages",
        },
    ),
    "body_offset": lambda n: (
        {
            "type": "offset",
            "limit": n,
            "offset_body_path": "offset",
            "limit_body_path": "limit",
            "total_path": "total",
        },
    ),
    "cursor": lambda n: (
        {"type": "cursor", "cursor_path": "next_cursor", "cursor_body_path": "cursor"},
        {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
    ),
}


@st.composite
def searching(draw: st.DrawFn, name: str) -> Drawn:
    """A POST search, its filter in a JSON body (or form fields), paged in the body or query."""
    style = draw(st.sampled_from(tuple(SEARCH_PAGINATORS)))
    size = draw(st.sampled_from((2, 3, 5)))
    paginator = draw(st.sampled_from(SEARCH_PAGINATORS[style](size)))
    body: dict[str, Any] = {}
    if user := draw(st.sampled_from((None, 1, 2, 3))):
        body["user_id"] = user
    if style != "body_offset":
        body["limit"] = size
    endpoint: dict[str, Any] = {"path": f"{style}/search", "method": "POST", "paginator": paginator}
    in_form = style == "cursor" and "cursor_param" in paginator and draw(st.booleans())
    if body or draw(st.booleans()):
        endpoint["data" if in_form else "json"] = body
    if draw(st.booleans()):
        endpoint["data_selector"] = "data"
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    if found := draw(steps()):
        resource["processing_steps"] = found
    draw(disposition(resource, compound=("id", "user_id")))
    draw(table_hints(resource))
    return Drawn(resource)


def skip_second_comment_pages(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A response action function: a page of comments with a "comment 2" is ignored."""
    from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException

    if '"comment 2 on' in response.text:
        raise IgnoreResponseException
    return response


CHILD_ACTIONS = (
    [{"status_code": 200, "content": "comment 2 on", "action": "ignore"}],
    [{"content": "comment 1 on 1", "action": "ignore"}],
    [skip_second_comment_pages],
    [{"status_code": 200, "action": stamp_status}],
    [{"status_code": 404, "action": "ignore"}, {"status_code": 200, "action": stamp_status}],
)
CHILD_STYLES = ("plain", "wrapped", "link", "next_url", "page", "offset", "cursor")


@st.composite
def searched_child(draw: st.DrawFn, parent: str) -> dict[str, Any]:
    """A POST search per parent record: the parent's fields fill the JSON body."""
    style = draw(st.sampled_from(tuple(SEARCH_PAGINATORS)))
    size = draw(st.sampled_from((2, 3, 5)))
    body: dict[str, Any] = {"user_id": f"{{resources.{parent}.user_id}}"}
    if style != "body_offset":
        body["limit"] = size
    if draw(st.booleans()):
        body["note"] = f"for {{resources.{parent}.id}}"
    endpoint: dict[str, Any] = {
        "path": f"{style}/search",
        "method": "POST",
        "paginator": copy.deepcopy(draw(st.sampled_from(SEARCH_PAGINATORS[style](size)))),
        "json": body,
    }
    if draw(st.booleans()):
        endpoint["data_selector"] = "data"
    return endpoint


@st.composite
def child(draw: st.DrawFn, name: str, parent: str, prefix: str = "") -> Drawn:
    """A child of ``parent``: its comments (paged, with response actions), its author, a POST
    search with the parent's fields in the JSON body, or a lookup that 404s for most parents
    (ignored by a response action, or failing the resource). ``prefix`` puts the child's path
    behind a credential (``auth/<kind>/``)."""
    kind = draw(st.sampled_from(("comments", "author", "missing", "search")))
    drawn = Drawn({"name": name})
    if kind == "search":
        drawn.resource["endpoint"] = draw(searched_child(parent))
        drawn.resource["endpoint"]["path"] = prefix + drawn.resource["endpoint"]["path"]
        if fields := draw(st.lists(st.sampled_from(("id", "title")), unique=True)):
            drawn.resource["include_from_parent"] = fields
        return drawn
    if kind == "comments":
        endpoint, drawn.deterministic = draw(
            paged_endpoint("posts/{post_id}/comments", CHILD_STYLES)
        )
        if draw(st.integers(0, 3)) == 0:
            endpoint["response_actions"] = copy.copy(draw(st.sampled_from(CHILD_ACTIONS)))
    else:
        field = "user_id" if kind == "author" else "id"
        endpoint = {"path": "plain/users/{post_id}"}
        if kind == "missing":
            if draw(st.booleans()):
                endpoint["response_actions"] = [{"status_code": 404, "action": "ignore"}]
            else:
                drawn.may_fail = True
    field = "user_id" if kind == "author" else "id"
    if draw(st.booleans()):
        endpoint["params"] = {
            **endpoint.get("params", {}),
            "post_id": {"type": "resolve", "resource": parent, "field": field},
        }
    else:
        endpoint["path"] = endpoint["path"].replace("{post_id}", f"{{resources.{parent}.{field}}}")
        if draw(st.booleans()):
            # a placeholder in a param as well
            endpoint["params"] = {**endpoint.get("params", {}), "of": f"{{resources.{parent}.id}}"}
    endpoint["path"] = prefix + endpoint["path"]
    drawn.resource["endpoint"] = endpoint
    # "author" is an object (flattened into columns), "tags" a list (a child table) when the
    # parent serves them
    fields = draw(
        st.lists(st.sampled_from(("title", "updated_at", "user_id", "author")), unique=True)
    )
    if fields:
        drawn.resource["include_from_parent"] = fields
    if found := draw(steps()):
        drawn.resource["processing_steps"] = found
    if draw(st.booleans()):
        drawn.resource["parallelized"] = True
    if kind != "author":  # authors repeat across posts: "the same primary key twice in one run"
        draw(disposition(drawn.resource))
    return drawn


@st.composite
def cursor_resource(draw: st.DrawFn, name: str) -> Drawn:
    """Events under an incremental cursor, loaded twice (round 2 adds and updates events): the
    cursor as a param, an endpoint block (its start and end as params, or as placeholders in
    the query or a POST's JSON body), with ``lag``, open or closed ranges, and events without a
    cursor value (``on_cursor_value_missing``)."""
    form = draw(st.sampled_from(("param", "block", "placeholder", "filter", "json")))
    if form == "json":
        endpoint, deterministic = draw(cursor_search()), True
    else:
        endpoint, deterministic = draw(paged_endpoint("events", INCREMENTAL_STYLES))
    initial = draw(st.sampled_from((START, "2024-01-01T00:00:00Z", "2024-01-01T12:30:00Z")))
    cursor: dict[str, Any] = {"cursor_path": "updated_at", "initial_value": initial}
    may_fail = False
    if draw(st.integers(0, 3)) == 0:
        # every 7th event has no updated_at, every 11th a null one
        endpoint["path"] = endpoint["path"].replace("events", "sparse")
        # dlt's default (raise) fails the resource, and with it the comparison of the tables:
        # drawn less often
        missing = draw(st.sampled_from(("include", "exclude", "include", "exclude", None, "raise")))
        if missing is not None:
            cursor["on_cursor_value_missing"] = missing
        may_fail = missing in (None, "raise")
    params = endpoint.setdefault("params", {})
    if form == "param":
        params["since"] = {"type": "incremental", **cursor}
    else:
        if form == "block":
            cursor["start_param"] = "since"
        elif form == "placeholder":
            params["since"] = draw(
                st.sampled_from(
                    (
                        "{incremental.start_value}",
                        "{incremental.last_value}",
                        "{incremental.initial_value}",
                    )
                )
            )
        if draw(st.booleans()):
            cursor["end_value"] = END
            if form == "json" and draw(st.booleans()):
                endpoint["json"]["until"] = "{incremental.end_value}"
            elif form != "json" and draw(st.booleans()):
                cursor["end_param"] = "until"
            if range_end := draw(st.sampled_from((None, "open", "closed"))):
                cursor["range_end"] = range_end
        if range_start := draw(st.sampled_from((None, "open", "closed"))):
            cursor["range_start"] = range_start
        if draw(st.integers(0, 2)) == 0:
            cursor["lag"] = draw(st.sampled_from((3600, 7200.0, 18000)))
        if row_order := draw(st.sampled_from((None, "asc", "desc"))):
            cursor["row_order"] = row_order
        # "``row_order: desc``, second run": dlt may stop a page sooner
        deterministic = deterministic and row_order != "desc"
        endpoint["incremental"] = cursor
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    draw(disposition(resource))
    return Drawn(resource, deterministic, may_fail=may_fail, rounds=2)


@st.composite
def cursor_search(draw: st.DrawFn) -> dict[str, Any]:
    """Events searched by POST, the cursor's start in the JSON body."""
    style = draw(st.sampled_from(tuple(SEARCH_PAGINATORS)))
    size = draw(st.sampled_from((3, 5, 7)))
    body: dict[str, Any] = {"since": "{incremental.start_value}"}
    if style != "body_offset":
        body["limit"] = size
    return {
        "path": f"{style}/events/search",
        "method": "POST",
        "paginator": copy.deepcopy(draw(st.sampled_from(SEARCH_PAGINATORS[style](size)))),
        "json": body,
        "data_selector": "data",
    }


@st.composite
def failing(draw: st.DrawFn, name: str) -> Drawn:
    """An endpoint answering 4xx: ignored by status or by content, or failing the resource."""
    status = draw(st.sampled_from((400, 403, 404, 422)))
    endpoint: dict[str, Any] = {"path": f"status/{status}"}
    if draw(st.booleans()):
        endpoint["paginator"] = "single_page"
    action = draw(st.sampled_from(("status", "content", "other", None)))
    if action == "status":
        endpoint["response_actions"] = [{"status_code": status, "action": "ignore"}]
    elif action == "content":
        endpoint["response_actions"] = [{"content": "as asked", "action": "ignore"}]
    elif action == "other":
        endpoint["response_actions"] = [{"status_code": 418, "action": "ignore"}]
    return Drawn({"name": name, "endpoint": endpoint}, may_fail=action in (None, "other"))


@st.composite
def grandchild(draw: st.DrawFn, name: str, parent: str) -> Drawn:
    """The post a child record names (a single entity), for a chain of three resources."""
    endpoint: dict[str, Any] = {"path": f"plain/posts/{{resources.{parent}.post_id}}"}
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    if draw(st.booleans()):
        resource["include_from_parent"] = ["id"]
    # a parent that is an author has no post_id: the grandchild fails as it does in dlt
    return Drawn(resource, may_fail=True)


# names that are no substring of each other, of a path or of an error message
PARENT, CHILD, GRANDCHILD, CURSOR, BROKEN = "articles", "notes", "threads", "changes", "broken"
GUARDED, KEYS, FOUND = "guarded", "locks", "hits"

DEFAULT_PAGINATORS: tuple[Any, ...] = (
    "single_page",
    {"type": "single_page"},
    "header_link",
    {"type": "json_link", "next_url_path": "next"},
    {"type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "cursor"},
)


@st.composite
def generated_cases(draw: st.DrawFn) -> Case:
    drawn: list[Drawn] = []
    client_auth: dict[str, Any] | None = None
    if draw(st.integers(0, 5)) > 0:
        drawn.append(draw(listing(PARENT)))
        if draw(st.booleans()):
            drawn.append(draw(child(CHILD, PARENT)))
            if draw(st.integers(0, 3)) == 0:
                drawn.append(draw(grandchild(GRANDCHILD, CHILD)))
                if draw(st.booleans()):
                    drawn[-1].resource["include_from_parent"] = ["post_id", "id"]
            if draw(st.integers(0, 3)) == 0:
                # an unselected parent: its table is not loaded, its children are
                drawn[0].resource["selected"] = False
    if draw(st.integers(0, 2)) == 0 or not drawn:
        drawn.append(draw(cursor_resource(CURSOR)))
    if draw(st.integers(0, 4)) == 0:
        drawn.append(draw(failing(BROKEN)))
    if draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            guarded, client_auth = draw(authed(GUARDED))
            drawn.append(guarded)
        else:
            chain, client_auth = draw(guarded_chain())
            drawn.extend(chain)
    if draw(st.integers(0, 3)) == 0:
        drawn.append(draw(searching(FOUND)))
    names = [d.resource["name"] for d in drawn if d.resource.get("selected", True)]
    select: tuple[str, ...] = ()
    if len(names) > 1 and draw(st.booleans()):
        select = tuple(draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))
    defaults: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        defaults["endpoint"] = {"params": {"lang": "en"}}
    if draw(st.integers(0, 4)) == 0:
        # a resource's own disposition wins over the default
        defaults["write_disposition"] = draw(st.sampled_from(("append", "replace")))
    if draw(st.integers(0, 5)) == 0:
        # a default paginator: every endpoint without its own pages this way
        endpoint_defaults = defaults.setdefault("endpoint", {})
        endpoint_defaults["paginator"] = copy.copy(draw(st.sampled_from(DEFAULT_PAGINATORS)))
    if draw(st.integers(0, 7)) == 0:
        defaults["max_table_nesting"] = draw(st.sampled_from((0, 1)))
    may_fail = any(d.may_fail for d in drawn)
    return Case(
        name="generated",
        config=ConfigOf([d.resource for d in drawn], defaults, client_auth),
        rounds=max(d.rounds for d in drawn),
        requests=not may_fail and all(d.deterministic for d in drawn),
        select=select,
    )


class ConfigOf:
    """base URL -> a fresh config dict; its repr is the config, for hypothesis's report."""

    def __init__(
        self,
        resources: list[dict[str, Any]],
        defaults: dict[str, Any],
        auth: dict[str, Any] | None = None,
    ) -> None:
        self.resources = resources
        self.defaults = defaults
        self.auth = auth

    def __call__(self, base_url: str) -> dict[str, Any]:
        client: dict[str, Any] = {"base_url": base_url}
        if self.auth is not None:
            client["auth"] = copy.deepcopy(self.auth)
        config: dict[str, Any] = {
            "client": client,
            "resources": copy.deepcopy(self.resources),
        }
        if self.defaults:
            config["resource_defaults"] = copy.deepcopy(self.defaults)
        _token_urls(config, base_url)
        return config

    def __repr__(self) -> str:
        return repr(self("<base_url>"))

    def names(self) -> list[str]:
        return [r["name"] for r in self.resources]


def _token_urls(found: Any, base_url: str) -> None:
    """Every OAuth2 token URL in a config made absolute (dlt posts to it as given)."""
    if isinstance(found, dict):
        if found.get("access_token_url") == TOKEN_PATH:
            found["access_token_url"] = base_url + TOKEN_PATH
        for value in found.values():
            _token_urls(value, base_url)
    elif isinstance(found, list):
        for value in found:
            _token_urls(value, base_url)
