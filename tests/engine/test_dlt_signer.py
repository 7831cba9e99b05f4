"""A dlt auth object that restsync runs by its own code signs once and is reused while its own
state says the signature holds; one with its own ``__call__`` is called for every request, as dlt
(``requests``) calls it. ``signings`` counts the calls, each a worker-thread hop."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from dlt.common import pendulum
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, OAuth2AuthBase, OAuth2ClientCredentials

from restsync._engine._dlt_objects import DltSigner

REQUESTS = 40  # about the requests of a small paged parity case


@configspec
class TokenFromUrlAuth(OAuth2ClientCredentials):
    """The common dlt pattern: a subclass that changes how the token is asked for."""

    def build_access_token_request(self) -> dict[str, Any]:
        return {"data": {"grant_type": "client_credentials", "client_id": self.client_id}}


@configspec
class GivenTokenAuth(OAuth2AuthBase):
    pass


@configspec
class NonceAuth(APIKeyAuth):
    """Signs every request differently, so it must be called for each."""

    calls: int = 0

    def __call__(self, request: Any) -> Any:
        self.calls += 1
        request.headers["X-Nonce"] = str(self.calls)
        return request


def _sign(signer: DltSigner, times: int) -> list[Any]:
    async def run() -> list[Any]:
        return [await signer.credentials() for _ in range(times)]

    return asyncio.run(run())


def test_an_oauth2_subclass_signs_once_per_token(server: Any) -> None:
    issued: list[str] = []

    async def token(request: web.Request) -> web.Response:
        issued.append(f"tok{len(issued) + 1}")
        return web.json_response({"access_token": issued[-1], "expires_in": 3600})

    server.route("POST", "/token", token)
    server.start()
    auth = TokenFromUrlAuth(
        access_token_url=f"{server.base_url}/token", client_id="id", client_secret="secret"
    )
    signer = DltSigner(auth, f"{server.base_url}/")

    first = _sign(signer, REQUESTS)
    assert (signer.signings, issued) == (1, ["tok1"])  # was 40 hops, one per request
    assert {tuple(h.items()) for h, _ in first} == {(("Authorization", "Bearer tok1"),)}

    auth.token_expiry = pendulum.now().subtract(seconds=1)  # the object says: expired
    again = _sign(signer, REQUESTS)
    assert (signer.signings, issued) == (2, ["tok1", "tok2"])
    assert again[-1] == ({"Authorization": "Bearer tok2"}, [])


def test_an_object_without_expiry_signs_once_per_run() -> None:
    signer = DltSigner(GivenTokenAuth(access_token="given"), "https://api.example.com/")
    signed = _sign(signer, REQUESTS)
    assert signer.signings == 1
    assert signed == [({"Authorization": "Bearer given"}, [])] * REQUESTS


def test_an_object_with_its_own_call_is_called_for_every_request() -> None:
    auth = NonceAuth(api_key="k", name="key", location="query")
    signer = DltSigner(auth, "https://api.example.com/")
    signed = _sign(signer, 5)
    assert signer.signings == 5
    assert [headers["X-Nonce"] for headers, _ in signed] == ["1", "2", "3", "4", "5"]


def test_a_reused_signature_is_a_copy_the_caller_may_change() -> None:
    signer = DltSigner(GivenTokenAuth(access_token="given"), "https://api.example.com/")
    headers, _ = _sign(signer, 1)[0]
    headers["Authorization"] = "changed"
    assert _sign(signer, 1)[0][0] == {"Authorization": "Bearer given"}
