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


def test_the_harness_compares_the_streams_an_api_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = build.listed_tables()
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
