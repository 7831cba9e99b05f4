"""``make crash``: SIGKILL ``restsync run`` at seeded random moments (``--crash-kills N``, 30 by
default), into DuckDB or PostgreSQL, and check each rerun like tests/cli/test_crash_resume.py does.
Not collected by ``make test`` (the file name does not start with ``test_``)."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

from tests.cli.crash_harness import NAME, PHASES_HIT, kill, phase_of, wait_for
from tests.cli.test_crash_resume import _prepare, _responses, _resume_and_compare, _targets


def test_kill_at_seeded_random_moments(
    crash_seed: int, crash_api: Any, postgres: Any, tmp_path: Path
) -> None:
    """A kill after a random number of served pages, or a random short while after the package
    was normalized (a seeded schedule of kill delays); the phase hit is read back and must be a
    known one, or the run had finished; either way the rerun is exact."""
    api = crash_api
    rng = random.Random(crash_seed)
    kind = rng.choice(["duckdb", "postgres"])
    clean, crashed = _targets(kind, tmp_path, postgres)
    _prepare(api, clean, crashed)
    process = crashed.start_cli(api.base_url)
    normalized = crashed.pipelines_dir / NAME / "load" / "normalized"
    if rng.random() < 0.5:
        pages = rng.randint(1, 16)
        wait_for(lambda: _responses(api) >= pages, f"{pages} pages were served", process)
    else:
        wait_for(lambda: normalized.exists() and any(normalized.iterdir()), "normalized", process)
        threading.Event().wait(rng.uniform(0, 0.3))  # the seeded kill delay under test
    if process.poll() is None:
        kill(process)
        hit = phase_of(crashed)
        assert hit in ("extract", "normalize", "before load", "load")
    else:
        process.communicate()
        assert process.returncode == 0  # the delay outlasted the load: nothing to resume
        hit = "finished"
    PHASES_HIT.append(f"{kind} {hit}")
    _resume_and_compare(api, clean, crashed)
