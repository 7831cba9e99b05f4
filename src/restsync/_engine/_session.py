"""A session token from a login request (plan: ``SessionLogin``), sent with each request.

The login request carries the user's secrets (a password in its body, a key in its headers):
it is a credential exchange (``_exchange``), as the OAuth2 token request: to the login URL only,
never following a redirect.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from restsync._engine._auth import Authenticator, AuthError, Clock, Credentials
from restsync._engine._exchange import Exchange, exchange_json
from restsync._plan import SessionLogin

__all__ = ["SessionToken"]


class SessionToken(Authenticator[SessionLogin]):
    """Logs in once (again when ``expires_after`` has passed) and sends the token as a header
    or a query parameter. ``clock`` (monotonic) is injected so tests can move time."""

    def __init__(self, auth: SessionLogin, *, clock: Clock = time.monotonic) -> None:
        super().__init__(auth)
        self._clock = clock
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock = asyncio.Lock()
        self._obtained: list[str] = []

    def obtained_tokens(self) -> tuple[str, ...]:
        return tuple(self._obtained)

    def secret_param_names(self) -> set[str]:
        return {self.auth.name} if self.auth.location == "query" else set()

    async def apply(self, session: aiohttp.ClientSession) -> Credentials:
        value = self.auth.prefix + await self._current(session)
        if self.auth.location == "query":
            return Credentials(params=[(self.auth.name, value)])
        return Credentials(headers={self.auth.name: value})

    async def _current(self, session: aiohttp.ClientSession) -> str:
        async with self._lock:
            fresh = self._expires_at is None or self._clock() < self._expires_at
            if self._token is not None and fresh:
                return self._token
            payload = await _log_in(self.auth, session)
            token = _at(payload, self.auth.token_path)
            if token is None or token == "":
                where = ".".join(self.auth.token_path)
                raise AuthError(
                    f"the login answer has no session token at '{where}'", self.auth.login_url
                )
            self._token = str(token)
            self._obtained.append(self._token)
            if self.auth.expires_after is not None:
                self._expires_at = self._clock() + self.auth.expires_after
            return self._token


async def _log_in(auth: SessionLogin, session: aiohttp.ClientSession) -> Any:
    options: dict[str, Any] = {
        "params": dict(auth.login_params),
        "headers": dict(auth.login_headers),
    }
    if auth.login_form is not None:
        options["data"] = dict(auth.login_form)
    elif auth.login_json:
        options["json"] = auth.login_json
    return await exchange_json(session, auth.method, auth.login_url, _LOGIN, **options)


_LOGIN = Exchange(
    refused="the login request answered {status}; check the login credentials in the config",
    redirected="the login request redirected (HTTP {status}) and the login credentials are "
    "never sent after a redirect; set the login's URL to the final one",
    not_json="the login answer is not JSON",
)


def _at(payload: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if isinstance(payload, dict):
            payload = payload.get(key)
        elif isinstance(payload, list) and key.isdigit() and int(key) < len(payload):
            payload = payload[int(key)]
        else:
            return None
    return payload
