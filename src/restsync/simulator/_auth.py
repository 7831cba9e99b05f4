"""Check credentials the way a plan's auth sends them, and serve an OAuth2 token endpoint.

The expected secret is the one in the plan (``SecretStr.get_secret_value()``) unless
``SimulatorOptions.token`` overrides it. Secrets never appear in a repr, a log line or a response.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from restsync._plan import (
    ApiKey,
    AuthPlan,
    BasicLogin,
    BearerToken,
    DltAuth,
    OAuth2ClientGrant,
    SessionLogin,
)

__all__ = [
    "Credential",
    "Issuer",
    "LoginEndpoint",
    "TokenEndpoint",
    "expected_credential",
    "token_endpoint",
]


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Credential:
    location: Literal["header", "query", "cookie"]
    name: str
    value: str = field(repr=False)  # exactly what a client sends
    scheme: str | None = None  # "bearer" / "basic": the Authorization scheme, any letter case

    def as_dict(self) -> dict[str, str]:
        return {self.location: self.name, "value": self.value}

    def accepts(
        self, headers: Mapping[str, str], query: Mapping[str, str], cookies: Mapping[str, str]
    ) -> bool:
        if self.location == "query":
            return _same(query.get(self.name), self.value)
        if self.location == "cookie":
            return _same(cookies.get(self.name), self.value)
        given = headers.get(self.name)
        if self.scheme is None or given is None:
            return _same(given, self.value)
        scheme, _, rest = given.strip().partition(" ")
        expected = self.value.partition(" ")[2]
        if scheme.lower() != self.scheme:
            return False
        if self.scheme == "basic":
            return _same(_decode_basic(rest.strip()), _decode_basic(expected) or "")
        return _same(rest.strip(), expected)


@dataclass(frozen=True)
class TokenEndpoint:
    """``POST <path>`` with client credentials answers with ``token``."""

    path: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    token: str = field(repr=False)
    expires_in: int = 3600
    token_field: str = "access_token"
    expires_field: str = "expires_in"
    expires_is_time: bool = False  # answer the expiry as a Unix time, not a duration
    method: str = "POST"

    def accepts_client(self, headers: Mapping[str, str], form: Mapping[str, Any]) -> bool:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, rest = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            decoded = _decode_basic(rest.strip()) or ""
            client_id, _, client_secret = decoded.partition(":")
        return _same(str(client_id) if client_id is not None else None, self.client_id) and _same(
            str(client_secret) if client_secret is not None else None, self.client_secret
        )

    def response(self) -> dict[str, Any]:
        expiry = int(time.time()) + self.expires_in if self.expires_is_time else self.expires_in
        return {self.token_field: self.token, "token_type": "Bearer", self.expires_field: expiry}


@dataclass(frozen=True)
class LoginEndpoint:
    """``<method> <path>`` answers with a session token at ``token_path``. The login's own
    credentials are not checked: what the simulator checks is that the data requests carry the
    token it issued."""

    path: str
    method: str
    token_path: tuple[str, ...]
    token: str = field(repr=False)

    def accepts_client(self, headers: Mapping[str, str], form: Mapping[str, Any]) -> bool:
        return True

    def response(self) -> dict[str, Any]:
        answer: Any = self.token
        for key in reversed(self.token_path or ("token",)):
            answer = {key: answer}
        return answer if isinstance(answer, dict) else {"token": answer}


# what answers a client's request for credentials: an OAuth2 token endpoint or a session login
Issuer = TokenEndpoint | LoginEndpoint


def expected_credential(
    auth: AuthPlan | None, override: str | None, seed: int
) -> Credential | None:
    """What a client must send for ``auth``; ``None`` when the endpoint is open."""
    if auth is None:
        return None
    expect: Callable[[Any, str | None, int], Credential | None] = _EXPECTED[type(auth)]
    return expect(auth, override, seed)


def _bearer_of(auth: BearerToken, override: str | None, seed: int) -> Credential:
    return _bearer(override or auth.token.get_secret_value())


def _api_key_of(auth: ApiKey, override: str | None, seed: int) -> Credential:
    return Credential(auth.location, auth.name, override or auth.api_key.get_secret_value())


def _basic_of(auth: BasicLogin, override: str | None, seed: int) -> Credential:
    password = override or auth.password.get_secret_value()
    pair = base64.b64encode(f"{auth.username}:{password}".encode()).decode()
    return Credential("header", "Authorization", f"Basic {pair}", scheme="basic")


def _oauth2_of(auth: OAuth2ClientGrant, override: str | None, seed: int) -> Credential:
    return _bearer(_issued_token(auth, override, seed))


def _session_of(auth: SessionLogin, override: str | None, seed: int) -> Credential:
    token = override or f"sim-session-{seed}"
    if auth.prefix.strip().lower() == "bearer":
        return _bearer(token)
    return Credential(auth.location, auth.name, auth.prefix + token)


def _unchecked(auth: DltAuth, override: str | None, seed: int) -> None:
    """A dlt auth object's own code decides what it sends: nothing to check."""
    return None


# plan auth type -> the credential a client must send for it
_EXPECTED: dict[type[AuthPlan], Callable[[Any, str | None, int], Credential | None]] = {
    BearerToken: _bearer_of,
    ApiKey: _api_key_of,
    BasicLogin: _basic_of,
    OAuth2ClientGrant: _oauth2_of,
    DltAuth: _unchecked,
    SessionLogin: _session_of,
}


def token_endpoint(
    auth: AuthPlan | None, override: str | None, seed: int, prefix: str
) -> Issuer | None:
    if isinstance(auth, SessionLogin):
        # served where --base-url puts it: its path under the API's base
        path = f"{prefix}/{auth.login_path.strip().lstrip('/')}"
        token = override or f"sim-session-{seed}"
        return LoginEndpoint(path, auth.method, auth.token_path, token)
    if not isinstance(auth, OAuth2ClientGrant):  # only OAuth2 and session logins have one
        return None
    parts = urlsplit(auth.access_token_url)
    # an absolute token URL is served at its path; a relative one under the base URL's path
    path = parts.path if parts.scheme else f"{prefix}/{auth.access_token_url.lstrip('/')}"
    return TokenEndpoint(
        path=path or "/",
        client_id=auth.client_id.get_secret_value(),
        client_secret=auth.client_secret.get_secret_value(),
        token=_issued_token(auth, override, seed),
        expires_in=auth.default_token_expiration,
        token_field=auth.access_token_field,
        expires_field=auth.expires_field,
        expires_is_time=auth.expires_is_time,
    )


def _issued_token(auth: OAuth2ClientGrant, override: str | None, seed: int) -> str:
    if override:
        return override
    if auth.access_token is not None:
        return auth.access_token.get_secret_value()
    return f"sim-token-{seed}"


def _bearer(token: str) -> Credential:
    return Credential("header", "Authorization", f"Bearer {token}", scheme="bearer")


def _decode_basic(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
