"""Which configured values are credentials, decided once for the origin rule and the masking.

A configured header either describes the request (``PLAIN_HEADERS``: ``Accept``,
``Content-Type``, ...) or says who sends it: an ``X-Api-Key`` written in ``client.headers``, a
``dlt.secrets`` value, a tenant id. The engine sends the second kind only to the API's origin
(``_engine/_origin.py``), and for the same reason every value of that kind is masked wherever
restsync prints, logs or raises: a value not worth guarding from another host is not a value
worth hiding, and the other way round. A query parameter is a credential when its name says so
(``api_key``, ``token``, ``signature``, ...); its value is masked in URLs and in text alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["PLAIN_HEADERS", "SECRET_PARAM_NAME", "header_secrets", "param_secrets"]

# Headers that say what the request is, never who sends it (lower case).
PLAIN_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}
)

SECRET_PARAM_NAME = re.compile(
    r"(key|token|secret|password|passwd|auth|signature|sig|credential)", re.I
)


def header_secrets(headers: Mapping[str, Any]) -> Iterator[str]:
    """The values of ``headers`` that are credentials."""
    for name, value in headers.items():
        if str(name).lower() not in PLAIN_HEADERS and value is not None:
            yield str(value)


def param_secrets(params: Mapping[str, Any]) -> Iterator[str]:
    """The plain values of query parameters whose names say they carry a secret."""
    for name, value in params.items():
        if (
            SECRET_PARAM_NAME.search(str(name))
            and isinstance(value, str | int)
            and not isinstance(value, bool)
        ):
            yield str(value)
