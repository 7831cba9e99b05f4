"""The public surface, pinned: every public name of the three public packages, as exact sets.

Adding or removing a name fails here until this list and docs/python.md are updated with it, so
a change to what users can import is always a deliberate one.
"""

from __future__ import annotations

import inspect
import pkgutil
import traceback
from pathlib import Path
from types import ModuleType

import pytest

import restsync
from restsync import connectors, simulator

PUBLIC = {
    restsync: {
        "ConfigError",
        "ExtractionError",
        "HTTPStatusError",
        "PaginationLoopError",
        "PrimaryKeyError",
        "ResourcesFailed",
        "ResponseFormatError",
        "RestSyncError",
        "SyncFailed",
        "airbyte_source",
        "overrides",
        "plan_config",
        "rest_api_source",
        "runtime_of",
        "sync",
    },
    connectors: {
        "ConfigRef",
        "ConnectorSpec",
        "SecretRef",
        "connector_config",
        "connector_fields",
        "connector_source",
        "load_spec",
        "load_yaml_config",
        "names",
        "resolve_refs",
    },
    simulator: {
        "Simulator",
        "SimulatorError",
        "SimulatorOptions",
        "parse_faults",
        "serve_in_thread",
    },
}
# the packages below ``restsync`` without a leading underscore (the layers are _config, _plan,
# _engine and _load; cli and airbyte are internals by docs/python.md, named for the command line
# and the Airbyte docs)
PUBLIC_PACKAGES = {
    restsync: {"airbyte", "cli", "connectors", "simulator"},
    connectors: set(),
    simulator: set(),
}
MODULES = pytest.mark.parametrize("module", list(PUBLIC), ids=lambda m: m.__name__)


def _public_names(module: ModuleType) -> set[str]:
    """Names a user can reach as ``module.name``, submodules apart (they appear on import).

    ``dir`` rather than ``vars``: restsync loads its dlt-backed entry points on first use, so
    they are in its ``__dir__`` before they are in its namespace.
    """
    return {
        name
        for name in dir(module)
        if not name.startswith("_") and not isinstance(getattr(module, name), ModuleType)
    }


@MODULES
def test_the_public_names_are_exactly_the_pinned_ones(module: ModuleType) -> None:
    assert _public_names(module) == PUBLIC[module]
    assert set(module.__all__) - {"__version__"} == PUBLIC[module]


@MODULES
def test_the_public_packages_are_exactly_the_pinned_ones(module: ModuleType) -> None:
    found = {m.name for m in pkgutil.iter_modules(module.__path__) if not m.name.startswith("_")}
    assert found == PUBLIC_PACKAGES[module]


@MODULES
def test_public_classes_and_functions_name_their_public_home(module: ModuleType) -> None:
    for name in PUBLIC[module]:
        value = getattr(module, name)
        assert inspect.isclass(value) or inspect.isfunction(value), name
        assert value.__module__ == module.__name__, name


def test_a_traceback_names_the_public_path() -> None:
    error = restsync.HTTPStatusError("items", "https://api.example.com/items", 500, "failed")
    (last_line,) = traceback.format_exception_only(error)
    assert last_line.startswith("restsync.HTTPStatusError: ")


@MODULES
def test_every_public_name_is_documented(module: ModuleType) -> None:
    page = (Path(__file__).parents[1] / "docs" / "python.md").read_text()
    assert f"`{module.__name__}`" in page
    missing = sorted(name for name in PUBLIC[module] if f"`{name}" not in page)
    assert not missing, f"docs/python.md does not mention {missing}"


def test_rest_api_source_returns_a_dlt_source() -> None:
    from dlt.extract.source import DltSource

    source = restsync.rest_api_source(
        {"client": {"base_url": "https://api.example.com"}, "resources": ["users", "orders"]}
    )
    assert isinstance(source, DltSource)
    assert set(source.resources) == {"users", "orders", "_restsync_rejects"}
