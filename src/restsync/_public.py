"""Public names report where users import them from, not the private module that defines them."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["present_as_public"]


def present_as_public(namespace: Mapping[str, Any]) -> None:
    """Set ``__module__`` of every class and function in a package's ``__all__`` to the package.

    Tracebacks, reprs and ``help()`` then say ``restsync.HTTPStatusError`` rather than
    ``restsync._errors.HTTPStatusError``: the path a user can import, which stays the same when
    the private modules behind it move.
    """
    package = namespace["__name__"]
    for name in namespace["__all__"]:
        value = namespace[name]
        if inspect.isclass(value) or inspect.isfunction(value):
            value.__module__ = package
