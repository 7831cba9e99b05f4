"""Issue 11.2: commands that do not load data do not pay for the libraries that load it.

Each command runs in a fresh interpreter (``restsync.cli.main`` with that command line) which then
reports which heavy libraries ended up in ``sys.modules``. A structural check, not a timing:
importing dlt costs about a second on an idle machine (docs/benchmarks.md, "Start-up").
``check`` and ``plan`` of a config without dlt objects import neither dlt nor aiohttp: the config
layer checks hints against dlt's types as generated data (tests/unit/test_dlt_hint_types.py) and
recognises dlt objects only once their module is imported. dlt is imported where the command
needs its providers: ``check`` looking up secrets, a config value (``!config``) to resolve.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).parents[1] / "seeds"
# the seeds that read a config value (dlt.config["start_date"]): planning them asks dlt for it
READS_CONFIG = {"device_management.py"}
HEAVY = ("dlt", "pyarrow", "duckdb", "aiohttp", "restsync._load", "restsync._engine")

_PROBE = f"""
import json, sys
sys.argv = ["restsync", *sys.argv[1:]]
from restsync.cli import main
try:
    main()
except SystemExit as exc:
    print("exit", exc.code, file=sys.stderr)
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
    lines = done.stderr.strip().splitlines()
    assert not any(line.startswith("exit") and line != "exit 0" for line in lines), done.stderr
    return list(json.loads(lines[-1]))


@pytest.mark.parametrize(
    "args", [("--help",), ("connectors",), ("run", "--help"), ("check", "--help")]
)
def test_help_and_connectors_load_neither_dlt_nor_pyarrow(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == []


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "webhook_service"),
        ("plan", "video_rooms"),
        ("check", "--no-secrets", "webhook_service"),
        *(
            ("plan", str(seed))
            for seed in sorted(SEEDS.glob("*.py"))
            if seed.name not in READS_CONFIG
        ),
        ("check", "--no-secrets", str(SEEDS / "account_analytics.py")),
    ],
)
def test_check_and_plan_of_a_plain_config_load_no_dlt(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == []


@pytest.mark.parametrize(
    "args",
    [
        ("check", "webhook_service"),  # its secret is looked up with dlt's providers
        ("plan", "device_management"),  # its !config start_date is too
        ("plan", str(SEEDS / "device_management.py")),
    ],
)
def test_dlt_is_loaded_only_to_look_values_up(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == ["dlt"]
