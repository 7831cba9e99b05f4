"""restsync: declarative REST API extraction with an async engine, loaded through dlt.

from restsync import rest_api_source      # drop-in for dlt.sources.rest_api.rest_api_source
"""

from restsync import _public
from restsync._api import overrides, plan_config, rest_api_source, runtime_of, sync
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

_public.present_as_public(globals())
