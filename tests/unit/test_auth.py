"""Authenticators as values: each plan auth kind applied to a request (headers, query, cookie),
secrets kept out of reprs and errors, and the OAuth2 token's expiry arithmetic on injected
clocks. Milliseconds, no server: the token fetch itself is proven end to end against a real
loopback server (tests/engine/test_oauth2.py, tests/airbyte/test_oauth.py)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from restsync._engine._auth import AuthError, Credentials, OAuth2, make_authenticator
from restsync._plan import ApiKey, AuthPlan, BasicLogin, BearerToken, OAuth2ClientGrant

SECRET = "s3cr3t-value"
BASIC = base64.b64encode(f"ann:{SECRET}".encode()).decode()


async def _apply(auth: AuthPlan | None) -> Credentials:
    async with aiohttp.ClientSession() as session:
        return await make_authenticator(auth).apply(session)


APPLIED = [
    pytest.param(None, Credentials(), id="no-auth-sends-nothing"),
    pytest.param(
        BearerToken(SecretStr(SECRET)),
        Credentials(headers={"Authorization": f"Bearer {SECRET}"}),
        id="bearer",
    ),
    pytest.param(
        ApiKey("X-Key", SecretStr(SECRET)), Credentials(headers={"X-Key": SECRET}), id="key-header"
    ),
    pytest.param(
        ApiKey("key", SecretStr(SECRET), "query"),
        Credentials(params=[("key", SECRET)]),
        id="key-query",
    ),
    pytest.param(
        ApiKey("sid", SecretStr(SECRET), "cookie"),
        Credentials(cookies={"sid": SECRET}),
        id="key-cookie",
    ),
    pytest.param(
        BasicLogin("ann", SecretStr(SECRET)),
        Credentials(headers={"Authorization": f"Basic {BASIC}"}),
        id="basic",
    ),
    pytest.param(
        OAuth2ClientGrant(
            "https://auth.test/token",
            SecretStr("id"),
            SecretStr("cs"),
            access_token=SecretStr(SECRET),
        ),
        Credentials(headers={"Authorization": f"Bearer {SECRET}"}),
        id="oauth2-with-a-given-token",
    ),
]


@pytest.mark.parametrize(("auth", "expected"), APPLIED)
def test_each_kind_puts_its_credentials_in_their_place(
    auth: AuthPlan | None, expected: Credentials
) -> None:
    assert asyncio.run(_apply(auth)) == expected


@pytest.mark.parametrize(
    ("auth", "secret_params"),
    [
        (ApiKey("key", SecretStr(SECRET), "query"), {"key"}),
        (ApiKey("X-Key", SecretStr(SECRET)), set()),
        (BearerToken(SecretStr(SECRET)), set()),
        (None, set()),
    ],
)
def test_query_secrets_are_named_for_redaction(
    auth: AuthPlan | None, secret_params: set[str]
) -> None:
    assert make_authenticator(auth).secret_param_names() == secret_params


@pytest.mark.parametrize(
    "auth",
    [
        BearerToken(SecretStr(SECRET)),
        ApiKey("key", SecretStr(SECRET), "query"),
        BasicLogin("ann", SecretStr(SECRET)),
        OAuth2ClientGrant(
            "https://auth.test/token",
            SecretStr(SECRET),
            SecretStr(SECRET),
            access_token=SecretStr(SECRET),
            access_token_request_data={"refresh_token": SECRET},
        ),
    ],
    ids=lambda auth: type(auth).__name__,
)
def test_no_secret_in_a_repr(auth: AuthPlan) -> None:
    assert SECRET not in repr(auth)
    assert SECRET not in repr(make_authenticator(auth))


def test_a_token_endpoint_error_shows_no_secret_of_its_url() -> None:
    error = AuthError(
        "the token endpoint answered 401", f"https://u:{SECRET}@auth.test/t?key={SECRET}"
    )
    assert SECRET not in str(error) and SECRET not in error.url
    assert "auth.test/t" in str(error)


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _oauth(**options: Any) -> tuple[OAuth2, Clock]:
    grant = OAuth2ClientGrant(
        "https://auth.test/token", SecretStr("id"), SecretStr("cs"), **options
    )
    clock = Clock(1000.0)
    return OAuth2(grant, clock=clock, wall_clock=lambda: WALL), clock


WALL = 1_700_000_000.0  # the Unix time the wall clock shows


def test_a_given_token_is_used_until_the_refresh_margin_before_its_expiry() -> None:
    auth, clock = _oauth(access_token=SecretStr("given"), default_token_expiration=100)
    assert auth.fresh_token() == "given"
    clock.now += 69  # 31 s left: still used
    assert auth.fresh_token() == "given"
    clock.now += 1  # 30 s left: fetched again, it could expire on the way
    assert auth.fresh_token() is None


def test_a_kept_token_expires_after_its_lifetime() -> None:
    auth, clock = _oauth()
    assert auth.fresh_token() is None
    auth.keep("fetched", 3600)
    clock.now += 3569
    assert auth.fresh_token() == "fetched"
    clock.now += 1
    assert auth.fresh_token() is None


LIFETIMES = [
    pytest.param({}, {"expires_in": 120}, 120.0, id="seconds"),
    pytest.param({}, {"expires_in": "90"}, 90.0, id="seconds-as-text"),
    pytest.param({}, {"data": {"expires_in": 60}}, 60.0, id="nested"),
    pytest.param({}, {}, 3600.0, id="missing-is-the-default"),
    pytest.param({"default_token_expiration": 50}, {"expires_in": "soon"}, 50.0, id="unreadable"),
    pytest.param({}, {"expires_in": -5}, 3600.0, id="negative-is-the-default"),
    pytest.param({}, {"expires_in": WALL + 600}, 600.0, id="a-unix-time-read-as-one"),
    pytest.param({}, {"expires_in": (WALL + 300) * 1000}, 300.0, id="unix-milliseconds"),
    pytest.param(
        {"expires_field": "expires_at", "expires_is_time": True},
        {"expires_at": WALL + 45},
        45.0,
        id="point-in-time",
    ),
    pytest.param(
        {"expires_is_time": True},
        {"expires_in": "2023-11-14T22:13:30+00:00"},  # WALL + 10
        10.0,
        id="iso-time",
    ),
    pytest.param({"expires_is_time": True}, {"expires_in": WALL - 10}, 0.0, id="already-past"),
]


@pytest.mark.parametrize(("options", "answer", "seconds"), LIFETIMES)
def test_token_lifetime_from_the_answer(
    options: dict[str, Any], answer: dict[str, Any], seconds: float
) -> None:
    auth, _ = _oauth(**options)
    assert auth.lifetime(answer) == pytest.approx(seconds)
