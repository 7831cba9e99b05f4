"""A manifest is read through libyaml (as airbyte-cdk reads it): the same document as PyYAML's
pure-Python safe loader, the same error for a bad text, and a text nested deep enough to crash
libyaml's recursive builder never reaches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from restsync._errors import ConfigError
from restsync.airbyte._manifest import load_yaml, read_manifest
from tests.conftest import run_restsync

ROOT = Path(__file__).parents[2]
MANIFESTS = sorted((ROOT / "tests" / "airbyte" / "manifests").glob("*.yaml")) + sorted(
    (ROOT / "bench" / "manifests").glob("*.yaml")
)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.dates()
)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_the_repository_manifests_read_as_the_pure_python_loader_reads_them(path: Path) -> None:
    text = path.read_text()
    assert load_yaml(text) == yaml.safe_load(text)


@settings(max_examples=200, deadline=None)
@given(document=_documents, flow=st.sampled_from([True, False, None]))
def test_any_dumped_document_reads_back_the_same_through_both_loaders(
    document: Any, flow: bool | None
) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert load_yaml(text) == yaml.safe_load(text)


def test_a_text_libyaml_refuses_gets_the_pure_python_loaders_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("type: DeclarativeSource\nversion: 1\nstreams: [\n")
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(path.read_text())
    with pytest.raises(ConfigError) as caught:
        read_manifest(path)
    assert str(caught.value) == str(ConfigError("", f"broken.yaml is not valid YAML: {pure.value}"))


def test_a_deeply_nested_manifest_is_one_sentence_not_a_crash(tmp_path: Path) -> None:
    # 200,000 levels: libyaml's node builder overflows the C stack at about 100,000 (SIGSEGV, no
    # exception), so this runs in a child process: a crash is a return code, not a lost worker
    levels = 200_000
    path = tmp_path / "deep.yaml"
    path.write_text("type: DeclarativeSource\nversion: 1\nstreams: " + "[" * levels + "]" * levels)
    done = run_restsync("check", path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip() == f"error: {path} nests its YAML too deeply to read; flatten it"


def test_reading_a_deeply_nested_manifest_names_the_file(tmp_path: Path) -> None:
    # 5,000 levels: past the libyaml limit, so the pure-Python loader reads it and recurses too deep
    path = tmp_path / "deep.yaml"
    path.write_text("type: DeclarativeSource\nversion: 1\nstreams: " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError) as caught:
        read_manifest(path)
    assert str(caught.value) == "deep.yaml nests its YAML too deeply to read; flatten it"
