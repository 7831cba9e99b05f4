"""Every config either works or fails with one clean ``ConfigError``: a path, one line, no secret.

Mutations of the five bundled connector specs and of generated dlt-style configs go through
``rest_api_source`` (which plans first, as ``restsync check`` does) and dlt's own table-schema
computation. ``make test`` runs a fixed few hundred examples; ``make fuzz`` runs 20,000 each.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.check import assert_works_or_config_error, build
from tests.fuzz.configs import bundled_configs, dlt_configs
from tests.fuzz.mutations import mutate

_BUNDLED = bundled_configs()


def test_the_bundled_specs_build_as_they_are() -> None:
    for config in _BUNDLED:
        build(config)


@given(st.sampled_from(_BUNDLED).flatmap(mutate))
def test_mutated_bundled_specs(config: dict[str, Any]) -> None:
    assert_works_or_config_error(config)


@given(dlt_configs().flatmap(mutate))
def test_mutated_dlt_configs(config: dict[str, Any]) -> None:
    assert_works_or_config_error(config)


@given(dlt_configs())
def test_generated_dlt_configs(config: dict[str, Any]) -> None:
    assert_works_or_config_error(config)
