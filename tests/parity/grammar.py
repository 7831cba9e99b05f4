"""A grammar of plain dlt ``rest_api`` configs for the fake API (hypothesis strategies).

``generated_cases()`` draws one :class:`~tests.parity.harness.Case`: one to four resources whose
shapes combine the axes dlt documents — paginators (given, as a string, or auto-detected),
data selectors (given or detected), params with placeholders, children by resolve param or
``{resources.x.field}`` placeholder with ``include_from_parent``, processing steps, incremental
cursors (as a param, as an endpoint block, in placeholders; ``end_value``/``end_param``,
``row_order``), write dispositions with primary keys, response actions, nested lists (child
tables), ``parallelized`` and a selection of resources. Every config drawn is one dlt runs.

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
  long).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

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


@st.composite
def disposition(draw: st.DrawFn, resource: dict[str, Any]) -> None:
    choice = draw(st.sampled_from((None, "append", "replace", "merge")))
    if choice is not None:
        resource["write_disposition"] = choice
    if choice == "merge" or (choice is not None and draw(st.booleans())):
        resource["primary_key"] = "id"


@st.composite
def listing(draw: st.DrawFn, name: str) -> Drawn:
    """Posts (or posts with a list of tags: a child table), paged in any style."""
    what = draw(st.sampled_from(("posts", "tagged")))
    endpoint, deterministic = draw(paged_endpoint(what))
    if draw(st.integers(0, 4)) == 0:
        # a page with "Post 3" in it is ignored: the rows of that page are not loaded
        endpoint["response_actions"] = [
            {"status_code": 200, "content": '"Post 3"', "action": "ignore"}
        ]
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    if found := draw(steps()):
        resource["processing_steps"] = found
    draw(disposition(resource))
    return Drawn(resource, deterministic)


@st.composite
def child(draw: st.DrawFn, name: str, parent: str) -> Drawn:
    """A child of ``parent``: its comments (paged), its author, or a lookup that 404s for most
    parents (ignored by a response action, or failing the resource)."""
    kind = draw(st.sampled_from(("comments", "author", "missing")))
    drawn = Drawn({"name": name})
    if kind == "comments":
        endpoint, drawn.deterministic = draw(
            paged_endpoint("posts/{post_id}/comments", ("plain", "wrapped", "link", "next_url"))
        )
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
    """Events under an incremental cursor, loaded twice (round 2 adds and updates events)."""
    endpoint, deterministic = draw(paged_endpoint("events", INCREMENTAL_STYLES))
    initial = draw(st.sampled_from((START, "2024-01-01T00:00:00Z", "2024-01-01T12:30:00Z")))
    cursor: dict[str, Any] = {"cursor_path": "updated_at", "initial_value": initial}
    form = draw(st.sampled_from(("param", "block", "placeholder", "filter")))
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
            if draw(st.booleans()):
                cursor["end_param"] = "until"
        if row_order := draw(st.sampled_from((None, "asc", "desc"))):
            cursor["row_order"] = row_order
        # "``row_order: desc``, second run": dlt may stop a page sooner
        deterministic = deterministic and row_order != "desc"
        endpoint["incremental"] = cursor
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    draw(disposition(resource))
    return Drawn(resource, deterministic, rounds=2)


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


@st.composite
def generated_cases(draw: st.DrawFn) -> Case:
    drawn: list[Drawn] = []
    if draw(st.integers(0, 5)) > 0:
        drawn.append(draw(listing(PARENT)))
        if draw(st.booleans()):
            drawn.append(draw(child(CHILD, PARENT)))
            if draw(st.integers(0, 3)) == 0:
                drawn.append(draw(grandchild(GRANDCHILD, CHILD)))
    if draw(st.integers(0, 2)) == 0 or not drawn:
        drawn.append(draw(cursor_resource(CURSOR)))
    if draw(st.integers(0, 4)) == 0:
        drawn.append(draw(failing(BROKEN)))
    names = [d.resource["name"] for d in drawn]
    select: tuple[str, ...] = ()
    if len(names) > 1 and draw(st.booleans()):
        select = tuple(draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))
    defaults: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        defaults["endpoint"] = {"params": {"lang": "en"}}
    if draw(st.integers(0, 4)) == 0:
        # a resource's own disposition wins over the default
        defaults["write_disposition"] = draw(st.sampled_from(("append", "replace")))
    may_fail = any(d.may_fail for d in drawn)
    return Case(
        name="generated",
        config=ConfigOf([d.resource for d in drawn], defaults),
        rounds=max(d.rounds for d in drawn),
        requests=not may_fail and all(d.deterministic for d in drawn),
        select=select,
    )


class ConfigOf:
    """base URL -> a fresh config dict; its repr is the config, for hypothesis's report."""

    def __init__(self, resources: list[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.resources = resources
        self.defaults = defaults

    def __call__(self, base_url: str) -> dict[str, Any]:
        config: dict[str, Any] = {
            "client": {"base_url": base_url},
            "resources": copy.deepcopy(self.resources),
        }
        if self.defaults:
            config["resource_defaults"] = copy.deepcopy(self.defaults)
        return config

    def __repr__(self) -> str:
        return repr(self("<base_url>"))

    def names(self) -> list[str]:
        return [r["name"] for r in self.resources]
