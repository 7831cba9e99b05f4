"""The comparison harness's perturbed round (``airbyte_corpus_diff.py --perturb SEED``): the proxy
of scripts/airbyte_perturb.py in front of a real server on 127.0.0.1 changes its JSON pages the
same way for every reader, and the harness's verdicts for what awkward data makes of them."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from aiohttp import web

from tests.airbyte._script import load_script
from tests.conftest import RoutedServer

_RECORDS = [
    {"id": i, "updated_at": f"2024-01-{i % 28 + 1:02d}T10:00:00Z", "n": i, "o": {"a": i}}
    for i in range(300)
]


def _get(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - 127.0.0.1 only
        return answer.read(), dict(answer.headers)


def _serve(server: RoutedServer) -> None:
    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        chunk = _RECORDS[(page - 1) * 100 : page * 100]
        following = f"{server.base_url}/items?page={page + 1}" if page < 3 else None
        return web.json_response({"data": chunk, "next": following, "count": len(chunk)})

    @server.get("/text")
    async def text(request: web.Request) -> web.Response:
        return web.Response(text="a,b\n1,2\n")


def test_both_readers_get_the_same_changed_bytes_and_every_page_through_the_proxy(
    server: RoutedServer,
) -> None:
    perturb = load_script("airbyte_perturb")
    _serve(server)
    server.start()
    named = perturb.manifest_words("primary_key: id\ncursor_field: updated_at")
    with perturb.perturbing_proxy(server.base_url, 7, named) as base:
        first, _ = _get(f"{base}/items")
        again, _ = _get(f"{base}/items")
        page = json.loads(first)
        # the next page's address on the proxy, not the server: the reader stays behind it
        assert page["next"] == f"{base}/items?page=2"
        other_seed = None
        with perturb.perturbing_proxy(server.base_url, 8, named) as elsewhere:
            other_seed, _ = _get(f"{elsewhere}/items")
        text, _ = _get(f"{base}/text")
    assert first == again  # the same bytes for the same answer
    assert first != other_seed
    records = page["data"]
    original, _ = _get(f"{server.base_url}/items")
    assert records != json.loads(original)["data"]
    assert text == b"a,b\n1,2\n"  # not JSON: passed on as it was
    assert page["count"] == 100  # only the records list changes


def test_the_changes_are_the_ones_a_real_api_makes() -> None:
    perturb = load_script("airbyte_perturb")
    named = perturb.manifest_words("primary_key: id")
    kinds: set[str] = set()
    for seed in range(4):
        changed = perturb.perturb_page({"data": _RECORDS}, seed, named)["data"]
        by_id = {r["id"]: r for r in changed if isinstance(r, dict) and type(r.get("id")) is int}
        kinds |= {"not-an-object" for r in changed if not isinstance(r, dict)}
        kinds |= {"duplicate" for _ in range(len(changed) - len({json.dumps(r) for r in changed}))}
        kinds |= {"no-key" for r in changed if isinstance(r, dict) and r.get("id") is None}
        kinds |= {
            "string-number" for r in changed if isinstance(r, dict) and type(r.get("id")) is str
        }
        for record in by_id.values():
            kinds |= _kinds(record, _RECORDS[record["id"]])
    assert kinds >= {
        "not-an-object",
        "duplicate",
        "no-key",
        "string-number",
        "null-object",
        "other-datetime",
        "unicode",
    }


def _kinds(record: dict[str, Any], original: dict[str, Any]) -> set[str]:
    found = set()
    if isinstance(record.get("n"), str):
        found.add("string-number")
    if "o" in record and record["o"] is None:
        found.add("null-object")
    stamp = record.get("updated_at")
    if isinstance(stamp, str) and stamp != original["updated_at"]:
        found.add("unicode" if not stamp[0].isdigit() else "other-datetime")
    return found


def test_an_empty_page_keeps_the_rest_of_the_answer() -> None:
    perturb = load_script("airbyte_perturb")
    emptied = [
        seed
        for seed in range(300)
        if perturb.perturb_page({"data": _RECORDS[:5], "next": "x"}, seed, frozenset())["data"]
        == []
    ]
    assert emptied
    page = perturb.perturb_page({"data": _RECORDS[:5], "next": "x"}, emptied[0], frozenset())
    assert page == {"data": [], "next": "x"}


def test_records_set_aside_and_a_failure_part_way_have_verdicts_of_their_own() -> None:
    diff = load_script("airbyte_corpus_diff")
    want = [{"id": 1}, {"name": "no key"}]
    aside = diff._aside(want, [{"id": 1}], [["missing primary key 'id'", {"name": "no key"}]])
    assert aside is not None and aside.startswith("set-aside: 1 records the same; 1 more")
    assert diff._aside(want, [{"id": 1}], [["x", {"name": "other"}]]) is None
    assert diff.connector_verdict({"a": aside, "b": "identical (2 records)"}) == "set-aside"
    both = diff._partway("failed: not an object", want, ["items: dictionary update"])
    assert both is not None and both.startswith("both-failed: restsync failed: not an object")
    alone = diff._partway([{"id": 1}], want, ["items: dictionary update"])
    assert alone is not None and alone.startswith("cdk-failed: airbyte-cdk after 2 records")
    assert diff._partway([{"id": 1}], want, []) is None
