"""Run a manifest through Airbyte's own declarative CDK and print its records as JSON lines.

Runs inside the isolated reference environment (``make airbyte-reference`` creates
``.venv-airbyte``); restsync never imports airbyte-cdk. Usage:

    .venv-airbyte/bin/python scripts/airbyte_reference.py MANIFEST.yaml CONFIG.json [STREAM ...]

Lines are printed as the CDK reads, each marked ``@@reference@@ ``: a record as
``{"stream": ..., "data": {...}}``; a stream's end (the CDK's stream status COMPLETE or
INCOMPLETE) as ``{"ended": stream}``, so that a caller can bound each stream's time and stop a
run on a stream that never ends; a last line
``{"errors": [...], "stream_errors": {stream: message}}`` lists the errors the CDK reported
(empty when the read succeeded), and which stream each belongs to where the CDK says.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import yaml
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.exception_handler import assemble_uncaught_exception
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource,
)
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover
from loopback_only import install as loopback_only


def main(manifest_path: str, config_path: str, *streams: str) -> None:
    global _OUT
    # the API the caller serves is on 127.0.0.1: a host the manifest still names (a path
    # written as a whole address, a token endpoint) fails its stream, named, never reached
    loopback_only()
    if (fd := os.environ.get("REFERENCE_OUT_FD")) is not None:
        # a pipe of our own: the CDK's threads write their logs on stdout, and a long line of
        # ours (a record past the text layer's 8 KB buffer) went out in parts they could split
        _OUT = os.fdopen(int(fd), "w", buffering=1)
    else:
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a killed run keeps its lines
    manifest = yaml.safe_load(Path(manifest_path).read_text())
    config = json.loads(Path(config_path).read_text())
    # the CDK wants a spec to validate the config against; test manifests may leave it out
    manifest.setdefault(
        "spec",
        {"type": "Spec", "connection_specification": {"type": "object", "properties": {}}},
    )
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config)
    names = list(streams) or [s.name for s in discover(source, config).catalog.catalog.streams]
    builder = CatalogBuilder()
    for name in names:
        builder.with_stream(
            ConfiguredAirbyteStreamBuilder().with_name(name).with_sync_mode(SyncMode.full_refresh)
        )
    catalog = builder.build()
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=catalog)
    errors: list[dict[str, Any]] = []
    # what airbyte_cdk.test.entrypoint_wrapper.read does, each message printed as it comes
    # instead of all of them at the end
    with tempfile.TemporaryDirectory() as folder:
        catalog_path = Path(folder) / "catalog.json"
        catalog_path.write_bytes(orjson.dumps(ConfiguredAirbyteCatalogSerializer.dump(catalog)))
        args = ["read", "--config", config_path, "--catalog", str(catalog_path)]
        try:
            for message in AirbyteEntrypoint(source).run(AirbyteEntrypoint.parse_args(args)):
                _show(orjson.loads(message), errors)
        except Exception as exc:  # the CDK's own read fails: its error, as the wrapper reports it
            traced = assemble_uncaught_exception(type(exc), exc).as_airbyte_message()
            errors.append({"internal_message": traced.trace.error.internal_message})
    by_stream = {
        e["stream_descriptor"]["name"]: e.get("internal_message")
        for e in errors
        if e.get("stream_descriptor")
    }
    messages = [e.get("internal_message") for e in errors]
    _print({"errors": messages, "stream_errors": by_stream})


def _show(message: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    if message.get("type") == "RECORD":
        record = {"stream": message["record"]["stream"], "data": message["record"]["data"]}
        _print(record)
        return
    trace = message.get("trace") or {}
    if message.get("type") != "TRACE":
        return
    if trace.get("type") == "ERROR":
        errors.append(trace["error"])
    elif trace.get("type") == "STREAM_STATUS":
        status = trace["stream_status"]
        name = status["stream_descriptor"]["name"]
        if status["status"] in ("COMPLETE", "INCOMPLETE"):
            _print({"ended": name})


def _print(item: dict[str, Any]) -> None:
    # one write: on stdout the CDK's threads print their logs too, and a line written in two
    # parts (print's text, then its newline) can have another thread's text in between
    (_OUT or sys.stdout).write(_MARK + json.dumps(item, default=str) + "\n")


_MARK = "@@reference@@ "  # the CDK may print logs on stdout too: our lines carry this mark
_OUT: Any = None  # the pipe REFERENCE_OUT_FD names, else stdout


if __name__ == "__main__":
    main(*sys.argv[1:])
