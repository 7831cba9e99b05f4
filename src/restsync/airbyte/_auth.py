"""Manifest authenticators to restsync auth: API key, bearer, basic, OAuth, selective.

Secrets are rendered from the connector config once, here, and kept as secret strings from then
on: they never reach a plan printout, an error or a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from restsync._plan import (
    ApiKey,
    AuthPlan,
    BasicLogin,
    BearerToken,
    OAuth2ClientGrant,
    SessionLogin,
)
from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._parts import Unsupported, _expect
from restsync.airbyte._session import join_url, legacy_session, session_login

__all__ = ["body_key", "build_auth", "token_url_on"]


def body_key(spec: Any, ai: Interpolator, where: str) -> tuple[str, SecretStr] | None:
    """An ApiKeyAuthenticator that sends its key as a form field of every request (canny's
    ``apiKey``, ``inject_into: body_data``): the field's name and the key; else ``None``."""
    if not isinstance(spec, Mapping) or spec.get("type") != "ApiKeyAuthenticator":
        return None
    option = spec.get("inject_into")
    if not isinstance(option, Mapping) or option.get("inject_into") != "body_data":
        return None
    ai = ai.with_parameters(spec.get("$parameters"))
    name = str(ai.eval(option.get("field_name")) or "")
    if not name:
        raise Unsupported(f"{where}.inject_into", "RequestOption", "a body_data key without a name")
    return name, SecretStr(_secret(ai, spec.get("api_token")))


def build_auth(spec: Any, ai: Interpolator, where: str) -> AuthPlan | None:
    kind = _expect(
        spec,
        where,
        (
            "ApiKeyAuthenticator",
            "BearerAuthenticator",
            "BasicHttpAuthenticator",
            "OAuthAuthenticator",
            "NoAuth",
            "SelectiveAuthenticator",
            "SessionTokenAuthenticator",
            "LegacySessionTokenAuthenticator",
            "",
        ),
    )
    if not kind or kind == "NoAuth":
        return None
    ai = ai.with_parameters(spec.get("$parameters"))
    if kind == "SelectiveAuthenticator":
        return _selective(spec, ai, where)
    if kind == "SessionTokenAuthenticator":
        return session_login(spec, ai, where)
    if kind == "LegacySessionTokenAuthenticator":
        return legacy_session(spec, ai, where)
    if kind == "BearerAuthenticator":
        return BearerToken(token=SecretStr(_secret(ai, spec.get("api_token"))))
    if kind == "BasicHttpAuthenticator":
        return BasicLogin(
            username=str(ai.eval(spec.get("username")) or ""),
            password=SecretStr(_secret(ai, spec.get("password"))),
        )
    if kind == "ApiKeyAuthenticator":
        option = spec.get("inject_into") or {
            "inject_into": "header",
            "field_name": spec.get("header"),
        }
        if not isinstance(option, Mapping):
            raise Unsupported(f"{where}.inject_into", repr(option), "a RequestOption is a mapping")
        if option.get("inject_into") not in ("header", "request_parameter"):
            raise Unsupported(
                f"{where}.inject_into",
                "RequestOption",
                f"an API key sent as {option.get('inject_into')}",
            )
        return ApiKey(
            name=str(ai.eval(option.get("field_name")) or "Authorization"),
            api_key=SecretStr(_secret(ai, spec.get("api_token"))),
            location="header" if option.get("inject_into") == "header" else "query",
        )
    return _oauth(spec, ai, where)


def _selective(spec: Mapping[str, Any], ai: Interpolator, where: str) -> AuthPlan | None:
    node: Any = ai.config
    for key in spec.get("authenticator_selection_path") or []:
        node = node.get(key) if isinstance(node, Mapping) else None
    options = spec.get("authenticators") or {}
    if node not in options:
        raise Unsupported(
            where,
            "SelectiveAuthenticator",
            f"the config selects {node!r}, which is none of {sorted(options)}",
        )
    return build_auth(options[node], ai, f"{where}.authenticators.{node}")


def _oauth(spec: Mapping[str, Any], ai: Interpolator, where: str) -> OAuth2ClientGrant:
    grant = str(ai.eval(spec.get("grant_type")) or "refresh_token")
    data: dict[str, Any] = {"grant_type": grant}
    if grant == "refresh_token":
        data["refresh_token"] = _secret(ai, spec.get("refresh_token"))
    scopes = spec.get("scopes")
    if scopes:
        data["scope"] = " ".join(str(s) for s in scopes)
    # extra fields of the token request; the standard ones win, as in Airbyte
    for key, value in (spec.get("refresh_request_body") or {}).items():
        if key not in data and key not in ("client_id", "client_secret"):
            data[str(key)] = _secret(ai, value)
    return OAuth2ClientGrant(
        access_token_url=str(ai.eval(spec.get("token_refresh_endpoint")) or ""),
        client_id=SecretStr(_secret(ai, spec.get("client_id"))),
        client_secret=SecretStr(_secret(ai, spec.get("client_secret"))),
        access_token_request_data=data,
        access_token_field=str(ai.eval(spec.get("access_token_name")) or "access_token"),
        expires_field=str(ai.eval(spec.get("expires_in_name")) or "expires_in"),
        # Airbyte reads the expiry as a point in time exactly when a date format is given
        expires_is_time=bool(spec.get("token_expiry_date_format")),
        # gong's, pinterest's Basic header with the client's id and secret: airbyte-cdk then
        # leaves them out of the form, as the engine does
        access_token_request_headers={
            str(k): _secret(ai, v) for k, v in (spec.get("refresh_request_headers") or {}).items()
        },
    )


def _secret(ai: Interpolator, template: Any) -> str:
    value = ai.eval(template)
    return "" if value is None else str(value)


def token_url_on(resources: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The resources with each absolute OAuth token endpoint moved to ``base_url``'s origin
    (same path), and each session login to ``base_url`` (its own path kept), so a run with
    ``--base-url`` (the simulator, a test server) never sends the client secret or the login's
    password to the manifest's real endpoints. The simulator serves an absolute token URL at its
    path, a login at its path under the API's base. Resources that shared one auth still share
    one (and so one token)."""
    moved: dict[int, Any] = {}
    for auth in {id(r.auth): r.auth for r in resources.values()}.values():
        moved[id(auth)] = _moved_token_url(auth, base_url)
    return {n: replace(r, auth=moved[id(r.auth)]) for n, r in resources.items()}


def _moved_token_url(auth: AuthPlan | None, base_url: str) -> AuthPlan | None:
    if isinstance(auth, SessionLogin):
        # the login's url_base is replaced like every requester's (its path kept)
        return replace(auth, login_url=join_url(base_url, auth.login_path))
    if not isinstance(auth, OAuth2ClientGrant):
        return auth
    token, base = urlsplit(auth.access_token_url), urlsplit(base_url)
    if not token.scheme or (token.scheme, token.netloc) == (base.scheme, base.netloc):
        return auth
    url = urlunsplit((base.scheme, base.netloc, token.path, token.query, ""))
    return replace(auth, access_token_url=url)
