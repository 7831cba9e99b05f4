"""The plan's own strategy values: what the engine and the simulator act on.

The config layer's pydantic models say what a user *wrote*; these small frozen dataclasses say
what restsync *does*, with every default and inference already applied. They are built from the
config models in one place (``_plan/_resolve.py``), so ``_engine`` and ``simulator`` never import
``_config`` (``tests/unit/test_layering.py`` pins that). Secrets stay ``SecretStr``: they show as
``**********`` in any repr. Each auth value answers ``secret_values()``: the scrubber of the CLI's
output and report masks exactly those, so an auth kind that holds a secret must say so there
(``tests/unit/test_auth_secrets.py`` walks every kind).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import SecretStr

__all__ = [
    "ApiKey",
    "AuthPlan",
    "BasicLogin",
    "BearerToken",
    "DltAuth",
    "OAuth2ClientGrant",
    "RateBudget",
    "SessionLogin",
]


@dataclass(frozen=True)
class RateBudget:
    """One request budget for the whole source: ``requests_per_second``, bursts of ``burst``."""

    requests_per_second: float
    burst: int | None = None


# --- auth: what each request to the API's origin carries -------------------------------------

# a key naming a credential (``password``, ``api_key``, ``Authorization``, ``refresh_token``):
# its value is a secret even when it was written as plain text
_SECRET_KEY = re.compile(r"pass|secret|token|key|auth|credential|signature", re.I)


def _revealed(*values: SecretStr | str | None) -> tuple[str, ...]:
    """The non-empty plain values among ``values``."""
    plain = (v.get_secret_value() if isinstance(v, SecretStr) else v for v in values)
    return tuple(v for v in plain if v)


def _secret_named(value: Any, key: str = "") -> Iterator[str]:
    """The leaves of ``value`` (a mapping, a list or a scalar) under a key naming a secret."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            yield from _secret_named(item, key if _SECRET_KEY.search(key) else str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_named(item, key)
    elif value is not None and _SECRET_KEY.search(key):
        yield str(value)


@dataclass(frozen=True)
class BearerToken:
    type: ClassVar[str] = "bearer"
    token: SecretStr

    def secret_values(self) -> tuple[str, ...]:
        return _revealed(self.token)


@dataclass(frozen=True)
class ApiKey:
    type: ClassVar[str] = "api_key"
    name: str
    api_key: SecretStr
    location: Literal["header", "query", "cookie"] = "header"

    def secret_values(self) -> tuple[str, ...]:
        return _revealed(self.api_key)


@dataclass(frozen=True)
class BasicLogin:
    type: ClassVar[str] = "http_basic"
    username: str
    password: SecretStr = SecretStr("")

    def secret_values(self) -> tuple[str, ...]:
        """The password, and the header that carries it (a server may echo that back)."""
        password = self.password.get_secret_value()
        if not password:
            return ()
        pair = base64.b64encode(f"{self.username}:{password}".encode()).decode()
        return password, pair


@dataclass(frozen=True)
class OAuth2ClientGrant:
    """OAuth2 client credentials: a token fetched from ``access_token_url`` and kept until it
    expires."""

    type: ClassVar[str] = "oauth2_client_credentials"
    access_token_url: str
    client_id: SecretStr
    client_secret: SecretStr
    access_token: SecretStr | None = None
    # further form fields of the token request (a refresh_token grant's values are secrets)
    access_token_request_data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    default_token_expiration: int = 3600
    access_token_field: str = "access_token"
    expires_field: str = "expires_in"
    # the answer's expiry is a point in time (Unix seconds or ISO 8601), not seconds from now
    expires_is_time: bool = False
    # headers of the token request (an Airbyte manifest's refresh_request_headers); with an
    # Authorization header the client's id and secret travel there, not in the form
    access_token_request_headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def secret_values(self) -> tuple[str, ...]:
        """The client's id and secret, a given token, the token request's further fields but
        its grant type and scope (a refresh token, a code, an extra key), and its headers' values
        under a key naming a credential (an Authorization header carries the client's secret)."""
        data = self.access_token_request_data
        extra = (str(v) for k, v in data.items() if k not in _PLAIN_TOKEN_FIELDS and v is not None)
        headers = (
            part
            for v in _secret_named(self.access_token_request_headers)
            for part in {v, v.rsplit(" ", 1)[-1]}  # "Basic <credentials>": both
        )
        return _revealed(self.client_id, self.client_secret, self.access_token, *extra, *headers)


# fields of an OAuth2 token request that only name the protocol's words
_PLAIN_TOKEN_FIELDS = frozenset({"grant_type", "scope"})


@dataclass(frozen=True)
class DltAuth:
    """A dlt auth object given in Python code: its own ``__call__`` signs each request."""

    type: ClassVar[str] = "dlt_object"
    instance: Any = field(repr=False)

    def secret_values(self) -> tuple[str, ...]:
        """The values of the fields the dlt auth object declares secret (``TSecretStrValue``)."""
        # imported here: dlt is heavy, and only a source given as Python code has such an object
        from dlt.common.configuration.specs.base_configuration import is_secret_hint

        fields = type(self.instance).get_resolvable_fields()
        values = (getattr(self.instance, n, None) for n, h in fields.items() if is_secret_hint(h))
        return _revealed(*(str(v) for v in values if v))


@dataclass(frozen=True)
class SessionLogin:
    """A session token from a login request, sent with each request to the API (Airbyte's
    SessionTokenAuthenticator). The login's parameters, headers and body carry the user's
    secrets: kept out of any repr. Which of their values are secret: those under a key naming a
    credential, and ``secret_inputs``, the values the plan's maker knows came from the user's
    secrets (an Airbyte manifest's ``config[...]``); a literal such as ``application/json`` is
    not one, so masking does not mangle harmless text."""

    type: ClassVar[str] = "session_token"
    login_url: str
    login_path: str = ""  # the path under the login's url_base (kept to move it to a base URL)
    method: str = "POST"
    login_params: Mapping[str, str] = field(default_factory=dict, repr=False)
    login_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    login_json: Any = field(default=None, repr=False)
    login_form: Mapping[str, str] | None = field(default=None, repr=False)
    token_path: tuple[str, ...] = ("token",)
    location: Literal["header", "query"] = "header"
    name: str = "Authorization"
    prefix: str = ""  # "Bearer " when the token is sent as a bearer token
    expires_after: float | None = None  # seconds; None: the token is kept for the whole run
    secret_inputs: tuple[SecretStr, ...] = field(default=(), repr=False)

    def secret_values(self) -> tuple[str, ...]:
        sent = (self.login_params, self.login_headers, self.login_json, self.login_form)
        return _revealed(*self.secret_inputs, *(v for part in sent for v in _secret_named(part)))


AuthPlan = BearerToken | ApiKey | BasicLogin | OAuth2ClientGrant | DltAuth | SessionLogin
