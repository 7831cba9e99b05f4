"""What of a URL may be shown (logs, errors, the run report): userinfo and secret-looking query
values masked, the rest kept. Table-driven over ``redact`` and a ``Request``'s text."""

from __future__ import annotations

import pytest

from restsync._engine._request import Request, redact

URLS = [
    pytest.param("https://api.test/items?page=2", "https://api.test/items?page=2", id="plain"),
    pytest.param("https://user:pw@api.test/items", "https://api.test/items", id="userinfo-dropped"),
    pytest.param(
        "https://api.test/items?api_key=k1&page=2",
        "https://api.test/items?api_key=***&page=2",
        id="key-masked",
    ),
    pytest.param(
        "https://api.test/i?access_token=t&X-Amz-Signature=s&sig=x&password=p&cursor=c",
        "https://api.test/i?access_token=***&X-Amz-Signature=***&sig=***&password=***&cursor=c",
        id="secret-names-masked-cursor-kept",
    ),
    pytest.param(
        "https://api.test/i?client_secret=&q=",
        "https://api.test/i?client_secret=***&q=",
        id="empty-values-kept-as-names",
    ),
    pytest.param("https://api.test/i#frag", "https://api.test/i", id="fragment-dropped"),
]


@pytest.mark.parametrize("url, shown", URLS)
def test_redact(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_names_the_config_declares_secret_are_masked_too() -> None:
    url = "https://api.test/i?sid=abc&page=1"
    assert redact(url, secrets={"sid"}) == "https://api.test/i?sid=***&page=1"


def test_a_request_shows_itself_redacted() -> None:
    request = Request("GET", "https://api.test/items", (("token", "t0p"), ("page", "3")))
    assert str(request) == "GET https://api.test/items?token=***&page=3"
