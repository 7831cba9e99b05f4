"""The layering rule (docs/architecture.md): the engine and the simulator act on the plan's own
values and never see a config-layer class, so no module under restsync/_engine or
restsync/simulator imports restsync._config. Read from the source's AST: a new import anywhere in
those packages (top level, inside a function, relative) fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import restsync

PACKAGE = Path(restsync.__file__).parent
FORBIDDEN = "restsync._config"


def _imported(tree: ast.AST, module: str) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in ``tree`` names, made absolute."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                parent = module.rsplit(".", node.level)[0]
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules(package: str) -> list[tuple[str, Path]]:
    folder = PACKAGE / package
    return [
        (f"restsync.{package}.{path.stem}".removesuffix(".__init__"), path)
        for path in sorted(folder.glob("*.py"))
    ]


@pytest.mark.parametrize("package", ["_engine", "simulator"])
def test_no_config_import(package: str) -> None:
    modules = _modules(package)
    assert modules, f"no modules found under restsync/{package}"
    offenders = [
        f"{name} imports {target}"
        for name, path in modules
        for target in sorted(_imported(ast.parse(path.read_text()), name))
        if target == FORBIDDEN or target.startswith(FORBIDDEN + ".")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "module", "caught"),
    [
        ("from restsync._config import RateLimit", "restsync._engine._x", True),
        ("import restsync._config._model as m", "restsync._engine._x", True),
        ("def f():\n    from restsync import _config", "restsync._engine._x", True),
        ("from .._config import parse_config", "restsync._engine._x", True),
        ("from restsync._plan import RateBudget", "restsync._engine._x", False),
        ("from restsync._config_files import load_config", "restsync._engine._x", False),
    ],
)
def test_the_check_sees_every_form_of_import(source: str, module: str, caught: bool) -> None:
    targets = _imported(ast.parse(source), module)
    hit = any(t == FORBIDDEN or t.startswith(FORBIDDEN + ".") for t in targets)
    assert hit is caught
