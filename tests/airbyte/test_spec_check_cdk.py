"""The spec check gives airbyte-cdk's verdict: the same configs through the CDK's own check
(scripts/airbyte_spec_check.py in .venv-airbyte, airbyte-cdk 7.39.1) and through restsync's
``plan_manifest`` are accepted or refused alike, for examples and for configs hypothesis draws
from five corpus specs; restsync answers each with a plan or one ``ConfigError``, never another
exception, and never shows a secret's value."""

from __future__ import annotations

import json
import select
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from restsync import ConfigError
from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import REFERENCE_PYTHON
from tests.airbyte.spec_samples import GONG, HELLOBATON, JOTFORM, QONTO, STATUSPAGE
from tests.airbyte.test_spec_check import ACCEPTED, BROKEN, REFUSED, spec_manifest

ROOT = Path(__file__).resolve().parents[2]
SPECS = {
    "jotform": JOTFORM,
    "qonto": QONTO,
    "gong": GONG,
    "statuspage": STATUSPAGE,
    "hellobaton": HELLOBATON,
}
_ANSWER_WITHIN = 120.0  # seconds for the CDK to judge one config (it builds the source)


class Cdk:
    """airbyte-cdk judging configs for one manifest, one JSON line in and one out."""

    def __init__(self, manifest: Path) -> None:
        self.process = subprocess.Popen(
            [str(REFERENCE_PYTHON), str(ROOT / "scripts" / "airbyte_spec_check.py"), str(manifest)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )

    def accepts(self, config: dict[str, Any]) -> bool:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(config) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], _ANSWER_WITHIN)
        assert ready, f"airbyte-cdk gave no verdict within {_ANSWER_WITHIN:.0f} s"
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return bool(answer["accepted"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def cdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Cdk]]:
    folder = tmp_path_factory.mktemp("specs")
    judges: dict[str, Cdk] = {}
    try:
        for name, spec in SPECS.items():
            path = folder / f"{name}.yaml"
            path.write_text(yaml.safe_dump(spec_manifest(spec), sort_keys=False))
            judges[name] = Cdk(path)
        yield judges
    finally:
        for judge in judges.values():
            judge.close()


def restsync_accepts(spec: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether restsync plans the manifest with this config; a refusal must be one
    ConfigError (any other exception fails the test) that shows no secret value."""
    try:
        plan_manifest(spec_manifest(spec), config)
    except ConfigError as exc:
        for secret in _secret_values(spec["connection_specification"], config):
            assert secret not in str(exc), (config, str(exc))
        return False
    return True


def _name_of(spec: dict[str, Any]) -> str:
    return next(name for name, s in SPECS.items() if s is spec)


@pytest.mark.parametrize(
    ("spec", "config"),
    [(spec, config) for spec, config, _ in REFUSED] + ACCEPTED,
)
def test_the_examples_get_the_cdks_verdict(
    spec: dict[str, Any], config: dict[str, Any], cdk: dict[str, Cdk]
) -> None:
    assert restsync_accepts(spec, config) == cdk[_name_of(spec)].accepts(config)


@pytest.mark.parametrize(("spec", "config"), [(spec, config) for spec, config, _ in BROKEN])
def test_a_broken_spec_is_refused_by_both(
    spec: dict[str, Any], config: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(spec_manifest(spec), sort_keys=False))
    judge = Cdk(path)
    try:
        assert judge.accepts(config) is False
    finally:
        judge.close()
    assert restsync_accepts(spec, config) is False


# -- generated configs ---------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
)


def values_for(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value a user might give for a field: mostly one of its spec's kind (a listed value, a
    text its pattern takes, its nested fields), one time in six any scalar at all."""
    if not isinstance(schema, dict):
        return _SCALARS
    return st.integers(0, 5).flatmap(lambda n: _SCALARS if n == 0 else _fitting(schema, depth))


def _fitting(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = []
    if schema.get("enum"):
        options.append(st.sampled_from(schema["enum"]))
    if "const" in schema:
        options.append(st.just(schema["const"]))
    if schema.get("examples"):
        options.append(st.sampled_from(schema["examples"]))
    if isinstance(schema.get("pattern"), str):
        options.append(st.from_regex(schema["pattern"], fullmatch=True).map(lambda t: t[:40]))
    if depth < 3 and (schema.get("properties") or schema.get("oneOf")):
        options.append(objects_for(schema, depth + 1))
    if depth < 3 and schema.get("type") == "array":
        options.append(st.lists(values_for(schema.get("items"), depth + 1), max_size=3))
    if not options:
        options.append(_OF_TYPE.get(str(schema.get("type")), _SCALARS))
    return st.one_of(options)


_OF_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=12),
    "integer": st.integers(-10, 10_000),
    "number": st.floats(allow_nan=False, allow_infinity=False, width=32),
    "boolean": st.booleans(),
}


def objects_for(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """An object for one of the schema's options: its required fields given (one of them
    left out one time in eight), its other fields given or not, and sometimes a key the spec
    does not name or one of airbyte-cdk's test keys."""
    branches = [b for b in schema.get("oneOf") or schema.get("anyOf") or [] if isinstance(b, dict)]
    return st.sampled_from(branches or [{}]).flatmap(lambda b: _object(schema, b, depth))


def _object(schema: dict[str, Any], branch: dict[str, Any], depth: int) -> Any:
    fields: dict[str, Any] = {
        **(schema.get("properties") or {}),
        **(branch.get("properties") or {}),
    }
    required = [*(schema.get("required") or []), *(branch.get("required") or [])]
    given = {key: values_for(fields.get(key), depth) for key in dict.fromkeys(required)}
    optional = {key: values_for(f, depth) for key, f in fields.items() if key not in given}
    extra = st.dictionaries(
        st.sampled_from(["_limit", "_page_size", "extra"]), _SCALARS | st.just("7"), max_size=1
    )
    return st.builds(
        _mixed, st.fixed_dictionaries(given, optional=optional), extra, st.integers(0, 7)
    )


def _mixed(config: dict[str, Any], extra: dict[str, Any], drop: int) -> dict[str, Any]:
    mixed = {**extra, **config}
    if drop == 0 and config:
        del mixed[next(iter(config))]
    return mixed


def _secret_values(schema: Any, config: Any) -> list[str]:
    """The texts (6 characters or more) the config gives for fields the spec marks secret."""
    found: list[str] = []
    if not isinstance(schema, dict) or not isinstance(config, dict):
        return found
    fields: dict[str, Any] = dict(schema.get("properties") or {})
    for branch in schema.get("oneOf") or []:
        fields.update(branch.get("properties") or {})
    for key, value in config.items():
        field = fields.get(key)
        if isinstance(field, dict) and field.get("airbyte_secret") and isinstance(value, str):
            found += [value] if len(value) >= 6 else []
        elif isinstance(field, dict):
            found += _secret_values(field, value)
    return found


@pytest.mark.parametrize("name", list(SPECS))
def test_generated_configs_get_the_cdks_verdict(name: str, cdk: dict[str, Cdk]) -> None:
    spec = SPECS[name]

    @settings(
        max_examples=40,
        derandomize=True,  # make test: the same configs every run
        database=None,
        deadline=None,  # the CDK builds a source per config: tenths of a second, more under load
        phases=[Phase.explicit, Phase.generate],  # a failure is reported as drawn
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(config=objects_for(spec["connection_specification"]))
    def same_verdict(config: dict[str, Any]) -> None:
        ours = restsync_accepts(spec, config)
        assert ours == cdk[name].accepts(config), (config, "restsync accepts" if ours else "")

    same_verdict()
