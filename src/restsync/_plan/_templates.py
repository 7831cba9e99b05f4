"""Placeholders in an endpoint's path, params, JSON body and headers, checked as dlt checks them.

Templates use ``str.format`` syntax (``{{`` and ``}}`` are literal braces). In params, the body
and headers every placeholder names a context: ``{resources.<parent>.<field>}``, or
``{incremental.<name>}`` when the endpoint has an ``incremental`` block (or the seeds'
``incremental_sync``). In the path a bare ``{name}`` is bound from a param of that name: a plain
value is written into the path once, a ``resolve`` param stays a placeholder for the parent's
field; a bare name no param binds is left to the seeds' implied-parent rule.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from restsync._errors import ConfigError

__all__ = ["bind_path", "check_expressions", "expressions", "resource_expressions"]

_FORMAT = string.Formatter()


def expressions(value: Any, where: str) -> list[str]:
    """Every placeholder in the strings of ``value`` (keys included, as dlt reads them)."""
    names: list[str] = []
    for text in _strings(value):
        try:
            parsed = list(_FORMAT.parse(text))
        except ValueError:
            raise ConfigError(
                where,
                f"{text!r} has an unmatched brace; write {{{{ and }}}} for literal braces",
            ) from None
        names.extend(name for _, name, _, _ in parsed if name)
    return names


def check_expressions(value: Any, contexts: tuple[str, ...], where: str) -> None:
    for name in expressions(value, where):
        if not name.startswith(contexts):
            valid = " or ".join("{" + c + "...}" for c in contexts)
            raise ConfigError(
                where,
                f"placeholder '{{{name}}}' names nothing restsync can fill here; use {valid} "
                "(incremental needs the endpoint's incremental block), or write {{ and }} "
                "for literal braces",
            )


def resource_expressions(value: Any, where: str) -> list[str]:
    """The ``{resources.<parent>.<field>}`` placeholders, each checked for its three parts."""
    found = []
    for name in expressions(value, where):
        if not name.startswith("resources."):
            continue
        parts = name.split(".", 2)
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise ConfigError(
                where,
                f"placeholder '{{{name}}}' names no parent field; write it as "
                "{resources.<parent>.<field>}, e.g. {resources.users.id}",
            )
        found.append(name)
    return found


def bind_path(
    path: str,
    params: dict[str, Any],
    resolved: Mapping[str, Any],
    contexts: tuple[str, ...],
    where: str,
) -> tuple[str, list[str]]:
    """The path with plain params bound into it (removed from ``params``), and the bare
    placeholders no param binds."""
    try:
        parsed = list(_FORMAT.parse(path))
    except ValueError:
        raise ConfigError(
            f"{where}.path", f"path {path!r} has an unmatched brace; write {{{{ or }}}} for one"
        ) from None
    out: list[str] = []
    bare: list[str] = []
    unbound = set(resolved)
    for literal, name, _, _ in parsed:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if not name:
            continue
        if name.startswith(contexts) or name in resolved:
            unbound.discard(name)
            out.append("{" + name + "}")
        elif name in params:
            out.append(str(params.pop(name)).replace("{", "{{").replace("}", "}}"))
        elif "." in name:
            raise ConfigError(
                f"{where}.path",
                f"placeholder '{{{name}}}' names no context; use {{resources.<parent>.<field>}}"
                + (" or {incremental.<value>}" if "incremental." in contexts else "")
                + ", or a param of that name",
            )
        else:
            bare.append(name)
            out.append("{" + name + "}")
    if unbound:  # dlt refuses this too: say how to write it
        key = sorted(unbound)[0]
        spec = resolved[key]
        raise ConfigError(
            f"{where}.params.{key}",
            f"resolve param '{key}' is not used in the path {path!r}; put {{{key}}} in the path, "
            f"or send the parent field as a query parameter with "
            f"'{key}': '{{resources.{spec.resource}.{spec.field}}}'",
        )
    return "".join(out), bare


def _strings(value: Any) -> list[str]:
    out: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                walk(key)
                walk(inner)
        elif isinstance(item, list | tuple):
            for inner in item:
                walk(inner)

    walk(value)
    return out
