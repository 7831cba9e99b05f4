"""Manifests of the third sample (session 10): a connector with both ``streams`` and
``dynamic_streams`` (linkedin-ads' custom analytics reports) runs its static streams, and
``check``, ``plan`` and a run say which dynamic streams are not run and why."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from restsync.airbyte import airbyte_source, skipped_streams
from restsync.cli import app

_MANIFEST = {
    "version": "6.0.0",
    "type": "DeclarativeSource",
    "check": {"type": "CheckStream", "stream_names": ["accounts"]},
    "streams": [
        {
            "type": "DeclarativeStream",
            "name": "accounts",
            "retriever": {
                "type": "SimpleRetriever",
                "requester": {
                    "type": "HttpRequester",
                    "url_base": "http://127.0.0.1:9",
                    "path": "/accounts",
                },
                "record_selector": {
                    "type": "RecordSelector",
                    "extractor": {"type": "DpathExtractor", "field_path": []},
                },
            },
        }
    ],
    "dynamic_streams": [
        {
            "type": "DynamicDeclarativeStream",
            "stream_template": {"type": "DeclarativeStream", "name": "custom_report"},
            "components_resolver": {
                # a resolver restsync cannot run (airbyte-cdk has no such type either): the
                # static streams still run (session 11 runs the three resolvers the CDK has)
                "type": "CustomComponentsResolver",
                "stream_config": {"type": "StreamConfig", "configs_pointer": ["reports"]},
                "components_mapping": [],
            },
        }
    ],
}

_REASON = (
    "dynamic_streams[0] (template 'custom_report') is not run: it uses CustomComponentsResolver "
    "(an unknown components resolver) at dynamic_streams[0].components_resolver, which "
    "restsync cannot run; the other streams still run"
)


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(_MANIFEST))
    return path


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_dynamic_streams_beside_static_ones_are_named_with_the_reason(manifest: Path) -> None:
    assert list(skipped_streams(manifest).values()) == [_REASON]


def test_check_warns_and_passes_plan_says_so(manifest: Path) -> None:
    checked = CliRunner().invoke(app, ["check", str(manifest)])
    assert checked.exit_code == 0, checked.output
    assert _flat(f"warning: {_REASON}") in _flat(checked.output)
    planned = CliRunner().invoke(app, ["plan", str(manifest)])
    assert planned.exit_code == 0, planned.output
    assert _flat(f"skipped: {_REASON}") in _flat(planned.output)
    assert "accounts -> table accounts" in planned.output


def test_a_run_logs_the_skipped_dynamic_streams(
    manifest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="restsync"):
        source = airbyte_source(manifest, {})
    assert [r.getMessage() for r in caplog.records] == [_REASON]
    assert "accounts" in source.resources
