"""A sync for cron or any scheduler that reads exit codes: restsync.sync, a report, an exit code.

    # crontab: every 15 minutes; flock keeps two runs of the same pipeline apart
    */15 * * * * cd /srv/sync && flock -n /tmp/webhooks.lock \
        .venv/bin/python examples/scheduled_sync.py webhook_service \
        --pipelines-dir /srv/sync/pipelines --report /var/log/sync/webhooks.json

SOURCE is a bundled connector name or a YAML config file. Secrets and destination credentials come
from the environment or .dlt/secrets.toml, as everywhere in restsync (docs/destinations.md).

Exit codes, as ``restsync run`` (docs/report.md#exit-codes): 0 everything loaded; 1 some resources
failed and the others were loaded; 2 the config or a secret is wrong, nothing ran; 3 extracted but
not loaded (the next run loads it first). ``restsync run SOURCE --report FILE`` does all of this
too; this script shows the same from Python, where you can add your own steps around the sync.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

import restsync
from restsync import connectors


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    report: dict[str, Any] = {"source": args.source, "started_at": time.time()}
    try:
        source = _source(args.source, args.base_url)
    except restsync.ConfigError as exc:  # a bad config or a missing secret: nothing ran
        return _finish(args.report, report, 2, str(exc))
    destination: Any = args.destination
    if destination == "duckdb":  # a file not named like the dataset: DuckDB would mix them up
        destination = dlt.destinations.duckdb(str(args.duckdb_path or f"{source.name}_data.duckdb"))
    pipeline = dlt.pipeline(
        pipeline_name=source.name,
        destination=destination,
        dataset_name=args.dataset or source.name,
        pipelines_dir=str(args.pipelines_dir),
    )
    code, error = 0, None
    try:
        info = restsync.sync(pipeline, source)  # loads what an interrupted run left, then syncs
        report["load_ids"] = list(info.loads_ids) if info else []
    except restsync.SyncFailed as exc:  # the healthy resources were loaded before this
        code, error = 1, str(exc)
    except PipelineStepFailed as exc:  # extracted, not loaded: the next run loads it first
        code, error = 3, f"the {exc.step} step failed: {exc.exception}"
    stats = restsync.runtime_of(source).last_report
    report["resources"] = {
        name: {"status": s.status, "records": s.records, "requests": s.requests,
               "error": str(s.error) if s.error else None}
        for name, s in (stats.resources.items() if stats else ())
        if s.delivered
    }  # fmt: skip
    return _finish(args.report, report, code, error)


def _source(name: str, base_url: str | None) -> Any:
    if name in connectors.names():
        return connectors.connector_source(name, base_url=base_url)
    with restsync.overrides(base_url=base_url):
        return restsync.rest_api_source(connectors.load_yaml_config(name), name=Path(name).stem)


def _finish(path: Path | None, report: dict[str, Any], code: int, error: str | None) -> int:
    report.update(exit_code=code, error=error, finished_at=time.time())
    if path is not None:
        path.write_text(json.dumps(report, indent=2) + "\n")
    if error:
        print(f"error: {error}", file=sys.stderr)
    return code


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a bundled connector name or a YAML config file")
    parser.add_argument("--destination", default="duckdb", help="any dlt destination")
    parser.add_argument("--dataset", help="default: the source's name")
    parser.add_argument("--duckdb-path", type=Path, help="default: ./<source>_data.duckdb")
    parser.add_argument("--pipelines-dir", type=Path, default=Path("pipelines"))
    parser.add_argument("--base-url", help="send requests to this host instead")
    parser.add_argument("--report", type=Path, help="write a JSON report here")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
