"""Credentials as values, made at send time.

An ``Authenticator`` only says *what* the credentials are; *where* they may go is decided by
``_origin.OriginGuard`` (the API's own origin only), which asks for them just before a request to
that origin is sent. The OAuth2 token request never follows a redirect: it carries the client
secret, and a redirect could hand it to any host.
"""

from __future__ import annotations

import asyncio
import base64
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import aiohttp

from restsync._engine._dlt_objects import DltSigner
from restsync._engine._exchange import AuthError, Exchange, exchange_json
from restsync._plan import (
    ApiKey,
    AuthPlan,
    BasicLogin,
    BearerToken,
    DltAuth,
    OAuth2ClientGrant,
    SessionLogin,
)

__all__ = ["AuthError", "Authenticator", "Credentials", "make_authenticator"]

Clock = Callable[[], float]
A = TypeVar("A")  # the plan auth value an Authenticator is made from


@dataclass(frozen=True)
class Credentials:
    """What a request to the API's origin carries: headers, query parameters, cookies."""

    headers: dict[str, str] = field(default_factory=dict)
    params: list[tuple[str, str]] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)


class Authenticator(Generic[A]):
    """Makes the credentials of one plan auth value (``A``); one per auth, shared by the
    requests that use it. The base sends nothing (no auth)."""

    def __init__(self, auth: A) -> None:
        self.auth = auth

    def secret_param_names(self) -> set[str]:
        """Query parameters that carry a secret (redacted wherever a URL is shown)."""
        return set()

    async def apply(self, session: aiohttp.ClientSession) -> Credentials:
        """The credentials for a request to the API's origin (never call it for another)."""
        return Credentials()

    def obtained_tokens(self) -> tuple[str, ...]:
        """Tokens a server handed out during the run: masked in every error, as the config's
        secrets are (a server may echo one back in an error message)."""
        return ()


class _Static(Authenticator[A]):
    """Credentials that never change (bearer, API key, basic): made once."""

    def __init__(self, auth: A, credentials: Credentials) -> None:
        super().__init__(auth)
        self._credentials = credentials

    async def apply(self, session: aiohttp.ClientSession) -> Credentials:
        return self._credentials


def _bearer(auth: BearerToken) -> Authenticator[BearerToken]:
    headers = {"Authorization": f"Bearer {auth.token.get_secret_value()}"}
    return _Static(auth, Credentials(headers=headers))


class _ApiKey(_Static[ApiKey]):
    def __init__(self, auth: ApiKey) -> None:
        name, value = auth.name, auth.api_key.get_secret_value()
        if auth.location == "header":
            credentials = Credentials(headers={name: value})
        elif auth.location == "cookie":
            credentials = Credentials(cookies={name: value})
        else:
            credentials = Credentials(params=[(name, value)])
        super().__init__(auth, credentials)

    def secret_param_names(self) -> set[str]:
        return {self.auth.name} if self.auth.location == "query" else set()


def _basic(auth: BasicLogin) -> Authenticator[BasicLogin]:
    raw = f"{auth.username}:{auth.password.get_secret_value()}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    return _Static(auth, Credentials(headers=headers))


class _DltSigned(Authenticator[DltAuth]):
    """A dlt auth object signs each request with its own code."""

    def __init__(self, auth: DltAuth, base_url: str) -> None:
        super().__init__(auth)
        self._signer = DltSigner(auth.instance, base_url)
        self._signed_params: set[str] = set()

    def secret_param_names(self) -> set[str]:
        return self._signed_params

    async def apply(self, session: aiohttp.ClientSession) -> Credentials:
        headers, params = await self._signer.credentials()
        self._signed_params = {name for name, _ in params}
        return Credentials(headers=headers, params=params)


