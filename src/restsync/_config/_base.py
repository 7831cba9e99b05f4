"""The base of every config model: frozen, no unknown keys, no inf/nan."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ConfigModel"]


class ConfigModel(BaseModel):
    # inf and nan are never a sensible timeout, rate or size, and overflow where they are used
    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False
    )
