"""``python -m bench.rss_1m``: bench.targets' 1M-record case, ``restsync run`` alone, per variant.

    python -m bench.rss_1m                                   # this tree, 2 rounds
    python -m bench.rss_1m --variant main=/tmp/main/src --variant mine=src --rounds 3
    python -m bench.rss_1m --variant capped=src:DLT_X=1      # a variant may set environment
    python -m bench.rss_1m --probe                          # + dlt's steps, CPU per thread
    python -m bench.rss_1m --cold-libraries                 # libraries' page cache dropped first

One simulator (bench/_workloads.big_case, 1M records in pages of 5,000), then ``python -m restsync
run`` of it as a child process per variant, alternately per round, with the variant's source tree
first on ``PYTHONPATH`` (a ``git archive`` export of another commit's ``src``). Read from ``/proc``
while the child runs (bench/_process.py's polling): its ``VmHWM``, and its RSS every 100 ms.
Printed per run: wall seconds, peak RSS, the process's CPU seconds (user + system), when the
peak was reached; with ``--probe`` (bench/_rss_probe/sitecustomize.py in the child) also when
dlt's steps started and ended, the anonymous and file-backed RSS then, and the CPU seconds of
each Python thread by name (the engine's, dlt's extract thread, DuckDB's load).
Issue 11's memory question (docs/benchmarks.md, "Peak RSS on 1M records"): which phase holds
the peak. Out of the test suite; timings are the machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import restsync
from bench._child import _count_all_rows
from bench._harness import simulator
from bench._process import read_status_kb, run_process
from bench._targets import _command, _workdir, child_env
from bench._workloads import big_case

_SAMPLE_SECONDS = 0.1  # the RSS timeline's spacing (the peak is bench/_process.py's VmHWM)
_TIMEOUT_SECONDS = 900.0
_PROBE = Path(__file__).with_name("_rss_probe")


@dataclass
class Sample:
    at: float  # seconds after the spawn
    rss_mb: float


@dataclass
class Run:
    variant: str
    seconds: float = 0.0
    peak_mb: float = 0.0
    cpu: float = 0.0
    rows: int = 0
    returncode: int = 0
    samples: list[Sample] = field(default_factory=list)

    probe: dict[str, Any] = field(default_factory=dict)  # bench/_rss_probe's findings

    def peak_sample(self) -> Sample | None:
        return max(self.samples, key=lambda s: s.rss_mb, default=None)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rss_1m")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=SRC[:K=V,...]")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--timeline", action="store_true", help="print RSS every second")
    parser.add_argument("--probe", action="store_true", help="dlt's steps, CPU per thread")
    parser.add_argument(
        "--cold-libraries",
        action="store_true",
        help="drop the page cache of the interpreter's shared libraries before each run",
    )
    args = parser.parse_args()
    variants = [_variant(v) for v in args.variant] or [("this", Path("src").resolve(), {})]
    big = big_case(args.records, page_size=5000, tools=("restsync",))
    plan = restsync.plan_config(big.config, name="events")
    with simulator(plan, big.options, big.fields) as (sim, _clock):
        for round_ in range(args.rounds):
            for label, src, env in variants:
                if args.cold_libraries:
                    _drop_library_cache()
                with _workdir() as work:
                    run = _run(label, src, env, sim.base_url, big.config, work, args.probe)
                _print(round_, run, args.timeline)


def _drop_library_cache() -> None:
    """Ask the kernel to forget the cached pages of every shared library the interpreter may load
    (site-packages and the standard library's), so that each run maps them as read from disk.

    Why: a library's file-backed pages count in RSS, and how many get mapped depends on how the
    file sits in the page cache. Right after ``make install`` (files just written) a run mapped
    ~140 MB of library pages, against ~87-90 MB once they had been dropped and read back: the
    same code peaked at 366-385 MB and at 305-325 MB (docs/benchmarks.md, phase 7). Pages
    another process has mapped stay; nothing else is touched."""
    roots = {sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    roots.add(sysconfig.get_config_var("LIBDIR") or "")
    for root in filter(None, roots):
        for folder, _, files in os.walk(root):
            for name in files:
                if ".so" not in name:
                    continue
                try:
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)


def _variant(text: str) -> tuple[str, Path, dict[str, str]]:
    label, _, rest = text.partition("=")
    src, _, settings = rest.partition(":")
    env: dict[str, str] = {}
    name = ""
    for part in filter(None, settings.split(",")):
        if "=" in part:
            name, value = part.split("=", 1)
            env[name] = value
        elif (
            name
        ):  # a comma inside a value: DUCKDB_JE_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0
            env[name] += "," + part
        else:
            raise SystemExit(f"--variant {text!r}: expected LABEL=SRC[:NAME=VALUE,...]")
    return label, Path(src).resolve(), env


def _run(
    label: str,
    src: Path,
    extra: dict[str, str],
    base_url: str,
    config: object,
    work: Path,
    probe: bool,
) -> Run:

    db = work / "load.duckdb"
    argv, _ = _command("restsync", "events", config, base_url, work, db)
    argv = [sys.executable, "-m", "restsync", *argv[1:]]
    probed = {"PYTHONPATH": f"{src}{os.pathsep}{_PROBE}", "RSS_PROBE_OUT": str(work / "probe.json")}
    env = child_env(work, **{"PYTHONPATH": str(src), **(probed if probe else {}), **extra})
    run = Run(label)

    def sample(pid: int, at: float) -> None:
        if not run.samples or at - run.samples[-1].at >= _SAMPLE_SECONDS:
            rss_kb = read_status_kb(pid, "VmRSS")
            if rss_kb:
                run.samples.append(Sample(at, rss_kb / 1024))

    done = run_process(argv, env=env, cwd=work, timeout=_TIMEOUT_SECONDS, on_poll=sample)
    run.seconds, run.peak_mb, run.cpu = done.seconds, done.peak_rss_mb, done.cpu_seconds
    run.returncode = done.returncode
    run.rows = _count_all_rows(db)
    if probe and (work / "probe.json").exists():
        run.probe = json.loads((work / "probe.json").read_text())
    if run.returncode:
        tail = " | ".join(done.output_tail.splitlines()[-3:])
        print(f"  {label}: exit {run.returncode}: {tail}", file=sys.stderr)
    return run


def _memory_at(memory: list[list[float]], at: float) -> list[float] | None:
    """The probe's last memory reading at or before ``at`` seconds."""
    before = [m for m in memory if m[0] <= at]
    return before[-1] if before else None


def _print(round_: int, run: Run, timeline: bool) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    peak = run.peak_sample()
    at = f" at {peak.at:.1f} s" if peak is not None else ""
    print(
        f"round {round_} {run.variant:<10} {run.seconds:6.2f} s  peak {run.peak_mb:4.0f} MB{at}  "
        f"cpu {run.cpu:5.1f} s  rows {run.rows:,}  load {load}",
        flush=True,
    )
    if run.probe:
        marks = dict((name, at) for at, name in run.probe["marks"])
        steps = ", ".join(
            f"{step} {marks[step + ' ends'] - marks[step + ' starts']:.1f} s"
            for step in ("extract", "normalize", "load")
            if step + " starts" in marks and step + " ends" in marks
        )
        threads: dict[str, float] = {}
        for name, cpu in run.probe["thread_cpu"].items():
            key = "dlt-pool" if name.startswith("dlt-pool") else name  # dlt's load workers
            threads[key] = threads.get(key, 0.0) + cpu
        busiest = ", ".join(f"{n} {c:.1f}" for n, c in sorted(threads.items(), key=lambda x: -x[1]))
        first = marks.get("extract starts", 0.0)
        print(f"    dlt starts extracting at {first:.1f} s; {steps}", flush=True)
        print(f"    CPU s by thread: {busiest}", flush=True)
        memory = run.probe.get("memory", [])
        if memory:
            at_marks = [(name, _memory_at(memory, at)) for at, name in run.probe["marks"]]
            top = max(memory, key=lambda m: m[1] + m[2])
            at_marks.append(("peak", top))
            print(
                "    anon+file MB: "
                + ", ".join(f"{name} {m[1]:.0f}+{m[2]:.0f}" for name, m in at_marks if m),
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
