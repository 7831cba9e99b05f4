"""What can be known to fail before a single request: ``restsync check`` reports all of it,
``restsync run`` refuses the errors before it extracts anything.

- a dataset name the destination reserves (PostgreSQL's ``pg_`` prefix, ``information_schema``);
- a secret or config value the config reads that no dlt provider has, with the names looked up;
- destination credentials dlt cannot resolve, with the names looked up;
- a destination that will not do what the config asks (plain files cannot merge);
- a DuckDB file named like its dataset.

Findings carry names and files only, never a value.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from restsync.cli._lookup import describe_missing, missing_value, searched_files
from restsync.connectors._yaml import ConfigRef, SecretRef

__all__ = [
    "Finding",
    "credential_findings",
    "dataset_findings",
    "destination_findings",
    "duckdb_findings",
    "normalized_name",
    "reference_findings",
]


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "warning"]
    message: str
    details: tuple[str, ...] = ()


# destination -> (reserved prefixes, reserved names) of a dataset, after dlt's normalization
_RESERVED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "postgres": (("pg_",), ("information_schema",)),
    "redshift": (("pg_",), ("information_schema",)),
    "duckdb": ((), ("information_schema", "pg_catalog")),
    "motherduck": ((), ("information_schema", "pg_catalog")),
    "snowflake": ((), ("information_schema",)),
    "mssql": ((), ("information_schema", "sys")),
}


def destination_name(destination: str) -> str:
    return destination.rsplit(".", 1)[-1].lower()


# a name dlt's snake_case leaves as it is: lower case, a letter first, single underscores between
# letters and digits (tests/unit/test_preflight_names.py holds it against dlt)
_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def normalized_name(dataset: str) -> str:
    """``dataset`` as dlt's default naming convention (snake_case) normalizes it; without
    importing dlt for a name that is snake_case already (``restsync run`` starts its requests
    before dlt is imported)."""
    if _SNAKE_CASE.fullmatch(dataset):
        return dataset
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return NamingConvention().normalize_identifier(dataset)


def dataset_findings(destination: str, dataset: str) -> list[Finding]:
    """An error if ``destination`` refuses ``dataset`` as a schema or dataset name."""
    name = destination_name(destination)
    prefixes, names = _RESERVED.get(name, ((), ()))
    normalized = normalized_name(dataset)
    prefix = next((p for p in prefixes if normalized.startswith(p)), None)
    if prefix is not None:
        why = f"{name} reserves the prefix '{prefix}' for its own schemas"
    elif normalized in names:
        why = f"'{normalized}' is a system schema of {name}"
    else:
        return []
    return [
        Finding(
            "error",
            f"dataset '{dataset}' cannot be used with --destination {name}: {why}; "
            "choose another --dataset",
        )
    ]


def duckdb_findings(path: Path, dataset: str) -> list[Finding]:
    """An error if the DuckDB file is named like the dataset: DuckDB names the catalog after the
    file, and then cannot tell it from the schema ("Ambiguous reference to catalog or schema")."""
    if path.stem.lower() != normalized_name(dataset):
        return []
    return [
        Finding(
            "error",
            f"the DuckDB file '{path.name}' is named like the dataset '{dataset}', and DuckDB "
            "cannot tell its catalog from the schema; choose another --duckdb-path or --dataset",
        )
    ]


def destination_findings(destination: str, plan: Any) -> list[Finding]:
    """Warnings where the destination will not do what the config asks."""
    if destination_name(destination) != "filesystem":
        return []
    merging = [
        r.name
        for r in plan.resources.values()
        if "merge" in str(r.write_disposition) and "table_format" not in r.hints
    ]
    if not merging:
        return []
    return [
        Finding(
            "warning",
            f"the filesystem destination cannot merge into plain files: {', '.join(merging)} "
            "ask for merge, and dlt appends instead, so a rerun adds their rows again; use "
            "--full-refresh, read the latest load, or a Delta table_format "
            "(docs/destinations.md#filesystem-and-parquet)",
        )
    ]


def reference_findings(refs: Iterable[SecretRef | ConfigRef]) -> list[Finding]:
    """An error for every secret or config value (without a default) dlt cannot find."""
    findings = []
    for ref in dict.fromkeys(refs):  # once per name, in document order
        if isinstance(ref, ConfigRef) and ref.default is not None:
            continue
        secret = isinstance(ref, SecretRef)
        looked = missing_value(ref.name, secret=secret)
        if looked is None:
            continue
        kind = "secret" if secret else "config value"
        findings.append(
            Finding(
                "error",
                f"{kind} '{ref.name}' cannot be found; dlt looked for these names "
                "(values are never shown):",
                (*looked, "files read: " + ", ".join(searched_files())),
            )
        )
    return findings


def credential_findings(pipeline_name: str, destination: str, dataset: str) -> list[Finding]:
    """An error if dlt cannot resolve the destination's configuration (its credentials).

    The pipeline is made in a throwaway directory: checking must leave no state behind.
    """
    import dlt
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    with tempfile.TemporaryDirectory(prefix="restsync-check-") as scratch:
        pipeline = dlt.pipeline(
            pipeline_name=pipeline_name,
            destination=destination,
            dataset_name=dataset,
            pipelines_dir=scratch,
        )
        try:
            pipeline.destination_client()
        except ConfigFieldMissingException as exc:
            return [
                Finding(
                    "error",
                    f"the {destination_name(destination)} destination is missing "
                    f"{', '.join(line.split(':', 1)[0] for line in describe_missing(exc))}; "
                    "dlt looked for these names (values are never shown):",
                    tuple(describe_missing(exc)),
                )
            ]
    return []
