"""The async engine: request values, paginators, retries, rate budget, and the scheduler."""

# registers the "dlt_object" paginator next to the engine's own ones
from restsync._engine import _dlt_objects as _dlt_objects
from restsync._engine._records import Reject
from restsync._engine._request import Page, Request, redact
from restsync._engine._scheduler import Engine, Sink
from restsync._engine._stats import ResourceStats, RunReport

__all__ = ["Engine", "Page", "Reject", "Request", "ResourceStats", "RunReport", "Sink", "redact"]
