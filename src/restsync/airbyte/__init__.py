"""Run Airbyte low-code (declarative) manifests on restsync's engine, into any dlt destination.

    import restsync
    source = restsync.airbyte_source("manifest.yaml", {"api_key": "..."})
    restsync.sync(dlt.pipeline(destination="duckdb"), source)

A manifest is translated into restsync's ``SourcePlan`` (``plan_manifest``); docs/airbyte.md lists
every component and whether it is supported.

The names are imported on first use (PEP 562): the CLI asks ``manifest_file`` of every source, and
recognising a manifest must not import the translator, the engine and aiohttp (``restsync check``
and ``plan`` of a plain config stay without them).
"""

import typing as _typing

from restsync._lazy import lazy_names as _lazy_names

if _typing.TYPE_CHECKING:
    from restsync.airbyte._manifest import is_manifest, manifest_file
    from restsync.airbyte._source import (
        airbyte_source,
        load_manifest,
        plan_manifest,
        skipped_streams,
        stream_problems,
    )

__all__ = [
    "airbyte_source",
    "is_manifest",
    "load_manifest",
    "manifest_file",
    "plan_manifest",
    "skipped_streams",
    "stream_problems",
]

# public name -> the module that defines it
__getattr__, __dir__ = _lazy_names(
    globals(),
    {
        "airbyte_source": "restsync.airbyte._source",
        "is_manifest": "restsync.airbyte._manifest",
        "load_manifest": "restsync.airbyte._source",
        "manifest_file": "restsync.airbyte._manifest",
        "plan_manifest": "restsync.airbyte._source",
        "skipped_streams": "restsync.airbyte._source",
        "stream_problems": "restsync.airbyte._source",
    },
)