class OAuth2(Authenticator[OAuth2ClientGrant]):
    """A token from the token endpoint, fetched once and again ``_REFRESH_MARGIN`` seconds
    before it expires. ``clock`` (monotonic) and ``wall_clock`` (Unix time, to read an expiry
    given as a point in time) are injected so tests can move time."""

    def __init__(
        self,
        auth: OAuth2ClientGrant,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        super().__init__(auth)
        self._clock = clock
        self._wall_clock = wall_clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._obtained: set[str] = set()
        if auth.access_token is not None:
            self.keep(auth.access_token.get_secret_value(), auth.default_token_expiration)

    def keep(self, token: str, lifetime: float) -> None:
        self._obtained.add(token)
        self._token = token
        self._expires_at = self._clock() + lifetime

    def fresh_token(self) -> str | None:
        """The token held, unless it expires within the refresh margin."""
        if self._token and self._clock() < self._expires_at - _REFRESH_MARGIN:
            return self._token
        return None

    def lifetime(self, payload: Any) -> float:
        """Seconds the token in a token answer lives, from the answer's expiry field."""
        return _lifetime(_field(payload, self.auth.expires_field), self.auth, self._wall_clock())

    async def apply(self, session: aiohttp.ClientSession) -> Credentials:
        return Credentials(headers={"Authorization": f"Bearer {await self._current(session)}"})

    def obtained_tokens(self) -> tuple[str, ...]:
        return tuple(self._obtained)

    async def _current(self, session: aiohttp.ClientSession) -> str:
        async with self._lock:
            token = self.fresh_token()
            if token is not None:
                return token
            auth = self.auth
            payload = await _request_token(auth, session)
            found = _field(payload, auth.access_token_field)
            if not found:
                url = auth.access_token_url
                raise AuthError(f"the token endpoint returned no {auth.access_token_field}", url)
            self.keep(str(found), self.lifetime(payload))
            return str(found)


# a token this close to its expiry is fetched again: it could expire on the way
_REFRESH_MARGIN = 30.0

# plan auth type -> how its Authenticator is made (with the API's base URL)
_FACTORIES: dict[type[AuthPlan], Callable[[Any, str], Authenticator[Any]]] = {
    BearerToken: lambda auth, _: _bearer(auth),
    ApiKey: lambda auth, _: _ApiKey(auth),
    BasicLogin: lambda auth, _: _basic(auth),
    OAuth2ClientGrant: lambda auth, _: OAuth2(auth),
    DltAuth: _DltSigned,
    SessionLogin: lambda auth, _: _session_token(auth),
}


def _session_token(auth: SessionLogin) -> Authenticator[SessionLogin]:
    from restsync._engine._session import SessionToken  # it builds on this module's classes

    return SessionToken(auth)


def make_authenticator(auth: AuthPlan | None, base_url: str = "") -> Authenticator[Any]:
    """The Authenticator for a plan's auth value (``None``: one that sends nothing)."""
    if auth is None:
        return Authenticator(None)
    return _FACTORIES[type(auth)](auth, base_url)


async def _request_token(auth: OAuth2ClientGrant, session: aiohttp.ClientSession) -> Any:
    headers = dict(auth.access_token_request_headers)
    data: dict[str, Any] = {"grant_type": "client_credentials"}
    if "Authorization" not in headers:  # else the client's credentials are in that header
        data["client_id"] = auth.client_id.get_secret_value()
        data["client_secret"] = auth.client_secret.get_secret_value()
    data.update(auth.access_token_request_data)
    return await exchange_json(
        session, "POST", auth.access_token_url, _TOKEN_REQUEST, data=data, headers=headers or None
    )


_TOKEN_REQUEST = Exchange(
    refused="the token endpoint answered {status}; check client_id and client_secret",
    redirected="the token endpoint redirected (HTTP {status}) and the client secret is never "
    "sent after a redirect; set access_token_url to the final URL",
    not_json="the token endpoint's answer is not JSON",
)


def _field(payload: Any, name: str, depth: int = 0) -> Any:
    """``name``'s value in the token answer: at the top, else in a nested object or list (some
    providers wrap the token, e.g. ``{"data": {"access_token": ...}}``), as Airbyte looks it up."""
    if depth > 5:
        return None
    if isinstance(payload, dict):
        if name in payload:
            return payload[name]
        items: Any = payload.values()
    elif isinstance(payload, list):
        items = payload
    else:
        return None
    for item in items:
        found = _field(item, name, depth + 1)
        if found is not None:
            return found
    return None


# A lifetime of more than ~31 years can only be a point in time: providers such as Strava
# answer ``expires_at`` in Unix seconds, and reading it as a duration would never refresh.
_UNIX_TIME_FLOOR = 1_000_000_000


def _lifetime(value: Any, auth: OAuth2ClientGrant, now: float) -> float:
    """Seconds until the token expires, from the answer's expiry field (``now``: Unix time)."""
    default = auth.default_token_expiration
    if auth.expires_is_time and isinstance(value, str) and not _is_number(value):
        moment = _iso_time(value)
        return default if moment is None else max(0.0, moment - now)
    seconds = _seconds(value, default)
    if auth.expires_is_time or seconds >= _UNIX_TIME_FLOOR:
        if seconds > 100 * _UNIX_TIME_FLOOR:  # milliseconds
            seconds /= 1000
        return max(0.0, seconds - now)
    return seconds


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _iso_time(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _seconds(value: Any, default: float) -> float:
    """``expires_in`` as a number of seconds; a missing or unreadable one means ``default``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    return seconds if math.isfinite(seconds) and seconds > 0 else default
