"""The plan's own strategy values: what the engine and the simulator act on.

The config layer's pydantic models say what a user *wrote*; these small frozen dataclasses say
what restsync *does*, with every default and inference already applied. They are built from the
config models in one place (``_plan/_resolve.py``), so ``_engine`` and ``simulator`` never import
``_config`` (``tests/unit/test_layering.py`` pins that). Secrets stay ``SecretStr``: they show as
``**********`` in any repr.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RateBudget"]


@dataclass(frozen=True)
class RateBudget:
    """One request budget for the whole source: ``requests_per_second``, bursts of ``burst``."""

    requests_per_second: float
    burst: int | None = None
