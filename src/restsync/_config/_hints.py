"""dlt's table hints on a resource, checked the way dlt reads them.

dlt takes ``columns``, a ``write_disposition`` dict, ``schema_contract``, ``references`` and
``nested_hints`` largely on trust: a wrong shape surfaces as a ``TypeError`` or ``KeyError`` inside
``rest_api_source``, or only when the extract computes the table schema. Here each hint is held
against dlt's own types (``TColumnSchema``, the write disposition dicts, ...) with dlt's own
validator, so the facts stay dlt's; this module owns the messages and the config paths.

dlt is not imported for the common case (importing it costs about a second of ``restsync check``):
the keys and literal values of dlt's types come from ``_dlt_hint_types`` (generated from dlt, and
a test fails when the installed dlt says otherwise), a hint made only of plain strings, bools and
ints of the right kinds is decided from that, and anything else goes to dlt's validator.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

from restsync._config._dlt_hint_types import (
    FILE_FORMATS,
    MERGE_STRATEGIES,
    NESTED_HINT_KEYS,
    SCHEMA_EVOLUTION_MODES,
    TABLE_FORMATS,
    TYPED_DICTS,
    WRITE_DISPOSITIONS,
)
from restsync._config._messages import short_repr as _shape
from restsync._errors import ConfigError

__all__ = ["RESERVED_TABLES", "check_table_hints"]

# dlt's own bookkeeping tables, and restsync's table of rejected records
RESERVED_TABLES = ("_dlt_loads", "_dlt_version", "_dlt_pipeline_state", "_restsync_rejects")

# the TypedDict (in dlt.common.schema.typing) a merge write disposition's dict is checked against
_MERGE_SPECS: dict[Any, str] = {
    None: "TMergeDispositionDict",
    "delete-insert": "TDeleteInsertStrategyDict",
    "scd2": "TScd2StrategyDict",
    "upsert": "TUpsertStrategyDict",
    "cdc": "TCdcStrategyDict",
    "insert-only": "TMergeDispositionDict",
}


def check_table_hints(resource: Any, where: str) -> None:
    """Raise ``ConfigError`` for the first table hint of ``resource`` that dlt would refuse."""
    for key in ("table_name", "name"):
        name = getattr(resource, key, None)
        if isinstance(name, str) and name:
            _check_table_name(name, f"{where}.{key}")
            break
    _check_hints(
        {key: getattr(resource, key, None) for key in _HINT_CHECKS},
        where,
    )
    if resource.nested_hints is not None:
        _check_nested_hints(resource.nested_hints, f"{where}.nested_hints")


def _check_table_name(name: str, where: str) -> None:
    if name.strip()[:1].isascii() and name.strip()[:1].isalpha():
        # dlt's snake_case keeps a leading ASCII letter first (lower-cased): the table name is
        # neither blank nor one of the reserved names, which start with "_" (pinned by
        # tests/unit/test_dlt_hint_types.py); no need to import dlt for it
        return
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    try:
        table = NamingConvention().normalize_table_identifier(name)
    except ValueError:  # nothing left of the name once normalized (blank)
        table = ""
    if not table.strip("_"):
        raise ConfigError(
            where, f"{_shape(name)} makes no table name; use letters or digits, e.g. 'users'"
        )
    if table in RESERVED_TABLES:
        owner = "restsync's table of rejected records" if "restsync" in table else "dlt"
        raise ConfigError(
            where,
            f"the resource loads into table '{table}', which is reserved for {owner}; "
            "give the resource another name or table_name",
        )


def _check_hints(hints: Mapping[str, Any], where: str) -> None:
    for key, check in _HINT_CHECKS.items():
        value = hints.get(key)
        if value is not None:
            check(value, f"{where}.{key}")


# --- columns ----------------------------------------------------------------------------------


def _check_columns(columns: Any, where: str) -> None:
    if isinstance(columns, Mapping):
        for name, column in columns.items():
            path = _key_path(where, name)
            if not isinstance(column, Mapping):
                raise ConfigError(
                    path,
                    f"column '{name}' is {_shape(column)}; give its hints as a dict, "
                    "e.g. {'data_type': 'text', 'nullable': false}",
                )
            _check_typed("TColumnSchema", column, path, "column hints")
    elif isinstance(columns, Sequence) and not isinstance(columns, str):
        for index, column in enumerate(columns):
            path = f"{where}[{index}]"
            if not isinstance(column, Mapping) or not isinstance(column.get("name"), str):
                raise ConfigError(
                    path,
                    "a column in the list form needs a dict with a 'name', "
                    "e.g. {'name': 'id', 'data_type': 'bigint'}",
                )
            _check_typed("TColumnSchema", column, path, "column hints")
    else:
        raise ConfigError(
            where,
            f"columns is {_shape(columns)}; give a dict of column name to hints, "
            "e.g. {'id': {'data_type': 'bigint'}}",
        )


# --- write disposition ------------------------------------------------------------------------

_DISPOSITIONS = WRITE_DISPOSITIONS


def _check_write_disposition(value: Any, where: str) -> None:
    if isinstance(value, str):
        if value not in _DISPOSITIONS:
            raise ConfigError(where, _not_supported("write_disposition", value, _DISPOSITIONS))
        return
    if not isinstance(value, Mapping):
        raise ConfigError(
            where,
            f"write_disposition is {_shape(value)}; set it to one of: "
            f"{', '.join(_DISPOSITIONS)}, or a dict such as "
            "{'disposition': 'merge', 'strategy': 'upsert'}",
        )
    disposition = value.get("disposition")
    if disposition not in _DISPOSITIONS:
        if "disposition" not in value:
            raise ConfigError(
                where,
                "write_disposition is missing 'disposition'; add one of: "
                f"{', '.join(_DISPOSITIONS)}, "
                "e.g. {'disposition': 'merge', 'strategy': 'upsert'}",
            )
        raise ConfigError(
            f"{where}.disposition", _not_supported("disposition", disposition, _DISPOSITIONS)
        )
    spec = "TWriteDispositionDict"
    if disposition == "merge":
        strategy = value.get("strategy")
        if not isinstance(strategy, str | None) or strategy not in _MERGE_SPECS:
            raise ConfigError(
                f"{where}.strategy", _not_supported("strategy", strategy, MERGE_STRATEGIES)
            )
        spec = _MERGE_SPECS[strategy]
    _check_typed(spec, value, where, f"{disposition} write_disposition")
    from dlt.extract.hints import DltResourceHints  # a dict disposition: dlt's own rules decide

    try:
        DltResourceHints.validate_write_disposition_hint({"write_disposition": value})  # type: ignore[typeddict-item]
    except Exception as exc:  # dlt's own cross-field rules, e.g. an option the strategy lacks
        raise ConfigError(where, f"{_first_line(exc)}") from None


# --- schema contract, formats, references -----------------------------------------------------

_MODES = SCHEMA_EVOLUTION_MODES


def _check_schema_contract(value: Any, where: str) -> None:
    if isinstance(value, str):
        if value not in _MODES:
            raise ConfigError(where, _not_supported("schema_contract", value, _MODES))
        return
    if not isinstance(value, Mapping):
        raise ConfigError(
            where,
            f"schema_contract is {_shape(value)}; set it to one of: {', '.join(_MODES)}, "
            "or a dict such as {'columns': 'freeze'}",
        )
    _check_typed("TSchemaContractDict", value, where, "schema_contract")


def _check_literal(choices: tuple[str, ...]) -> Any:
    def check(value: Any, where: str) -> None:
        if value not in choices:
            key = where.rsplit(".", 1)[-1]
            raise ConfigError(where, _not_supported(key, value, choices))

    return check


def _check_references(value: Any, where: str) -> None:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError(
            where,
            f"references is {_shape(value)}; give a list of dicts such as {{'referenced_table': "
            "'users', 'columns': ['user_id'], 'referenced_columns': ['id']}",
        )
    for index, reference in enumerate(value):
        path = f"{where}[{index}]"
        if not isinstance(reference, Mapping):
            raise ConfigError(path, f"the reference is {_shape(reference)}; give it as a dict")
        _check_typed("TTableReference", reference, path, "reference")
        for key in ("referenced_table", "columns", "referenced_columns"):
            if not reference.get(key):
                raise ConfigError(path, f"the reference is missing '{key}'; add it")
        if len(reference["columns"]) != len(reference["referenced_columns"]):
            raise ConfigError(
                path,
                "columns and referenced_columns have different lengths; "
                "name one referenced column for each column",
            )


def _check_column_names(value: Any, where: str) -> None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        key = where.rsplit(".", 1)[-1]
        raise ConfigError(
            where, f"{key} is {_shape(value)}; set it to a column name or a list of names"
        )


def _check_nested_hints(value: Any, where: str) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError(
            where,
            f"nested_hints is {_shape(value)}; give a dict of nested table path to hints, "
            "e.g. {'items': {'primary_key': 'id'}}",
        )
    allowed = set(NESTED_HINT_KEYS)
    for path, hints in value.items():
        here = _key_path(where, path)
        if not isinstance(hints, Mapping):
            raise ConfigError(here, f"the nested hints are {_shape(hints)}; give them as a dict")
        unknown = sorted(str(k) for k in hints if k not in allowed)
        if unknown:
            raise ConfigError(
                _key_path(here, unknown[0]),
                f"unknown key '{unknown[0]}'; valid keys here are: {', '.join(sorted(allowed))}",
            )
        _check_hints(hints, here)
        parent = hints.get("parent_table_name")
        if parent is not None and not isinstance(parent, str):
            raise ConfigError(f"{here}.parent_table_name", "parent_table_name must be a string")


_HINT_CHECKS: dict[str, Any] = {
    "columns": _check_columns,
    "write_disposition": _check_write_disposition,
    "primary_key": _check_column_names,
    "merge_key": _check_column_names,
    "schema_contract": _check_schema_contract,
    "table_format": _check_literal(TABLE_FORMATS),
    "file_format": _check_literal(FILE_FORMATS),
    "references": _check_references,
}


# --- dlt's validator, our messages ------------------------------------------------------------


def _check_typed(spec: str, doc: Mapping[str, Any], where: str, what: str) -> None:
    """Unknown keys, missing keys and wrong types of ``doc`` against dlt's TypedDict ``spec``
    (its name in ``dlt.common.schema.typing``)."""
    required, fields = TYPED_DICTS[spec]
    odd_keys = [k for k in doc if not isinstance(k, str)]
    if odd_keys:
        raise ConfigError(where, f"the {what} have a key {_shape(odd_keys[0])}; keys are strings")
    unknown = sorted(k for k in doc if k not in fields and not k.startswith("x-"))
    if unknown:
        raise ConfigError(
            _key_path(where, unknown[0]),
            f"unknown key '{unknown[0]}' in the {what}; valid keys here are: "
            + ", ".join(sorted(k for k in fields if not k.startswith("x-"))),
        )
    for key in required:
        if key not in doc:
            raise ConfigError(where, f"the {what} are missing '{key}'; add it")
    if not all(_plainly_valid(fields[k], v) for k, v in doc.items() if not k.startswith("x-")):
        _check_with_dlt(spec, doc, where)


def _plainly_valid(field: tuple[object, bool], value: Any) -> bool:
    """True when ``value`` surely passes dlt's validator for ``field``; False when only dlt can
    say (then it is asked). Types match exactly: dlt takes ``True`` for an int, but let it say."""
    kind, optional = field
    if value is None:
        return optional
    if isinstance(kind, tuple):
        return type(value) is str and value in kind
    return kind in _PLAIN_TYPES and type(value) is _PLAIN_TYPES[kind]


_PLAIN_TYPES: dict[object, type] = {"str": str, "bool": bool, "int": int}


def _check_with_dlt(spec_name: str, doc: Mapping[str, Any], where: str) -> None:
    from dlt.common.exceptions import DictValidationException
    from dlt.common.schema import typing as dlt_schema_typing
    from dlt.common.validation import validate_dict_ignoring_xkeys

    spec = getattr(dlt_schema_typing, spec_name)
    key = _frozen(spec, doc)
    if key is not None and key in _VALID:
        return
    try:
        validate_dict_ignoring_xkeys(spec=spec, doc=doc, path="")
    except DictValidationException as exc:
        raise _explain(exc, where) from None
    if key is not None and len(_VALID) < 10_000:
        _VALID.add(key)


# dlt's validator resolves the TypedDict's type hints on every call (a few ms); configs repeat the
# same small column dicts many times, so remember the ones that passed
_VALID: set[tuple[Any, ...]] = set()


def _frozen(spec: Any, doc: Mapping[str, Any]) -> tuple[Any, ...] | None:
    items = []
    for name, value in doc.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            return None
        items.append((name, type(value), value))
    return (spec, *sorted(items, key=repr))


def _explain(exc: Any, where: str) -> ConfigError:
    """dlt's ``DictValidationException`` as our message."""
    field = str(exc.field) if exc.field is not None else ""
    path = f"{where}.{field}" if field else where
    key = field or where.rsplit(".", 1)[-1]
    expected = exc.expected_type
    if typing.get_origin(expected) is typing.Literal:
        return ConfigError(path, _not_supported(key, exc.value, typing.get_args(expected)))
    if expected is not None:
        return ConfigError(path, f"{key} is {_shape(exc.value)}; set it to {_wanted(expected)}")
    return ConfigError(path, f"{key} is not valid here; {_first_line(exc.msg)}")


def _wanted(expected: Any) -> str:
    origin = typing.get_origin(expected) or expected
    if origin is bool:
        return "true or false"
    if origin is int:
        return "a whole number"
    if origin is float:
        return "a number"
    if origin is str:
        return "a string"
    if origin in (list, Sequence, tuple):
        return "a list"
    if origin is typing.Union:
        return " or ".join(_wanted(arg) for arg in typing.get_args(expected))
    return "a dict"


def _key_path(where: str, key: Any) -> str:
    plain = isinstance(key, str) and key.isidentifier()
    return f"{where}.{key}" if plain else f"{where}[{_shape(key)}]"


def _not_supported(key: str, value: Any, choices: Sequence[Any]) -> str:
    return f"{key} {_shape(value)} is not supported; use one of: {', '.join(map(str, choices))}"


def _first_line(value: Any) -> str:
    text = str(value).strip().splitlines()
    return text[0][:300] if text else "refused by dlt"
