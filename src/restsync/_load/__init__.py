"""The load bridge: a plan becomes a dlt source; restsync's run wrapper reports failures."""

from restsync._load._bridge import REJECTS_TABLE, SourceRuntime
from restsync._load._source import build_source

__all__ = ["REJECTS_TABLE", "SourceRuntime", "build_source"]
