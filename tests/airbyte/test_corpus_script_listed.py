"""The comparison harness (scripts/airbyte_corpus_diff.py) compares the streams an API lists
(dynamic_streams with an HttpComponentsResolver): the simulator serves the listing (absim's
``served_manifest``, for the harness's seed) and the streams it resolves to, and airbyte-cdk
and restsync both resolve them from it. Before, such an entry was left out as
simulator-limited and none of its streams was read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.airbyte import manifests as build
from tests.airbyte._script import load_script

MANIFEST = Path(__file__).parent / "manifests" / "dynamic.yaml"
SPEC = build.spec(
    base_url={"type": "string", "default": "https://tables.example.com"},
    key={"type": "string", "airbyte_secret": True},
)


def test_the_harness_compares_the_streams_an_api_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load(MANIFEST.read_text())
    document["dynamic_streams"] = document["dynamic_streams"][:1]  # the API-listed one
    document["spec"] = SPEC
    # each listed stream named after its workspace's name, a field the simulator serves
    # (the manifest's ``title`` is not served: airbyte-cdk names the streams "none_..." then,
    # restsync "[]_...", a difference the harness reports)
    resolver = document["dynamic_streams"][0]["components_resolver"]
    parent = resolver["retriever"]["partition_router"]["parent_stream_configs"][0]
    parent["extra_fields"] = [["name"]]
    resolver["components_mapping"][0]["value"] = (
        "{{ stream_slice.extra_fields.name | lower }}_{{ components_values.name | lower }}"
    )
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "manifest.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    script = load_script("airbyte_corpus_diff")
    assert script.main(str(tmp_path), "--timeout", "300", "--listed-cap", "1000") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["tables", "identical"], lines
    # (stream names hold spaces: the listing's names are words)
    shown = [line.strip() for line in lines[1:] if line.startswith("    ")]
    assert shown[0].split(maxsplit=1) == ["workspaces", shown[0].split(maxsplit=1)[1]]
    assert all(" identical (" in line for line in shown), lines
    listed = len(shown) - 1  # the streams the served listing names, each compared
    assert listed > 1
    assert lines[-1] == f"streams ({listed + 1}): identical {listed + 1}"
