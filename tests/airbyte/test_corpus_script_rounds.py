"""The comparison harness (scripts/airbyte_corpus_diff.py) serves two streams at one route
together only when they ask for the same thing there, paging included: flowlu's
project_observers sends its page in the JSON body at the route where st_projects_users sends it
in the query; served as one, the body's page was never read and paging never ended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import restsync
from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import SimulatorError, SimulatorOptions, serve_in_thread
from tests.airbyte._script import load_script


def _stream(name: str, page_into: str, page_size: int) -> dict[str, Any]:
    return {
        "type": "DeclarativeStream",
        "name": name,
        "primary_key": ["id"],
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {
                "type": "HttpRequester",
                "url_base": "https://x.invalid/api",
                "path": "/observers/list",
                "http_method": "GET",
            },
            "record_selector": {
                "type": "RecordSelector",
                "extractor": {"type": "DpathExtractor", "field_path": ["response", "items"]},
            },
            "paginator": {
                "type": "DefaultPaginator",
                "page_token_option": {
                    "type": "RequestOption",
                    "inject_into": page_into,
                    "field_name": "page",
                },
                "page_size_option": {
                    "type": "RequestOption",
                    "inject_into": "request_parameter",
                    "field_name": "limit",
                },
                "pagination_strategy": {
                    "type": "PageIncrement",
                    "page_size": page_size,
                    "start_from_page": 1,
                    "inject_on_first_request": True,
                },
            },
        },
        "schema_loader": {
            "type": "InlineSchemaLoader",
            "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
    }


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.yaml"
    streams = [_stream("users", "request_parameter", 5), _stream("observers", "body_json", 7)]
    document = {"version": "6.0.0", "type": "DeclarativeSource", "streams": streams}
    path.write_text(yaml.safe_dump(document))
    return path


def test_streams_paging_differently_at_one_route_are_not_served_as_one(manifest: Path) -> None:
    with pytest.raises(SimulatorError, match="'users' and 'observers' are both at GET"):
        simulator_plan(plan_manifest(manifest, {}))


def test_the_harness_serves_them_in_separate_rounds_and_each_paging_ends(
    manifest: Path,
) -> None:
    script = load_script("airbyte_corpus_diff")
    groups = script.rounds(manifest, {}, ["users", "observers"])
    assert groups == [["users"], ["observers"]]
    for [stream] in groups:
        served = simulator_plan(plan_manifest(manifest, {}, streams=[stream]))
        with serve_in_thread(served, SimulatorOptions(seed=4)) as sim:
            source = restsync.airbyte_source(manifest, {}, streams=[stream], base_url=sim.base_url)
            records = list(source.resources[stream])
            dataset = sim.dataset()[stream]
            requests = sim.counters()["requests"]
        assert sorted(r["id"] for r in records) == sorted(r["id"] for r in dataset)
        size = {"users": 5, "observers": 7}[stream]
        # every page asked for once, and one more when the last one is full
        assert requests == {"/observers/list": len(dataset) // size + 1}
