"""Run Airbyte low-code (declarative) manifests on restsync's engine, into any dlt destination.

    import restsync
    source = restsync.airbyte_source("manifest.yaml", {"api_key": "..."})
    restsync.sync(dlt.pipeline(destination="duckdb"), source)

A manifest is translated into restsync's ``SourcePlan`` (``plan_manifest``); docs/airbyte.md lists
every component and whether it is supported.
"""

from restsync.airbyte._source import (
    airbyte_source,
    is_manifest,
    load_manifest,
    manifest_file,
    plan_manifest,
    stream_problems,
)

__all__ = [
    "airbyte_source",
    "is_manifest",
    "load_manifest",
    "manifest_file",
    "plan_manifest",
    "stream_problems",
]
