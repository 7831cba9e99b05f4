"""The errors restsync raises, grouped by what a caller should do with them.

    RestSyncError
    ├── ConfigError                 fix the config; never retried, raised before any request
    ├── ExtractionError             one resource could not be fetched; other resources go on
    │   ├── HTTPStatusError         a status we do not retry, or retries ran out
    │   ├── ResponseFormatError     the body is not the JSON the config describes
    │   ├── PaginationLoopError     the API handed back a cursor it had already given
    │   └── PrimaryKeyError         the records do not carry the configured primary key
    ├── ResourcesFailed             raised inside dlt's extract step (dlt wraps it in its
    │                               PipelineStepFailed): names each failure; nothing was loaded
    ├── SyncFailed                  raised after a run loaded what it could; names each failure
    └── SimulatorError              the simulator cannot serve this config or these options
                                    (restsync.simulator.SimulatorError; also a ValueError)

Library errors (aiohttp, jsonpath, jinja2, dlt) are translated at the boundary with
``raise ... from exc``. Messages are one sentence: what, where (config path or resource and redacted
URL), what to do. They never carry a secret or a whole response body.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

__all__ = [
    "ConfigError",
    "ExtractionError",
    "HTTPStatusError",
    "PaginationLoopError",
    "PrimaryKeyError",
    "ResourcesFailed",
    "ResponseFormatError",
    "RestSyncError",
    "SyncFailed",
]


class RestSyncError(Exception):
    """Base of every error restsync raises on purpose."""


class ConfigError(RestSyncError, ValueError):
    """The config cannot run as written; ``path`` says where (``resources[3].endpoint.path``)."""

    def __init__(self, path: str, message: str) -> None:
        # keys and values from the config can hold line breaks: the error stays one line
        self.path = _one_line(path)
        self.message = _one_line(message)
        super().__init__(f"{self.path}: {self.message}" if self.path else self.message)


_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


class ExtractionError(RestSyncError):
    """A resource failed while fetching; the failure is local to that resource."""

    def __init__(self, resource: str, message: str, url: str | None = None) -> None:
        self.resource = resource
        self.url = url
        self.message = message
        where = f" ({url})" if url else ""
        super().__init__(f"resource '{resource}'{where}: {message}")

    def mask(self, secrets: Collection[str]) -> None:
        """Show each of ``secrets`` (of 4 characters or more) as ``***`` in this error."""
        for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
            self.message = self.message.replace(secret, "***")
            self.url = self.url.replace(secret, "***") if self.url else self.url
            self.args = tuple(
                a.replace(secret, "***") if isinstance(a, str) else a for a in self.args
            )


class HTTPStatusError(ExtractionError):
    def __init__(self, resource: str, url: str, status: int, message: str) -> None:
        self.status = status
        super().__init__(resource, message, url)


class ResponseFormatError(ExtractionError):
    pass


class PaginationLoopError(ExtractionError):
    pass


class PrimaryKeyError(ExtractionError):
    pass


class SyncFailed(RestSyncError):
    """Raised after the resources that could load were loaded; names every resource that failed."""

    def __init__(self, failures: Sequence[ExtractionError]) -> None:
        self.failures = list(failures)
        names = ", ".join(f.resource for f in self.failures)
        details = "; ".join(str(f) for f in self.failures)
        super().__init__(
            f"{len(self.failures)} resource(s) failed and were not loaded ({names}): {details}"
        )


class ResourcesFailed(RestSyncError):
    """Raised from a plain ``pipeline.run`` once the engine has finished, when any resource
    failed: dlt fails the extract step, as it does for its own rest_api, and loads nothing.
    ``restsync.sync`` loads the healthy resources instead and then raises ``SyncFailed``."""

    def __init__(self, failures: Sequence[ExtractionError]) -> None:
        self.failures = list(failures)
        names = ", ".join(f.resource for f in self.failures)
        details = "; ".join(str(f) for f in self.failures)
        super().__init__(
            f"{len(self.failures)} resource(s) failed ({names}), so nothing was loaded: {details}"
            " (restsync.sync(pipeline, source) loads the healthy resources, then raises)"
        )
