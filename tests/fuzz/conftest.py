"""Hypothesis profiles: ``ci`` (the default, a few hundred fixed examples in ``make test``) and
``fuzz`` (``make fuzz``: 20,000 examples per property; ``HYPOTHESIS_PROFILE=fuzz``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # building a dlt source takes tens of ms; wall-clock limits would flake
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=150, derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")), **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
