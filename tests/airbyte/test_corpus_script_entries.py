"""The comparison harness (scripts/airbyte_corpus_diff.py) takes a manifest's API-listed
``dynamic_streams`` entries (HttpComponentsResolver) one by one: each entry's listing is served
and its streams compared on their own, so one entry's streams (or failure) never stand for
another's verdict; and it compares at most ``--listed-cap`` streams of an entry, the entry's own
line saying how many it left unread. Before, the listings were served together: one the
simulator could not serve made every entry simulator-limited (the others' streams unread), an
entry that resolved nothing beside one that did got no verdict at all, and a listing of any
size was read whole."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.airbyte import manifests as build
from tests.airbyte._script import load_script


def _run(tmp_path: Path, document: dict[str, Any], *args: str) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "manifest.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    script = load_script("airbyte_corpus_diff")
    assert script.main(str(tmp_path), "--timeout", "300", *args) == 0


_LINE = re.compile(
    r"^    (?P<name>.*?) +(?P<verdict>(?:identical|simulator-limited|different|rejected|"
    r"unfinished|cdk-failed|both-failed)\b.*)$"
)


def _shown(out: str) -> dict[str, str]:
    """Each stream's (or entry's) verdict line, by its name (listed names hold spaces)."""
    found = (_LINE.match(line) for line in out.splitlines())
    return {m["name"]: m["verdict"] for m in found if m}


def test_each_api_listed_entry_has_its_own_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = build.listed_tables()
    # a second entry whose listing the simulator cannot serve: its path is computed from a
    # partition value
    other = copy.deepcopy(document["dynamic_streams"][0])
    other["name"] = "reports"
    other["stream_template"]["name"] = "report"
    requester = other["components_resolver"]["retriever"]["requester"]
    requester["path"] = (
        "/workspaces/{{ format_datetime(stream_partition.workspace_id, '%Y') }}/reports"
    )
    other["components_resolver"]["components_mapping"][0]["value"] = (
        "report_{{ components_values.name | lower }}"
    )
    document["dynamic_streams"].append(other)

    _run(tmp_path, document)

    out = capsys.readouterr().out
    shown = _shown(out)
    listed = [n for n in shown if n != "workspaces" and not n.startswith("dynamic_streams[")]
    assert len(listed) > 1, out
    assert all(shown[n].startswith("identical (") for n in listed), out
    assert shown["dynamic_streams[1] (template 'reports')"].startswith("simulator-limited: "), out
    # (its listing resolves more streams than the default cap: the first 20 compared)
    assert shown["dynamic_streams[0] (template 'tables')"].startswith("identical: "), out


def test_an_entry_lists_at_most_the_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(tmp_path, build.listed_tables(), "--listed-cap", "2")

    out = capsys.readouterr().out
    shown = _shown(out)
    listed = [n for n in shown if n != "workspaces" and not n.startswith("dynamic_streams[")]
    assert len(listed) == 2, out
    assert all(shown[n].startswith("identical (") for n in listed), out
    note = shown["dynamic_streams[0] (template 'tables')"]
    assert note.startswith("identical: the served listing resolves "), note
    assert note.endswith(
        "; the first 2 (by name) compared, the other "
        f"{int(note.split()[5]) - 2} not read (the harness's cap on the streams an entry "
        "lists: --listed-cap)"
    ), note
