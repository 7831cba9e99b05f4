"""Issue 11's targets (workload 4): whole processes, imports included, in the same run.

``restsync run`` (the console script, a JSON config pointed at the simulator) against a whole
process running dlt's ``rest_api_source`` with ``parallelized: True`` on every resource
(bench/dlt_run.py), each timed from spawn to exit (bench/_process.py), alternately, ``repeats``
times per case:

* webhook_service and video_rooms at scale 5 with 50 ms latency (fresh simulator per run);
* 1M flat records (one simulator, counters reset between runs), whose tables must come out
  identical for both tools (columns, types and every row but dlt's ids);
* every seed once more for restsync alone: its requests span (first to last request arriving at
  the simulator) against the request bound of bench/_bounds.py.

dlt stages its loads as jsonl with its intermediate files uncompressed (what restsync run does for
dict pages; 2-4x faster than dlt's DuckDB default, insert_values), so it is dlt at its fastest
plain setting that restsync is measured against.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import restsync
from bench._bounds import Bound, lower_bound
from bench._child import _count_all_rows, _count_rows
from bench._harness import REPO, RequestClock, simulator, tool_config
from bench._process import run_process
from bench._workloads import SEEDS, big_case, seed_config
from restsync.simulator import Simulator, SimulatorOptions

__all__ = ["TargetCase", "Trial", "run_targets"]

TOOLS = ("restsync", "dlt_parallel")
_DLT_STAGING = {"file_format": "jsonl", "env": {"DATA_WRITER__DISABLE_COMPRESSION": "true"}}


@dataclass
class Trial:
    tool: str
    seconds: float
    peak_rss_mb: float
    requests: int = 0
    rows_by_table: dict[str, int | None] = field(default_factory=dict)
    all_rows: int = 0
    first_request: float | None = None  # seconds after the spawn
    last_request: float | None = None
    error: str | None = None


@dataclass
class TargetCase:
    name: str
    served: dict[str, int]
    trials: list[Trial] = field(default_factory=list)
    bound: Bound | None = None
    identical: str | None = None  # 1M records: "yes", or what differs
    loadavg: tuple[float, float, float] | None = None

    def of(self, tool: str) -> list[Trial]:
        return [t for t in self.trials if t.tool == tool and not t.error]

    def median(self, tool: str) -> float | None:
        runs = self.of(tool)
        return statistics.median(t.seconds for t in runs) if runs else None


def run_targets(repeats: int, quick: bool = False) -> list[TargetCase]:
    scale, big = (1, 50_000) if quick else (5, 1_000_000)
    cases = [_seed(name, scale, repeats, TOOLS) for name in ("webhook_service", "video_rooms")]
    cases.append(_big(big, max(1, repeats - 1)))
    for name in SEEDS if not quick else ():
        if name not in ("webhook_service", "video_rooms"):
            cases.append(_seed(name, scale, 1, ("restsync",)))
    return cases


def _seed(name: str, scale: float, repeats: int, tools: tuple[str, ...]) -> TargetCase:
    config = seed_config(name)
    plan = restsync.plan_config(config, name=name)
    options = SimulatorOptions(seed=1, scale=scale, latency_ms=50)
    case = TargetCase(name, {})
    for _ in range(repeats):
        for tool in tools:  # alternating, so that a busy moment of the machine hits both
            with simulator(plan, options) as (sim, clock), _workdir() as work:
                case.served = {k: len(v) for k, v in sim.dataset().items()}
                case.trials.append(_trial(sim, clock, tool, name, config, plan, work))
    runs = case.of("restsync")
    if runs:
        best = min(runs, key=lambda t: t.seconds)
        case.bound = lower_bound(plan, options, case.served, measured_requests=best.requests)
    case.loadavg = os.getloadavg()
    _progress(case)
    return case


def _big(records: int, repeats: int) -> TargetCase:
    big = big_case(records, page_size=5000, tools=TOOLS)
    plan = restsync.plan_config(big.config, name="events")
    case = TargetCase(big.name, {"events": records})
    with simulator(plan, big.options, big.fields) as (sim, clock), _workdir() as keep:
        for round_ in range(repeats):
            for tool in TOOLS:
                with _workdir() as work:
                    trial = _trial(sim, clock, tool, "events", big.config, plan, work)
                    case.trials.append(trial)
                    if round_ == 0 and not trial.error:
                        shutil.copy(work / "load.duckdb", keep / f"{tool}.duckdb")
        case.identical = _same_tables(keep / "restsync.duckdb", keep / "dlt_parallel.duckdb")
    case.loadavg = os.getloadavg()
    _progress(case)
    return case


def _trial(
    sim: Simulator,
    clock: RequestClock,
    tool: str,
    name: str,
    config: Any,
    plan: Any,
    work: Path,
) -> Trial:
    sim.reset_counters()
    clock.reset()
    db = work / "load.duckdb"
    argv, extra_env = _command(tool, name, config, sim.base_url, work, db)
    env = child_env(work, **extra_env)
    run = run_process(argv, env=env, cwd=work, timeout=900)
    tables = [r.table_name for r in plan.resources.values() if r.selected]
    trial = Trial(tool, run.seconds, run.peak_rss_mb, requests=sim.counters()["total_requests"])
    if run.returncode != 0:
        trial.error = f"exit {run.returncode}: {run.output_tail[-300:]}"
    trial.rows_by_table = _count_rows(db, tables)
    trial.all_rows = _count_all_rows(db)
    times = clock.times()
    if times:
        trial.first_request, trial.last_request = times[0] - run.started, times[-1] - run.started
    return trial


def child_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a benched child process: this one's, dlt quiet and without telemetry,
    its data directory under ``work``, then ``extra`` (PYTHONPATH, a probe's output, ...)."""
    return {
        **os.environ,
        "RUNTIME__LOG_LEVEL": "WARNING",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(work / "dlt"),
        **extra,
    }


