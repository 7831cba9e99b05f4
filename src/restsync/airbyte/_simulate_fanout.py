"""How many records the simulator serves at the top of a crossed fan-out.

A stream with two ``SubstreamPartitionRouter``\\ s is read for every combination of its parents'
records (the plan's ``ParentLink.product``). When the parents are a root and streams under that
same root (revenuecat's ``offerings_packages_products``: projects x packages, packages being
projects x offerings' packages), the requests grow with a power of the root's record count:
with the simulator's 50 projects, 3 records per parent, that stream alone asks ~9 x 50^3 =
1.1 million times, and neither airbyte-cdk nor restsync finishes. The root of such a product is
served with as many records as a child gets per parent: the requests stay in the hundreds, the
same data for both clients.
"""

from __future__ import annotations

from dataclasses import replace

from restsync._plan import ResourcePlan, SourcePlan
from restsync.simulator._compile import RECORDS

__all__ = ["CROSSED_ROOT_RECORDS", "bound_crossed_roots"]

# a child's records per parent record (simulator/_compile._count): a crossed root gets as many
CROSSED_ROOT_RECORDS = 3


def bound_crossed_roots(served: dict[str, ResourcePlan], plan: SourcePlan) -> None:
    """Serve the root above every parent of a product with few records (in ``served``)."""
    for resource in plan.resources.values():
        link = resource.parent
        if link is None or not link.product:
            continue
        for name in (link.resource, *link.product):
            root = _served_root(plan, served, name)
            if root is not None:
                found = served[root]
                served[root] = replace(found, hints={**found.hints, RECORDS: CROSSED_ROOT_RECORDS})


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
