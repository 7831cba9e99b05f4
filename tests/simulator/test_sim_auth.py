"""Credentials are checked as the plan configures them; missing or wrong ones get a JSON 401."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sim_plans import one_resource, plan_of
from sim_walker import fetch

from restsync.simulator import SimulatorOptions, serve_in_thread

AUTHS: list[tuple[str, dict[str, Any], dict[str, str], dict[str, str]]] = [
    # (id, auth config, right credential, wrong credential)
    ("bearer", {"type": "bearer", "token": "t0k"},
     {"header": "Authorization", "value": "Bearer t0k"},
     {"header": "Authorization", "value": "Bearer nope"}),
    ("api_key_header", {"type": "api_key", "name": "X-Key", "api_key": "k3y"},
     {"header": "X-Key", "value": "k3y"}, {"header": "X-Key", "value": "k3"}),
    ("api_key_query", {"type": "api_key", "name": "key", "api_key": "k3y", "location": "query"},
     {"query": "key", "value": "k3y"}, {"query": "key", "value": "other"}),
    ("api_key_param", {"type": "api_key", "name": "key", "api_key": "k3y", "location": "param"},
     {"query": "key", "value": "k3y"}, {"query": "nokey", "value": "k3y"}),
    ("api_key_cookie", {"type": "api_key", "name": "sid", "api_key": "c00k", "location": "cookie"},
     {"cookie": "sid", "value": "c00k"}, {"cookie": "sid", "value": "bad"}),
    ("http_basic", {"type": "http_basic", "username": "ann", "password": "pw"},
     {"header": "Authorization", "value": "Basic " + base64.b64encode(b"ann:pw").decode()},
     {"header": "Authorization", "value": "Basic " + base64.b64encode(b"ann:px").decode()}),
]


@pytest.mark.parametrize(("auth", "right", "wrong"), [a[1:] for a in AUTHS],
                         ids=[a[0] for a in AUTHS])
def test_credentials_are_checked(
    auth: dict[str, Any], right: dict[str, str], wrong: dict[str, str]
) -> None:
    plan = one_resource({"paginator": "single_page"}, auth=auth)
    with serve_in_thread(plan) as sim:
        assert sim.credential == right
        assert fetch(sim.base_url + "/items", right).status == 200
        for credential in (wrong, {}):
            reply = fetch(sim.base_url + "/items", credential)
            assert reply.status == 401
            assert reply.json() == {"error": "unauthorized"}


def test_bearer_scheme_is_case_insensitive() -> None:
    plan = one_resource({}, auth={"type": "bearer", "token": "abc"})
    with serve_in_thread(plan) as sim:
        reply = fetch(sim.base_url + "/items", {"header": "Authorization", "value": "bearer abc"})
    assert reply.status == 200


def test_options_token_overrides_the_plan_secret() -> None:
    plan = one_resource({}, auth={"type": "bearer", "token": "from-plan"})
    with serve_in_thread(plan, SimulatorOptions(token="override")) as sim:
        assert sim.credential["value"] == "Bearer override"
        assert fetch(sim.base_url + "/items", sim.credential).status == 200
        plan_token = {"header": "Authorization", "value": "Bearer from-plan"}
        assert fetch(sim.base_url + "/items", plan_token).status == 401


def test_resource_auth_overrides_source_auth() -> None:
    plan = plan_of({
        "client": {"base_url": "https://api.example.com", "auth": {"token": "source"}},
        "resources": [
            {"name": "open", "endpoint": {"path": "/open"}},
            {"name": "keyed", "endpoint": {"path": "/keyed", "auth": {
                "type": "api_key", "name": "X-Key", "api_key": "res"}}},
        ],
    })
    with serve_in_thread(plan) as sim:
        assert sim.credential_for("keyed") == {"header": "X-Key", "value": "res"}
        assert fetch(sim.base_url + "/keyed", sim.credential).status == 401
        assert fetch(sim.base_url + "/keyed", sim.credential_for("keyed")).status == 200
        assert fetch(sim.base_url + "/open", sim.credential).status == 200


def test_query_credential_is_not_echoed_into_next_links() -> None:
    plan = one_resource({"paginator": {"type": "json_link"}},
                        auth={"type": "api_key", "name": "key", "api_key": "s3cret",
                              "location": "query"})
    with serve_in_thread(plan) as sim:
        body = fetch(sim.base_url + "/items", sim.credential).json()
    assert body["next"] and "s3cret" not in body["next"]


def test_oauth2_client_credentials_issue_a_token_the_api_accepts() -> None:
    plan = one_resource({}, auth={
        "type": "oauth2_client_credentials",
        "access_token_url": "https://auth.example.com/oauth/token",
        "client_id": "cid", "client_secret": "csecret"})
    form = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}
    with serve_in_thread(plan) as sim:
        status, body = fetch_post(sim.base_url + "/oauth/token", form)
        assert status == 200 and body["token_type"] == "Bearer"
        bearer = {"header": "Authorization", "value": f"Bearer {body['access_token']}"}
        assert bearer == sim.credential
        assert fetch(sim.base_url + "/items", bearer).status == 200
        wrong = {**form, "client_secret": "wrong"}
        refused = fetch_post(sim.base_url + "/oauth/token", wrong)
        assert refused == (401, {"error": "invalid_client"})
        assert fetch(sim.base_url + "/items").status == 401


def fetch_post(url: str, form: dict[str, str]) -> tuple[int, Any]:
    reply = fetch(url, method="POST", form=form)
    return reply.status, reply.json()
