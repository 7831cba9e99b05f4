"""Which configured values are credentials, decided once for the origin rule and the masking.

The origin rule is wide: a configured header either describes the request (``PLAIN_HEADERS``:
``Accept``, ``Content-Type``, ...) or may say who sends it, and only the first kind ever goes to
another origin (``_engine/_origin.py``).

Masking is narrower, because a masked value is replaced wherever it occurs in a message: a
header ``X-Api-Version: 2024-06-01`` masked everywhere turns every date in every error into
``***-06-01``, and ``X-Tenant: acme`` turns ``https://acme.example.com`` into
``https://***.example.com``. Secrets first, so a configured header's value is masked unless it
is one of the few kinds that cannot be a credential (``header_secrets``):

- its name names no credential (``SECRET_HEADER_NAME``: ``key``, ``token``, ``auth``,
  ``secret``, ``session``, ``cookie``, ...), and
- the name is a version header (``Notion-Version``, ``X-Api-Version``), or the value has the
  shape of a number, a date or a version (digits first, then digits and ``.-:+_/TZ`` only), or
  the value is one label of the API's host name (public anyway: DNS, TLS and every proxy log
  see it).

Everything else is masked: a token under a name that says nothing (``X-Custom: ab12...``), a
word that might be a password. Values looked up as secrets (``!secret``, ``dlt.secrets``) and
secret-named environment variables are masked whatever the header (``restsync._secrets``).

A query parameter is a credential when its name says so (``api_key``, ``token``,
``signature``, ...); its value is masked in URLs and in text alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "PLAIN_HEADERS",
    "SECRET_HEADER_NAME",
    "SECRET_PARAM_NAME",
    "header_secrets",
    "param_secrets",
]

# Headers that say what the request is, never who sends it (lower case).
PLAIN_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}
)

SECRET_PARAM_NAME = re.compile(
    r"(key|token|secret|password|passwd|auth|signature|sig|credential)", re.I
)


# A header name that may carry a credential: its value is masked whatever it looks like.
SECRET_HEADER_NAME = re.compile(
    r"key|token|secret|pass|pwd|auth|sig|credential|session|cookie|jwt|hmac|private|access"
    r"|client|user|login|account|nonce|bearer",
    re.I,
)
# A number, a date, a time or a version: digits first, no letters but the ISO T and Z
_DESCRIPTIVE_VALUE = re.compile(r"[0-9][0-9.:+_/TZ-]*")
_VERSION_HEADER = re.compile(r"(^|[-_])version$", re.I)


def header_secrets(headers: Mapping[str, Any], base_url: str = "") -> Iterator[str]:
    """The values of ``headers`` that are (or may be) credentials: all but the kinds described
    above; ``base_url`` gives the host whose labels are public."""
    labels = set((urlsplit(base_url).hostname or "").lower().split("."))
    for name, value in headers.items():
        if str(name).lower() in PLAIN_HEADERS or value is None:
            continue
        text = str(value)
        if not SECRET_HEADER_NAME.search(str(name)) and (
            _VERSION_HEADER.search(str(name))
            or _DESCRIPTIVE_VALUE.fullmatch(text)
            or text.lower() in labels
        ):
            continue
        yield text


def param_secrets(params: Mapping[str, Any]) -> Iterator[str]:
    """The plain values of query parameters whose names say they carry a secret."""
    for name, value in params.items():
        if (
            SECRET_PARAM_NAME.search(str(name))
            and isinstance(value, str | int)
            and not isinstance(value, bool)
        ):
            yield str(value)
