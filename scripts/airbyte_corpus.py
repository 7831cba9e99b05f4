"""Coverage on real manifests: which streams restsync translates and which it rejects, and why.

    .venv/bin/python scripts/airbyte_corpus.py FOLDER [CONFIG.json]

FOLDER holds manifest.yaml files (kept locally, not in this repository). A config is built from
each manifest's spec defaults when none is given (with placeholder values for the rest), since
translation needs config values but no network. Prints one line per manifest and the totals.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from restsync import ConfigError  # noqa: E402
from restsync.airbyte import plan_manifest, stream_problems  # noqa: E402

_PLACEHOLDERS = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T00:00:00Z"}


def placeholder_config(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = (manifest.get("spec") or {}).get("connection_specification") or {}
    config: dict[str, Any] = {}
    for name, prop in (spec.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if "default" in prop:
            config[name] = prop["default"]
        elif name in _PLACEHOLDERS or "date" in name:
            config[name] = _PLACEHOLDERS.get(name, "2024-01-01")
        elif prop.get("type") == "array":
            config[name] = ["a"]
        elif prop.get("type") == "integer":
            config[name] = 1
        else:
            config[name] = "x"
    return config


def main(folder: str, config_path: str | None = None) -> None:
    manifests = sorted(Path(folder).glob("*.yaml"))
    whole = streams_ok = streams_total = 0
    for path in manifests:
        document = yaml.safe_load(path.read_text())
        config = (
            json.loads(Path(config_path).read_text())
            if config_path
            else placeholder_config(document)
        )
        for key, value in _PLACEHOLDERS.items():
            config.setdefault(key, value)
        try:
            problems, plan = _translate(path, config)
        except ConfigError as exc:
            print(f"{path.name}: rejected: {exc}")
            continue
        names = [n for n in _stream_names(path, config)]
        streams_total += len(names)
        streams_ok += len(names) - len(problems)
        if plan is not None:
            whole += 1
            print(f"{path.name}: ok ({len(names)} streams)")
        else:
            print(f"{path.name}: {len(names) - len(problems)}/{len(names)} streams")
            for problem in problems.values():
                print(f"   {problem}")
    print(
        f"{whole}/{len(manifests)} manifests pass check whole; "
        f"{streams_ok}/{streams_total} streams translate"
    )


def _translate(path: Path, config: dict[str, Any]) -> tuple[Any, Any]:
    """Translate; a placeholder date in the wrong format is re-written in the format the
    manifest asks for (the placeholders stand in for a user's real config)."""
    for _ in range(3):
        try:
            problems = stream_problems(path, config)
            return problems, (plan_manifest(path, config) if not problems else None)
        except ConfigError as exc:
            wanted = re.search(r"does not match the format '([^']+)'", exc.message)
            if not wanted:
                raise
            text = datetime(2024, 1, 1, tzinfo=UTC).strftime(wanted.group(1))
            for key in _PLACEHOLDERS:
                config[key] = text
    return stream_problems(path, config), None


def _stream_names(path: Path, config: dict[str, Any]) -> list[str]:
    from restsync.airbyte._manifest import resolve_manifest
    from restsync.airbyte._source import _streams

    return list(_streams(resolve_manifest(yaml.safe_load(path.read_text()))))


if __name__ == "__main__":
    main(*sys.argv[1:])
