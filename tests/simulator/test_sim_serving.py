"""Serving from a store that grows: pages stay consistent while records are added, and incremental
bounds select exactly the records whose cursor lies between them, for roots and for children."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sim_plans import plan_of
from sim_walker import fetch

from restsync.simulator import SimulatorOptions, serve_in_thread


def _config(incremental: dict[str, Any] | None = None) -> dict[str, Any]:
    paging = {"type": "offset", "limit": 7, "total_path": "total"}
    extra = {"incremental": {"cursor_path": "seq", "initial_value": 0, **incremental}} if (
        incremental is not None) else {}
    return {"client": {"base_url": "https://api.example.com"}, "resources": [
        {"name": "items", "primary_key": "id",
         "endpoint": {"path": "/items", "paginator": paging, **extra}},
        {"name": "notes", "primary_key": "id",
         "endpoint": {"path": "/items/{item_id}/notes", "paginator": paging, **extra, "params": {
             "item_id": {"type": "resolve", "resource": "items", "field": "id"}}}},
    ]}


FIELDS = {  # a note carries its item's id, so the dataset tells which notes a page may hold
    "items": {"id": {"data_type": "bigint"}, "name": {"data_type": "text"}},
    "notes": {"id": {"data_type": "bigint"}, "item_id": {"data_type": "bigint"},
              "text": {"data_type": "text"}},
}


def test_pages_stay_consistent_while_records_are_added() -> None:
    plan = plan_of(_config())
    options = SimulatorOptions(records_per_resource=40)
    with serve_in_thread(plan, options, fields=FIELDS) as sim:
        item = sim.dataset()["items"][1]["id"]
        stop, grown = threading.Event(), threading.Event()

        def grow() -> None:
            while not stop.wait(0.002):
                sim.add_records("items", 3)  # each new item gets 40 notes at once
                sim.add_records("notes", 11)  # spread over the items: not contiguous per item
                grown.set()

        grower = threading.Thread(target=grow)
        grower.start()
        assert grown.wait(10)  # then pages are served while it keeps adding
        replies: list[tuple[str, int, dict[str, Any]]] = []
        try:
            for path in ("/items", f"/items/{item}/notes"):
                offset = 0
                while offset < 400:
                    grown.clear()
                    body = fetch(sim.base_url + path, params={"offset": offset}).json()
                    replies.append((path, offset, body))
                    offset += 7
                    # the grower keeps adding while pages are served; waiting for one more
                    # round here makes sure the walk sees growth however busy the machine is
                    assert grown.wait(10)
        finally:
            stop.set()
            grower.join()
        dataset = sim.dataset()

    expected = {"/items": dataset["items"],
                f"/items/{item}/notes": [n for n in dataset["notes"] if n["item_id"] == item]}
    totals: dict[str, list[int]] = {path: [] for path in expected}
    for path, offset, body in replies:
        total = body["total"]
        assert total >= max(totals[path], default=0)  # a resource never shrinks
        totals[path].append(total)
        # the page is the slice the reported total implies: the same snapshot served both
        assert body["data"] == expected[path][offset : min(offset + 7, total)], (path, offset)
    assert all(len(set(seen)) > 1 for seen in totals.values())  # each grew during its walk


@pytest.mark.parametrize("range_start", [None, "open", "closed"])
@pytest.mark.parametrize("range_end", [None, "open", "closed"])
def test_incremental_bounds_select_the_records_between_them(
    range_start: str | None, range_end: str | None
) -> None:
    incremental = {"start_param": "after", "end_param": "before"}
    if range_start:
        incremental["range_start"] = range_start
    if range_end:
        incremental["range_end"] = range_end
    plan = plan_of(_config(incremental))
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=30), fields=FIELDS) as sim:
        sim.add_records("notes", 70)  # an item's notes are then spread over the table
        dataset = sim.dataset()
        item = dataset["items"][3]["id"]
        resources = {"/items": dataset["items"],
                     f"/items/{item}/notes": [n for n in dataset["notes"] if n["item_id"] == item]}
        for path, records in resources.items():
            seqs = [r["seq"] for r in records]
            assert seqs == sorted(seqs) and len(seqs) >= 30
            inside, edge = seqs[4], seqs[-3]
            bounds = [
                {}, {"after": inside}, {"before": edge}, {"after": inside, "before": edge},
                {"after": inside + 0.5}, {"before": edge - 0.5}, {"after": edge, "before": inside},
                {"after": seqs[0] - 5}, {"after": seqs[-1] + 5}, {"before": seqs[0]},
                {"after": inside, "before": inside},
            ]
            for params in bounds:
                served = _walk(sim.base_url + path, params)
                wanted = [r for r in records if _between(r["seq"], params, range_start, range_end)]
                assert served == wanted, (path, params)


def _walk(url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while True:
        body = fetch(url, params={**params, "offset": len(records)}).json()
        records.extend(body["data"])
        if len(body["data"]) < 7 or len(records) >= body["total"]:
            return records


def _between(seq: float, params: dict[str, Any], start: str | None, end: str | None) -> bool:
    """The documented rules: the start is inclusive unless ``range_start: open``, the end
    exclusive unless ``range_end: closed``."""
    if "after" in params and (seq <= params["after"] if start == "open" else seq < params["after"]):
        return False
    if "before" in params and (
        seq > params["before"] if end == "closed" else seq >= params["before"]
    ):
        return False
    return True
