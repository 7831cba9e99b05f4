"""Each paginator type is served the way the plan reads it; the walker follows the dialect's rules
and must collect exactly the served records."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from sim_plans import one_resource
from sim_walker import fetch, walk

from restsync.simulator import SimulatorOptions, serve_in_thread

CASES: list[tuple[str, dict[str, Any], int, int]] = [
    # (id, endpoint, records, expected pages)
    ("page_number_total", {"data_selector": "items", "paginator": {
        "type": "page_number", "page_param": "p", "base_page": 1, "total_path": "meta.pages",
        "limit": 10}}, 35, 4),
    ("page_number_short_page", {"paginator": {"type": "page_number"}}, 30, 2),
    ("offset_total", {"data_selector": "rows", "paginator": {
        "type": "offset", "limit": 20, "total_path": "total"}}, 50, 3),
    ("offset_full_last_page", {"paginator": {"type": "offset", "limit": 20}}, 40, 3),
    ("json_link", {"paginator": {"type": "json_link"}}, 60, 3),
    ("json_link_nested", {"data_selector": "results", "paginator": {
        "type": "json_link", "next_url_path": "links.next"}}, 30, 2),
    ("header_link", {"data_selector": "$", "paginator": {"type": "header_link"}}, 51, 3),
    ("header_cursor", {"paginator": {
        "type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "after"}}, 26, 2),
    ("single_page_bare_list", {"data_selector": "$", "paginator": "single_page"}, 70, 1),
    ("auto", {}, 70, 1),
    ("cursor_nested", {"data_selector": "payload.items", "paginator": {
        "type": "cursor", "cursor_param": "c", "cursor_path": "meta.next", "limit": 10}}, 25, 3),
    ("cursor_has_more", {"paginator": {
        "type": "cursor", "cursor_path": "next_cursor", "has_more_path": "has_more",
        "stop_condition": "response.has_more == false"}}, 30, 2),
    ("cursor_not_flag", {"paginator": {
        "type": "cursor", "cursor_param": "it", "stop_condition": "not more"}}, 30, 2),
    ("offset_done_flag", {"paginator": {
        "type": "offset", "limit": 10, "stop_condition": "done"}}, 25, 3),
]


@pytest.mark.parametrize("cursor_style", ["token", "url"])
@pytest.mark.parametrize(("endpoint", "count", "pages"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_paginator_is_served_as_the_plan_reads_it(
    endpoint: dict[str, Any], count: int, pages: int, cursor_style: str
) -> None:
    plan = one_resource(endpoint)
    items = plan.resources["items"]
    options = SimulatorOptions(records_per_resource=count, cursor_style=cursor_style)
    with serve_in_thread(plan, options) as sim:
        walked = walk(sim.base_url, items, items.path, sim.credential)
        served = sim.dataset()["items"]
    assert len(served) == count
    assert walked.records == served
    assert walked.pages == pages
    for verdict, last in walked.verdicts:
        assert verdict == last


def test_cursor_url_style_hands_out_the_next_page_url() -> None:
    plan = one_resource({"data_selector": "results", "paginator": {
        "type": "cursor", "cursor_param": "page", "stop_condition": "response.next is none"}})
    with serve_in_thread(plan, SimulatorOptions(cursor_style="url")) as sim:
        first = fetch(sim.base_url + "/items").json()
        assert first["next"].startswith(sim.base_url + "/items?")
        assert "page=" in first["next"]
        # a client may also just follow the URL
        second = fetch(first["next"]).json()
    assert second["results"][0] != first["results"][0]


def test_a_retried_page_is_the_same_page() -> None:
    plan = one_resource({"paginator": {"type": "cursor", "cursor_param": "c", "cursor_path": "c"}})
    with serve_in_thread(plan) as sim:
        first = fetch(sim.base_url + "/items").json()
        again = fetch(sim.base_url + "/items", params={"c": first["c"]}).json()
        repeat = fetch(sim.base_url + "/items", params={"c": first["c"]}).json()
    assert again == repeat


def test_a_page_size_the_client_sends_is_honoured() -> None:
    plan = one_resource({"paginator": {"type": "cursor", "cursor_param": "c", "cursor_path": "c"}})
    with serve_in_thread(plan) as sim:
        body = fetch(sim.base_url + "/items", params={"limit": 7}).json()
    assert len(body["data"]) == 7


def test_a_foreign_cursor_is_a_400() -> None:
    plan = one_resource({"paginator": {"type": "cursor", "cursor_param": "c", "cursor_path": "c"}})
    with serve_in_thread(plan) as sim:
        reply = fetch(sim.base_url + "/items", params={"c": "not-ours"})
    assert reply.status == 400
    assert "error" in reply.json()


def test_a_whole_body_selector_with_paging_fields_serves_one_object() -> None:
    plan = one_resource({"data_selector": "$", "paginator": {
        "type": "cursor", "cursor_param": "start", "cursor_path": "last",
        "stop_condition": "response.get('last') is None"}})
    with serve_in_thread(plan) as sim:
        body = fetch(sim.base_url + "/items", sim.credential).json()
        assert sim.dataset()["items"] == [body]
    assert isinstance(body, dict) and "last" not in body
    assert plan.resources["items"].stop_condition(response=body, headers={}, records=[body])


def test_the_base_url_path_prefixes_every_resource() -> None:
    plan = one_resource({"paginator": "single_page"}, base_url="https://api.example.com/api/v3/")
    with serve_in_thread(plan) as sim:
        assert sim.base_url.endswith("/api/v3")
        assert fetch(sim.base_url + "/items").status == 200
        assert fetch(sim.base_url.removesuffix("/api/v3") + "/items").status == 404


def test_post_endpoint_pages_by_json_body() -> None:
    plan = one_resource({"method": "POST", "json": {"query": "x"}, "paginator": {
        "type": "page_number", "page_body_path": "page", "base_page": 1, "total_path": "pages"}})
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=30)) as sim:
        def page(number: int) -> Any:
            data = json.dumps({"query": "x", "page": number}).encode()
            request = urllib.request.Request(sim.base_url + "/items", data=data, method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())

        first, second = page(1), page(2)
        assert fetch(sim.base_url + "/items").status == 405
        assert first["pages"] == 2
        assert first["data"] + second["data"] == sim.dataset()["items"]
