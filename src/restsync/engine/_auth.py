"""Apply credentials at send time, and only to the API's own origin.

A next-page URL or a cursor URL may point at another host; credentials are never sent there
(the same rule browsers and ``requests`` apply to redirects).
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import aiohttp

from restsync._errors import ExtractionError
from restsync.config import ApiKeyAuth, BearerAuth, HttpBasicAuth, OAuth2ClientCredentials
from restsync.engine._request import Request, origin

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(self, auth: Any, base_url: str) -> None:
        self.auth = auth
        self._origin = origin(base_url)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def secret_param_names(self) -> set[str]:
        if isinstance(self.auth, ApiKeyAuth) and self.auth.location in ("query", "param"):
            return {self.auth.name}
        return set()

    async def apply(
        self, request: Request, session: aiohttp.ClientSession
    ) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
        """Headers, extra query params and cookies to send with ``request``."""
        headers: dict[str, str] = {}
        params: list[tuple[str, str]] = []
        cookies: dict[str, str] = {}
        auth = self.auth
        if auth is None or origin(request.url) != self._origin:
            return headers, params, cookies
        if isinstance(auth, BearerAuth):
            headers["Authorization"] = f"Bearer {auth.token.get_secret_value()}"
        elif isinstance(auth, ApiKeyAuth):
            value = auth.api_key.get_secret_value()
            if auth.location == "header":
                headers[auth.name] = value
            elif auth.location == "cookie":
                cookies[auth.name] = value
            else:
                params.append((auth.name, value))
        elif isinstance(auth, HttpBasicAuth):
            raw = f"{auth.username}:{auth.password.get_secret_value()}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif isinstance(auth, OAuth2ClientCredentials):
            headers["Authorization"] = f"Bearer {await self._oauth_token(auth, session)}"
        return headers, params, cookies

    async def _oauth_token(
        self, auth: OAuth2ClientCredentials, session: aiohttp.ClientSession
    ) -> str:
        if auth.access_token is not None and self._token is None:
            self._token = auth.access_token.get_secret_value()
            self._expires_at = time.monotonic() + auth.default_token_expiration
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at - 30:
                return self._token
            data = {
                "grant_type": "client_credentials",
                "client_id": auth.client_id.get_secret_value(),
                "client_secret": auth.client_secret.get_secret_value(),
                **auth.access_token_request_data,
            }
            async with session.post(auth.access_token_url, data=data) as response:
                if response.status != 200:
                    raise ExtractionError(
                        "oauth2",
                        f"the token endpoint answered {response.status}; "
                        "check client_id and client_secret",
                        auth.access_token_url,
                    )
                payload = await response.json(content_type=None)
            token = payload.get("access_token") if isinstance(payload, dict) else None
            if not token:
                raise ExtractionError(
                    "oauth2", "the token endpoint returned no access_token", auth.access_token_url
                )
            self._token = str(token)
            expires = payload.get("expires_in") or auth.default_token_expiration
            self._expires_at = time.monotonic() + float(expires)
            return self._token
