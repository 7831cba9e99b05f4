"""`restsync check` and `plan`: no network, one-sentence errors, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = sorted(Path(__file__).parents[1].joinpath("seeds").glob("*.py"))


def restsync(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "restsync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_check_passes_on_every_seed_as_written(seed: Path) -> None:
    result = restsync("check", str(seed))
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_plan_shows_the_inferences() -> None:
    result = restsync("plan", str(Path(__file__).parents[1] / "seeds" / "video_rooms.py"))
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "'{room_id}' in the path is filled from parent 'rooms' field 'id'" in text
    assert "'{temp_id}' in the path is filled from parent 'templates'" in text
    assert "page_format: arrow" in text


def test_plan_shows_fetch_ahead_and_page_format() -> None:
    # account_analytics pages with offset and no total: fetching ahead is a guess, and says so
    result = restsync("plan", "account_analytics")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "fetches up to 4 pages ahead after a run of full pages" in text


def test_a_bad_config_is_one_sentence_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "client: {base_url: 'https://x'}\n"
        "resources:\n"
        "  - name: a\n"
        "    endpoint: {path: /a, paginator: {type: cursr}}\n"
    )
    result = restsync("check", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "resources[0].endpoint.paginator.type: unknown paginator type 'cursr'" in " ".join(
        result.stderr.split()
    )


def test_an_unknown_source_lists_the_connectors() -> None:
    result = restsync("check", "no_such_thing")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "neither a file nor a bundled connector" in " ".join(result.stderr.split())