def _command(
    tool: str, name: str, config: Any, base_url: str, work: Path, db: Path
) -> tuple[list[str], dict[str, str]]:
    if tool == "restsync":
        path = work / f"{name}.json"
        out = json.loads(json.dumps(config))
        out["client"]["base_url"] = base_url
        path.write_text(json.dumps(out))
        script = Path(sys.executable).with_name("restsync")
        argv = [str(script)] if script.exists() else [sys.executable, "-m", "restsync"]
        argv += ["run", str(path), "--duckdb-path", str(db), "--dataset", "bench"]
        argv += ["--pipelines-dir", str(work / "pipelines"), "--progress-every", "0"]
        return argv, {}
    spec = {
        "config": tool_config(tool, config, name, base_url),
        "name": name,
        "db": str(db),
        "dataset": "bench",
        "pipelines_dir": str(work / "pipelines"),
        "file_format": _DLT_STAGING["file_format"],
    }
    (work / "spec.json").write_text(json.dumps(spec))
    argv = [sys.executable, str(REPO / "bench" / "dlt_run.py"), str(work / "spec.json")]
    return argv, dict(_DLT_STAGING["env"])  # type: ignore[arg-type]


def _same_tables(ours: Path, theirs: Path) -> str:
    """'yes' when both loads have the same tables, columns, types and rows (dlt's ids aside)."""
    import duckdb

    if not ours.exists() or not theirs.exists():
        return "not compared: a load failed"
    with duckdb.connect() as db:
        db.execute(f"attach '{ours}' as a (read_only)")
        db.execute(f"attach '{theirs}' as b (read_only)")
        shape = (
            "select table_name, column_name, data_type, ordinal_position from "
            "information_schema.columns where table_catalog = '{}' and table_schema = 'bench' "
            "and table_name not like '\\_dlt\\_%' escape '\\' order by all"
        )
        mine, dlts = (db.sql(shape.format(x)).fetchall() for x in ("a", "b"))
        if mine != dlts:
            return f"no: columns differ ({sorted(set(mine) ^ set(dlts))[:4]})"
        columns = [c for t, c, _, _ in mine if t == "events" and not c.startswith("_dlt_")]
        select = ", ".join(f'"{c}"' for c in columns)
        differ = db.sql(
            f"select count(*) from (select {select} from a.bench.events except all "
            f"select {select} from b.bench.events)"
        ).fetchone()
    return "yes" if differ == (0,) else f"no: {differ[0] if differ else '?'} rows differ"


class _workdir:
    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="restsync-targets-"))
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _progress(case: TargetCase) -> None:
    for t in case.trials:
        state = t.error or "ok"
        print(
            f"  {case.name:<18} {t.tool:<13} {t.seconds:7.2f} s {t.peak_rss_mb:5.0f} MB "
            f"{t.requests:5d} req {t.all_rows:9,d} rows  {state}",
            file=sys.stderr,
            flush=True,
        )
