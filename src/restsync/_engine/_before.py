"""Steps a resource takes once per run before its first request (``ResourcePlan.before``).

An Airbyte stream may have to read something from the API before its own pages: a
DynamicSchemaLoader's schema, a PropertiesFromEndpoint's list of properties. The steps run in
the task of the resource's first chain of pages (a root's, or a child's first parent record's);
the chains that start meanwhile wait for the same result, so the read happens once however many
partitions are in flight. Each step returns the resource the chains then run as (its record
selection normalised by the schema, its chunks of properties), and the engine's own chain (or
the resource's ``produce`` hook) runs with it.

Bounded as every request is: the run's deadline, the retries of the policy a step sends its
requests with, and the step's own page cap. A failure is the resource's: every chain waiting
for the steps gets it, and none of them sends a request of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from restsync._plan import ResourcePlan

__all__ = ["BeforeSteps"]

# fetch(request, sender=None): the engine's hook fetch (``Engine._hook_fetch``)
Fetch = Callable[..., Awaitable[Any]]


class BeforeSteps:
    """The run's before-steps, one shared task per resource."""

    def __init__(
        self,
        fetch_for: Callable[[ResourcePlan], Fetch],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._fetch_for = fetch_for
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Future[ResourcePlan]] = {}

    async def ready(self, resource: ResourcePlan) -> ResourcePlan:
        """``resource`` as its steps leave it, the steps run on the first call of the run."""
        if not resource.before:
            return resource
        task = self._tasks.get(resource.name)
        if task is None:
            task = self._tasks[resource.name] = asyncio.ensure_future(self._run(resource))
        return await task

    async def _run(self, resource: ResourcePlan) -> ResourcePlan:
        fetch = self._fetch_for(resource)
        for step in resource.before:
            resource = await step(resource, fetch, self._sleep)
        return resource
