"""Manifest authenticators to restsync auth: API key, bearer, basic, OAuth, selective.

Secrets are rendered from the connector config once, here, and kept as secret strings from then
on: they never reach a plan printout, an error or a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._parts import Unsupported, _expect
from restsync.config import ApiKeyAuth, BearerAuth, HttpBasicAuth, OAuth2ClientCredentials

__all__ = ["build_auth"]


def build_auth(spec: Any, ai: Interpolator, where: str) -> Any:
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
            "",
        ),
    )
    if not kind or kind == "NoAuth":
        return None
    ai = ai.with_parameters(spec.get("$parameters"))
    if kind == "SelectiveAuthenticator":
        return _selective(spec, ai, where)
    if kind == "BearerAuthenticator":
        return BearerAuth(token=SecretStr(_secret(ai, spec.get("api_token"))))
    if kind == "BasicHttpAuthenticator":
        return HttpBasicAuth(
            type="http_basic",
            username=str(ai.eval(spec.get("username")) or ""),
            password=SecretStr(_secret(ai, spec.get("password"))),
        )
    if kind == "ApiKeyAuthenticator":
        option = spec.get("inject_into") or {
            "inject_into": "header",
            "field_name": spec.get("header"),
        }
        if option.get("inject_into") not in ("header", "request_parameter"):
            raise Unsupported(
                f"{where}.inject_into",
                "RequestOption",
                f"an API key sent as {option.get('inject_into')}",
            )
        return ApiKeyAuth(
            type="api_key",
            name=str(ai.eval(option.get("field_name")) or "Authorization"),
            api_key=SecretStr(_secret(ai, spec.get("api_token"))),
            location="header" if option.get("inject_into") == "header" else "query",
        )
    return _oauth(spec, ai, where)


def _selective(spec: Mapping[str, Any], ai: Interpolator, where: str) -> Any:
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


def _oauth(spec: Mapping[str, Any], ai: Interpolator, where: str) -> Any:
    for key in ("access_token_name", "expires_in_name"):
        name = spec.get(key)
        if name not in (None, "access_token", "expires_in"):
            raise Unsupported(where, "OAuthAuthenticator", f"{key} '{name}'")
    if spec.get("refresh_request_body") or spec.get("refresh_request_headers"):
        raise Unsupported(where, "OAuthAuthenticator", "a custom refresh request body or headers")
    grant = str(ai.eval(spec.get("grant_type")) or "refresh_token")
    data: dict[str, Any] = {"grant_type": grant}
    if grant == "refresh_token":
        data["refresh_token"] = _secret(ai, spec.get("refresh_token"))
    scopes = spec.get("scopes")
    if scopes:
        data["scope"] = " ".join(str(s) for s in scopes)
    return OAuth2ClientCredentials(
        type="oauth2_client_credentials",
        access_token_url=str(ai.eval(spec.get("token_refresh_endpoint")) or ""),
        client_id=SecretStr(_secret(ai, spec.get("client_id"))),
        client_secret=SecretStr(_secret(ai, spec.get("client_secret"))),
        access_token_request_data=data,
    )


def _secret(ai: Interpolator, template: Any) -> str:
    value = ai.eval(template)
    return "" if value is None else str(value)
