"""Checking a config does not import dlt, but dlt stays the source of truth for its hints.

``restsync._config._dlt_hint_types`` is generated from dlt's types; these tests fail when the
installed dlt says something else (regenerate with ``python scripts/gen_dlt_hint_types.py``), when
a hint the config layer decides without dlt would not pass dlt's own validator, and when the
shortcuts the config layer takes around dlt (the JSONPath compiler, the table-name shortcut, where
dlt's classes live) stop matching dlt.
"""

from __future__ import annotations

import importlib.util
import string
import sys
from pathlib import Path
from typing import Any

import dlt
import jsonpath_ng.ext.parser
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema import typing as dlt_schema_typing
from dlt.common.validation import validate_dict_ignoring_xkeys
from hypothesis import given
from hypothesis import strategies as st

from restsync._config import _dlt_loaded
from restsync._config._dlt_hint_types import TYPED_DICTS
from restsync._config._hints import RESERVED_TABLES, check_table_hints

SCRIPT = Path(__file__).parents[2] / "scripts" / "gen_dlt_hint_types.py"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_dlt_hint_types", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_types_are_what_the_installed_dlt_says() -> None:
    generator = _generator()
    assert generator.TARGET.read_text() == generator.render(), (
        "src/restsync/_config/_dlt_hint_types.py is stale: run python scripts/gen_dlt_hint_types.py"
    )


_SAMPLES: dict[object, list[Any]] = {"str": ["x"], "bool": [True, False], "int": [0, 7]}


def _plain_docs(spec_name: str) -> list[dict[str, Any]]:
    """Docs made of every value the config layer accepts without dlt, one field at a time,
    with the spec's required keys set to the first value their kind allows."""
    required, fields = TYPED_DICTS[spec_name]
    base = {key: _values(fields[key][0])[0] for key in required}
    docs = []
    for field, (kind, optional) in fields.items():
        values = _values(kind) + ([None] if optional else [])
        docs += [{**base, field: value} for value in values if kind != "dlt"]
    return docs


def _values(kind: object) -> list[Any]:
    return list(kind) if isinstance(kind, tuple) else _SAMPLES.get(kind, [])


@pytest.mark.parametrize("spec_name", sorted(TYPED_DICTS))
def test_what_the_config_layer_accepts_alone_dlt_accepts(spec_name: str) -> None:
    spec = getattr(dlt_schema_typing, spec_name)
    docs = _plain_docs(spec_name)
    assert docs
    for doc in docs:
        validate_dict_ignoring_xkeys(spec=spec, doc=doc, path="")  # raises if dlt refuses


def test_a_hint_only_dlt_can_judge_still_goes_to_dlt() -> None:
    from restsync._config._model import ResourceConfig
    from restsync._errors import ConfigError

    resource = ResourceConfig(name="users", endpoint="users", columns={"id": {"precision": "high"}})
    with pytest.raises(ConfigError, match="precision"):
        check_table_hints(resource, "resources[0]")


@given(
    st.sampled_from(string.ascii_letters),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.text(alphabet=" \t", max_size=2),
)
def test_a_name_starting_with_a_letter_makes_an_unreserved_table(
    first: str, rest: str, space: str
) -> None:
    # the config layer accepts such a name without asking dlt's naming convention
    table = NamingConvention().normalize_table_identifier(space + first + rest)
    assert table[:1] == first.lower()
    assert table not in RESERVED_TABLES


def test_dlt_compiles_cursor_paths_with_the_parser_the_config_layer_uses() -> None:
    from dlt.common import jsonpath

    assert jsonpath.compile_path("data.updated_at") == jsonpath_ng.ext.parser.parse(
        "data.updated_at"
    )
    assert jsonpath._parse is jsonpath_ng.ext.parser.parse


def test_dlt_classes_are_found_where_the_config_layer_looks() -> None:
    from dlt.extract import DltResource
    from dlt.sources.helpers.rest_client import auth, paginators

    expected = {
        _dlt_loaded.INCREMENTAL: dlt.sources.incremental,
        _dlt_loaded.AUTH_BASE: auth.AuthConfigBase,
        _dlt_loaded.PAGINATOR_BASE: paginators.BasePaginator,
        _dlt_loaded.RESOURCE: DltResource,
    }
    for where, cls in expected.items():
        assert _dlt_loaded.loaded_dlt_class(where) is cls
    # registering a paginator or auth type with dlt imports the module whose maps it fills
    from dlt.sources.rest_api import config_setup

    assert sys.modules[_dlt_loaded.REST_API_SETUP] is config_setup
    assert {"cursor", "offset"} <= set(config_setup.PAGINATOR_MAP)
