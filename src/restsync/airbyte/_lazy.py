"""A child stream that reads its parent lazily (ParentStreamConfig ``lazy_read_pointer``).

Stripe's invoices carry their first page of line items (``lines``: ``{"data": [...],
"has_more": true}``). airbyte-cdk's LazySimpleRetriever takes that embedded object as the
child's first page: its records are selected from it as from a response, its next page token
is read from it by the child's paginator, and only the pages after it are requested from the
child's own endpoint. A missing pointer is an empty list (no records, and the paginator reads
``[]``). restsync does the same with the engine's ``produce`` hook: one chain per slice, the
first page taken from the slice (``child_response``, put there by the Slicer), the rest
fetched with the stream's own requests (ManifestTraversal), at most ``max_pages`` pages.

airbyte-cdk reads lazily only on a stream's first sync (without state); a later sync requests
every page. restsync reads lazily on every run: the records are the same whenever the API
embeds the same first page that its endpoint serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from restsync._engine._paginate import make_traversal
from restsync._engine._request import Page, Request
from restsync.airbyte._jinja import Slice
from restsync.airbyte._requests import StreamRequests, page_cap_error

__all__ = ["CHILD_RESPONSE", "LazyChain"]

CHILD_RESPONSE = "child_response"  # the slice's extra field holding the embedded first page

Fetch = Callable[[Request], Awaitable[Any]]


@dataclass(frozen=True)
class LazyChain:
    """The engine's ``produce`` hook for one stream read lazily from its parent's records."""

    stream: str
    requests: StreamRequests
    select: Callable[[Any, Any, Any], list[Any]]  # the stream's RecordPipeline
    max_pages: int

    async def __call__(self, parent: Any, fetch: Fetch, sleep: Any) -> AsyncIterator[list[Any]]:
        stream_slice = parent if isinstance(parent, Slice) else Slice(parent or {})
        traversal = make_traversal(self.requests, None, stream_slice)
        # the request the first page would have been: the traversal's state starts from it
        request: Request | None = traversal.first(Request(self.requests.method, ""))
        assert request is not None
        body = stream_slice.extra_fields.get(CHILD_RESPONSE, [])
        records = self.select(body, {}, stream_slice)
        yield records
        number = 1
        # airbyte-cdk's paginator reads a page through its JsonDecoder: a list body is its
        # first item, an empty one {} (a parent without the pointer gives [])
        seen = (body[0] if body else {}) if isinstance(body, list) else body
        request = traversal.next(request, Page(request, 200, {}, seen, records, number))
        while request is not None:
            if number >= self.max_pages:
                raise page_cap_error(self.stream, self.max_pages)
            response = await fetch(request)
            if response.ignored:
                return
            number += 1
            records = self.select(response.body, response.headers, stream_slice)
            yield records
            page = Page(request, response.status, response.headers, response.body, records, number)
            request = traversal.next(request, page)
