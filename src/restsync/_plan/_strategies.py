"""The plan's own strategy values: what the engine and the simulator act on.

The config layer's pydantic models say what a user *wrote*; these small frozen dataclasses say
what restsync *does*, with every default and inference already applied. They are built from the
config models in one place (``_plan/_resolve.py``), so ``_engine`` and ``simulator`` never import
``_config`` (``tests/unit/test_layering.py`` pins that). Secrets stay ``SecretStr``: they show as
``**********`` in any repr.
"""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass(frozen=True)
class BearerToken:
    type: ClassVar[str] = "bearer"
    token: SecretStr


@dataclass(frozen=True)
class ApiKey:
    type: ClassVar[str] = "api_key"
    name: str
    api_key: SecretStr
    location: Literal["header", "query", "cookie"] = "header"


@dataclass(frozen=True)
class BasicLogin:
    type: ClassVar[str] = "http_basic"
    username: str
    password: SecretStr = SecretStr("")


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


@dataclass(frozen=True)
class DltAuth:
    """A dlt auth object given in Python code: its own ``__call__`` signs each request."""

    type: ClassVar[str] = "dlt_object"
    instance: Any = field(repr=False)


@dataclass(frozen=True)
class SessionLogin:
    """A session token from a login request, sent with each request to the API (Airbyte's
    SessionTokenAuthenticator). The login's parameters, headers and body carry the user's
    secrets: kept out of any repr."""

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


AuthPlan = BearerToken | ApiKey | BasicLogin | OAuth2ClientGrant | DltAuth | SessionLogin
