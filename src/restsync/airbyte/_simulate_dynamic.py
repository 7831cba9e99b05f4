"""Streams an API lists (``dynamic_streams`` with an ``HttpComponentsResolver``), served.

``check`` and ``plan`` cannot name those streams: a run asks the resolver's retriever (the
listing) and makes a stream of each record it reads. The simulator serves them in two steps:

1. the listing, translated as a stream of its own (``_dynamic._listing_resources``), is served
   alone, and the manifest is planned as a run plans it, its listing read from that simulator
   (restsync's engine, as ``airbyte_source`` reads it);
2. the plan the simulator serves is that plan's streams plus the listing, whose records are
   the same (the simulator's records are a function of seed, resource and index), so a client
   that lists the streams itself (airbyte-cdk) resolves the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from restsync._plan import ResourcePlan, SourcePlan
from restsync.airbyte._config_rules import normalized_config
from restsync.airbyte._dynamic import _listing_resources
from restsync.airbyte._manifest import resolve_manifest
from restsync.airbyte._parts import Unsupported
from restsync.airbyte._source import load_manifest, load_user_config, plan_manifest
from restsync.simulator import SimulatorOptions, serve_in_thread

__all__ = ["served_manifest"]


def served_manifest(
    manifest: Mapping[str, Any] | str | Path,
    config: Mapping[str, Any] | str | Path | None,
    *,
    streams: Sequence[str] | None = None,
    options: SimulatorOptions | None = None,
) -> SourcePlan:
    """The plan the simulator serves for a manifest, with the streams its HTTP resolvers list
    (each a stream of the served listing's records, for ``options``' seed)."""
    from restsync.airbyte._simulate import simulator_plan

    plan = plan_manifest(manifest, config, streams=streams)
    served = simulator_plan(plan)
    listings = _listings(manifest, config)
    if not listings:
        return served
    listed = _with_listings(served, simulator_plan(replace(plan, resources=listings)))
    # the same plan serves the listing in both steps: the same records, the same streams
    with serve_in_thread(listed, options or SimulatorOptions()) as listing:
        resolved = plan_manifest(
            manifest, config, streams=streams, base_url=listing.base_url, resolve_requests=True
        )
    streams_served = simulator_plan(replace(resolved, base_url=plan.base_url)).resources
    resources = dict(listed.resources)
    for name, resource in streams_served.items():
        resources.setdefault(name, resource)
    return replace(listed, resources=resources)


def _with_listings(served: SourcePlan, listings: SourcePlan) -> SourcePlan:
    """``served`` plus the listings' resources; one at a route a stream is served at (a
    listing's parent is often a stream of the manifest too: the test's workspaces) is that
    stream, and the resources under it are bound to it."""
    routes = {(r.method.upper(), r.path): n for n, r in served.resources.items() if not r.parent}
    alias: dict[str, str] = {}
    resources = dict(served.resources)
    for name, resource in listings.resources.items():
        same = routes.get((resource.method.upper(), resource.path))
        if resource.parent is None and same is not None:
            alias[name] = same
            continue
        if resource.parent is not None and resource.parent.resource in alias:
            parent = replace(resource.parent, resource=alias[resource.parent.resource])
            resource = replace(resource, parent=parent)
        resources.setdefault(name, resource)
    return replace(served, resources=resources)


def _listings(
    manifest: Mapping[str, Any] | str | Path, config: Mapping[str, Any] | str | Path | None
) -> dict[str, ResourcePlan]:
    """Every HTTP resolver's listing, translated as a stream (its parents with it)."""
    document, folder = load_manifest(manifest)
    resolved = resolve_manifest(document)
    values = normalized_config(resolved, load_user_config(config))
    found: dict[str, ResourcePlan] = {}
    entries = resolved.get("dynamic_streams")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        resolver = entry.get("components_resolver") if isinstance(entry, Mapping) else None
        if not isinstance(resolver, Mapping) or resolver.get("type") != "HttpComponentsResolver":
            continue
        at = f"dynamic_streams[{index}].components_resolver"
        try:
            _, resources, _ = _listing_resources(resolver, at, values, folder)
        except Unsupported:  # check names it (google-sheets' custom error handler)
            continue
        for name, resource in resources.items():
            found.setdefault(name, resource)
    return found
