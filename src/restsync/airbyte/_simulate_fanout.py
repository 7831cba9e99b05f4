"""How many records the simulator serves at the top of a nested crossed fan-out.

A stream with two ``SubstreamPartitionRouter``\\ s is read for every combination of its
parents' records (the plan's ``ParentLink.product``). When one of those parents is itself such
a product (revenuecat's ``offerings_packages_products``: projects x packages, packages being
projects x offerings' packages), the requests grow with the cube of the root's record count:
with the simulator's 50 projects, 3 records per parent, that stream alone asks ~720,000 times,
and neither airbyte-cdk nor restsync finishes in 120 s. The root above such a product is served
with as many records as a child gets per parent: the stream takes a few hundred requests, the
same data for both clients. A product of plain streams is left as served.
"""

from __future__ import annotations

from dataclasses import replace

from restsync._plan import ResourcePlan, SourcePlan
from restsync.simulator._compile import RECORDS

__all__ = ["CROSSED_ROOT_RECORDS", "bound_crossed_roots"]

# a child's records per parent record (simulator/_compile._count): a crossed root gets as many
CROSSED_ROOT_RECORDS = 3


def bound_crossed_roots(served: dict[str, ResourcePlan], plan: SourcePlan) -> None:
    """Serve the root above every parent of a product crossed with another product (in
    ``served``) with few records. A product of plain streams (google-classroom's courses x
    coursework, 62 x 150 requests) finishes as served and keeps its records."""
    for resource in plan.resources.values():
        link = resource.parent
        if link is None or not link.product:
            continue
        members = (link.resource, *link.product)
        if not any(_crossed(plan, name) for name in members):
            continue
        for name in members:
            root = _served_root(plan, served, name)
            if root is not None:
                found = served[root]
                served[root] = replace(found, hints={**found.hints, RECORDS: CROSSED_ROOT_RECORDS})


def _crossed(plan: SourcePlan, name: str) -> bool:
    """Whether stream ``name`` is itself read for a product of its parents' records."""
    resource = plan.resources.get(name)
    helper = plan.resources.get(resource.parent.resource) if resource and resource.parent else None
    return bool(helper is not None and helper.parent is not None and helper.parent.product)


def _served_root(plan: SourcePlan, served: dict[str, ResourcePlan], name: str) -> str | None:
    """The stream at the top of ``name``'s served parents (``name`` itself for a root); a
    parent that is not served (a time window's slices above a stream) is passed over."""
    root = None
    for _ in range(len(plan.resources) + 1):  # a cycle is not a plan: capped
        resource = plan.resources.get(name)
        if resource is None:
            break
        if name in served and served[name].parent is None:
            root = name
        if resource.parent is None:
            break
        name = resource.parent.resource
    return root
