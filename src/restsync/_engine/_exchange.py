"""A credential exchange: one request that trades the user's secrets for a token (OAuth2's token
request, a session login) and answers JSON.

It goes to its own URL only and never follows a redirect: it carries a client secret or a
password, and a redirect could hand those to any host. Each failure is an ``AuthError`` saying
what went wrong in the exchange's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from restsync._engine._body import read_capped
from restsync._engine._request import redact

__all__ = ["AuthError", "Exchange", "exchange_json"]

# a token or a session is a few hundred bytes; a megabyte is no credential's answer
_ANSWER_LIMIT = 2**20


class AuthError(Exception):
    """The credentials could not be obtained (a token endpoint refused); the caller names the
    resource that needed them."""

    def __init__(self, message: str, url: str) -> None:
        self.message = message
        self.url = redact(url)
        super().__init__(f"{message} ({self.url})")


@dataclass(frozen=True)
class Exchange:
    """How one kind of exchange names itself in its errors."""

    refused: str  # "the token endpoint answered {status}; check client_id and client_secret"
    redirected: str  # "the token endpoint redirected (HTTP {status}) and ..."
    not_json: str  # "the token endpoint's answer is not JSON"


async def exchange_json(
    session: aiohttp.ClientSession, method: str, url: str, words: Exchange, **options: Any
) -> Any:
    """The parsed JSON answer of a 2xx response to the request; ``AuthError`` otherwise."""
    async with session.request(method, url, allow_redirects=False, **options) as response:
        status = response.status
        if 300 <= status < 400:
            raise AuthError(words.redirected.format(status=status), url)
        if not 200 <= status < 300:
            raise AuthError(words.refused.format(status=status), url)
        raw = await read_capped(response, _ANSWER_LIMIT)
    if raw is None:
        raise AuthError(f"{words.not_json} (it is larger than {_ANSWER_LIMIT:,} bytes)", url)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AuthError(words.not_json, url) from exc
