"""``python -m bench.rss_1m``: bench.targets' 1M-record case, ``restsync run`` alone, per variant.

    python -m bench.rss_1m                                   # this tree, 2 rounds
    python -m bench.rss_1m --variant main=/tmp/main/src --variant mine=src --rounds 3
    python -m bench.rss_1m --variant capped=src:DLT_X=1      # a variant may set environment

One simulator (bench/_workloads.big_case, 1M records in pages of 5,000), then ``python -m restsync
run`` of it as a child process per variant, alternately per round, with the variant's source tree
first on ``PYTHONPATH`` (a ``git archive`` export of another commit's ``src``). Read from ``/proc``
every 100 ms while the child runs: its RSS and ``VmHWM`` and each thread's CPU time (user +
system, by thread name). Printed per run: wall seconds, peak RSS, the process's CPU seconds, the
CPU of its busiest threads, when the engine's thread ended (the extraction) and the RSS then, and
where the peak was reached. Issue 11's memory question (docs/benchmarks.md, "Peak RSS on 1M
records"): which phase holds the peak. Out of the test suite; timings are the machine's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import restsync
from bench._child import _count_all_rows
from bench._harness import simulator
from bench._targets import _command, _workdir
from bench._workloads import big_case

_POLL_SECONDS = 0.1
_TIMEOUT_SECONDS = 900.0
_ENGINE_THREAD = "restsync-engin"  # /proc shows 15 characters of a thread's name


@dataclass
class Sample:
    at: float  # seconds after the spawn
    rss_mb: float
    threads: dict[str, float]  # thread name -> CPU seconds so far (same names summed)


@dataclass
class Run:
    variant: str
    seconds: float = 0.0
    peak_mb: float = 0.0
    cpu: float = 0.0
    rows: int = 0
    returncode: int = 0
    samples: list[Sample] = field(default_factory=list)

    def engine_end(self) -> Sample | None:
        seen = [s for s in self.samples if any(n.startswith(_ENGINE_THREAD) for n in s.threads)]
        return seen[-1] if seen else None

    def peak_sample(self) -> Sample | None:
        return max(self.samples, key=lambda s: s.rss_mb, default=None)

    def thread_cpu(self) -> dict[str, float]:
        # a thread's last reading; threads that ended early keep theirs
        total: dict[str, float] = {}
        for sample in self.samples:
            total.update(sample.threads)
        return total


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rss_1m")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=SRC[:K=V,...]")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--timeline", action="store_true", help="print RSS every second")
    args = parser.parse_args()
    variants = [_variant(v) for v in args.variant] or [("this", Path("src").resolve(), {})]
    big = big_case(args.records, page_size=5000, tools=("restsync",))
    plan = restsync.plan_config(big.config, name="events")
    with simulator(plan, big.options, big.fields) as (sim, _clock):
        for round_ in range(args.rounds):
            for label, src, env in variants:
                with _workdir() as work:
                    run = _run(label, src, env, sim.base_url, big.config, work)
                _print(round_, run, args.timeline)


def _variant(text: str) -> tuple[str, Path, dict[str, str]]:
    label, _, rest = text.partition("=")
    src, _, settings = rest.partition(":")
    env = dict(kv.split("=", 1) for kv in settings.split(",") if kv)
    return label, Path(src).resolve(), env


def _run(
    label: str, src: Path, extra: dict[str, str], base_url: str, config: object, work: Path
) -> Run:

    db = work / "load.duckdb"
    argv, _ = _command("restsync", "events", config, base_url, work, db)
    argv = [sys.executable, "-m", "restsync", *argv[1:]]
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "RUNTIME__LOG_LEVEL": "WARNING",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(work / "dlt"),
        **extra,
    }
    run = Run(label)
    started = time.time()
    proc = subprocess.Popen(
        argv, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    waited: dict[str, float] = {}

    def wait() -> None:
        _, status, usage = os.wait4(proc.pid, 0)
        waited.update(end=time.time(), cpu=usage.ru_utime + usage.ru_stime, status=status)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    tick = os.sysconf("SC_CLK_TCK")
    while waiter.is_alive() and time.time() - started < _TIMEOUT_SECONDS:
        sample = _sample(proc.pid, time.time() - started, tick)
        if sample is not None:
            run.samples.append(sample)
            run.peak_mb = max(run.peak_mb, _hwm_mb(proc.pid), sample.rss_mb)
        waiter.join(_POLL_SECONDS)
    if waiter.is_alive():
        proc.kill()
        waiter.join(30)
    proc.returncode = 0  # reaped by wait4
    assert proc.stderr is not None
    tail = proc.stderr.read().decode(errors="replace").strip().splitlines()[-3:]
    run.seconds = waited.get("end", time.time()) - started
    run.cpu = waited.get("cpu", 0.0)
    run.returncode = os.waitstatus_to_exitcode(int(waited["status"])) if "status" in waited else -9
    run.rows = _count_all_rows(db)
    if run.returncode:
        print(f"  {label}: exit {run.returncode}: {' | '.join(tail)}", file=sys.stderr)
    return run


def _sample(pid: int, at: float, tick: int) -> Sample | None:
    try:
        rss_kb = 0
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss_kb = int(line.split()[1])
        threads: dict[str, float] = {}
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as stat:
                    text = stat.read()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            cpu = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            key = name if task != str(pid) else "main"
            threads[key] = threads.get(key, 0.0) + cpu
        return Sample(at, rss_kb / 1024, threads)
    except (OSError, ValueError):
        return None


def _hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _print(round_: int, run: Run, timeline: bool) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    end, peak = run.engine_end(), run.peak_sample()
    busiest = sorted(run.thread_cpu().items(), key=lambda kv: -kv[1])[:5]
    threads = ", ".join(f"{name} {cpu:.1f}" for name, cpu in busiest)
    print(
        f"round {round_} {run.variant:<10} {run.seconds:6.2f} s  peak {run.peak_mb:4.0f} MB  "
        f"cpu {run.cpu:5.1f} s  rows {run.rows:,}  load {load}",
        flush=True,
    )
    if end is not None and peak is not None:
        print(
            f"    engine thread last seen {end.at:.1f} s at {end.rss_mb:.0f} MB; "
            f"peak sample {peak.rss_mb:.0f} MB at {peak.at:.1f} s; threads: {threads}",
            flush=True,
        )
    if timeline:
        marks, next_at = [], 0.0
        for s in run.samples:
            if s.at >= next_at:
                marks.append(f"{s.at:.0f}:{s.rss_mb:.0f}")
                next_at = s.at + 1.0
        print("    rss " + " ".join(marks), flush=True)


if __name__ == "__main__":
    main()
