"""Decoders (XmlDecoder, CsvDecoder, JsonlDecoder in a GzipDecoder, IterableDecoder,
ZipfileDecoder): the records restsync reads are airbyte-cdk 7.39.1's, stream by stream, against
one local API; and the bounds: a body that decompresses too far, an XML document that declares
entities."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web

import restsync
from restsync._errors import ConfigError
from restsync.airbyte import plan_manifest
from restsync.airbyte._decoders import DecodeError, decoder_for
from scripts.airbyte_diff import canonical, reference_records, restsync_records
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer, count_rows

XML = b"""<?xml version="1.0" encoding="utf-8"?>
<Response api-method="List">
  <Status>OK</Status>
  <Staff>
    <Item><UUID>a-1</UUID><Name>Ann \xc3\x85se</Name><Phone type="work">555</Phone></Item>
    <Item><UUID>a-2</UUID><Name>Bo</Name><Tags><Tag>x</Tag><Tag>y</Tag></Tags><Empty/></Item>
    <Item id="3"><UUID>a-3</UUID>text beside children<Name>Cy</Name></Item>
  </Staff>
  <One><Item><UUID>only</UUID></Item></One>
</Response>"""

CSV = ('\ufeffid\tname\tnote\r\n1\tAnn\t--\r\n2\t"Bo, the\r\nsecond"\t\r\n3\tCy\tok\r\n').encode()

JSONL = b'{"id": 1, "tags": ["a"]}\n{"id": 2, "n\n{"id": 3, "value": 1.5}\n\n'

LINES = b"BE,Belgium\r\nFR,France\n\nDE,Germany"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def serve_decoded(server: RoutedServer) -> None:
    bodies = {
        "/staff": (XML, "text/xml; charset=utf-8"),
        "/one": (XML, "application/xml"),
        "/contacts": (CSV, "text/csv"),
        "/events": (gzip.compress(JSONL), "application/gzip"),
        "/countries": (LINES, "text/plain"),
        "/export": (_zip({"a.csv": b"k,v\n1,x\n", "b.csv": b"k,v\n2,\n3,z\n"}), "application/zip"),
    }
    for path, (body, kind) in bodies.items():

        async def answer(request: web.Request, body: bytes = body, kind: str = kind) -> Any:
            return web.Response(body=body, headers={"Content-Type": kind})

        server.route("GET", path, answer)


def _stream(name: str, path: str, field_path: list[str], decoder: dict[str, Any]) -> Any:
    requester = build.requester("{{ config['base_url'] }}", path)
    return build.stream(name, requester, field_path, retriever={"decoder": decoder})


MANIFEST = build.manifest(
    _stream("staff", "/staff", ["Response", "Staff", "Item"], {"type": "XmlDecoder"}),
    _stream("one", "/one", ["Response", "One", "Item"], {"type": "XmlDecoder"}),
    _stream(
        "contacts",
        "/contacts",
        [],
        {
            "type": "CsvDecoder",
            "encoding": "utf-8-sig",
            "delimiter": "\\t",
            "set_values_to_none": ["--", ""],
        },
    ),
    _stream("events", "/events", [], {"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}}),
    _stream("countries", "/countries", [], {"type": "IterableDecoder"}),
    _stream("export", "/export", [], {"type": "ZipfileDecoder", "decoder": {"type": "CsvDecoder"}}),
    version="6.44.0",
    check={"type": "CheckStream", "stream_names": ["staff"]},
)

EXPECTED_COUNTS = {"staff": 3, "one": 1, "contacts": 3, "events": 2, "countries": 4, "export": 3}


def test_decoded_records_are_airbyte_cdks(server: RoutedServer, tmp_path: Path) -> None:
    serve_decoded(server)
    server.start()
    manifest = tmp_path / "decoders.yaml"
    manifest.write_text(json.dumps(MANIFEST))  # JSON is YAML
    config = {"base_url": server.base_url}
    expected, errors = reference_records(manifest, config)
    got = restsync_records(manifest, config)
    assert errors == []
    assert {s: len(r) for s, r in got.items()} == EXPECTED_COUNTS
    for stream in EXPECTED_COUNTS:
        assert canonical(got[stream]) == canonical(expected[stream]), stream
    # the shapes, read: attributes as '@...', text beside children as '#text', a lone
    # element as a dict, the CSV's marked values as nulls, a broken JSON line skipped
    staff = {r["UUID"]: r for r in got["staff"]}
    assert staff["a-1"]["Phone"] == {"@type": "work", "#text": "555"}
    assert staff["a-1"]["Name"] == "Ann \u00c5se"
    assert staff["a-2"]["Tags"] == {"Tag": ["x", "y"]}
    assert staff["a-3"]["@id"] == "3" and staff["a-3"]["#text"] == "text beside children"
    assert got["contacts"][1] == {"id": "2", "name": "Bo, the\nsecond", "note": None}
    assert [r["id"] for r in got["events"]] == [1, 3]
    assert got["countries"][1] == {"record": "FR,France"}


def test_an_xml_stream_loads_into_duckdb(
    server: RoutedServer, make_pipeline: Any, duckdb_path: Path
) -> None:
    serve_decoded(server)
    server.start()
    source = restsync.airbyte_source(
        MANIFEST, {"base_url": server.base_url}, streams=["staff", "contacts"]
    )
    restsync.sync(make_pipeline(), source)
    assert count_rows(duckdb_path, "data", "staff") == 3
    assert count_rows(duckdb_path, "data", "contacts") == 3


def test_a_body_decompressing_past_the_limit_is_refused_by_name() -> None:
    bomb = gzip.compress(b"{}\n" * 10_000)  # 30,000 bytes from a few hundred
    decoder = decoder_for(
        {"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}}, "d", limit=20_000
    )
    with pytest.raises(DecodeError, match=r"max_response_bytes \(20,000 bytes\)"):
        list(decoder.records(bomb, {}))
    archive = _zip({"a.jsonl": b"{}\n" * 4_000, "b.jsonl": b"{}\n" * 4_000})
    decoder = decoder_for({"type": "ZipfileDecoder", "decoder": {"type": "JsonlDecoder"}}, "d")
    assert len(list(decoder.records(archive, {}))) == 8_000
    small = decoder_for(
        {"type": "ZipfileDecoder", "decoder": {"type": "JsonlDecoder"}}, "d", limit=20_000
    )
    with pytest.raises(DecodeError, match="zip archive decompresses to more than"):
        list(small.records(archive, {}))


def test_a_page_its_decoder_cannot_read_fails_its_stream_in_one_sentence(
    server: RoutedServer, make_pipeline: Any
) -> None:
    @server.get("/events")
    async def answer(request: web.Request) -> Any:
        truncated = gzip.compress(JSONL)[:20]  # gzip's magic bytes, then a cut stream
        return web.Response(body=truncated, headers={"Content-Type": "application/gzip"})

    server.start()
    stream = _stream(
        "events", "/events", [], {"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}}
    )
    source = restsync.airbyte_source(build.manifest(stream), {"base_url": server.base_url})
    with pytest.raises(restsync.SyncFailed) as failed:
        restsync.sync(make_pipeline(), source)
    assert "resource 'events'" in str(failed.value)
    assert "the body is not valid gzip" in str(failed.value)
    assert len(server.requests) == 1  # the same body again would not help: no retry


@pytest.mark.parametrize(
    "document",
    [
        # a billion laughs: nested entities expanding into gigabytes
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r x="&b;">&b;</r>',
        # an external entity naming a local file
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY s SYSTEM "file:///etc/passwd">]><r>&s;</r>',
    ],
)
def test_xml_entities_are_refused(document: bytes) -> None:
    decoder = decoder_for({"type": "XmlDecoder"}, "d")
    with pytest.raises(DecodeError, match="declares an entity"):
        list(decoder.records(document, {}))


def test_a_broken_xml_body_is_one_empty_record_as_in_airbyte_cdk() -> None:
    decoder = decoder_for({"type": "XmlDecoder"}, "d")
    assert list(decoder.records(b"<r><unclosed></r>", {})) == [{}]


@pytest.mark.parametrize(
    ("decoder", "paginator", "message"),
    [
        (
            {"type": "CustomDecoder", "class_name": "source.components.Mine"},
            None,
            "uses CustomDecoder (custom Python class source.components.Mine)",
        ),
        (
            {"type": "ZipfileDecoder", "decoder": {"type": "XmlDecoder"}},
            None,
            "retriever.decoder.decoder: stream 's' uses XmlDecoder (a GzipDecoder or "
            "ZipfileDecoder holds",
        ),
        (
            {"type": "CsvDecoder", "delimiter": ";;"},
            None,
            "retriever.decoder.delimiter: stream 's' uses CsvDecoder (the delimiter ';;'",
        ),
        (
            {"type": "CsvDecoder"},
            {
                "type": "DefaultPaginator",
                "pagination_strategy": {"type": "PageIncrement", "page_size": 10},
            },
            "uses CsvDecoder (with a paginator: airbyte-cdk paginates JSON and XML pages only)",
        ),
    ],
)
def test_decoders_restsync_cannot_run_are_refused_in_one_sentence(
    decoder: dict[str, Any], paginator: dict[str, Any] | None, message: str
) -> None:
    requester = build.requester("https://x.invalid", "/s")
    stream = build.stream("s", requester, [], paginator=paginator, retriever={"decoder": decoder})
    with pytest.raises(ConfigError) as refused:
        plan_manifest(build.manifest(stream), {})
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


# --- offline: the simulator serves each decoder's format --------------------------------------


def _served_stream(name: str, field_path: list[str], decoder: dict[str, Any]) -> Any:
    requester = build.requester("https://api.example.com", f"/{name}")
    schema = build.properties(id="string", name="string")
    if decoder["type"] == "IterableDecoder":
        schema = build.properties(record="string")
    return build.stream(name, requester, field_path, schema=schema, retriever={"decoder": decoder})


SERVED = build.manifest(
    _served_stream("staff", ["Response", "Staff", "Item"], {"type": "XmlDecoder"}),
    _served_stream("contacts", [], {"type": "CsvDecoder", "delimiter": "\\t"}),
    _served_stream("events", [], {"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}}),
    _served_stream("export", [], {"type": "ZipfileDecoder", "decoder": {"type": "CsvDecoder"}}),
    _served_stream("countries", [], {"type": "IterableDecoder"}),
)


def test_the_simulator_serves_each_decoders_format(
    simulate: Any, make_pipeline: Any, duckdb_path: Path
) -> None:
    simulated = simulate(SERVED, seed=12)
    dataset = simulated.sim.dataset()
    restsync.sync(make_pipeline(), simulated.source)
    for stream in ("staff", "contacts", "events", "export", "countries"):
        assert len(dataset[stream]) > 1, stream
        assert count_rows(duckdb_path, "data", stream) == len(dataset[stream]), stream
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        names = connection.sql("select name from data.staff").fetchall()
    # XML carries text: a served value comes back as its text, a null as an empty element
    served = [None if r.get("name") is None else str(r["name"]) for r in dataset["staff"]]
    assert sorted((r[0] for r in names), key=repr) == sorted(served, key=repr)
