"""Issue 12.2: the sources a Python config file builds are found by the loader that runs it, with
no module-level list: a source built anywhere else is not kept alive by restsync."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import restsync
from restsync._config_files import run_python_source

CONFIG = {
    "client": {"base_url": "https://api.example.com"},
    "resources": [{"name": "items", "endpoint": {"path": "/items"}}],
}


def test_a_source_built_outside_a_python_config_file_is_not_kept() -> None:
    source = restsync.rest_api_source(CONFIG, name="loose")
    alive = weakref.ref(source)
    del source
    gc.collect()
    assert alive() is None


def test_a_python_file_gives_its_last_source_and_only_its_own(tmp_path: Path) -> None:
    before = restsync.rest_api_source(CONFIG, name="built_before")
    script = tmp_path / "two_sources.py"
    script.write_text(
        "import restsync\n"
        f"config = {CONFIG!r}\n"
        "first = restsync.rest_api_source(config, name='first')\n"
        "second = restsync.rest_api_source(config, name='second')\n"
    )
    found = run_python_source(script, base_url="http://127.0.0.1:9")
    assert found.name == "second"
    assert restsync.runtime_of(found).plan.base_url == "http://127.0.0.1:9"
    after = restsync.rest_api_source(CONFIG, name="built_after")
    again = run_python_source(script, base_url=None)
    assert again.name == "second" and again is not found
    assert {before.name, after.name} == {"built_before", "built_after"}


def test_a_python_file_that_builds_no_source_says_what_to_do(tmp_path: Path) -> None:
    script = tmp_path / "nothing.py"
    script.write_text("x = 1\n")
    restsync.rest_api_source(CONFIG, name="elsewhere")  # built outside: must not be picked up
    try:
        run_python_source(script, base_url=None)
    except restsync.ConfigError as exc:
        assert "nothing.py built no source" in str(exc)
    else:
        raise AssertionError("a file without a source was accepted")
