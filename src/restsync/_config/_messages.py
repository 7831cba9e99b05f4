"""Config error messages: pydantic's validation errors turned into one ``ConfigError`` each.

Every message names its config path (``resources[3].endpoint.paginator.stop_condition``) and, for
unknown keys or values, the valid ones. Each is one sentence: what is wrong; what to do. A value
under a credential key is named by its kind only (``auth is a string``), never shown.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from restsync._config._model import AuthConfig, IncrementalParam, PaginatorConfig, ResolveParam
from restsync._errors import ConfigError

__all__ = [
    "did_you_mean",
    "format_path",
    "from_validation_error",
    "redact_userinfo",
    "short_repr",
]


def format_path(loc: tuple[Any, ...]) -> str:
    """``("resources", 0, "endpoint", "path")`` -> ``resources[0].endpoint.path``; a key that is
    no plain name shows quoted: ``client.headers['X Token']``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{short_repr(part)}]"
    return out


_PLAIN_KEY = re.compile(r"[A-Za-z_][\w\-]*")

# Values under these keys are credentials: an error names the key and the kind, never the value.
_SECRET_KEYS = frozenset(
    {"token", "api_key", "password", "client_secret", "client_id", "access_token", "username"}
)
# under auth, the keys that only say how to send a credential
_PLAIN_AUTH_KEYS = frozenset(
    {"type", "location", "name", "access_token_url", "default_token_expiration"}
)


def _is_secret(loc: tuple[Any, ...]) -> bool:
    keys = [part for part in loc if isinstance(part, str)]
    if not keys:
        return False
    if keys[-1] in _SECRET_KEYS or "headers" in keys or "access_token_request_data" in keys:
        return True
    if "auth" in keys:
        return keys[-1] == "auth" or keys[-1] not in _PLAIN_AUTH_KEYS
    return False


def redact_userinfo(value: Any) -> Any:
    """``https://user:pass@host`` -> ``https://***@host``: a URL can carry a credential."""
    return _USERINFO.sub("//***@", value) if isinstance(value, str) else value


_USERINFO = re.compile(r"//[^/?#\s]*@")


def _kind_of(value: Any) -> str:
    """What a secret value is, without showing it: "a string", "a number", "a list"."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping | list | tuple):
        return short_repr(value)
    return f"a {type(value).__name__}"


def from_validation_error(
    exc: ValidationError, model: type[BaseModel], prefix: tuple[Any, ...]
) -> ConfigError:
    """One message for the first problem; a value several union members rejected is one problem."""
    errors = exc.errors()
    first_loc, _ = _clean_loc(model, tuple(errors[0]["loc"]))
    group = [e for e in errors if _clean_loc(model, tuple(e["loc"]))[0] == first_loc]
    return _translate_group(group, model, prefix)


def _translate_group(
    errors: list[Any], model: type[BaseModel], prefix: tuple[Any, ...]
) -> ConfigError:
    error = errors[0]
    loc, owner = _clean_loc(model, tuple(error["loc"]))
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    path = format_path(prefix + loc)
    name = _name(prefix + loc)
    shown = _kind_of(value) if _is_secret(prefix + loc) else short_repr(redact_userinfo(value))
    if kind == "extra_forbidden":
        valid = _field_names(owner) if owner else []
        return ConfigError(
            path,
            f"unknown key '{loc[-1]}'{did_you_mean(str(loc[-1]), valid)}; "
            f"valid keys here are: {', '.join(valid)}",
        )
    if kind == "union_tag_invalid":
        return _unknown_type(prefix + loc, value, str(ctx.get("expected_tags", "")))
    if kind == "union_tag_not_found":
        what = _what(loc)
        return ConfigError(
            path, f"the {what} has no 'type'; add one of: {', '.join(_TAGS.get(what, ()))}"
        )
    if kind == "missing":
        subject = _subject(owner, prefix + loc[:-1])
        hint = _MISSING_HINTS.get(str(loc[-1]))
        fix = f"add {hint}" if hint else "add it"
        return ConfigError(path, f"{subject} is missing '{loc[-1]}'; {fix}")
    literal = next((e for e in errors if e["type"] == "literal_error"), None)
    if literal is not None:
        choices = _quoted(str((literal.get("ctx") or {}).get("expected", "")))
        return ConfigError(
            path, f"{name} {shown} is not supported; use one of: {', '.join(choices)}"
        )
    if kind == "value_error":  # our validators' reasons read after the value (config/_values)
        reason = str(ctx.get("error") or error.get("msg", "is not valid"))
        subject = f"{name} ({shown})" if shown.startswith("a ") else f"{name} {shown}"
        return ConfigError(path, f"{subject} {reason}")
    wanted = []
    for e in errors:
        phrase = _wanted(e)
        if phrase not in wanted:
            wanted.append(phrase)
    return ConfigError(path, f"{name} is {shown}; set it to {' or '.join(wanted)}")


def _unknown_type(loc: tuple[Any, ...], value: Any, tags: str) -> ConfigError:
    """A block whose ``type`` names no kind there is (``tags``: pydantic's list of them)."""
    what = _what(loc)
    # "dlt_object" wraps a Python object: never something to suggest writing
    expected = [tag for tag in _quoted(tags) if tag != "dlt_object"]
    tag = value.get("type") if isinstance(value, Mapping) else None
    path = format_path(loc + ("type",))
    if not isinstance(tag, str):  # e.g. a whole auth block wrapped in "type": say only what
        return ConfigError(
            path, f"the {what} type is {_kind_of(tag)}; use one of: {', '.join(expected)}"
        )
    return ConfigError(
        path,
        f"unknown {what} type {short_repr(tag)}{did_you_mean(tag, expected)}; "
        f"use one of: {', '.join(expected)}",
    )


# what a value of each failed check should be, as the end of "set it to ..."
_WANTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "a dict",
    "model_type": "a dict",
    "model_attributes_type": "a dict",
    "list_type": "a list",
    "tuple_type": "a list",
    "datetime_type": "a datetime",
    "datetime_parsing": "a datetime",
}

