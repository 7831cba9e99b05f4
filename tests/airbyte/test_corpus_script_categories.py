"""The comparison harness (scripts/airbyte_corpus_diff.py) names who failed a stream: both
clients (usually a simulator limit), only airbyte-cdk, only restsync (a real difference), or a
side that ran out of its budget (nothing compared). It once called all of them "different"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.airbyte._script import load_script

STRPTIME = "failed: ConfigError: time data '2024-01-01T00:00:00Z' does not match format"
CDK_STRPTIME = "time data '2024-01-01T00:00:00Z' does not match format '%a, %d %b %Y'"
LATE_OURS = "did not finish within 120 s"
LATE_CDK = "airbyte-cdk did not finish within 120 s"

CASES = [
    # (restsync's result, the CDK's records, the CDK's error) -> category
    ([{"id": 1}], [{"id": 1}], None, None),
    (STRPTIME, [], CDK_STRPTIME, "both-failed"),
    (STRPTIME, [{"id": 1}], None, "different"),
    ([{"id": 1}], [], CDK_STRPTIME, "cdk-failed"),
    (LATE_OURS, [{"id": 1}], None, "unfinished"),
    ([{"id": 1}], [], LATE_CDK, "unfinished"),
    (LATE_OURS, [], LATE_CDK, "unfinished"),
    # an error with records read: the records are compared, not the error
    ([{"id": 1}], [{"id": 1}], CDK_STRPTIME, None),
]


@pytest.mark.parametrize(("ours", "want", "cdk_error", "category"), CASES)
def test_a_failed_side_is_named(
    ours: Any, want: list[Any], cdk_error: str | None, category: str | None
) -> None:
    verdict = load_script("airbyte_corpus_diff")._failure(ours, want, cdk_error)
    if category is None:
        assert verdict is None
    else:
        assert verdict.split(":")[0] == category


def test_both_sides_failing_shows_both_reasons() -> None:
    verdict = load_script("airbyte_corpus_diff")._failure(STRPTIME, [], CDK_STRPTIME)
    assert verdict == f"both-failed: restsync {STRPTIME}; airbyte-cdk: {CDK_STRPTIME}"


def test_a_long_reason_keeps_its_cause_from_each_side() -> None:
    # dlt wraps restsync's cause at the end of a long message; the CDK's starts with it
    wrapped = "failed: ResourceExtractionError: In processing pipe `pages`: " * 5 + STRPTIME
    verdict = load_script("airbyte_corpus_diff")._failure(
        wrapped, [], CDK_STRPTIME + " and more" * 30
    )
    assert verdict.startswith("both-failed: restsync ...")
    assert STRPTIME in verdict and f"airbyte-cdk: {CDK_STRPTIME}" in verdict


def test_a_connector_is_as_good_as_its_worst_stream() -> None:
    verdict = load_script("airbyte_corpus_diff").connector_verdict
    identical = "identical (3 records)"
    assert verdict({"a": identical, "b": identical}) == "identical"
    assert verdict({"a": identical, "b": "both-failed: x"}) == "both-failed"
    assert verdict({"a": "cdk-failed: x", "b": "unfinished: y"}) == "unfinished"
    assert verdict({"a": "unfinished: y", "b": "different: z"}) == "different"
