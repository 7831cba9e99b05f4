"""Hypothesis profiles: ``ci`` (the default, a few hundred fixed examples in ``make test``) and
``fuzz`` (``make fuzz``: 7,000 examples for each of the three properties, 21,000 in all;
``HYPOTHESIS_PROFILE=fuzz``, ``FUZZ_EXAMPLES`` per property)."""

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
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "7000")), **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
