"""Contracts of real manifests (samples 4-6) the simulator serves as the manifest reads them:
a record path step that is one key with a dot or a space in it (chargify's ``invoices.json``,
defillama's ``Plume Mainnet``), a path from a time window's parts (nytimes), a page number
that picks a config item (yahoo-finance-price), a root crossed with its own children
(revenuecat) and the streams an API lists (HttpComponentsResolver)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import restsync
from restsync.airbyte._simulate_dynamic import served_manifest
from restsync.simulator import SimulatorOptions, serve_in_thread
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate


def _served_and_read(simulate: Simulate, stream: dict[str, Any], *, seed: int) -> list[Any]:
    run = simulate(build.manifest(stream), seed=seed)
    served, read = run.served_and_read(stream["name"])
    assert len(served) > 2
    assert [r["id"] for r in read] == [r["id"] for r in served]
    return read


@pytest.mark.parametrize(
    "field_path",
    [
        ["invoices.json"],  # chargify's invoices: one key, the dot and all
        ["*", "transactions.json"],  # chargify's transactions: each wrapper's key
        ["chainTvls", "Plume Mainnet"],  # defillama: a key with a space, under a key
    ],
)
def test_a_record_path_step_with_a_dot_or_a_space_is_served_as_one_key(
    simulate: Simulate, field_path: list[str]
) -> None:
    invoices = build.stream(
        "invoices",
        build.requester("https://x.invalid", "/invoices"),
        field_path,
        primary_key=["id"],
        schema=build.properties(id="integer", name="string"),
    )
    _served_and_read(simulate, invoices, seed=31)


def test_a_path_built_from_a_time_windows_parts_serves_the_period_it_names(
    simulate: Simulate,
) -> None:
    # nytimes' archive: one request a month, the window's year and month in the path, no time
    # parameter; the records span three months, each read once, from its own month's path
    path = (
        "/archive/v1/{{ stream_slice['start_time'].split('-')[0] | int }}/"
        "{{ stream_slice['start_time'].split('-')[1] | int }}.json"
    )
    cursor = {
        "type": "DatetimeBasedCursor",
        "cursor_field": "pub_date",
        "datetime_format": "%Y-%m-%d",
        "start_datetime": "{{ config['start_date'] }}",
        "end_datetime": "2024-03-31",
        "step": "P1M",
        "cursor_granularity": "P1D",
    }
    archive = build.stream(
        "archive",
        build.requester("https://x.invalid", path),
        ["response", "docs"],
        primary_key=["id"],
        schema=build.properties(id="integer", pub_date="string"),
        incremental_sync=cursor,
    )
    run = simulate(build.manifest(archive), {"start_date": "2024-01-01"}, seed=32)
    served, read = run.served_and_read("archive")
    months = {record["pub_date"][:7] for record in served}
    assert months == {"2024-01", "2024-02", "2024-03"}
    assert sorted(r["id"] for r in read) == sorted(r["id"] for r in served)
    assert sum(run.requests().values()) == 3  # a month a request


def _child(name: str, path: str, *routers: dict[str, Any]) -> dict[str, Any]:
    return build.stream(
        name,
        build.requester("https://x.invalid", path),
        ["items"],
        primary_key=["id"],
        schema=build.properties(id="integer"),
        retriever={"partition_router": list(routers)},
    )


def test_a_root_above_a_product_of_products_is_served_as_few_records_as_a_child(
    simulate: Simulate,
) -> None:
    # revenuecat: products are read for every project x every package (two routers), packages
    # for every project x every offering, offerings being a child of projects: the requests
    # grow with the cube of the projects served. Projects are a data feed (their time window,
    # a slice above them, is not served)
    projects = build.stream(
        "projects",
        build.requester("https://x.invalid", "/projects"),
        ["items"],
        primary_key=["id"],
        paginator=build.paginator(
            {"type": "OffsetIncrement", "page_size": 10}, build.option("offset")
        ),
        schema=build.properties(id="integer", created_at="string"),
        incremental_sync={
            "type": "DatetimeBasedCursor",
            "cursor_field": "created_at",
            "datetime_format": "%Y-%m-%d",
            "start_datetime": "2024-01-01",
            "is_data_feed": True,
        },
    )
    by_project = build.substream(projects, "id", "project_id")
    offerings = _child(
        "offerings", "/projects/{{ stream_partition.project_id }}/offerings", by_project
    )
    packages = _child(
        "packages",
        "/projects/{{ stream_partition.project_id }}/offerings/"
        "{{ stream_partition.offering_id }}/packages",
        by_project,
        build.substream(offerings, "id", "offering_id"),
    )
    products = _child(
        "products",
        "/projects/{{ stream_partition.project_id }}/packages/{{ stream_partition.package_id }}",
        by_project,
        build.substream(packages, "id", "package_id"),
    )
    # a product of plain streams (packages alone) finishes as served: the projects keep pages
    plain = simulate(build.manifest(projects, offerings, packages), seed=33)
    assert (
        len(list(plain.source.resources["projects"])) == len(plain.sim.dataset()["projects"]) > 10
    )
    run = simulate(build.manifest(projects, offerings, packages, products), seed=33)
    dataset = run.sim.dataset()
    per_project = len(dataset["offerings"]) // len(dataset["projects"])
    # the root: about as many records as a child gets per parent, on one page
    assert len(dataset["projects"]) <= per_project + 2 < 10
    # every project x every package read asked, each answered with that package's products
    packages_read = list(run.source.resources["packages"])
    read = list(run.source.resources["products"])
    asked = sum(n for path, n in run.requests().items() if "/packages/" in path)
    assert asked == len(dataset["projects"]) * len(packages_read)
    assert {r["id"] for r in read} == {r["id"] for r in dataset["products"]}


def test_a_page_number_that_picks_a_config_item_for_the_path_serves_each_item_then_the_end(
    simulate: Simulate,
) -> None:
    # yahoo-finance-price: page n asks for the n-th config ticker's path; the page after the
    # last renders an empty path (the API's root), whose answer without records ends the paging
    pick = "config['tickers'].split(',')[next_page_token['next_page_token'] or 0].strip()"
    path = (
        "{% if (next_page_token['next_page_token'] or 0) < config['tickers'].split(',')|length"
        " %}/v8/finance/chart/{{ " + pick + " }}{% endif %}"
    )
    price = build.stream(
        "price",
        build.requester("https://x.invalid", path),
        [],
        paginator={
            "type": "DefaultPaginator",
            "pagination_strategy": {"type": "PageIncrement", "start_from_page": 0},
        },
        schema=build.properties(id="integer", close="number"),
    )
    run = simulate(build.manifest(price), {"tickers": "AAA, BBB,CCC"}, seed=34)
    served, read = run.served_and_read("price")
    assert [r["id"] for r in read] == [r["id"] for r in served] * 3  # a ticker a page
    assert run.requests() == {"/v8/finance/chart/{page_item}": 3, "/": 1}


def test_the_streams_an_api_lists_are_served_with_the_listing_that_names_them() -> None:
    # an HttpComponentsResolver lists each workspace's tables; a stream per table. The plan the
    # simulator serves holds the listing and the streams it names, so a client that lists them
    # itself against the simulator resolves the same streams and reads them
    document = yaml.safe_load((Path(__file__).parent / "manifests" / "dynamic.yaml").read_text())
    document["dynamic_streams"] = document["dynamic_streams"][:1]
    config = {"base_url": "https://x.invalid", "key": "k-1"}
    options = SimulatorOptions(seed=36)
    served = served_manifest(document, config, options=options)
    with serve_in_thread(served, options) as sim:
        source = restsync.airbyte_source(document, config, base_url=sim.base_url)
        listed = [n for n in source.resources if n != "workspaces" and not n.startswith("_")]
        assert len(listed) > 3
        assert set(listed) <= set(served.resources)
        dataset = sim.dataset()
        for name in listed[:3]:
            read = list(source.resources[name])
            assert [r["id"] for r in read] == [r["id"] for r in dataset[name]] != []
