"""What restsync never shows, and the one way it masks it.

The values to mask (``known_secrets``) are the same for every caller, the command line and
``restsync.sync`` alike:

- the plan's own credentials (``SourcePlan.secret_values``): what each auth answers, the
  configured headers that are credentials, secret-named query parameters;
- every value looked up as a secret while configs were read in this process (``!secret``,
  ``{"$secret": ...}``, ``dlt.secrets[...]`` in a Python config), wherever it was written;
- the values of secret-named environment variables.

Tokens a server hands out during a run are masked by the engine itself, as they come.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only asked for its values: the command line imports this module early
    from restsync._plan import SourcePlan

__all__ = ["known_secrets", "note_secret", "redact_text", "scrubbed_logs"]

_SECRET_ENV = re.compile(r"PASSWORD|SECRET|TOKEN|CREDENTIALS|API_KEY|APIKEY", re.I)
# A value shorter than this is never masked: it would mangle every message (and a 3-character
# secret is no secret).
MIN_SECRET_LENGTH = 4

_looked_up: set[str] = set()
_looked_up_lock = threading.Lock()


def note_secret(value: Any) -> None:
    """Remember ``value``, just looked up as a secret, as one to mask from now on."""
    if isinstance(value, str | bytes | int | float) and not isinstance(value, bool):
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        if len(text) >= MIN_SECRET_LENGTH:
            with _looked_up_lock:
                _looked_up.add(text)


def known_secrets(plan: SourcePlan | None = None) -> tuple[str, ...]:
    """Every value that must never be printed, longest first (a secret that contains another is
    masked whole)."""
    values = {v for k, v in os.environ.items() if _SECRET_ENV.search(k)}
    with _looked_up_lock:
        values |= _looked_up
    if plan is not None:
        values.update(plan.secret_values())
    return tuple(sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=_longest_first))


def _longest_first(value: str) -> tuple[int, str]:
    return -len(value), value


_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]+@", re.I)


def redact_text(text: str, secrets: Collection[str] = ()) -> str:
    """``text`` with passwords in URLs and every one of ``secrets`` masked."""
    masked = _USERINFO.sub(r"\g<scheme>\g<user>:***@", text)
    for secret in sorted((s for s in secrets if len(s) >= MIN_SECRET_LENGTH), key=_longest_first):
        masked = masked.replace(secret, "***")
    return masked


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


def _handlers() -> list[logging.Handler]:
    """The handlers a line logged during a run can reach: the root's, restsync's and dlt's own,
    and the last resort Python prints to when none is configured."""
    found: list[logging.Handler] = []
    for name in (None, "restsync", "dlt"):
        for handler in logging.getLogger(name).handlers:
            if handler not in found:
                found.append(handler)
    if logging.lastResort is not None and logging.lastResort not in found:
        found.append(logging.lastResort)
    return found


@contextmanager
def scrubbed_logs(secrets: Callable[[], Collection[str]]) -> Iterator[None]:
    """Mask ``secrets()`` (asked per line: they become known as the run goes) in every line the
    handlers of the root, ``restsync`` and ``dlt`` loggers print while the block runs."""
    scrub = _Scrub(secrets)
    handlers = _handlers()
    for handler in handlers:
        handler.addFilter(scrub)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(scrub)
