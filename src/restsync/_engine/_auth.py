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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from restsync._config import (
    ApiKeyAuth,
    BearerAuth,
    DltAuthObject,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)
from restsync._engine._dlt_objects import DltSigner
from restsync._engine._request import redact

__all__ = ["AuthError", "Authenticator", "Credentials"]


@dataclass(frozen=True)
class Credentials:
    """What a request to the API's origin carries: headers, query parameters, cookies."""

    headers: dict[str, str] = field(default_factory=dict)
    params: list[tuple[str, str]] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)


class AuthError(Exception):
    """The credentials could not be obtained (a token endpoint refused); the caller names the
    resource that needed them."""

    def __init__(self, message: str, url: str) -> None:
        self.message = message
        self.url = redact(url)
        super().__init__(f"{message} ({self.url})")


class Authenticator:
    def __init__(self, auth: Any, base_url: str = "") -> None:
        self.auth = auth
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        dlt_object = isinstance(auth, DltAuthObject)
        self._signer = DltSigner(auth.instance, base_url) if dlt_object else None
        self._signed_params: set[str] = set()

    def secret_param_names(self) -> set[str]:
        if isinstance(self.auth, ApiKeyAuth) and self.auth.location in ("query", "param"):
            return {self.auth.name}
        return self._signed_params

    async def apply(self, session: aiohttp.ClientSession) -> Credentials:
        """The credentials for a request to the API's origin (never call it for another)."""
        auth = self.auth
        if isinstance(auth, BearerAuth):
            return Credentials(headers={"Authorization": f"Bearer {auth.token.get_secret_value()}"})
        if isinstance(auth, ApiKeyAuth):
            name, value = auth.name, auth.api_key.get_secret_value()
            if auth.location == "header":
                return Credentials(headers={name: value})
            if auth.location == "cookie":
                return Credentials(cookies={name: value})
            return Credentials(params=[(name, value)])
        if isinstance(auth, HttpBasicAuth):
            raw = f"{auth.username}:{auth.password.get_secret_value()}".encode()
            return Credentials(headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
        if isinstance(auth, OAuth2ClientCredentials):
            token = await self._oauth_token(auth, session)
            return Credentials(headers={"Authorization": f"Bearer {token}"})
        if self._signer is not None:
            headers, params = await self._signer.credentials()
            self._signed_params = {name for name, _ in params}
            return Credentials(headers=headers, params=params)
        return Credentials()

    async def _oauth_token(
        self, auth: OAuth2ClientCredentials, session: aiohttp.ClientSession
    ) -> str:
        if auth.access_token is not None and self._token is None:
            self._token = auth.access_token.get_secret_value()
            self._expires_at = time.monotonic() + auth.default_token_expiration
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at - 30:
                return self._token
            payload = await _request_token(auth, session)
            token = _field(payload, auth.access_token_field)
            if not token:
                url = auth.access_token_url
                raise AuthError(f"the token endpoint returned no {auth.access_token_field}", url)
            self._token = str(token)
            self._expires_at = time.monotonic() + _lifetime(
                _field(payload, auth.expires_field), auth
            )
            return self._token


async def _request_token(auth: OAuth2ClientCredentials, session: aiohttp.ClientSession) -> Any:
    data = {
        "grant_type": "client_credentials",
        "client_id": auth.client_id.get_secret_value(),
        "client_secret": auth.client_secret.get_secret_value(),
        **auth.access_token_request_data,
    }
    url = auth.access_token_url
    async with session.post(url, data=data, allow_redirects=False) as response:
        if 300 <= response.status < 400:
            raise AuthError(
                f"the token endpoint redirected (HTTP {response.status}) and the client secret "
                "is never sent after a redirect; set access_token_url to the final URL",
                url,
            )
        if response.status != 200:
            raise AuthError(
                f"the token endpoint answered {response.status}; check client_id and client_secret",
                url,
            )
        raw = await response.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AuthError("the token endpoint's answer is not JSON", url) from exc


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


def _lifetime(value: Any, auth: OAuth2ClientCredentials) -> float:
    """Seconds until the token expires, from the answer's expiry field."""
    default = auth.default_token_expiration
    if auth.expires_is_time and isinstance(value, str) and not _is_number(value):
        moment = _iso_time(value)
        return default if moment is None else max(0.0, moment - time.time())
    seconds = _seconds(value, default)
    if auth.expires_is_time or seconds >= _UNIX_TIME_FLOOR:
        if seconds > 100 * _UNIX_TIME_FLOOR:  # milliseconds
            seconds /= 1000
        return max(0.0, seconds - time.time())
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
