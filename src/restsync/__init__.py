"""restsync: declarative REST API extraction with an async engine, loaded through dlt.

from restsync import rest_api_source      # drop-in for dlt.sources.rest_api.rest_api_source

The entry points that need dlt (and with it pyarrow) are imported on first use (PEP 562), so
that ``restsync --help``, ``check``, ``plan`` and ``connectors`` start without paying for them.
"""

import typing as _typing

from restsync import _public
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
from restsync._lazy import lazy_names as _lazy_names

if _typing.TYPE_CHECKING:
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
__getattr__, __dir__ = _lazy_names(
    globals(),
    {
        "overrides": "restsync._api",
        "plan_config": "restsync._api",
        "rest_api_source": "restsync._api",
        "runtime_of": "restsync._api",
        "sync": "restsync._api",
        "airbyte_source": "restsync.airbyte",
    },
    present=True,
)

# the names imported eagerly above; the lazy ones are presented when __getattr__ loads them
_public.present_as_public({**globals(), "__all__": [n for n in __all__ if n in globals()]})