# what to add when a required key is missing, as the end of "add ..."
_MISSING_HINTS = {
    "base_url": "the API's root URL, e.g. 'base_url': 'https://api.example.com'",
    "limit": "the page size, e.g. 'limit': 100",
    "api_key": "the key, e.g. 'api_key': dlt.secrets['api_key']",
    "token": "the token, e.g. 'token': dlt.secrets['api_token']",
    "username": "the user name",
    "start_datetime": "the first datetime to load, e.g. 'start_datetime': '2024-01-01T00:00:00Z'",
    "cursor_field": "the record field that holds the datetime, e.g. 'cursor_field': 'updated_at'",
    "cursor_path": "the record field that holds the cursor, e.g. 'cursor_path': 'updated_at'",
    "resource": "the name of the parent resource",
    "field": "the parent record's field to use, e.g. 'field': 'id'",
    "field_name": "the name of the request parameter, e.g. 'field_name': 'since'",
    "requests_per_second": "the request budget, e.g. 'requests_per_second': 10",
}


def _wanted(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "greater_than":
        return f"a number greater than {ctx.get('gt'):g}"
    if kind == "greater_than_equal":
        return f"{ctx.get('ge'):g} or more"
    if kind == "less_than":
        return f"a number less than {ctx.get('lt'):g}"
    if kind == "less_than_equal":
        return f"{ctx.get('le'):g} or less"
    if kind in _WANTED:
        return _WANTED[kind]
    # anything else pydantic can report: drop its "Input should be" framing
    message = str(error.get("msg", "")).rstrip(".")
    message = re.sub(r"^(Input should be|Value error,)\s*", "", message)
    return message[:1].lower() + message[1:] if message else "a valid value"


def _subject(owner: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    """What the missing key belongs to: "the offset paginator", "client", "incremental_sync"."""
    tag = _tag(owner)
    if tag:
        kind = "param" if owner in (ResolveParam, IncrementalParam) else _what(loc)
        return f"the {tag} {kind}"
    parts = [part for part in loc if isinstance(part, str)]
    return parts[-1] if parts else "the config"


def _name(loc: tuple[Any, ...]) -> str:
    """The key a value sits under, with its list indices: ``retry_on_status_codes[0]``."""
    tail: list[Any] = []
    for part in reversed(loc):
        tail.insert(0, part)
        if isinstance(part, str):
            break
    return format_path(tuple(tail)) or "the config"


def did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _quoted(text: str) -> list[str]:
    # pydantic lists choices as "'a', 'b' or 'c'"
    return re.findall(r"'([^']*)'", text)


def short_repr(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a dict"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__}"


def _what(loc: tuple[Any, ...]) -> str:
    for part in reversed(loc):
        if part in ("paginator", "auth"):
            return str(part)
    return str(loc[-1]) if loc else "value"


def _field_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        names.append(field.alias or name)
    return sorted(names)


def _clean_loc(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[tuple[Any, ...], type[BaseModel] | None]:
    """Drop pydantic's union-tag entries from ``loc`` and find the model that owns the last key."""
    cleaned: list[Any] = []
    current: Any = model
    owner: type[BaseModel] | None = model
    i = 0
    while i < len(loc):
        part = loc[i]
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            field = _field(current, part)
            cleaned.append(part)
            current = field.annotation if field is not None else None
            i += 1
            continue
        if _is_model_union(current):
            members = {_tag(m): m for m in typing.get_args(current) if _tag(m)}
            if part in members:
                current = members[part]
                i += 1
                continue
        origin = typing.get_origin(current)
        if origin in (typing.Union, types.UnionType) and isinstance(part, str):
            # pydantic names the union member it tried ("literal[...]", "str"): not a config key
            current = None
            i += 1
            continue
        if origin in (list, tuple, dict) and typing.get_args(current):
            args = typing.get_args(current)
            current = args[-1] if origin is dict else args[0]
        else:
            current = None
        cleaned.append(part)
        i += 1
    return tuple(cleaned), owner


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
            # a union of models stays a union; a union with plain types resolves to its model
            models = [a for a in args if _is_model(a) or _is_model_union(a)]
            if len(models) == 1 and len(args) > 1:
                annotation = models[0]
                continue
        return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_model_union(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return False
    return all(_is_model(a) for a in typing.get_args(annotation) if a is not type(None))


def _tag(model: Any) -> str | None:
    if not _is_model(model) or "type" not in model.model_fields:
        return None
    args = typing.get_args(model.model_fields["type"].annotation)
    return args[0] if args else None


def _union_tags(union: Any) -> list[str]:
    # "dlt_object" wraps a Python object: never something to suggest writing
    members = typing.get_args(_unwrap(union))
    return [tag for tag in (_tag(m) for m in members) if tag and tag != "dlt_object"]


_TAGS = {"paginator": _union_tags(PaginatorConfig), "auth": _union_tags(AuthConfig)}


def _field(model: type[BaseModel], key: Any) -> Any:
    if key in model.model_fields:
        return model.model_fields[key]
    for field in model.model_fields.values():
        if field.alias == key:
            return field
    return None
