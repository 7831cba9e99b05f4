"""Plans for the simulator tests, from dicts and from the seed files."""

from __future__ import annotations

from typing import Any

from seed_configs import seed_config

from restsync._config import parse_config
from restsync._plan import SourcePlan, build_plan


def plan_of(config: dict[str, Any]) -> SourcePlan:
    return build_plan(parse_config(config))


def seed_plan(name: str) -> SourcePlan:
    return plan_of(seed_config(name))


def one_resource(endpoint: dict[str, Any], **client: Any) -> SourcePlan:
    """A plan with one resource ``items`` at ``/items``, plus the given endpoint and client keys."""
    return plan_of(
        {
            "client": {"base_url": "https://api.example.com", **client},
            "resources": [{"name": "items", "endpoint": {"path": "/items", **endpoint}}],
        }
    )
