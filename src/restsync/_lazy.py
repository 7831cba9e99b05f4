"""Names a package imports on first use (PEP 562), so that importing it stays cheap: ``import
restsync`` must not import dlt, pyarrow or aiohttp (tests/cli/test_startup_imports.py)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from restsync._public import present_as_public

__all__ = ["lazy_names"]


def lazy_names(
    namespace: dict[str, Any], table: Mapping[str, str], *, present: bool = False
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__`` for ``table`` (public name -> the module
    that defines it); ``namespace`` is the package's ``globals()``. A name is imported once and
    then kept in ``namespace``, so later lookups skip ``__getattr__``. ``present``: the loaded
    name reports the package as its module (``_public.present_as_public``)."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(module), name)
        if present:
            present_as_public({"__name__": package, "__all__": [name], name: value})
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace.get("__all__", ())})

    return __getattr__, __dir__
