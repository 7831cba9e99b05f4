"""Contracts of real manifests (samples 4-6) the simulator serves as the manifest reads them:
a record path step that is one key with a dot or a space in it (chargify's ``invoices.json``,
defillama's ``Plume Mainnet``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate


def _served_and_read(simulate: Simulate, stream: dict[str, Any], *, seed: int) -> list[Any]:
    run = simulate(build.manifest(stream), seed=seed)
    served, read = run.served_and_read(stream["name"])
    assert len(served) > 2
    assert [r["id"] for r in read] == [r["id"] for r in served]
    return read


@pytest.mark.parametrize(
    "field_path",
    [
        ["invoices.json"],  # chargify's invoices: one key, the dot and all
        ["*", "transactions.json"],  # chargify's transactions: each wrapper's key
        ["chainTvls", "Plume Mainnet"],  # defillama: a key with a space, under a key
    ],
)
def test_a_record_path_step_with_a_dot_or_a_space_is_served_as_one_key(
    simulate: Simulate, field_path: list[str]
) -> None:
    invoices = build.stream(
        "invoices",
        build.requester("https://x.invalid", "/invoices"),
        field_path,
        primary_key=["id"],
        schema=build.properties(id="integer", name="string"),
    )
    _served_and_read(simulate, invoices, seed=31)
