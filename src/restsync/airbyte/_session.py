"""A manifest's ``SessionTokenAuthenticator``: a login request whose answer holds the token
that each request then carries (``request_authentication``: an API key header or query
parameter, or a bearer token), as airbyte-cdk's session token provider does."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import SecretStr

from restsync._errors import ConfigError
from restsync._plan import SessionLogin
from restsync._plan._strategies import ApiKey, AuthPlan
from restsync.airbyte._dates import parse_duration
from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._parts import Unsupported

__all__ = ["legacy_session", "session_login"]


def session_login(spec: Mapping[str, Any], ai: Interpolator, where: str) -> SessionLogin:
    login = spec.get("login_requester") or {}
    at = f"{where}.login_requester"
    lai = ai.with_parameters({**ai.parameters, **(login.get("$parameters") or {})})
    body_json, form = _login_body(login, at)
    base = lai.text(login.get("url_base") or login.get("url")).strip()
    path = lai.text(login.get("path")).strip()
    if not login.get("url_base") and not path:
        # a whole address (feishu's ``url``): its path is where --base-url puts the login
        base, path = _split_url(base)
    params = _texts(lai.mapping(login.get("request_parameters") or {}, (str,)))
    headers = _texts(lai.mapping(login.get("request_headers") or {}, (str,)))
    login_auth, login_params, password = _login_auth(
        login.get("authenticator"), lai, f"{at}.authenticator"
    )
    headers.update(login_auth)
    params.update(login_params)
    location, name, prefix = _injection(spec.get("request_authentication") or {}, ai, where)
    return SessionLogin(
        login_url=join_url(base, path),
        login_path=path,
        method=str(login.get("http_method") or "GET").upper(),
        login_params=params,
        login_headers=headers,
        login_json=lai.mapping(body_json) or None,
        login_form=_texts(lai.mapping(form, (str,))) if isinstance(form, Mapping) else None,
        token_path=tuple(str(lai.eval(k)) for k in spec.get("session_token_path") or ()),
        location=location,
        name=name,
        prefix=prefix,
        expires_after=_seconds(spec.get("expiration_duration"), where),
        secret_inputs=tuple(SecretStr(v) for v in (*_from_config(login, lai), password) if v),
    )


def legacy_session(spec: Mapping[str, Any], ai: Interpolator, where: str) -> AuthPlan:
    """LegacySessionTokenAuthenticator (metabase): a JSON POST of ``username`` and ``password``
    to ``api_url`` + ``login_url``, the token read at ``session_token_response_key`` and sent in
    ``header``. A ``session_token`` from the config is sent as it is when no username and
    password are given; with both, restsync logs in where airbyte-cdk first checks the token at
    ``validate_session_url`` (a valid one reads the same records, with one login fewer)."""
    header = str(ai.eval(spec.get("header")) or "")
    if not header:
        raise Unsupported(where, "LegacySessionTokenAuthenticator", "no header")
    username, password = ai.eval(spec.get("username")), ai.eval(spec.get("password"))
    if not (username and password):
        token = ai.eval(spec.get("session_token"))
        if not token:
            raise ConfigError(
                where,
                "LegacySessionTokenAuthenticator needs a session_token, or a username and "
                "password, from the config; give them",
            )
        return ApiKey(name=header, api_key=SecretStr(str(token)), location="header")
    api_url, login_url = ai.text(spec.get("api_url")), ai.text(spec.get("login_url"))
    return SessionLogin(
        login_url=f"{api_url}{login_url}",  # airbyte-cdk joins them as texts
        login_path=login_url,
        method="POST",
        login_json={"username": str(username), "password": str(password)},
        token_path=(str(ai.eval(spec.get("session_token_response_key")) or ""),),
        location="header",
        name=header,
        secret_inputs=(SecretStr(str(password)),),
    )


# a template that reads the connector config: where a user's credentials come from
_READS_CONFIG = re.compile(r"\{\{[^}]*\bconfig\b")
# the parameters a template reads: ``parameters.name``, ``parameters['name']``
_READS_PARAMETER = re.compile(r"\bparameters\s*(?:\.\s*(\w+)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
# a parameter named for a credential (``password``, ``api_key``, ``client_secret``, ``token``)
_SECRET_PARAMETER = re.compile(r"pass|secret|token|key|auth|credential|signature", re.I)


def _from_config(login: Mapping[str, Any], ai: Interpolator) -> Iterator[str]:
    """The login's values rendered from the connector config, directly or through one of the
    manifest's ``$parameters`` (a parameter that holds a config template or a credential's
    name): secrets, whatever their key."""
    parts = ("request_parameters", "request_headers", "request_body_json", "request_body_data")
    body = login.get("request_body")
    values = [login.get(part) for part in parts]
    values.append(body.get("value") if isinstance(body, Mapping) else None)
    for template in _leaves(values):
        if _READS_CONFIG.search(template) or _reads_secret_parameter(template, ai.parameters):
            yield ai.text(template)


def _reads_secret_parameter(template: str, parameters: Mapping[str, Any]) -> bool:
    for match in _READS_PARAMETER.finditer(template):
        name = match.group(1) or match.group(2)
        if name not in parameters:
            continue
        if _SECRET_PARAMETER.search(name):
            return True
        if any(_READS_CONFIG.search(leaf) for leaf in _leaves(parameters[name])):
            return True
    return False


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)


def _login_body(login: Mapping[str, Any], at: str) -> tuple[Any, Any]:
    """The login's JSON body and form fields: ``request_body_json`` / ``request_body_data``, or
    a ``request_body`` (newer manifests) of type RequestBodyJsonObject or
    RequestBodyUrlEncodedForm (feishu posts its app id and secret as a JSON object)."""
    body = login.get("request_body")
    if body is None:
        return login.get("request_body_json"), login.get("request_body_data")
    kind = body.get("type") if isinstance(body, Mapping) else None
    if kind == "RequestBodyJsonObject" and isinstance(body.get("value"), Mapping):
        return body["value"], None
    if kind == "RequestBodyUrlEncodedForm" and isinstance(body.get("value"), Mapping):
        return None, body["value"]
    raise Unsupported(
        f"{at}.request_body",
        str(kind or "an untyped request_body"),
        "a login body other than a JSON object or form fields",
    )


_ORIGIN = re.compile(r"^https?://[^/?#]+")


def _split_url(url: str) -> tuple[str, str]:
    """A whole address as its origin and the rest (path and query)."""
    found = _ORIGIN.match(url)
    return (found.group(0), url[found.end() :]) if found else (url, "")


def join_url(base: str, path: str) -> str:
    """``url_base`` and ``path`` joined as airbyte-cdk joins them (an empty path: the base)."""
    if not path:
        return base
    return base.rstrip("/") + "/" + path.lstrip("/")


def _texts(rendered: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (rendered or {}).items()}


def _injection(option: Mapping[str, Any], ai: Interpolator, where: str) -> tuple[Any, str, str]:
    kind = option.get("type")
    if kind in ("Bearer", "BearerAuthenticator"):
        return "header", "Authorization", "Bearer "
    inject = option.get("inject_into") or {}
    place = inject.get("inject_into")
    api_key = kind in ("ApiKey", "ApiKeyAuthenticator")
    if not api_key or place not in ("header", "request_parameter"):
        raise Unsupported(
            f"{where}.request_authentication",
            "SessionTokenAuthenticator",
            f"a session token sent as {kind} into {place}",
        )
    name = str(ai.eval(inject.get("field_name")) or "")
    return ("header" if place == "header" else "query"), name, ""


def _login_auth(
    spec: Any, ai: Interpolator, where: str
) -> tuple[dict[str, str], dict[str, str], str]:
    """The login request's own auth as headers or query parameters, and its secret: none,
    basic (a user and a password), a bearer token or an API key (retailexpress-by-maropost
    sends its key in an ``x-api-key`` header to get the session token)."""
    kind = spec.get("type") if isinstance(spec, Mapping) else None
    if kind in (None, "NoAuth"):
        return {}, {}, ""
    if kind == "BasicHttpAuthenticator":
        password = str(ai.eval(spec.get("password")) or "")
        pair = f"{ai.eval(spec.get('username')) or ''}:{password}"
        basic = "Basic " + base64.b64encode(pair.encode()).decode()
        return {"Authorization": basic}, {}, password
    if kind == "BearerAuthenticator":
        token = str(ai.eval(spec.get("api_token")) or "")
        return {"Authorization": f"Bearer {token}"}, {}, token
    if kind == "ApiKeyAuthenticator":
        option = spec.get("inject_into") or {
            "inject_into": "header",
            "field_name": spec.get("header"),
        }
        place = option.get("inject_into")
        name = str(ai.eval(option.get("field_name")) or "")
        key = str(ai.eval(spec.get("api_token")) or "")
        if name and place == "header":
            return {name: key}, {}, key
        if name and place == "request_parameter":
            return {}, {name: key}, key
        raise Unsupported(where, "ApiKeyAuthenticator", f"a login API key sent as {place}")
    raise Unsupported(where, str(kind), "an authenticator on the login request")


def _seconds(value: Any, where: str) -> float | None:
    if not value:
        return None
    try:
        return parse_duration(str(value)).total_seconds()
    except ValueError as exc:
        # airbyte-cdk refuses it too, when it builds the stream (feishu's "7200")
        raise Unsupported(
            f"{where}.expiration_duration",
            "SessionTokenAuthenticator",
            f"{exc} (such as PT2H); airbyte-cdk refuses it too",
        ) from None
