"""Parity: auth values dlt injects from its config (here the environment) under the source's
sections: the string shorthand, and auth dicts or objects that leave a credential out.

The values live under this module's own section, so no other source of the session sees them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth

import restsync
from tests.parity.fake_api import API_KEY, BASIC, TOKEN
from tests.parity.harness import Case, check

SECTION = "parity_secrets"
_KEYS = f"SOURCES__{SECTION.upper()}__PARITY__CREDENTIALS__"
os.environ[_KEYS + "TOKEN"] = TOKEN
os.environ[_KEYS + "API_KEY"] = API_KEY
os.environ[_KEYS + "USERNAME"] = BASIC[0]
os.environ[_KEYS + "PASSWORD"] = BASIC[1]


def _secured(kind: str, auth: Callable[[], Any], *, on_endpoint: bool = False) -> Any:
    def config(base_url: str) -> dict[str, Any]:
        client: dict[str, Any] = {"base_url": base_url}
        endpoint: dict[str, Any] = {"path": f"auth/{kind}/posts", "paginator": "single_page"}
        (endpoint if on_endpoint else client)["auth"] = auth()
        return {"client": client, "resources": [{"name": "posts", "endpoint": endpoint}]}

    return config


IN_SECTION = {"section": SECTION}
CASES = [
    Case("bearer_shorthand", _secured("bearer", lambda: "bearer"), kwargs=IN_SECTION),
    Case(
        "bearer_shorthand_on_endpoint",
        _secured("bearer", lambda: "bearer", on_endpoint=True),
        kwargs=IN_SECTION,
    ),
    Case(
        "bearer_dict_without_token",
        _secured("bearer", lambda: {"type": "bearer"}),
        kwargs=IN_SECTION,
    ),
    Case("bearer_object_without_token", _secured("bearer", BearerTokenAuth), kwargs=IN_SECTION),
    Case(
        "api_key_without_key",
        _secured("api_key", lambda: {"type": "api_key", "name": "X-API-Key"}),
        kwargs=IN_SECTION,
    ),
    Case(
        "api_key_object_without_key",
        _secured("api_key", lambda: APIKeyAuth(name="X-API-Key")),
        kwargs=IN_SECTION,
    ),
    Case("http_basic_shorthand", _secured("basic", lambda: "http_basic"), kwargs=IN_SECTION),
    Case(
        "written_token_wins",
        _secured("bearer", lambda: {"type": "bearer", "token": "no"}),
        kwargs=IN_SECTION,
        fails=True,
    ),
    # nothing under the default section: both refuse the config when the source is built
    Case("bearer_shorthand_not_found", _secured("bearer", lambda: "bearer")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_auth_secrets(case: Case, parity) -> None:
    check(case, parity)


@pytest.mark.parametrize(
    ("auth_on", "path"),
    [("client", "client.auth.token"), ("endpoint", "resources[0].endpoint.auth.token")],
)
def test_a_missing_credential_names_the_key_dlt_looks_up(auth_on: str, path: str) -> None:
    # as dlt's ConfigFieldMissingException does: the most specific key it tries comes first
    client: dict[str, Any] = {"base_url": "https://api.example.com"}
    resource: dict[str, Any] = {"name": "posts", "endpoint": {"path": "posts"}}
    (client if auth_on == "client" else resource["endpoint"])["auth"] = {"type": "bearer"}
    with pytest.raises(restsync.ConfigError) as caught:
        restsync.rest_api_source(
            {"client": client, "resources": [resource]}, name="blog", section="nowhere"
        )
    assert caught.value.path == path
    assert caught.value.message == (
        "the bearer auth has no 'token', in the config or in dlt's config; set "
        "sources.nowhere.blog.credentials.token in .dlt/secrets.toml (or the environment "
        "variable SOURCES__NOWHERE__BLOG__CREDENTIALS__TOKEN), or write it into the auth, "
        "e.g. 'token': dlt.secrets['token']"
    )
