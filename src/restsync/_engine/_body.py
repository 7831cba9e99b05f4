"""Reading a response body under a size cap: a server is not trusted with the run's memory.

aiohttp inflates a gzip, deflate, brotli or zstd body in bounded steps as it is read, so counting
the bytes read counts the decompressed size, and a compression bomb stops at the cap as an endless
body does. A body whose ``Content-Length`` is over the cap is refused before a byte is read.
"""

from __future__ import annotations

import aiohttp

__all__ = ["read_capped"]

# the step in which a body is read, so the cap is checked as it grows
_STEP = 64 * 1024


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The whole body if it has at most ``limit`` bytes; otherwise ``None``, with the connection
    dropped (what is left of the body is never read)."""
    declared = response.content_length
    if declared is None or declared <= limit:
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.content.iter_chunked(_STEP):
            received += len(chunk)
            if received > limit:
                break
            chunks.append(chunk)
        else:
            return b"".join(chunks)
    response.close()
    return None
