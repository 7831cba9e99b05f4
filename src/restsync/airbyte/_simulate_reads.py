"""The response field a cursor template reads, for the simulator to serve the cursor there.

A cursor copied from the body is written in many ways; all of them read one path of keys:

* steps ``.name``, ``['key']`` and ``.get('key')``, ``.get('key', <default>)``: the key may be
  any quoted text (Microsoft Graph's ``response.get("@odata.nextLink", {})``);
* a ``| default(<falsy literal>)`` filter after the path (mention's
  ``response._links.more.params.cursor | default(None)``);
* ``a or b`` (partnerize's ``response.get('hypermedia', {}).get('pagination',
  {}).get('next_page') or response.get('cursor_id')``): each alternative a path or a falsy
  literal. The simulator serves the first path: it is set on every page but the last, so both
  clients take it there; on the last it is left out (or null), so they fall through to the
  other alternatives, which the simulator never sets, and stop;
* a trailing guard ``... if <condition> else <falsy literal>``, which the clients evaluate.

A default or literal that is not falsy would be the cursor on the last page, so such a
template is not a plain read. Anything else (a call on the value, arithmetic, a filter other
than ``default``) is not read here: None.
"""

from __future__ import annotations

import re

from restsync._expressions import code_chars

__all__ = ["ReadTemplate", "read_paths", "served_field"]

# an 'or' between two operands
_OR = re.compile(r"\sor\s")
# a name step: .name, not a method call
_NAME = re.compile(r"\.([A-Za-z_]\w*)(?![\w(])")
# ['key'] / ["key"]: any text between the quotes
_ITEM = re.compile(r"\[\s*(['\"])(?P<key>[^'\"]*)\1\s*\]")
# .get('key') / .get('key', <falsy literal>)
_FALSY = r"(?:None|none|''|\"\"|\{\s*\}|\[\s*\]|0|False|false)"
_GET = re.compile(r"\.get\(\s*(['\"])(?P<key>[^'\"]*)\1\s*(?:,\s*" + _FALSY + r"\s*)?\)")
_DEFAULT = re.compile(r"\|\s*(?:default|d)\(\s*" + _FALSY + r"?\s*\)$")
_LITERAL = re.compile(r"^" + _FALSY + r"$")
_GUARD = re.compile(r"\s+if\s+[^{}]*?(?:\s+else\s+" + _FALSY + r")?$", re.DOTALL)
_SIMPLE = re.compile(r"^[A-Za-z_][\w-]*$")
_MAX_ALTERNATIVES = 8

# one alternative: the keys of a response path, or None for a falsy literal
ReadTemplate = list[tuple[str, ...] | None]


def read_paths(template: str) -> ReadTemplate | None:
    """The alternatives of a cursor template that only reads the response (see the module
    docstring), in order, or None when it computes something."""
    text = template.strip()
    if not (text.startswith("{{") and text.endswith("}}")):
        return None
    body = _GUARD.sub("", text[2:-2].strip()).strip()
    parts = _split_or(body)
    if parts is None or len(parts) > _MAX_ALTERNATIVES:
        return None
    alternatives: ReadTemplate = []
    for part in parts:
        part = _DEFAULT.sub("", part.strip()).strip()
        if _LITERAL.match(part):
            alternatives.append(None)
            continue
        keys = _path(part)
        if keys is None:
            return None
        alternatives.append(keys)
    if not any(keys is not None for keys in alternatives):
        return None
    return alternatives


def served_field(template: str) -> str | None:
    """The field path the simulator serves the cursor at: the first alternative's keys dotted
    (``a.b``), or one key with dots in it as ``[key]`` (the simulator's literal key); None when
    the template is not a plain read or its path has such a key below the top."""
    alternatives = read_paths(template)
    if alternatives is None:
        return None
    keys = next(keys for keys in alternatives if keys is not None)
    if all(_SIMPLE.match(key) for key in keys):
        return ".".join(keys)
    if len(keys) == 1 and keys[0] and "]" not in keys[0]:
        return f"[{keys[0]}]"
    return None


def _path(text: str) -> tuple[str, ...] | None:
    """The keys of ``response`` followed by steps, or None."""
    if not text.startswith("response"):
        return None
    rest, keys = text[len("response") :], []
    while rest:
        for step in (_GET, _ITEM, _NAME):
            found = step.match(rest)
            if found is not None:
                keys.append(found.group("key") if step is not _NAME else found.group(1))
                rest = rest[found.end() :].lstrip()
                break
        else:
            return None
    return tuple(keys) if keys else None


def _split_or(body: str) -> list[str] | None:
    """``body`` split at each ``or`` outside quotes and brackets; None when unbalanced."""
    parts: list[str] = []
    start, depth = 0, 0
    for index, _, depth in code_chars(body):
        if depth < 0:
            return None
        if depth == 0 and index >= start and _OR.match(body, index):
            parts.append(body[start:index])
            start = index + 3
    if depth:
        return None
    parts.append(body[start:])
    return parts
