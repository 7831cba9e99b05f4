"""Paginators as pure functions of the last request and a response value: table-driven, no
server, no event loop. Each row gives a paginator config as the user writes it and the responses
of one chain; the chain's requests (query strings) and how it ends are the spec. The end-to-end
tests (tests/engine, tests/parity) prove the same paginators against real servers."""

from __future__ import annotations

from typing import Any

import pytest

import restsync
from restsync._engine._paginate import PaginationLoop, Traversal, make_traversal
from restsync._engine._request import Page, Request
from restsync._engine._templates import first_request
from restsync._plan import ResourcePlan

BASE = "https://api.test"


def _resource(paginator: Any) -> ResourcePlan:
    """The resource as the engine gets it: the plan resolves the paginator the user wrote."""
    endpoint = {"path": "/items", "paginator": paginator, "data_selector": "data"}
    plan = restsync.plan_config(
        {"client": {"base_url": BASE}, "resources": [{"name": "items", "endpoint": endpoint}]}
    )
    return plan.resources["items"]


def _response(
    records: int, headers: dict[str, str] | None = None, **body: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    return {"data": [{"id": i} for i in range(records)], **body}, headers or {}


def _chain(
    paginator: Any, responses: list[tuple[dict[str, Any], dict[str, str]]]
) -> tuple[list[str], Traversal]:
    """The query strings a chain sends while the responses last (the engine's loop, without
    the wire); ``...`` marks a chain that would go on."""
    resource = _resource(paginator)
    traversal = make_traversal(resource.paginator, resource.stop_condition)
    request: Request | None = traversal.first(first_request(BASE, resource, None, None))
    sent: list[str] = []
    for number, (body, headers) in enumerate(responses, start=1):
        assert request is not None, f"the chain ended before response {number}"
        sent.append(request.full_url().removeprefix(f"{BASE}/items"))
        page = Page(request, 200, headers, body, body["data"], number)
        request = traversal.next(request, page)
    if request is not None:
        sent.append("...")
    return sent, traversal


CHAINS = [
    pytest.param(
        {"type": "offset", "limit": 2},
        [_response(2, total=5), _response(2, total=5), _response(1, total=5)],
        ["?offset=0&limit=2", "?offset=2&limit=2", "?offset=4&limit=2"],
        id="offset-ends-at-total",
    ),
    pytest.param(
        {"type": "offset", "limit": 2},
        [_response(2), _response(1)],
        ["?offset=0&limit=2", "?offset=2&limit=2"],
        id="offset-without-total-ends-at-a-short-page",
    ),
    pytest.param(
        {"type": "offset", "limit": 2, "total_path": None, "maximum_offset": 4},
        [_response(2), _response(2)],
        ["?offset=0&limit=2", "?offset=2&limit=2"],
        id="offset-maximum-is-not-fetched",
    ),
    pytest.param(
        {"type": "page_number", "base_page": 1, "total_path": "pages"},
        [_response(3, pages=3), _response(3, pages=3), _response(3, pages=3)],
        ["?page=1", "?page=2", "?page=3"],
        id="page-number-total-counts-from-base-page",
    ),
    pytest.param(
        {"type": "page_number", "total_path": None, "maximum_page": 2},
        [_response(3), _response(3)],
        ["?page=0", "?page=1"],
        id="page-number-maximum-is-not-fetched",
    ),
    pytest.param(
        {"type": "page_number", "total_path": None},
        [_response(3), _response(3), _response(0)],
        ["?page=0", "?page=1", "?page=2"],
        id="page-number-ends-at-an-empty-page",
    ),
    pytest.param(
        {"type": "cursor"},
        [_response(2, cursors={"next": "c2"}), _response(2, cursors={"next": None})],
        ["", "?cursor=c2"],
        id="cursor-dlt-defaults",
    ),
    pytest.param(
        {"type": "cursor", "cursor_path": "next", "cursor_param": "after"},
        [_response(2, next="b"), _response(0, next="c")],
        ["", "?after=b", "..."],
        id="cursor-dlt-dialect-goes-on-past-an-empty-page",
    ),
    pytest.param(
        {"type": "cursor", "cursor_param": "after", "stop_condition": "response.next is none"},
        [_response(2, next="b"), _response(2, next=None)],
        ["", "?after=b"],
        id="cursor-seed-stop-condition",
    ),
    pytest.param(
        {"type": "json_link", "next_url_path": "links.next"},
        [_response(2, links={"next": f"{BASE}/items?p=2"}), _response(1, links={})],
        ["", "?p=2"],
        id="json-link",
    ),
    pytest.param(
        {"type": "header_link"},
        [_response(2, {"Link": f'<{BASE}/items?p=2>; rel="next"'}), _response(1)],
        ["", "?p=2"],
        id="header-link",
    ),
    pytest.param(
        {"type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "from"},
        [_response(2, {"X-Next": "k9"}), _response(1)],
        ["", "?from=k9"],
        id="header-cursor",
    ),
    pytest.param(
        {"type": "single_page"},
        [_response(2, next="ignored")],
        [""],
        id="single-page",
    ),
]


@pytest.mark.parametrize("paginator, responses, sent", CHAINS)
def test_a_chain_sends(paginator: Any, responses: list[Any], sent: list[str]) -> None:
    assert _chain(paginator, responses)[0] == sent


def test_a_repeated_cursor_is_a_loop() -> None:
    with pytest.raises(PaginationLoop, match="page 3 would repeat an earlier request"):
        _chain({"type": "cursor"}, [_response(1, cursors={"next": "a"})] * 3)


AHEAD = [
    # (paginator, responses so far, limit, guess, the requests ahead of the current one)
    pytest.param(
        {"type": "offset", "limit": 2},
        [_response(2, total=9)],
        3,
        True,
        ["?offset=4&limit=2", "?offset=6&limit=2", "?offset=8&limit=2"],
        id="known-total-exact",
    ),
    pytest.param(
        {"type": "offset", "limit": 2},
        [_response(2, total=5)],
        3,
        True,
        ["?offset=4&limit=2"],
        id="known-total-stops-at-the-end",
    ),
    pytest.param(
        {"type": "page_number", "total_path": None},
        [_response(3), _response(3)],
        4,
        True,
        ["?page=3"],
        id="guess-one-per-two-full-pages",
    ),
    pytest.param(
        {"type": "page_number", "total_path": None},
        [_response(3), _response(3)],
        4,
        False,
        [],
        id="no-guessing-without-a-total",
    ),
    pytest.param(
        {"type": "cursor"},
        [_response(2, cursors={"next": "c2"})],
        4,
        True,
        [],
        id="a-cursor-cannot-be-predicted",
    ),
]


@pytest.mark.parametrize("paginator, responses, limit, guess, ahead", AHEAD)
def test_requests_ahead(
    paginator: Any, responses: list[Any], limit: int, guess: bool, ahead: list[str]
) -> None:
    resource = _resource(paginator)
    traversal = make_traversal(resource.paginator, resource.stop_condition)
    request = traversal.first(first_request(BASE, resource, None, None))
    for number, (body, headers) in enumerate(responses, start=1):
        following = traversal.next(request, Page(request, 200, headers, body, body["data"], number))
        assert following is not None
        request = following
    predicted = traversal.ahead(request, limit, guess=guess)
    assert [r.full_url().removeprefix(f"{BASE}/items") for r in predicted] == ahead
