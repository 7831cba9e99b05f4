"""Session 15's perturbed round (scripts/airbyte_perturb.py): awkward pages a real API serves,
each read by airbyte-cdk 7.39.1 and by restsync from one local server, records compared (or
both failing, where the CDK fails)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from scripts.airbyte_diff import canonical, reference_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer

_CHECK = {"type": "CheckStream", "stream_names": ["items"]}


def _write(tmp_path: Path, name: str, *streams: Any) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(build.manifest(*streams, version="6.44.0", check=_CHECK)))
    return path


def _serve(server: RoutedServer, path: str, *pages: Any) -> None:
    """``path`` answers ``pages`` in turn (``?page=N``, from 1), each as JSON."""

    @server.get(path)
    async def answer(request: web.Request) -> web.Response:
        number = int(request.query.get("page", "1"))
        return web.json_response(pages[number - 1] if number <= len(pages) else {"data": []})


def _read(manifest: Path, config: dict[str, Any], stream: str) -> list[Any]:
    source = restsync.airbyte_source(manifest, config, streams=[stream])
    return [dict(record) for record in source.resources[stream]]


# --- a record that is not an object --------------------------------------------------------------


def test_a_string_in_the_records_list_fails_the_stream_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """A page whose records list holds a string: airbyte-cdk fails the stream on it; restsync
    handed the string on as a record (then a load or a child stream broke on it, far from its
    cause). Now the stream fails, the message saying which record of the page is not one."""
    _serve(server, "/items", {"data": [{"id": 1}, "oops", {"id": 3}]})
    server.start()
    stream = build.stream("items", build.requester("{{ config['base_url'] }}", "/items"), ["data"])
    manifest = _write(tmp_path, "strings", stream)
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config, ["items"])
    assert expected["items"] == [{"id": 1}] and "oops" in errors[0]  # the CDK stopped there
    with pytest.raises(Exception, match="record 2 of the page is str, not an object"):
        _read(manifest, config, "items")


def test_a_string_the_record_filter_drops_is_no_failure(
    server: RoutedServer, tmp_path: Path
) -> None:
    """The same string, dropped by the stream's RecordFilter first: neither side fails, and the
    records are the same."""
    _serve(server, "/items", {"data": [{"id": 1}, "oops", {"id": 3}]})
    server.start()
    selector = {
        "type": "RecordSelector",
        "extractor": {"type": "DpathExtractor", "field_path": ["data"]},
        "record_filter": {"type": "RecordFilter", "condition": "{{ record['id'] }}"},
    }
    stream = build.stream("items", build.requester("{{ config['base_url'] }}", "/items"), selector)
    manifest = _write(tmp_path, "filtered", stream)
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config, ["items"])
    assert errors == []
    assert canonical(_read(manifest, config, "items")) == canonical(expected["items"])


# --- a parent record twice (a record repeated across a page boundary) ---------------------------


def _serve_parents_twice(server: RoutedServer) -> None:
    """``/orgs`` lists org 7, ``/orgs/7/parents`` lists parent 1 twice (an API that repeats a
    record), ``/parents/{id}/items`` one item each, inside the cursor's window."""
    _serve(server, "/orgs", {"data": [{"id": 7}]})
    _serve(server, "/orgs/7/parents", {"data": [{"id": 1}, {"id": 1}, {"id": 2}]})
    _serve(server, "/parents", {"data": [{"id": 1}, {"id": 1}, {"id": 2}]})

    @server.get("/parents/{id}/items")
    async def items(request: web.Request) -> web.Response:
        parent = request.match_info["id"]
        return web.json_response({"data": [{"id": f"{parent}-a", "updated": "2024-01-02"}]})


def _child(base: str, nested: bool = False, **more: Any) -> dict[str, Any]:
    """``items`` per record of ``parents`` (itself per record of ``orgs`` when ``nested``)."""
    if nested:
        orgs = build.stream("orgs", build.requester(base, "/orgs"), ["data"])
        parent = build.stream(
            "parents",
            build.requester(base, "/orgs/{{ stream_partition['org_id'] }}/parents"),
            ["data"],
            retriever={"partition_router": build.substream(orgs, "id", "org_id")},
        )
    else:
        parent = build.stream("parents", build.requester(base, "/parents"), ["data"])
    return build.stream(
        "items",
        build.requester(base, "/parents/{{ stream_partition['parent_id'] }}/items"),
        ["data"],
        retriever={"partition_router": build.substream(parent, "id", "parent_id")},
        **more,
    )


_WINDOW = {"start_date": "2024-01-01", "end_date": "2024-01-20"}


def test_a_repeated_parent_under_a_grandparent_is_read_once_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """A per-partition incremental stream (a DatetimeBasedCursor over a SubstreamPartitionRouter)
    whose parent has partitions itself (eventbrite's attendees per event per organization):
    airbyte-cdk's ConcurrentPerPartitionCursor skips a partition it is already reading
    ("Partition duplication detected"), so parent 1's items come once. restsync read them
    twice until its slices carried their parent's partition (session 15, abnew)."""
    _serve_parents_twice(server)
    server.start()
    cursor = build.days_cursor("updated", step="P30D", cursor_granularity="P1D")
    stream = _child("{{ config['base_url'] }}", nested=True, incremental_sync=cursor)
    manifest = _write(tmp_path, "twice", stream)
    config = {"base_url": server.base_url, **_WINDOW}
    expected, errors = reference_records(manifest, config, ["items"])
    assert errors == [] and len(expected["items"]) == 2
    assert canonical(_read(manifest, config, "items")) == canonical(expected["items"])


def test_a_repeated_parent_is_read_once_as_airbyte_cdk_does(
    server: RoutedServer, tmp_path: Path
) -> None:
    """The same without the grandparent: both read parent 1's items once (restsync's
    ``_read_once``), the case the test above extends."""
    _serve_parents_twice(server)
    server.start()
    cursor = build.days_cursor("updated", step="P30D", cursor_granularity="P1D")
    manifest = _write(tmp_path, "once", _child("{{ config['base_url'] }}", incremental_sync=cursor))
    config = {"base_url": server.base_url, **_WINDOW}
    expected, errors = reference_records(manifest, config, ["items"])
    assert errors == [] and len(expected["items"]) == 2
    assert canonical(_read(manifest, config, "items")) == canonical(expected["items"])
