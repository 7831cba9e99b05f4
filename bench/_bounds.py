"""How many requests a plan needs against the simulator, and the fastest any client could go.

The simulator serves ``scale`` x (2.5 pages of the paginator's size) records per root resource and
``scale`` x 3 records per parent for a child (1 for a child served as one object per response); a
fifth of the parents have no children. From the served record counts and page sizes we know every
page chain's length, restsync's paging rules decide how many requests each chain takes, and:

    lower bound = max(critical path x latency,  requests x latency / concurrency,  requests / rate)

where the critical path is the longest chain of requests that must run one after another: the pages
of a root plus the pages of the longest child chain under it (recursively).

Offset and page-number chains without a total are guessed ahead (``prefetch_pages``): on the
request for page i of a run of full pages the engine also sends up to min(depth, i // 2) of the
pages after it (restsync/_engine/_paginate.py), so a chain that ends on its short page n can have
sent up to min(depth, (n - 1) // 2) guesses past it. Whether they go out depends on timing (a
guess still waiting for a concurrency slot when the chain ends is dropped), so the model gives
the count without guesses and the count with all of them (``requests_upper``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from restsync._engine._prefetch import ahead_limit
from restsync._plan import ResourcePlan, SourcePlan
from restsync.simulator import SimulatorOptions

__all__ = ["Bound", "chain_guesses", "chain_pages", "lower_bound"]

_DEFAULT_PAGE_SIZE = 25  # the simulator's page size when the paginator names none


@dataclass(frozen=True)
class Bound:
    critical_path: int  # requests that must run one after another
    requests: int  # the requests restsync's paging rules need (the model's count)
    requests_upper: int  # ... plus every guess past a chain's end that fetch-ahead may send
    seconds: float  # the lower bound for the measured request count
    latency_term: float
    concurrency_term: float
    rate_term: float


def chain_pages(paginator: Any, records: int) -> int:
    """Requests one page chain over ``records`` records takes under restsync's paging rules."""
    kind = paginator.type
    if kind in ("auto", "single_page"):
        return 1
    size = getattr(paginator, "limit", None) or _DEFAULT_PAGE_SIZE
    if kind in ("offset", "page_number") and getattr(paginator, "total_path", None) is None:
        # no total: the first short (or empty) page ends the chain
        return records // size + 1
    return max(1, math.ceil(records / size))


def chain_guesses(paginator: Any, pages: int, depth: int, speculate: bool) -> int:
    """The most requests fetch-ahead can send past the end of a chain of ``pages`` pages."""
    if not speculate or paginator.type not in ("offset", "page_number"):
        return 0
    if getattr(paginator, "total_path", None) is not None:
        return 0  # the total is known after the first page: nothing is guessed past it
    size = getattr(paginator, "limit", None) or _DEFAULT_PAGE_SIZE
    return min(ahead_limit(depth, size), (pages - 1) // 2)


def _per_parent(resource: ResourcePlan, options: SimulatorOptions, one_object: bool) -> int:
    if one_object:
        return 1
    base = options.records_per_resource if options.records_per_resource is not None else 3
    return max(0, round(base * options.scale))


def _one_object(resource: ResourcePlan) -> bool:
    # a whole-body selector on a paged child: the simulator serves one record per response
    return resource.data_selector in ("$", "", "[]") and resource.paginator.type not in (
        "auto",
        "single_page",
    )


def lower_bound(
    plan: SourcePlan,
    options: SimulatorOptions,
    served: Mapping[str, int],
    *,
    measured_requests: int | None = None,
) -> Bound:
    """``served`` is the number of records the simulator serves per resource."""
    chain: dict[str, int] = {}  # resource -> pages of its longest single chain
    total: dict[str, int] = {}  # resource -> requests over all its chains
    guessed: dict[str, int] = {}  # resource -> guesses past the ends of its chains, at most

    def visit(resource: ResourcePlan, parents: int | None) -> None:
        depth = plan.prefetch_pages if resource.prefetch_pages is None else resource.prefetch_pages

        def guesses(pages: int) -> int:
            return chain_guesses(resource.paginator, pages, depth, resource.speculate)

        if parents is None:
            chain[resource.name] = chain_pages(resource.paginator, served[resource.name])
            total[resource.name] = chain[resource.name]
            guessed[resource.name] = guesses(chain[resource.name])
        else:
            k = _per_parent(resource, options, _one_object(resource))
            with_children = min(parents, served[resource.name] // k) if k else 0
            longest = chain_pages(resource.paginator, k if with_children else 0)
            empty = chain_pages(resource.paginator, 0)
            chain[resource.name] = longest
            total[resource.name] = with_children * longest + (parents - with_children) * empty
            guessed[resource.name] = with_children * guesses(longest) + (
                parents - with_children
            ) * guesses(empty)
        for child in plan.children(resource.name):
            visit(child, served[resource.name])

    for root in plan.roots():
        visit(root, None)

    def deepest(name: str) -> int:
        below = [deepest(c.name) for c in plan.children(name)]
        return chain[name] + max(below, default=0)

    critical = max(deepest(r.name) for r in plan.roots())
    requests = sum(total.values())
    counted = measured_requests if measured_requests is not None else requests
    latency = options.latency_ms / 1000
    rate = plan.rate_limit.requests_per_second if plan.rate_limit else math.inf
    terms = (critical * latency, counted * latency / plan.max_concurrency, counted / rate)
    return Bound(critical, requests, requests + sum(guessed.values()), max(terms), *terms)
