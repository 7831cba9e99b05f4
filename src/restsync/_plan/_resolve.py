"""The one place config-layer strategy models become the plan's strategy values
(``_plan/_strategies.py``): after this, nothing downstream sees a pydantic config class."""

from __future__ import annotations

from restsync._config import RateLimit
from restsync._plan._strategies import RateBudget

__all__ = ["rate_budget"]


def rate_budget(rate_limit: RateLimit | None) -> RateBudget | None:
    if rate_limit is None:
        return None
    return RateBudget(rate_limit.requests_per_second, rate_limit.burst)
