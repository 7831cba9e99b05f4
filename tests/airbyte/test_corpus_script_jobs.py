"""The comparison harness (scripts/airbyte_corpus_diff.py) reads report-job streams
(AsyncRetriever) through the job front that ``restsync simulate`` starts, on both sides. Before,
the simulator alone answered their job creation with 405: airbyte-cdk and restsync both failed,
and the stream was never compared."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.airbyte import manifests as build
from tests.airbyte._script import load_script
from tests.airbyte.async_api import report_manifest

SPEC = build.spec(api_key={"type": "string", "airbyte_secret": True})


def test_the_harness_compares_a_report_job_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    manifest = {**report_manifest("https://reports.example.com"), "spec": SPEC}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest))

    assert load_script("airbyte_corpus_diff").main(str(tmp_path), "--timeout", "300") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["reports", "identical"]
    clicks = next(line.split(maxsplit=1)[1] for line in lines if line.split()[0] == "clicks")
    assert clicks.startswith("identical (")
    assert lines[-1] == "streams (1): identical 1"
