"""Cursor shapes of sample8's manifests the simulator serves as the manifest reads them
(session 14, round 2): the parsed Link header's next URL through ``.get`` steps
(cisco-meraki), a cursor read from the last record behind an ``if last_record`` guard
(datadog), a token cut with ``regex_search`` out of a next link at a key with dots in it
(microsoft-lists)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate
from tests.airbyte.paging import pages_every_record


def _items(paginator: dict[str, Any]) -> dict[str, Any]:
    return build.stream(
        "items",
        build.requester("https://x.invalid", "/items"),
        ["value"],
        primary_key=["id"],
        paginator=paginator,
        schema=build.properties(id="integer", name="string"),
    )


@pytest.mark.parametrize(
    ("strategy", "token"),
    [
        # cisco-meraki: requests' parsed Link header, read with .get steps, the next path
        (
            {
                "cursor_value": "{{ headers.get('link', {}).get('next', {}).get('url') }}",
                "stop_condition": "{{ headers.get('link', {}).get('next') is none }}",
            },
            {"type": "RequestPath"},
        ),
        # datadog's audit_logs: the last record carries the next cursor, guarded for no record
        (
            {
                "cursor_value": "{{ last_record['meta']['page']['after'] if last_record "
                "else None }}",
                "stop_condition": "{{ 'page' not in last_record['meta'] }}",
                "page_size": 10,
            },
            build.option("page[cursor]"),
        ),
        # datadog's incident_teams: the same, with no stop condition
        (
            {
                "cursor_value": "{{ last_record['meta']['pagination']['next_offset'] if "
                "last_record else None }}",
                "page_size": 10,
            },
            build.option("page[offset]"),
        ),
        # microsoft-lists: the skiptoken searched out of the next link, sent as $skiptoken
        (
            {
                "cursor_value": '{{ response.get("@odata.nextLink") | '
                "regex_search('\\$skiptoken=([^&]+)') }}",
                "stop_condition": '{{ response.get("@odata.nextLink") is none }}',
            },
            build.option("$skiptoken"),
        ),
    ],
    ids=["link_header_gets", "guarded_last_record", "guarded_no_stop", "regex_in_dotted_key"],
)
# '\$' in a template's string literal: Jinja's lexer decodes it as Python's unicode-escape
# codec does, which keeps it and warns (airbyte-cdk reads it the same way)
@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
def test_a_sample8_cursor_pages_every_record(
    simulate: Simulate, strategy: dict[str, Any], token: dict[str, Any]
) -> None:
    pages_every_record(simulate, strategy, token, seed=47)


def test_a_last_record_cursor_sent_nowhere_is_one_answer(simulate: Simulate) -> None:
    # datadog's incident_teams: no page_token_option, no template reads next_page_token
    pages = {
        "type": "DefaultPaginator",
        "pagination_strategy": {
            "type": "CursorPagination",
            "cursor_value": "{{ last_record['meta']['pagination']['next_offset'] if "
            "last_record else None }}",
        },
    }
    run = simulate(build.manifest(_items(pages)), seed=48)
    served, read = run.served_and_read("items")
    assert len(served) > 4
    assert [r["id"] for r in read] == [r["id"] for r in served]
    assert run.requests()["/items"] == 1
