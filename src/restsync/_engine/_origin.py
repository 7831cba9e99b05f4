"""The origin rule: a resource's credentials go to the origin its config declares, nowhere else.

An origin is a scheme, host and port. A resource's declared origin is that of its own base URL
when its config gives one (an Airbyte stream's ``url_base`` or whole ``url``: a manifest can put
streams on several hosts), else the source's ``base_url``'s: a dlt config has one base URL, so
all its resources share one origin. Every request the engine sends (a first page, a next-page
link, a cursor URL, a ``Link`` header, a redirect hop, an absolute endpoint path) is shaped here
just before it goes on the wire:

- to the resource's declared origin: the configured headers (``client.headers``, endpoint
  headers), the auth (header, query parameter or cookie) and the cookies that origin set
  earlier. The source-wide credentials (``client.headers``, the source's auth) go along only
  when the resource is on the source's own origin: a stream on a second host carries its own
  authenticator and headers, never another stream's;
- to any other origin, the declared origin of another resource included: none of those. Only
  the headers in ``SAFE_HEADERS`` are kept, because they describe the request rather than the
  caller, and no cookie at all.

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
from restsync._plan import PLAIN_HEADERS, ResourcePlan, SourcePlan

__all__ = ["SAFE_HEADERS", "OriginGuard"]

# Headers that say what the request is, never who sends it: the one list the masking of
# secrets uses too (``_plan/_credentials.py``)
SAFE_HEADERS = PLAIN_HEADERS


class OriginGuard:
    """Decides, per resource and URL, what of the caller's identity may travel with a request."""

    def __init__(self, plan: SourcePlan) -> None:
        self.origin = origin(plan.base_url)
        self._homes = {r.name: origin(r.base_url) for r in plan.senders() if r.base_url}
        self._jars: dict[tuple[str, str], aiohttp.CookieJar] = {}

    def home(self, resource: ResourcePlan) -> tuple[str, str]:
        """The origin ``resource``'s config declares: the only one its credentials go to."""
        return self._homes.get(resource.name, self.origin)

    def trusts(self, url: str, resource: ResourcePlan) -> bool:
        """Whether ``url`` is on ``resource``'s declared origin."""
        return origin(url) == self.home(resource)

    def inherits(self, resource: ResourcePlan) -> bool:
        """Whether ``resource`` is on the source's origin, so the source-wide credentials
        (``client.headers``, the source's auth) are its too."""
        return self.home(resource) == self.origin

    def headers(
        self,
        url: str,
        resource: ResourcePlan,
        source: Mapping[str, str],
        *layers: Mapping[str, str],
    ) -> dict[str, str]:
        """The source's headers and the resource's ``layers`` merged (later wins), filtered for
        ``url``'s origin: the source's only on the source's origin."""
        merged: dict[str, str] = {}
        trusted = self.trusts(url, resource)
        for layer in (source if trusted and self.inherits(resource) else _plain(source), *layers):
            merged.update(layer if trusted else _plain(layer))
        return merged

    def cookies(self, url: str, resource: ResourcePlan) -> dict[str, str]:
        """The cookies ``url``'s origin set earlier, when it is ``resource``'s declared one."""
        jar = self._jars.get(origin(url))
        if jar is None or not self.trusts(url, resource):
            return {}
        return {name: morsel.value for name, morsel in jar.filter_cookies(URL(url)).items()}

    def remember(self, url: str, resource: ResourcePlan, set_cookies: BaseCookie[str]) -> None:
        """Keep the cookies a response from ``url`` set, if it came from ``resource``'s
        declared origin; one jar per origin (an aiohttp jar is per host, ports aside)."""
        if set_cookies and self.trusts(url, resource):
            # unsafe=True: the API may well be addressed by IP (a VPC endpoint, a test server)
            jar = self._jars.setdefault(origin(url), aiohttp.CookieJar(unsafe=True))
            jar.update_cookies(set_cookies, URL(url))


def _plain(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
