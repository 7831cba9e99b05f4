"""The load bridge: a plan becomes a dlt source; restsync's run wrapper reports failures.

The names load on first use: ``restsync run`` makes a ``SourceRuntime`` and starts its engine
before dlt is imported (``build_source`` imports dlt, the bridge does not)."""

from typing import TYPE_CHECKING

from restsync._lazy import lazy_names

if TYPE_CHECKING:
    from restsync._load._bridge import REJECTS_TABLE, SourceRuntime
    from restsync._load._source import build_source

__all__ = ["REJECTS_TABLE", "SourceRuntime", "build_source"]

__getattr__, __dir__ = lazy_names(
    globals(),
    {
        "REJECTS_TABLE": "restsync._load._bridge",
        "SourceRuntime": "restsync._load._bridge",
        "build_source": "restsync._load._source",
    },
)
