"""Log lines printed during a run go through the same masking as the CLI's own messages: the
engine and the loader log each failure as it happens (``ERROR restsync: ...``), and a server can
echo a credential back in the error a failure quotes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

from restsync.cli._failures import redact_text

__all__ = ["scrubbed_logs"]


class _Scrub(logging.Filter):
    def __init__(self, secrets: Callable[[], Collection[str]]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets()
        record.msg, record.args = redact_text(record.getMessage(), secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, secrets)
        return True


@contextmanager
def scrubbed_logs(secrets: Callable[[], Collection[str]]) -> Iterator[None]:
    """Mask ``secrets()`` (asked per line: they become known as the run goes) in every line the
    root logger's handlers print while the block runs."""
    scrub = _Scrub(secrets)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(scrub)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(scrub)
