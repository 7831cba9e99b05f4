"""A tiny reference client for the simulator's tests: fetch pages and follow paginators by the
dialect's rules, independently of restsync's engine (only the selector reader is shared)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync._plan import PLACEHOLDER, ResourcePlan, SourcePlan
from restsync._selectors import compile_selector

MAX_PAGES = 2_000


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


def fetch(
    url: str,
    credential: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    method: str = "GET",
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
) -> Reply:
    """One request, ``form`` its urlencoded body if given; HTTP errors come back as a ``Reply``
    instead of raising."""
    params = dict(params or {})
    sent = dict(headers or {})
    credential = credential or {}
    if "header" in credential:
        sent[credential["header"]] = credential["value"]
    elif "query" in credential:
        params[credential["query"]] = credential["value"]
    elif "cookie" in credential:
        sent["Cookie"] = f"{credential['cookie']}={credential['value']}"
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    body = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, dict(exc.headers), exc.read())


@dataclass
class Walk:
    records: list[Any] = field(default_factory=list)
    pages: int = 0
    # (stop_condition's verdict, whether the walker saw the last page) per page
    verdicts: list[tuple[bool, bool]] = field(default_factory=list)


def walk(
    base_url: str,
    resource: ResourcePlan,
    path: str,
    credential: Mapping[str, str],
    params: Mapping[str, Any] | None = None,
) -> Walk:
    """Every page of one resource at one concrete ``path`` (placeholders filled)."""
    p = resource.paginator
    select = compile_selector(resource.data_selector)
    url = base_url + path
    query: dict[str, Any] = dict(params or {})
    out = Walk()
    offset = getattr(p, "offset", 0)
    page_number = getattr(p, "page", None) or getattr(p, "base_page", 0)
    limit = getattr(p, "limit", None)
    if limit and p.type in ("offset", "page_number", "cursor"):
        query.setdefault(p.limit_param, limit)
    while True:
        if p.type == "offset":
            query[p.offset_param] = offset
        elif p.type == "page_number":
            query[p.page_param] = page_number
        reply = fetch(url, credential, query)
        assert reply.status == 200, (url, query, reply.status, reply.raw[:200])
        body = reply.json()
        records = select(body)
        out.records.extend(records)
        out.pages += 1
        assert out.pages < MAX_PAGES, f"runaway paging at {url}"
        last, follow = _next(p, body, reply.headers, records, query, offset, page_number)
        if resource.stop_condition is not None:
            verdict = resource.stop_condition(response=body, headers=reply.headers, records=records)
            out.verdicts.append((bool(verdict), last))
        if last:
            return out
        if p.type == "offset":
            offset += p.limit
        elif p.type == "page_number":
            page_number += 1
        elif p.type in ("json_link", "header_link"):
            url, query = follow, {}
        elif p.type == "cursor":
            query[p.cursor_param] = follow
        elif p.type == "header_cursor":
            query[p.cursor_param] = follow


def _next(
    p: Any, body: Any, headers: Mapping[str, str], records: list[Any], query: Mapping[str, Any],
    offset: int, page_number: int,
) -> tuple[bool, Any]:
    """(is this the last page, what to follow otherwise)."""
    if p.type == "cursor":
        value = _dig(body, p.cursor_path)
        return value is None, value
    if p.type == "offset":
        if p.total_path:
            return offset + p.limit >= _dig(body, p.total_path), None
        return len(records) < p.limit, None
    if p.type == "page_number":
        size = int(query.get(p.limit_param, p.limit or 25))
        if p.total_path:
            return page_number - p.base_page + 1 >= _dig(body, p.total_path), None
        return len(records) < size, None
    if p.type == "json_link":
        link = _dig(body, p.next_url_path or "next")
        return link is None, link
    if p.type == "header_link":
        rel = re.escape(p.links_next_key)
        match = re.search(rf'<([^>]+)>;\s*rel="?{rel}"?', headers.get("Link", ""))
        return match is None, match.group(1) if match else None
    if p.type == "header_cursor":
        value = headers.get(p.cursor_key)
        return value is None, value
    return True, None  # single_page, auto


def _dig(body: Any, path: str) -> Any:
    for part in path.removeprefix("$.").split("."):
        if not isinstance(body, Mapping):
            return None
        body = body.get(part)
    return body


def walk_plan(base_url: str, plan: SourcePlan, credential: Mapping[str, str]) -> dict[str, Walk]:
    """Every resource: roots once, children once per parent record the walk collected."""
    walks: dict[str, Walk] = {}
    pending = list(plan.resources.values())
    while pending:
        resource = next(
            r for r in pending if r.parent is None or r.parent.resource in walks
        )
        pending.remove(resource)
        if resource.parent is None:
            walks[resource.name] = walk(base_url, resource, resource.path, credential)
            continue
        total = Walk()
        for parent_record in walks[resource.parent.resource].records:
            path, params = fill(resource, parent_record)
            one = walk(base_url, resource, path, credential, params)
            total.records.extend(one.records)
            total.pages += one.pages
            total.verdicts.extend(one.verdicts)
        walks[resource.name] = total
    return walks


def fill(resource: ResourcePlan, parent_record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The child's path and query params for one parent record."""
    assert resource.parent is not None
    values = {
        placeholder: str(_dig(parent_record, field_path))
        for placeholder, field_path in resource.parent.bindings.items()
    }

    def sub(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    params = {k: sub(v) for k, v in resource.params.items() if isinstance(v, str)}
    return sub(resource.path), params
