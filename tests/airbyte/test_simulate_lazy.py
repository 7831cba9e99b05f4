"""The simulator serves a lazily read stream's first page inside its parent's record (Airbyte's
``lazy_read_pointer``, stripe's invoice ``lines``), so a client reads records from it and then
the child endpoint's later pages (before, the parent's ``lines`` was the schema's plain object:
no record from it, and no request for a later page)."""

from __future__ import annotations

from typing import Any

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate


def _streams() -> list[dict[str, Any]]:
    base = "https://api.example.com"
    invoices = build.stream("invoices", build.requester(base, "/invoices"), ["data"])
    invoices["schema_loader"] = {
        "type": "InlineSchemaLoader",
        "schema": build.properties(id="string", lines="object"),
    }
    router = build.substream(invoices, "id", "invoice_id")
    router["parent_stream_configs"][0]["lazy_read_pointer"] = ["lines"]
    paginator = build.paginator(
        {
            "type": "CursorPagination",
            "cursor_value": '{{ response["data"][-1]["id"] }}',
            "stop_condition": '{{ not response.get("has_more", False) }}',
            "page_size": 100,
        },
        build.option("starting_after"),
        build.option("limit"),
    )
    lines = build.stream(
        "items",
        build.requester(base, "/invoices/{{ stream_partition.invoice_id }}/lines"),
        ["data"],
        paginator=paginator,
        retriever={"partition_router": router},
    )
    lines["schema_loader"] = {
        "type": "InlineSchemaLoader",
        "schema": build.properties(id="string", invoice_id="string", amount="integer"),
    }
    return [invoices, lines]


def test_a_lazily_read_stream_is_served_inside_its_parent_and_after_it(
    simulate: Simulate,
) -> None:
    run = simulate(build.manifest(*_streams()), {}, seed=4)
    data = run.sim.dataset()
    invoices, served = data["invoices"], data["items"]
    children: dict[str, list[str]] = {}
    for item in served:
        children.setdefault(item["invoice_id"], []).append(item["id"])
    # each invoice embeds its first two items as a page, has_more telling whether more follow
    for invoice in invoices:
        mine = children.get(invoice["id"], [])
        assert [r["id"] for r in invoice["lines"]["data"]] == mine[:2]
        assert invoice["lines"]["has_more"] is (len(mine) > 2)
    assert any(len(ids) > 2 for ids in children.values())
    run.sim.reset_counters()
    got = list(run.source.resources["items"])
    assert sorted(r["id"] for r in got) == sorted(r["id"] for r in served)
    # the child endpoint is asked once for each invoice whose embedded page has more after it
    asked = run.requests().get("/invoices/{invoice_id}/lines", 0)
    assert asked == sum(1 for ids in children.values() if len(ids) > 2)
