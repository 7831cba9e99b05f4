"""A manifest's ``decoder``: a response body -> the bodies its DpathExtractor reads.

airbyte-cdk 7.39 defines each shape, and these follow it (``airbyte_cdk/sources/declarative/
decoders``): JsonDecoder yields the document (each element of a top-level list; ``{}`` for an
empty or broken body); XmlDecoder the dict ``xmltodict`` makes of the document (``{}`` when it is
not XML); IterableDecoder ``{"record": line}`` per line; JsonlDecoder each line's JSON (a broken
line skipped); CsvDecoder a dict per row (its ``encoding``, ``delimiter`` and
``set_values_to_none``); GzipDecoder its inner decoder's shapes, decompressed when the body
starts with gzip's magic bytes and passed through otherwise; ZipfileDecoder its inner decoder's
shapes for every file in the archive.

Decoding is bounded: a body that decompresses (gzip, zip) past ``limit`` bytes -- the engine's
``client.max_response_bytes`` -- is refused by name, and an XML document that declares entities
is refused (no entity expansion, so no billion laughs and no external entity). Any failure is a
``DecodeError`` with one sentence; an unsupported decoder is a ``DecoderUnsupported`` config error
naming where it sits.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from xml.parsers import expat

import orjson
import xmltodict

from restsync._errors import ConfigError
from restsync._plan import DEFAULT_MAX_RESPONSE_BYTES

__all__ = [
    "DecodeError",
    "Decoder",
    "DecoderUnsupported",
    "decoder_for",
    "encoder_for",
    "is_json",
    "page_decoder",
    "paginates",
]


class Decoder(Protocol):
    def records(self, body: bytes, headers: Mapping[str, str]) -> Iterator[Any]: ...


class DecodeError(ValueError):
    """A response body the stream's decoder cannot turn into records (one sentence)."""


class DecoderUnsupported(ConfigError):
    """A ``decoder`` restsync does not run; ``component`` names its type."""

    def __init__(self, path: str, component: str, reason: str) -> None:
        self.component = component
        self.reason = reason
        super().__init__(path, f"{component} is not supported ({reason})")


# --- parsers: what CompositeRawDecoder runs on the (decompressed) bytes ----------------------


