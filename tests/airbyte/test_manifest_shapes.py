"""Any manifest shape is a clean answer: ``check`` and ``plan`` either translate a manifest or
fail with one ``ConfigError`` naming the place, never another exception.

The property mutates one or two values of a small valid manifest (``manifests/shapes.yaml``)
into a wrong shape: a list where a mapping belongs, a mapping for a text, a number for a
template, a component without its ``type`` or with an unknown key, a key removed. ``make test``
runs a fixed 300 examples (about 5 s); ``FUZZ_EXAMPLES=5000`` runs more, randomly.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restsync import ConfigError
from restsync.airbyte import plan_manifest, stream_problems

MANIFEST = Path(__file__).parent / "manifests" / "shapes.yaml"
BASE: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
CONFIG = {
    "base_url": "http://127.0.0.1:9",
    "token": "t0ken-not-for-messages",
    "user": "u",
    "start_date": "2024-01-01T00:00:00Z",
    "region": "eu",
}

_EXAMPLES = os.environ.get("FUZZ_EXAMPLES")
_SETTINGS = settings(
    max_examples=int(_EXAMPLES or 300),
    derandomize=_EXAMPLES is None,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)

WRONG_VALUES: list[Any] = [
    [],
    [1],
    ["a", {"b": 1}],
    {},
    {"a": 1},
    {"type": "InlineSchemaLoader"},
    7,
    -1,
    1.5,
    None,
    True,
    "",
    "x",
    "{{",
    "{{ config['nope'].deeper }}",
    "{{ 1 / 0 }}",
    "#/definitions/nowhere",
]
EDITS = ["replace", "drop_type", "unknown_type", "unknown_key", "delete"]


def _places(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value below the root (keys of mappings, indexes of lists)."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        yield (*at, key)
        if isinstance(item, (dict, list)):
            yield from _places(item, (*at, key))


PLACES = list(_places(BASE))


def _edit(document: dict[str, Any], place: tuple[Any, ...], edit: str, wrong: Any) -> None:
    holder: Any = document
    for key in place[:-1]:
        try:
            holder = holder[key]
        except (KeyError, IndexError, TypeError):
            return  # an earlier edit removed or replaced the way there
    last = place[-1]
    if isinstance(holder, dict):
        if last not in holder:
            return
    elif not isinstance(holder, list) or not isinstance(last, int) or last >= len(holder):
        return  # an earlier edit changed what is there
    target = holder[last]
    if edit == "delete":
        del holder[last]
    elif edit == "drop_type" and isinstance(target, dict):
        target.pop("type", None)
    elif edit == "unknown_type" and isinstance(target, dict):
        target["type"] = "NoSuchComponent"
    elif edit == "unknown_key" and isinstance(target, dict):
        target["no_such_option"] = copy.deepcopy(wrong)
    else:
        holder[last] = copy.deepcopy(wrong)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 2))):
        _edit(
            document,
            draw(st.sampled_from(PLACES)),
            draw(st.sampled_from(EDITS)),
            draw(st.sampled_from(WRONG_VALUES)),
        )
    return document


def _assert_clean(error: ConfigError) -> None:
    text = str(error)
    assert error.path, f"no place named in: {text}"
    assert "\n" not in text, f"more than one line: {text!r}"
    assert CONFIG["token"] not in text, f"the secret is in: {text}"


def test_the_manifest_plans_as_it_is() -> None:
    assert stream_problems(BASE, CONFIG) == {}
    plan = plan_manifest(BASE, CONFIG)
    assert {"people", "pets", "places"} <= set(plan.resources)


def test_a_list_of_schema_loaders_is_one_schema_the_first_loader_winning() -> None:
    # airbyte-cdk's CompositeSchemaLoader: every loader's properties, an earlier one's first
    columns = plan_manifest(BASE, CONFIG).resources["pets"].hints["columns"]
    assert columns["id"]["data_type"] == "bigint"
    assert columns["name"]["data_type"] == "text"


@_SETTINGS
@given(mutated())
def test_a_mutated_manifest_checks_and_plans_or_names_the_place(document: dict[str, Any]) -> None:
    try:
        problems = stream_problems(document, CONFIG)
    except ConfigError as error:
        _assert_clean(error)
        problems = {}
    for problem in problems.values():
        _assert_clean(problem)
    try:
        plan_manifest(document, CONFIG)
    except ConfigError as error:
        _assert_clean(error)


# escapes the property found before the shapes were checked (each was an AttributeError,
# TypeError or ValueError from deep in a builder), now named at their place
FOUND = [
    (("definitions", "people", "schema_loader"), [[1]], "streams[0].schema_loader"),
    (
        ("definitions", "people", "retriever", "record_selector"),
        [1],
        "streams[0].retriever.record_selector",
    ),
    (
        ("definitions", "requester", "authenticator", "inject_into"),
        "x",
        "streams[0].retriever.requester.authenticator.inject_into",
    ),
    (
        ("definitions", "requester", "error_handler", "response_filters", 0, "http_codes", 0),
        "x",
        "streams[0].retriever.requester.error_handler.response_filters[0].http_codes[0]",
    ),
    (
        ("definitions", "people", "transformations", 1, "field_pointers", 0),
        None,
        "streams[0].transformations[1].field_pointers[0]",
    ),
    (("definitions", "people", "primary_key"), 7, "streams[0].primary_key"),
    (("definitions", "people", "$parameters"), "x", "definitions.people.$parameters"),
    (("streams",), 7, "streams"),
    (
        ("streams", 2, "retriever", "partition_router", "values"),
        7,
        "streams[2].retriever.partition_router.values",
    ),
    (
        ("definitions", "people", "schema_loader"),
        [{"type": "DynamicSchemaLoader"}],  # run since session 14: named where it lacks a part
        "streams[0].schema_loader[0].schema_type_identifier",
    ),
]


@pytest.mark.parametrize(("place", "wrong", "named"), FOUND)
def test_a_wrong_shape_is_named_at_its_place(
    place: tuple[Any, ...], wrong: Any, named: str
) -> None:
    document = copy.deepcopy(BASE)
    _edit(document, place, "replace", wrong)
    with pytest.raises(ConfigError) as raised:
        plan_manifest(document, CONFIG)
    _assert_clean(raised.value)
    assert raised.value.path == named
