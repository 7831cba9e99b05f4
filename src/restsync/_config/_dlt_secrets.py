"""Auth values that dlt injects from its config: the string shorthand (``"auth": "bearer"``) and
auth dicts or objects that leave a credential out.

dlt builds its auth class and lets its configuration resolver fill what is missing from
``secrets.toml``, ``config.toml`` or the environment, looking under the source's sections
(``sources.<section>.<name>.credentials.token``, then shorter keys). restsync does the same, with
dlt's own resolver and sections, before the config is validated: the auth becomes a complete dict.
Values written in the config win over looked-up ones. An auth that lacks nothing is not looked up.
A credential found nowhere is a ``ConfigError`` naming the key dlt looks up first, so the user
knows where to put it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync._config._dlt_loaded import AUTH_BASE, is_dlt_instance
from restsync._config._dlt_objects import auth_readers
from restsync._errors import ConfigError

__all__ = ["DLT_DEFAULT_SECTION", "inject_auth_secrets"]

# dlt's rest_api_source is declared in the module ``rest_api``: its section when none is given
DLT_DEFAULT_SECTION = "rest_api"

# the credentials each auth type needs; one missing means dlt looks it up
_REQUIRED = {
    "bearer": ("token",),
    "api_key": ("api_key",),
    "http_basic": ("username", "password"),
    "oauth2_client_credentials": ("access_token_url", "client_id", "client_secret"),
}


def inject_auth_secrets(raw: Any, sections: tuple[str, ...]) -> Any:
    """``raw`` with every incomplete auth (client, resource_defaults, resources) completed from
    dlt's config under ``sections``; ``raw`` itself is not changed."""
    if not isinstance(raw, Mapping):
        return raw
    out = dict(raw)
    if isinstance(raw.get("client"), Mapping):
        out["client"] = _completed(raw["client"], sections, "client")
    defaults = raw.get("resource_defaults")
    if isinstance(defaults, Mapping) and isinstance(defaults.get("endpoint"), Mapping):
        endpoint = _completed(defaults["endpoint"], sections, "resource_defaults.endpoint")
        out["resource_defaults"] = {**defaults, "endpoint": endpoint}
    if isinstance(raw.get("resources"), list):
        out["resources"] = [
            {**r, "endpoint": _completed(r["endpoint"], sections, f"resources[{i}].endpoint")}
            if isinstance(r, Mapping) and isinstance(r.get("endpoint"), Mapping)
            else r
            for i, r in enumerate(raw["resources"])
        ]
    return out


def _completed(block: Mapping[str, Any], sections: tuple[str, ...], where: str) -> Any:
    auth = block.get("auth")
    given = _given(auth)
    if given is None:
        return block
    kind = given.get("type", "bearer")
    missing = [k for k in _REQUIRED.get(kind, ()) if given.get(k) is None]
    if not missing:
        return block
    found = _looked_up(sections, kind)
    completed = {**found, **{k: v for k, v in given.items() if v is not None}}
    _raise_if_missing(completed, kind, sections, f"{where}.auth")
    return {**block, "auth": completed}


def _raise_if_missing(
    auth: Mapping[str, Any], kind: str, sections: tuple[str, ...], where: str
) -> None:
    """A credential neither written nor in dlt's config: say where dlt looks for it first."""
    for field in _REQUIRED[kind]:
        if auth.get(field) is not None or field in _OPTIONAL.get(kind, ()):
            continue
        key = ".".join((*sections, "credentials", field))
        env = "__".join(key.upper().split("."))
        raise ConfigError(
            f"{where}.{field}",
            f"the {kind} auth has no '{field}', in the config or in dlt's config; set {key} in "
            f".dlt/secrets.toml (or the environment variable {env}), or write it into the auth, "
            f"e.g. '{field}': dlt.secrets['{field}']",
        )


# restsync sends an empty password when there is none (docs/dlt-differences.md)
_OPTIONAL = {"http_basic": ("password",)}


def _given(auth: Any) -> dict[str, Any] | None:
    """The auth's values as written, or None when there is nothing dlt would look up (no auth,
    a type dlt does not know, an object that is not one of dlt's auth classes)."""
    if isinstance(auth, str):
        return {"type": auth} if auth in _REQUIRED else None
    if is_dlt_instance(auth, AUTH_BASE):
        reader = auth_readers().get(type(auth))
        return reader(auth) if reader is not None else None
    if isinstance(auth, Mapping):
        given = dict(auth)
        kind = given.get("type", "bearer")
        return given if isinstance(kind, str) and kind in _REQUIRED else None
    return None


def _looked_up(sections: tuple[str, ...], kind: str) -> dict[str, Any]:
    """What dlt's resolver finds for an auth of type ``kind``; a value it does not find stays
    missing, and the config check then names it. Only here, with a credential to look up, is
    dlt imported."""
    from dlt.common.configuration import inject_section, resolve_configuration
    from dlt.common.configuration.specs import ConfigSectionContext
    from dlt.sources.rest_api.config_setup import AUTH_MAP

    cls = AUTH_MAP[kind]
    with inject_section(ConfigSectionContext(sections=sections)):
        resolved = resolve_configuration(cls(), accept_partial=True)
    found = {k: v for k, v in auth_readers()[cls](resolved).items() if v is not None}
    return {**found, "type": kind}
