"""Redirects, followed by the engine rather than by aiohttp, so that every hop passes through the
same origin rule as any other request (``_origin.OriginGuard``).

Method and body follow RFC 9110 and what browsers do: 303 turns every method but HEAD into a GET
without a body; 301 and 302 turn a POST into a GET without a body and keep other methods; 307
and 308 keep the method and the body. The ``Location`` is resolved against the URL that answered;
its query replaces the old one, and a fragment is dropped. Credentials in the ``Location``
(``https://user:password@host/``) are dropped too: a request carries the credentials of the
config, never ones a server hands out (aiohttp would send them as basic auth, and refuse the
hop outright when the config's own ``Authorization`` goes along).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urljoin, urlsplit, urlunsplit

from restsync._engine._request import Request, split_url

__all__ = ["MAX_REDIRECTS", "REDIRECT_STATUSES", "RedirectRefused", "follow_redirect"]

MAX_REDIRECTS = 10  # as aiohttp's default; browsers allow 20, requests 30: no API needs more
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectRefused(ValueError):
    """The server redirected somewhere a request cannot go (another scheme, an unreadable URL)."""


def follow_redirect(request: Request, status: int, location: str | None) -> Request | None:
    """The request a redirect response asks for; ``None`` when the response is not one."""
    if status not in REDIRECT_STATUSES or not location:
        return None
    target = urljoin(request.full_url(), location.strip())
    parts = urlsplit(target)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RedirectRefused(
            f"the API redirected to a URL that is not http(s) ({parts.scheme or 'no'} scheme)"
        )
    if "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        target = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    url, query = split_url(target)
    method, body, data = request.method, request.json, request.data
    if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
        method, body, data = "GET", None, None
    return replace(request, method=method, url=url, params=tuple(query), json=body, data=data)
