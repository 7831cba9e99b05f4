"""Every plan auth kind answers its own secrets (``secret_values()``), which is all the CLI's
scrubber masks: a kind that holds a secret it does not answer would print it in plain text.

The walk builds each kind of ``AuthPlan`` with a sentinel in every field that can hold a secret
and asks for them back. A new kind, or a new field of a type the walk does not know, fails here
until it says how its secrets are found."""

from __future__ import annotations

import base64
import dataclasses
import typing
from typing import Any

import pytest
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from pydantic import SecretStr

from restsync._engine._auth import OAuth2, make_authenticator
from restsync._errors import HTTPStatusError
from restsync._plan import AuthPlan, DltAuth, SessionLogin, _strategies

KINDS = typing.get_args(AuthPlan)
PLAIN = "plain-literal"  # a harmless value: never masked


def _sentinel(kind: type, name: str) -> str:
    return f"sentinel-{kind.__name__}-{name}"


def _secret_fields(kind: type) -> tuple[dict[str, Any], set[str]]:
    """Arguments for ``kind`` with a sentinel wherever a secret can be, and the sentinels."""
    hints = typing.get_type_hints(kind, vars(_strategies))
    arguments: dict[str, Any] = {}
    expected: set[str] = set()
    for spec in dataclasses.fields(kind):
        secret = _sentinel(kind, spec.name)
        hint = hints[spec.name]
        if hint in (SecretStr, SecretStr | None):
            arguments[spec.name] = SecretStr(secret)
            expected.add(secret)
        elif hint == tuple[SecretStr, ...]:
            arguments[spec.name] = (SecretStr(secret),)
            expected.add(secret)
        elif spec.name == "instance":  # a dlt auth object: its fields declared secret
            arguments[spec.name] = APIKeyAuth(name="X-Key", api_key=secret)
            expected.add(secret)
        elif typing.get_origin(hint) is typing.Literal or hint in (bool, int, float, float | None):
            continue  # how a credential is sent, never one: the default stands
        elif hint in (str, tuple[str, ...]):
            arguments[spec.name] = PLAIN if hint is str else (PLAIN,)
        elif hint is Any or "Mapping" in str(hint):
            # a credential under a key that names it, next to a protocol word
            arguments[spec.name] = {"password": secret, "grant_type": PLAIN}
            expected.add(secret)
        else:
            raise AssertionError(f"{kind.__name__}.{spec.name}: say whether {hint} holds secrets")
    return arguments, expected


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_every_auth_kind_answers_every_secret_it_holds(kind: type) -> None:
    arguments, expected = _secret_fields(kind)
    assert expected, f"{kind.__name__} holds no secret field: is it an auth kind?"
    answered = set(kind(**arguments).secret_values())
    assert expected <= answered
    assert PLAIN not in answered


def test_the_walk_covers_every_kind() -> None:
    assert {kind.__name__ for kind in KINDS} == {
        "BearerToken",
        "ApiKey",
        "BasicLogin",
        "OAuth2ClientGrant",
        "DltAuth",
        "SessionLogin",
    }


def test_a_basic_login_answers_the_header_that_carries_the_password() -> None:
    auth = _strategies.BasicLogin("ann", SecretStr("s3cret-pass"))
    header = base64.b64encode(b"ann:s3cret-pass").decode()
    assert set(auth.secret_values()) == {"s3cret-pass", header}
    assert _strategies.BasicLogin("ann").secret_values() == ()


def test_a_login_masks_secret_named_and_given_values_not_literals() -> None:
    auth = SessionLogin(
        "https://api.test/login",
        login_params={"user": "ann", "api_key": "k-secret"},
        login_headers={"Content-Type": "application/json", "Authorization": "Basic abcd"},
        login_json={"credentials": {"user": "ann", "pin": "9876"}, "mode": "fast"},
        secret_inputs=(SecretStr("from-config"),),
    )
    assert sorted(auth.secret_values()) == ["9876", "Basic abcd", "ann", "from-config", "k-secret"]
    assert "application/json" not in auth.secret_values()


def test_a_token_request_masks_its_fields_but_the_protocol_words() -> None:
    auth = _strategies.OAuth2ClientGrant(
        "https://auth.test/token",
        SecretStr("client"),
        SecretStr("shh"),
        access_token_request_data={
            "grant_type": "refresh_token",
            "scope": "read write",
            "refresh_token": "r-token",
            "audience": "aud-1",
        },
    )
    assert sorted(auth.secret_values()) == ["aud-1", "client", "r-token", "shh"]


def test_a_dlt_object_answers_only_its_declared_secrets() -> None:
    auth = DltAuth(APIKeyAuth(name="X-Key", api_key="k-secret"))
    assert auth.secret_values() == ("k-secret",)


def test_tokens_a_server_hands_out_are_answered_for_masking() -> None:
    """OAuth2's token (and a session login's, tests/security/test_login_secrets.py) is known to
    the engine only at run time; the HTTP client masks it in every error it raises."""
    grant = _strategies.OAuth2ClientGrant("https://auth.test/token", SecretStr("c"), SecretStr("s"))
    oauth = make_authenticator(grant)
    assert oauth.obtained_tokens() == ()
    assert isinstance(oauth, OAuth2)
    oauth.keep("first-token", 60)
    oauth.keep("second-token", 60)
    assert sorted(oauth.obtained_tokens()) == ["first-token", "second-token"]


def test_an_extraction_error_masks_what_it_is_told() -> None:
    error = HTTPStatusError("items", "https://api.test/items", 400, "bad token tok-12345 (tok)")
    error.mask(["tok-12345", "tok"])
    assert error.message == "bad token *** (tok)"  # 3 characters: too short to mask
    assert str(error) == "resource 'items' (https://api.test/items): bad token *** (tok)"
