"""Contracts of sample8's manifests the simulator now serves so that both clients are compared
(session 15): a top-level ``*`` record path (breezy-hr's pipelines), a next link that the
manifest splits out of the raw Link header by hand (cisco-meraki), a cursor read from a body
field and sent by a request parameter's own template (track-pms's reservations).

Each test serves the manifest from the simulator and reads it with airbyte-cdk (the reference
environment) and with restsync, on one server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate, Simulated

_BASE = "{{ config['base_url'] }}"


def _both(
    simulate: Simulate, tmp_path: Path, stream: dict[str, Any], seed: int
) -> tuple[Simulated, dict[str, list[Any]], list[str], dict[str, list[Any]]]:
    """The manifest of ``stream`` served by the simulator, then read by airbyte-cdk (its
    records and errors) and by restsync, both pointed at that server."""
    manifest = tmp_path / "manifest.yaml"
    check = {"type": "CheckStream", "stream_names": [stream["name"]]}
    manifest.write_text(json.dumps(build.manifest(stream, version="6.44.0", check=check)))
    run = simulate(manifest, {"base_url": "http://api.invalid"}, seed=seed)
    config = {"base_url": run.sim.base_url}
    expected, errors = reference_records(manifest, config, timeout=120)
    return run, expected, errors, restsync_records(manifest, config)


def test_a_top_level_star_record_path_is_served_as_the_cdk_reads_it(
    simulate: Simulate, tmp_path: Path
) -> None:
    # breezy-hr's pipelines: field_path ["*"]; a list body made both clients fail alike
    pipelines = build.stream(
        "pipelines",
        build.requester(_BASE, "/pipelines"),
        ["*"],
        primary_key=["id"],
        schema=build.properties(id="string", name="string"),
    )
    run, expected, errors, got = _both(simulate, tmp_path, pipelines, seed=151)
    assert errors == []
    served = run.sim.dataset()["pipelines"]
    assert len(expected["pipelines"]) == len(served) > 0
    assert canonical(got["pipelines"]) == canonical(expected["pipelines"])
