"""The origin rule: credentials go to the API's own origin and nowhere else.

The API's origin is the scheme, host and port of ``base_url``. Every request the engine sends (a
first page, a next-page link, a cursor URL, a ``Link`` header, a redirect hop, an absolute
endpoint path) is shaped here just before it goes on the wire:

- to the API's origin: the configured headers (``client.headers``, endpoint headers), the auth
  (header, query parameter or cookie) and the cookies that origin set earlier;
- to any other origin: none of those. Only the headers in ``SAFE_HEADERS`` are kept, because
  they describe the request rather than the caller, and no cookie at all.

Stripping rather than refusing follows what browsers, curl and ``requests`` do on a cross-host
redirect, and keeps the legitimate cases working (a download redirected to a CDN or a presigned
storage URL, a next link on a sibling host). A host that does need the credentials answers
401/403, which fails the resource with the usual message.

Cookies are kept per origin, not per host as RFC 6265 has it: a cookie set by ``api:443`` is
not sent to ``api:8080``, which a host-scoped jar would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import BaseCookie

import aiohttp
from yarl import URL

from restsync._engine._request import origin
from restsync._plan import PLAIN_HEADERS

__all__ = ["SAFE_HEADERS", "OriginGuard"]

# Headers that say what the request is, never who sends it: the one list the masking of
# secrets uses too (``_plan/_credentials.py``)
SAFE_HEADERS = PLAIN_HEADERS


class OriginGuard:
    """Decides, per URL, what of the caller's identity may travel with a request."""

    def __init__(self, base_url: str) -> None:
        self.origin = origin(base_url)
        # unsafe=True: the API may well be addressed by IP (a VPC endpoint, a test server)
        self._cookies = aiohttp.CookieJar(unsafe=True)

    def trusts(self, url: str) -> bool:
        """Whether ``url`` is on the API's own origin."""
        return origin(url) == self.origin

    def headers(self, url: str, *layers: Mapping[str, str]) -> dict[str, str]:
        """The configured header layers merged (later wins), filtered for ``url``'s origin."""
        merged: dict[str, str] = {}
        for layer in layers:
            merged.update(layer)
        if self.trusts(url):
            return merged
        return {k: v for k, v in merged.items() if k.lower() in SAFE_HEADERS}

    def cookies(self, url: str) -> dict[str, str]:
        """The cookies the API's origin set earlier, for a request to ``url``."""
        if not self.trusts(url):
            return {}
        jar = self._cookies.filter_cookies(URL(url))
        return {name: morsel.value for name, morsel in jar.items()}

    def remember(self, url: str, set_cookies: BaseCookie[str]) -> None:
        """Keep the cookies a response from ``url`` set, if it came from the API's origin."""
        if self.trusts(url):
            self._cookies.update_cookies(set_cookies, URL(url))
