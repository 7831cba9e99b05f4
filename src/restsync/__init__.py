"""restsync: declarative REST API extraction with an async engine, loaded through dlt.

from restsync import rest_api_source      # drop-in for dlt.sources.rest_api.rest_api_source

The entry points that need dlt (and with it pyarrow) are imported on first use (PEP 562), so
that ``restsync --help``, ``check``, ``plan`` and ``connectors`` start without paying for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from restsync._errors import (
    ConfigError,
    ExtractionError,
    HTTPStatusError,
    PaginationLoopError,
    PrimaryKeyError,
    ResourcesFailed,
    ResponseFormatError,
    RestSyncError,
    SyncFailed,
)

if TYPE_CHECKING:
    from restsync._api import overrides, plan_config, rest_api_source, runtime_of, sync
    from restsync.airbyte import airbyte_source

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ExtractionError",
    "HTTPStatusError",
    "PaginationLoopError",
    "PrimaryKeyError",
    "ResourcesFailed",
    "ResponseFormatError",
    "RestSyncError",
    "SyncFailed",
    "__version__",
    "airbyte_source",
    "overrides",
    "plan_config",
    "rest_api_source",
    "runtime_of",
    "sync",
]

# public name -> the module that defines it
_LAZY = {
    "overrides": "restsync._api",
    "plan_config": "restsync._api",
    "rest_api_source": "restsync._api",
    "runtime_of": "restsync._api",
    "sync": "restsync._api",
    "airbyte_source": "restsync.airbyte",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'restsync' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
