"""Run a manifest through Airbyte's own declarative CDK and print its records as JSON lines.

Runs inside the isolated reference environment (``make airbyte-reference`` creates
``.venv-airbyte``); restsync never imports airbyte-cdk. Usage:

    .venv-airbyte/bin/python scripts/airbyte_reference.py MANIFEST.yaml CONFIG.json [STREAM ...]

Each record is printed as ``@@reference@@ {"stream": ..., "data": {...}}``; a last such line
``{"errors": [...], "stream_errors": {stream: message}}`` lists the errors the CDK reported
(empty when the read succeeded), and which stream each belongs to where the CDK says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource,
)
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover, read


def main(manifest_path: str, config_path: str, *streams: str) -> None:
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
    output = read(source, config, catalog)
    for message in output.records:
        record = {"stream": message.record.stream, "data": message.record.data}
        print(_MARK + json.dumps(record, default=str))
    errors = [m.trace.error for m in output.errors if m.trace and m.trace.error]
    by_stream = {
        e.stream_descriptor.name: e.internal_message for e in errors if e.stream_descriptor
    }
    messages = [e.internal_message for e in errors]
    print(_MARK + json.dumps({"errors": messages, "stream_errors": by_stream}, default=str))


_MARK = "@@reference@@ "  # the CDK may print logs on stdout too: our lines carry this mark


if __name__ == "__main__":
    main(*sys.argv[1:])
