"""Issue 11.2: commands that do not load data do not pay for the libraries that load it.

Each command runs in a fresh interpreter (``restsync.cli.main`` with that command line) which then
reports which heavy libraries ended up in ``sys.modules``. A structural check, not a timing:
importing dlt costs about a second on an idle machine (docs/benchmarks.md, "Start-up").
``check`` and ``plan`` validate column hints, write dispositions and JSONPaths with dlt's own
validators (so they accept exactly what dlt accepts), so they load dlt, but not pyarrow, DuckDB
or the load path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).parents[1] / "seeds"
HEAVY = ("dlt", "pyarrow", "duckdb", "restsync._load")

_PROBE = f"""
import json, sys
sys.argv = ["restsync", *sys.argv[1:]]
from restsync.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)
"""


def _heavy_modules_after(*args: str) -> list[str]:
    env = {**os.environ, "API_KEY": "startup-secret", "API_TOKEN": "startup-secret"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args", [("--help",), ("connectors",), ("run", "--help"), ("check", "--help")]
)
def test_help_and_connectors_load_neither_dlt_nor_pyarrow(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == []


@pytest.mark.parametrize(
    "args",
    [
        ("check", "webhook_service"),
        ("plan", "webhook_service"),
        ("plan", str(SEEDS / "video_rooms.py")),
    ],
)
def test_check_and_plan_load_dlt_but_not_the_load_path(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == ["dlt"]
