"""The CLI's error boundary on its own: which exit code each kind of failure gets, and masking."""

from __future__ import annotations

import pytest

from restsync import ConfigError, ExtractionError, SyncFailed
from restsync._errors import ResourcesFailed
from restsync.cli._failures import ExitCode, Terminated, explain, redact_text

FAILED = [ExtractionError("items", "the API answered HTTP 500")]


def _wrapped(inner: BaseException) -> BaseException:
    """``inner`` as the cause of another exception, the way libraries chain them."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise RuntimeError("outer wrapper") from exc
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    "exc, code",
    [
        (SyncFailed(FAILED), ExitCode.RESOURCE_FAILED),
        (_wrapped(ResourcesFailed(FAILED)), ExitCode.RESOURCE_FAILED),
        (_wrapped(ConfigError("client.base_url", "set it")), ExitCode.CONFIG),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (Terminated(), ExitCode.TERMINATED),
        (_wrapped(ZeroDivisionError("division by zero")), ExitCode.INTERNAL),
    ],
    ids=["sync-failed", "resources-failed", "config", "sigint", "sigterm", "unexpected"],
)
def test_each_failure_gets_its_documented_exit_code(exc: BaseException, code: ExitCode) -> None:
    assert explain(exc).code == code


def test_the_innermost_cause_is_the_message() -> None:
    failure = explain(_wrapped(ZeroDivisionError("division by zero")))
    assert failure.message == "unexpected ZeroDivisionError: division by zero"


def test_passwords_in_urls_and_known_secrets_are_masked() -> None:
    text = "could not connect to postgresql://loader:Pa55w0rd@db:5432/x with token abcd-1234"
    masked = redact_text(text, secrets=("abcd-1234",))
    assert masked == "could not connect to postgresql://loader:***@db:5432/x with token ***"
    failure = explain(_wrapped(ValueError(text)), secrets=("abcd-1234",))
    assert "Pa55w0rd" not in failure.message and "abcd-1234" not in failure.message