@dataclass(frozen=True)
class _Json:
    """JsonParser: the document, a top-level list as its elements; a body that is not JSON
    fails (airbyte-cdk raises there too: only the top-level JsonDecoder forgives it)."""

    encoding: str = "utf-8"

    def parse(self, raw: bytes, limit: int) -> Iterator[Any]:
        try:
            text = raw.decode(self.encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DecodeError(f"the body is not {self.encoding} text") from exc
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:  # the standard library also reads NaN and Infinity, as airbyte-cdk falls back
                document = json.loads(text)
            except ValueError:
                raise DecodeError(f"the body is not JSON ({len(raw):,} bytes)") from None
        if document is None:
            raise DecodeError("the body is JSON null, which holds no records")
        yield from document if isinstance(document, list) else (document,)


@dataclass(frozen=True)
class _JsonLines:
    """JsonLineParser: one JSON document per ``\\n``-ended line; a line that is not JSON is
    skipped, as airbyte-cdk skips it with a warning."""

    encoding: str = "utf-8"

    def parse(self, raw: bytes, limit: int) -> Iterator[Any]:
        # as iterating a binary file does: split after each b"\n" only (not at b"\r")
        for line in _LINE_END.split(raw):
            if not line:
                continue
            try:
                yield json.loads(line.decode(self.encoding))
            except UnicodeDecodeError as exc:
                raise DecodeError(f"a line is not {self.encoding} text") from exc
            except ValueError:
                continue


_LINE_END = re.compile(b"(?<=\n)")


@dataclass(frozen=True)
class _Csv:
    """CsvParser: a dict per row, keyed by the header row (csv.DictReader)."""

    encoding: str = "utf-8"
    delimiter: str = ","
    set_values_to_none: tuple[str, ...] = ()

    def parse(self, raw: bytes, limit: int) -> Iterator[Any]:
        # the same text layer as airbyte-cdk's (universal newlines), so the same rows
        text = io.TextIOWrapper(io.BytesIO(raw), encoding=self.encoding)
        try:
            for row in csv.DictReader(text, delimiter=self.delimiter):
                if self.set_values_to_none:
                    nothing = self.set_values_to_none
                    row = {k: (None if v in nothing else v) for k, v in row.items()}
                yield row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DecodeError(f"the body is not CSV as configured ({exc})") from exc


@dataclass(frozen=True)
class _Gzip:
    """GzipParser: decompressed when the body starts with gzip's magic bytes, else as is."""

    inner: _Parser

    def parse(self, raw: bytes, limit: int) -> Iterator[Any]:
        if raw[:2] == b"\x1f\x8b":
            raw = _gunzip(raw, limit)
        yield from self.inner.parse(raw, limit)


_Parser = _Json | _JsonLines | _Csv | _Gzip


def _gunzip(raw: bytes, limit: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unzipped:
            data = unzipped.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise DecodeError(f"the body is not valid gzip ({exc})") from exc
    if len(data) > limit:
        raise DecodeError(_too_large("gzip body", limit))
    return data


def _too_large(what: str, limit: int) -> str:
    return (
        f"the {what} decompresses to more than client.max_response_bytes ({limit:,} bytes); "
        "ask for smaller pages, or raise client.max_response_bytes"
    )


# --- decoders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JsonDecoder:
    """JsonDecoder: JsonParser, but an empty or broken body is one ``{}``."""

    limit: int

    def records(self, body: bytes, headers: Mapping[str, str]) -> Iterator[Any]:
        try:
            documents = list(_Json().parse(body, self.limit))
        except DecodeError:
            documents = []
        yield from documents or ({},)


@dataclass(frozen=True)
class _Composite:
    """CompositeRawDecoder: a parser over the whole body (CsvDecoder, JsonlDecoder,
    GzipDecoder)."""

    parser: _Parser
    limit: int

    def records(self, body: bytes, headers: Mapping[str, str]) -> Iterator[Any]:
        return self.parser.parse(body, self.limit)


@dataclass(frozen=True)
class _XmlDecoder:
    limit: int

    def records(self, body: bytes, headers: Mapping[str, str]) -> Iterator[Any]:
        text = body.decode(_text_encoding(body, headers), errors="replace")
        try:
            document = xmltodict.parse(text, expat=_NoEntities)
        except expat.ExpatError:
            document = {}  # airbyte-cdk logs a warning and yields an empty record
        yield document


class _NoEntities:
    """The ``expat`` module xmltodict creates its parser from, with entity declarations
    refused (defusedxml's rule): a document cannot expand into a billion laughs or pull in an
    external entity. xmltodict sets no EntityDeclHandler of its own, so this one stays."""

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 (expat's name)
        parser = expat.ParserCreate(*args, **kwargs)
        parser.EntityDeclHandler = _refuse_entity
        parser.UnparsedEntityDeclHandler = _refuse_entity
        parser.ExternalEntityRefHandler = _refuse_entity
        return parser


def _refuse_entity(name: Any = None, *rest: Any) -> Any:
    raise DecodeError(
        f"the XML body declares an entity ({name!r}); restsync expands no XML entities"
    )


def _text_encoding(body: bytes, headers: Mapping[str, str]) -> str:
    """The encoding ``requests.Response.text`` decodes with, as airbyte-cdk reads XML: the
    Content-Type's charset, ISO-8859-1 for a text/* type without one, else UTF-8 when the body
    is UTF-8 (requests guesses with charset_normalizer there; UTF-8 is what it finds for
    UTF-8 bodies), else ISO-8859-1."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
            try:
                return codecs.lookup(charset).name
            except LookupError:
                break
    if content_type.strip().lower().startswith("text"):
        return "iso-8859-1"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "utf-8"


@dataclass(frozen=True)
class _IterableDecoder:
    """IterableDecoder: ``{"record": line}`` for each line of the body."""

    limit: int

    def records(self, body: bytes, headers: Mapping[str, str]) -> Iterator[Any]:
        for line in body.splitlines():
            try:
                yield {"record": line.decode()}
            except UnicodeDecodeError as exc:
                raise DecodeError("a line of the body is not UTF-8 text") from exc


@dataclass(frozen=True)
class _ZipfileDecoder:
    """ZipfileDecoder: the inner parser over every file of the archive, in its order."""

    parser: _Parser
    limit: int

    def records(self, body: bytes, headers: Mapping[str, str]) -> Iterator[Any]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(body))
        except zipfile.BadZipFile as exc:
            raise DecodeError(f"the body is not a zip archive ({len(body):,} bytes)") from exc
        left = self.limit
        with archive:
            for name in archive.namelist():
                try:
                    with archive.open(name) as member:
                        content = member.read(left + 1)  # the sizes it declares can lie
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise DecodeError(f"the zip archive's file {name!r} is broken") from exc
                if len(content) > left:
                    raise DecodeError(_too_large("zip archive", self.limit))
                left -= len(content)
                yield from self.parser.parse(content, self.limit)


# --- the simulator's side: a page's JSON value in the decoder's format ------------------------


Encoder = Callable[[Any], tuple[bytes, str]]


def encoder_for(spec: Mapping[str, Any] | None) -> Encoder | None:
    """How the simulator writes a page for this decoder: (body, Content-Type), None for JSON.
    Run through ``decoder_for`` it gives the page's records back, their values as the format
    keeps them (XML and CSV: text)."""
    if is_json(spec) or not isinstance(spec, Mapping):
        return None
    kind = spec.get("type")
    if kind == "XmlDecoder":
        return _as_xml
    if kind == "IterableDecoder":
        return lambda page: (_lines(page, _line_text), "text/plain")
    inner = encoder_for(spec.get("decoder")) if kind in ("GzipDecoder", "ZipfileDecoder") else None
    inner = inner or (lambda page: (orjson.dumps(page), "application/json"))
    if kind == "GzipDecoder":
        return lambda page: (gzip.compress(inner(page)[0]), "application/gzip")
    if kind == "ZipfileDecoder":
        return lambda page: (_zipped(inner(page)[0]), "application/zip")
    if kind == "JsonlDecoder":
        return lambda page: (_lines(page, lambda r: orjson.dumps(r).decode()), "application/jsonl")
    if kind == "CsvDecoder":
        delimiter = _delimiter(spec.get("delimiter"), "decoder")
        encoding = str(spec.get("encoding") or "utf-8")
        return lambda page: (_as_csv(page, delimiter, encoding), "text/csv")
    return None


def _as_xml(page: Any) -> tuple[bytes, str]:
    if not isinstance(page, Mapping) or len(page) != 1:
        raise ValueError("an XML page has one root element: the page has other fields beside it")
    return xmltodict.unparse(page).encode(), "application/xml"


def _records_of(page: Any) -> list[Any]:
    return page if isinstance(page, list) else [page]


def _line_text(record: Any) -> str:
    if isinstance(record, Mapping) and isinstance(record.get("record"), str):
        return str(record["record"])
    return orjson.dumps(record).decode()


def _lines(page: Any, text: Callable[[Any], str]) -> bytes:
    return "".join(text(r).replace("\n", " ") + "\n" for r in _records_of(page)).encode()


def _as_csv(page: Any, delimiter: str, encoding: str) -> bytes:
    records = [r for r in _records_of(page) if isinstance(r, Mapping)]
    columns = list(dict.fromkeys(k for r in records for k in r))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in columns])
    return out.getvalue().encode(encoding, errors="replace")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def _zipped(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("page", content)
    return buffer.getvalue()


# --- the manifest's spec -> a decoder ----------------------------------------------------------

# the decoders whose pages a paginator may read (airbyte-cdk refuses the others)
_PAGINATES = ("JsonDecoder", "XmlDecoder")


def is_json(spec: Mapping[str, Any] | None) -> bool:
    """Whether ``spec`` is the default decoder: the engine's own JSON parsing reads it."""
    return not spec or (isinstance(spec, Mapping) and spec.get("type") == "JsonDecoder")


def paginates(spec: Mapping[str, Any] | None) -> bool:
    """Whether airbyte-cdk lets a paginator read this decoder's pages: JsonDecoder,
    XmlDecoder, a GzipDecoder of JSON (its streamed pages read as ``{}``)."""
    if not spec or not isinstance(spec, Mapping):
        return True
    if spec.get("type") in _PAGINATES:
        return True
    inner = spec.get("decoder")
    return spec.get("type") == "GzipDecoder" and isinstance(inner, Mapping) and is_json(inner)


def decoder_for(
    spec: Mapping[str, Any] | None, where: str, *, limit: int = DEFAULT_MAX_RESPONSE_BYTES
) -> Decoder:
    """The decoder a manifest's ``decoder`` (at ``where``) describes; none is JsonDecoder.
    ``limit``: the most bytes a decompressed body may have."""
    kind = _kind(spec, where)
    if kind == "JsonDecoder":
        return _JsonDecoder(limit)
    if kind == "XmlDecoder":
        return _XmlDecoder(limit)
    if kind == "IterableDecoder":
        return _IterableDecoder(limit)
    assert spec is not None
    if kind == "ZipfileDecoder":
        return _ZipfileDecoder(_parser(spec.get("decoder"), f"{where}.decoder"), limit)
    return _Composite(_parser(spec, where), limit)


def page_decoder(decoder: Decoder) -> Callable[[bytes, Mapping[str, str]], Any]:
    """The engine's page for a response: the one document a decoder yields (an XML
    document, which paginators read as they read a JSON one), else the list of them, which
    the record selector reads one by one (``RecordPipeline.extract``)."""

    def page(body: bytes, headers: Mapping[str, str]) -> Any:
        documents = list(decoder.records(body, headers))
        if len(documents) == 1 and isinstance(documents[0], Mapping):
            return documents[0]
        return documents

    return page


_KINDS = (
    "JsonDecoder",
    "XmlDecoder",
    "IterableDecoder",
    "JsonlDecoder",
    "CsvDecoder",
    "GzipDecoder",
    "ZipfileDecoder",
)


def _kind(spec: Mapping[str, Any] | None, where: str) -> str:
    if not spec:
        return "JsonDecoder"
    if not isinstance(spec, Mapping):
        raise DecoderUnsupported(where, "decoder", "it is not a mapping with a type")
    kind = str(spec.get("type") or "")
    # airbyte-cdk reads class_name only for a Custom* (or untyped) component; beside another
    # type it is an unknown field it ignores (the rule of _parts.custom_class)
    if "class_name" in spec and not (kind and not kind.startswith("Custom")):
        raise DecoderUnsupported(
            where, kind or "CustomDecoder", f"custom Python class {spec['class_name']}"
        )
    if kind not in _KINDS:
        raise DecoderUnsupported(where, kind or "decoder", f"restsync decodes {', '.join(_KINDS)}")
    return kind


def _parser(spec: Any, where: str) -> _Parser:
    """The parser of a decoder nested in a GzipDecoder or ZipfileDecoder (or a top-level
    CsvDecoder / JsonlDecoder / GzipDecoder), as airbyte-cdk's ``_get_parser`` builds it."""
    kind = _kind(spec, where) if spec else ""
    if kind == "JsonDecoder":
        return _Json()
    if kind == "JsonlDecoder":
        return _JsonLines()
    if kind == "CsvDecoder":
        return _Csv(
            encoding=_encoding(spec.get("encoding"), where),
            delimiter=_delimiter(spec.get("delimiter"), where),
            set_values_to_none=tuple(str(v) for v in spec.get("set_values_to_none") or ()),
        )
    if kind == "GzipDecoder":
        if not spec.get("decoder"):
            raise DecoderUnsupported(where, "GzipDecoder", "it names no inner decoder")
        return _Gzip(_parser(spec.get("decoder"), f"{where}.decoder"))
    raise DecoderUnsupported(
        where,
        kind or "decoder",
        "a GzipDecoder or ZipfileDecoder holds a JsonDecoder, JsonlDecoder, CsvDecoder or "
        "GzipDecoder",
    )


def _encoding(value: Any, where: str) -> str:
    encoding = str(value or "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DecoderUnsupported(
            f"{where}.encoding", "CsvDecoder", f"{encoding!r} is not a known text encoding"
        ) from None
    return encoding


def _delimiter(value: Any, where: str) -> str:
    delimiter = str(value) if value else ","
    if delimiter.startswith("\\"):  # "\\t" written in YAML: airbyte-cdk unescapes it
        delimiter = delimiter.encode("utf-8").decode("unicode_escape")
    if len(delimiter) != 1:
        raise DecoderUnsupported(
            f"{where}.delimiter", "CsvDecoder", f"the delimiter {value!r} is not one character"
        )
    return delimiter
