"""``restsync run --report FILE.json``: what happened, for a scheduler or a monitoring job to read.

The shape is documented in docs/report.md (a JSON Schema the tests validate against) and versioned
by ``schema_version``: fields may be added within a version, never renamed or removed.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from restsync.cli._failures import ExitCode, redact_text

__all__ = ["SCHEMA_VERSION", "RunRecord"]

SCHEMA_VERSION = 1

_STATUS = {
    ExitCode.OK: "ok",
    ExitCode.RESOURCE_FAILED: "resource_failed",
    ExitCode.CONFIG: "config_error",
    ExitCode.PIPELINE_FAILED: "pipeline_failed",
    ExitCode.INTERNAL: "internal_error",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.TERMINATED: "interrupted",
}


@dataclass
class RunRecord:
    """Filled in as a run goes; written once at the end, whatever the outcome."""

    source: str
    pipeline: str | None = None
    destination: str | None = None
    dataset: str | None = None
    selected: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    load_ids: list[str] = field(default_factory=list)
    pending_load_ids: list[str] = field(default_factory=list)
    engine_report: Any = None  # the engine's RunReport, once extraction started
    exit_code: ExitCode = ExitCode.OK
    error: str | None = None
    secrets: tuple[str, ...] = ()  # masked wherever they would appear

    def add_load(self, info: Any, *, pending: bool = False) -> None:
        for load_id in getattr(info, "loads_ids", None) or []:
            if load_id not in self.load_ids:
                self.load_ids.append(load_id)
                if pending:
                    self.pending_load_ids.append(load_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "status": _STATUS[self.exit_code],
            "exit_code": int(self.exit_code),
            "error": redact_text(self.error, self.secrets) if self.error else None,
            "source": self.source,
            "pipeline": self.pipeline,
            "destination": self.destination,
            "dataset": self.dataset,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(time.time()),
            "load_ids": list(self.load_ids),
            "pending_load_ids": list(self.pending_load_ids),
            "resources": self._resources(),
        }

    def write(self, path: Path) -> None:
        """Write atomically: a reader never sees half a report."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.as_dict(), indent=2) + "\n"
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _resources(self) -> dict[str, Any]:
        stats = dict(self.engine_report.resources) if self.engine_report is not None else {}
        entries = {name: _not_run() for name in self.selected if name not in stats}
        for name, resource in stats.items():
            entries[name] = _entry(resource, self.exit_code, self.secrets)
        return entries


def _entry(stats: Any, exit_code: ExitCode, secrets: tuple[str, ...]) -> dict[str, Any]:
    status = stats.status
    if status == "running":  # the run stopped before this resource finished
        stopped = exit_code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED)
        status = "interrupted" if stopped else "not_finished"
    return {
        "status": status,
        "selected": bool(stats.delivered),
        "pages": stats.pages,
        "records": stats.records,
        "rejects": stats.rejects,
        "retries": stats.retries,
        "requests": stats.requests,
        "seconds": round(stats.seconds, 3),
        "first_request_at": _iso(stats.first_request_at),
        "last_request_at": _iso(stats.last_request_at),
        "error": redact_text(str(stats.error), secrets) if stats.error is not None else None,
    }


def _not_run() -> dict[str, Any]:
    return {
        "status": "not_run",
        "selected": True,
        "pages": 0,
        "records": 0,
        "rejects": 0,
        "retries": 0,
        "requests": 0,
        "seconds": 0.0,
        "first_request_at": None,
        "last_request_at": None,
        "error": None,
    }


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
