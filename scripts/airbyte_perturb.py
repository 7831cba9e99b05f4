"""Awkward data for the comparison harness: a proxy on 127.0.0.1 in front of the simulator that
changes its JSON pages as a real API's would (``airbyte_corpus_diff.py --perturb SEED``).

Every change is a pure function of the seed and of the bytes the simulator answered: a record
is changed by what it holds (the same record on any page, for either reader, the same way), a
page by its own text. Both readers (airbyte-cdk and restsync) therefore get identical bytes for
identical requests, and a difference in their records is a difference in how they treat the
data, not in what they were served.

The changes (each drawn with its own probability, see ``_RATES``):

- a field null, or missing (a field the manifest names -- a primary key, a cursor field, a
  parent's partition key, a field a transformation or a filter reads -- is picked five times
  as often as another);
- a number as a string (``12`` -> ``"12"``), a nested object as null;
- a datetime in another format (``2024-01-02T03:04:05Z`` -> ``2024-01-02 03:04:05``, or with
  ``+00:00``, or the date alone);
- unicode in a text field (accents, a CJK word, an emoji);
- a record that is not an object (a string in the list), a record twice;
- an empty page (the records list emptied, everything else kept: the next-page token too).

Only the records list of a page is changed: the largest list of objects in its JSON (a page of
another format, or one without such a list, passes through untouched). Absolute addresses in
the answer (a next-page URL, a job's download address) are moved to the proxy's origin so every
request goes through it. Standard library only.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# the probability of each change: per record (a field's changes per record too), per page
_RATES = {
    "field": 0.35,  # one field of the record changed (null, missing, string number, ...)
    "not_a_dict": 0.004,  # rare: airbyte-cdk fails the stream on one, which hides the rest
    "duplicate": 0.04,
    "empty_page": 0.08,
}
_UNICODE = ("café ✓", "名前", "🚀 ünïcödé", "Ωmega—dash")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
}


def _rng(seed: int, text: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{text}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def manifest_words(text: str) -> frozenset[str]:
    """Every name a manifest's text holds: a record field among them is one the manifest reads."""
    return frozenset(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def perturb_record(record: dict[str, Any], rng: random.Random, named: frozenset[str]) -> Any:
    """The record with one field changed (a copy; the record itself is left as it was)."""
    copy = dict(record)
    keys = list(copy)
    if not keys:
        return copy
    weights = [5 if key in named else 1 for key in keys]
    key = rng.choices(keys, weights)[0]
    value = copy[key]
    kinds = ["null", "missing"]
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, float)):
        kinds += ["number_as_string"] * 2
    elif isinstance(value, dict):
        kinds += ["nested_null"] * 2
        if value:
            kinds += ["nested_field"] * 2
    elif isinstance(value, str):
        if _DATETIME.match(value):
            kinds += ["datetime_format"] * 3
        kinds += ["unicode"]
    kind = rng.choice(kinds)
    if kind == "null" or kind == "nested_null":
        copy[key] = None
    elif kind == "missing":
        del copy[key]
    elif kind == "number_as_string":
        copy[key] = str(value)
    elif kind == "nested_field":
        copy[key] = perturb_record(value, rng, named)
    elif kind == "datetime_format":
        copy[key] = _other_datetime(value, rng)
    elif kind == "unicode":
        copy[key] = rng.choice(_UNICODE) + (f" {value}" if value else "")
    return copy


def _other_datetime(value: str, rng: random.Random) -> str:
    found = _DATETIME.match(value)
    if found is None:
        return value
    day, clock, fraction, zone = found.groups()
    choice = rng.randrange(3)
    if choice == 0:
        return f"{day} {clock}"
    if choice == 1:
        return f"{day}T{clock}{fraction or ''}+00:00"
    return day


def perturb_page(page: Any, seed: int, named: frozenset[str]) -> Any:
    """The page with its records list changed (see the module docstring); the page as it was
    when it holds no list of objects."""
    found = _records_list(page, ())
    if found is None:
        return page
    where, records = found
    page_rng = _rng(seed, "page\x00" + _canonical(page))
    changed: list[Any] = []
    if records and page_rng.random() < _RATES["empty_page"]:
        changed = []
    else:
        for record in records:
            rng = _rng(seed, _canonical(record))
            if not isinstance(record, dict):
                changed.append(record)
                continue
            if rng.random() < _RATES["not_a_dict"]:
                changed.append(str(record.get(next(iter(record), ""), "x")) if record else "x")
                continue
            new = perturb_record(record, rng, named) if rng.random() < _RATES["field"] else record
            changed.append(new)
            if rng.random() < _RATES["duplicate"]:
                changed.append(new)
    return _replaced(page, where, changed)


def _records_list(node: Any, where: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[Any]] | None:
    """The largest list of objects in the JSON (its path and the list), the outermost first."""
    best: tuple[tuple[Any, ...], list[Any]] | None = None
    if isinstance(node, list):
        if node and all(isinstance(item, dict) for item in node):
            return where, node
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            found = _records_list(value, (*where, key))
            if found is not None and (best is None or len(found[1]) > len(best[1])):
                best = found
    return best


def _replaced(node: Any, where: tuple[Any, ...], value: Any) -> Any:
    if not where:
        return value
    copy = dict(node)
    copy[where[0]] = _replaced(node[where[0]], where[1:], value)
    return copy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        return

    def _forward(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in _HOP and k.lower() not in ("host", "accept-encoding")
        }
        connection = http.client.HTTPConnection(server.upstream_host, server.upstream_port, 60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            status, reason, answered = answer.status, answer.reason, answer.getheaders()
        finally:
            connection.close()
        encoding = {k.lower(): v for k, v in answered}.get("content-encoding", "")
        if encoding == "gzip":
            data = gzip.decompress(data)
        data = data.replace(server.upstream_origin.encode(), server.origin.encode())
        if status == 200 and not server.paused:
            data = self._perturbed(data)
        self.send_response(status, reason)
        for key, value in answered:
            if key.lower() not in _HOP:
                self.send_header(key, value.replace(server.upstream_origin, server.origin))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _perturbed(self, data: bytes) -> bytes:
        try:
            page = json.loads(data)
        except ValueError:
            return data
        changed = perturb_page(page, self.server.seed, self.server.named)
        if changed is page:
            return data
        self.server.changed += 1
        return json.dumps(changed, ensure_ascii=False).encode()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    upstream_host: str
    upstream_port: int
    upstream_origin: str
    origin: str
    seed: int
    named: frozenset[str]
    changed: int = 0
    paused: bool = False


@contextmanager
def perturbing_proxy(upstream: str, seed: int, named: frozenset[str]) -> Iterator[str]:
    """A proxy on 127.0.0.1 in front of ``upstream`` (an address on the loopback) for the
    ``with`` block; yields ``upstream`` with the proxy's origin in place of its own."""
    parts = urlsplit(upstream)
    server = _ProxyServer(("127.0.0.1", 0), _Handler)
    server.upstream_host = parts.hostname or "127.0.0.1"
    server.upstream_port = parts.port or 80
    server.upstream_origin = f"{parts.scheme}://{parts.netloc}"
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    server.seed, server.named = seed, named
    thread = threading.Thread(target=server.serve_forever, name="perturb-proxy", daemon=True)
    thread.start()
    try:
        yield server.origin + upstream[len(server.upstream_origin) :]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
