"""Report jobs under the AsyncRetriever's limits, as airbyte-cdk 7.39.1 keeps them: the wait
before a failed job is created again (``failed_retry_wait_time_in_seconds``) and how many jobs
run at once across the source (the manifest's ``max_concurrent_async_job_count``, 1 unset; a
template rendered without the config, as airbyte-cdk's JobTracker is given none).
Each against airbyte-cdk on the same local servers where records are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from restsync._errors import ConfigError
from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import canonical, reference_records
from tests.airbyte.async_api import ReportApi, report_manifest, run_engine, serving

CONFIG = {"api_key": "sk-report-secret-4242", "jobs": 3}


def _cdk(manifest_of: Any, api: ReportApi, tmp_path: Path) -> list[Any]:
    """airbyte-cdk's records of the manifest ``manifest_of(api_url)`` against ``api``."""
    with serving(api) as url:
        path = tmp_path / "cdk.yaml"
        path.write_text(yaml.safe_dump(manifest_of(url)))
        theirs, errors = reference_records(path, CONFIG, timeout=300)
    assert errors == []
    return list(theirs["clicks"])


def _with(api_url: str, **retriever: Any) -> dict[str, Any]:
    manifest = report_manifest(api_url)
    manifest["streams"][0]["retriever"].update(retriever)
    return manifest


def test_a_failed_job_is_created_again_after_the_manifests_wait(tmp_path: Path) -> None:
    def manifest_of(url: str) -> dict[str, Any]:
        manifest = _with(url, failed_retry_wait_time_in_seconds=7)
        manifest["max_concurrent_async_job_count"] = 3
        return manifest

    api = ReportApi(fail_first=True)  # each segment's first job fails, its second completes
    with serving(api) as url:
        report, slept, ours = run_engine(plan_manifest(manifest_of(url), CONFIG))
    assert report.resources["clicks"].error is None
    assert len(api.created) == 6
    assert slept.count(7.0) == 3  # one wait per failed job, none after the completed ones
    cdk_api = ReportApi(fail_first=True)
    theirs = _cdk(manifest_of, cdk_api, tmp_path)
    assert len(cdk_api.created) == 6
    assert len(ours) == 11
    assert canonical(ours) == canonical(theirs)


def test_a_job_that_fails_every_time_waits_between_attempts_only() -> None:
    api = ReportApi(fail=True)
    with serving(api) as url:
        manifest = _with(url, failed_retry_wait_time_in_seconds="{{ 4 * 10 }}")
        report, slept, _ = run_engine(plan_manifest(manifest, CONFIG))
    error = report.resources["clicks"].error
    assert error is not None
    assert "ended 'failed' on each of 3 attempts" in error.message
    assert len(api.created) == 9
    assert slept == [40.0] * 6  # 3 segments: a wait before the 2nd and the 3rd attempt


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (-5, "is -5; give 1 or more seconds"),
        ("{{ config['jobs'] - 3 }}", "is 0; give 1 or more seconds"),
        ("soon", "'soon' is not a whole number of seconds"),
    ],
)
def test_a_wait_that_is_not_a_number_of_seconds_is_one_sentence(value: Any, says: str) -> None:
    manifest = _with("http://127.0.0.1:9", failed_retry_wait_time_in_seconds=value)
    with pytest.raises(ConfigError) as caught:
        plan_manifest(manifest, CONFIG)
    assert caught.value.path == "streams[0].retriever.failed_retry_wait_time_in_seconds"
    assert says in caught.value.message


def test_one_job_at_once_unless_the_manifest_says_more(tmp_path: Path) -> None:
    api = ReportApi()
    with serving(api) as url:
        report, _, ours = run_engine(plan_manifest(report_manifest(url), CONFIG))
    assert report.resources["clicks"].error is None
    assert len(ours) == 11
    assert api.most_running == 1  # airbyte-cdk's JobTracker: 1 when the manifest sets none

    def manifest_of(url: str) -> dict[str, Any]:
        manifest = report_manifest(url)
        # airbyte-cdk renders it without the config: the default, 2, not the config's 3
        manifest["max_concurrent_async_job_count"] = "{{ config.get('jobs', 2) }}"
        return manifest

    two = ReportApi()
    with serving(two) as url:
        plan = plan_manifest(manifest_of(url), CONFIG)
        report, _, ours = run_engine(plan)
    assert report.resources["clicks"].error is None
    assert two.most_running == 2
    assert "at most 2 report job(s) at once across the source" in plan.resources["clicks"].notes
    cdk_api = ReportApi()
    theirs = _cdk(manifest_of, cdk_api, tmp_path)
    assert cdk_api.most_running == 2
    assert canonical(ours) == canonical(theirs)
