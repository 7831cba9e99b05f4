"""Run one config through dlt's ``rest_api_source`` and through restsync's, compare the outcome.

An outcome is what a user sees: the config rejected when the source is built, the extraction
raising, or tables in a real DuckDB file (names, columns with types, rows). dlt's bookkeeping
(``_dlt_*`` tables; ``_dlt_id``, ``_dlt_load_id`` and the parent/root ids, which are random) and
restsync's rejects table are left out of the comparison. Of the ``scd2`` merge strategy's
validity columns, which hold load times, only their type is compared, and for
``_dlt_valid_to`` whether it is set (a retired row) or null (a current one).

Speed: a dlt load costs about half a second per schema, so every case of the session is loaded
in ONE pipeline run per side: each case is its own source, all named ``parity`` (one schema, one
load package) with the case's key prefixed to its tables. Cases whose config dlt fails at run time
(``fails``) are only iterated, without a pipeline. If a side's batch raises anyway, that side's
cases are loaded one by one to find whose outcome the error is.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source

import restsync
from tests.parity.fake_api import FakeApi

SIDES: dict[str, Callable[..., Any]] = {
    "dlt": dlt_rest_api_source,
    "restsync": restsync.rest_api_source,
}
PAGES_CAP = 500
IGNORED_COLUMNS = {"_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_root_id"}
# scd2's validity columns hold load times: compared as "is it set?"; the type is compared as is
TIMESTAMPS = {"_dlt_valid_from", "_dlt_valid_to"}
Config = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One config run through both. ``differs`` names a documented difference
    (docs/dlt-differences.md); such a case asserts the difference instead of equality."""

    name: str
    config: Config  # base URL -> a fresh config dict
    # incremental cases run again on the same pipeline against round-2 data; their resource
    # names must be unique in the session (the state of every case lives in one source, parity)
    rounds: int = 1
    requests: bool = False  # also compare the requests the server saw
    select: tuple[str, ...] = ()  # with_resources
    kwargs: dict[str, Any] = field(default_factory=dict)  # rest_api_source keyword arguments
    fails: bool = False  # dlt fails this config at run time: iterate it, no pipeline
    differs: str | None = None


@dataclass
class Outcome:
    kind: str  # "tables" | "config_error" | "run_error"
    tables: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    requests: list[Any] = field(default_factory=list)

    def summary(self) -> str:
        if self.kind != "tables":
            return f"{self.kind}: {self.error[:300]}"
        return ", ".join(f"{n} ({len(t['rows'])} rows)" for n, t in sorted(self.tables.items()))


def same(left: Outcome, right: Outcome, *, requests: bool = False) -> bool:
    if left.kind != right.kind:
        return False
    if left.kind == "tables" and left.tables != right.tables:
        return False
    return not requests or left.requests == right.requests


def explain(dlt_side: Outcome, restsync_side: Outcome) -> str:
    lines = [f"dlt: {dlt_side.summary()}", f"restsync: {restsync_side.summary()}"]
    if dlt_side.kind == restsync_side.kind == "tables":
        for name in sorted(set(dlt_side.tables) | set(restsync_side.tables)):
            a, b = dlt_side.tables.get(name), restsync_side.tables.get(name)
            if a != b:
                lines.append(f"table {name}: dlt {_short(a)} / restsync {_short(b)}")
    if dlt_side.requests != restsync_side.requests:
        lines.append(
            f"requests: dlt {dlt_side.requests[:6]} / restsync {restsync_side.requests[:6]}"
        )
    return "\n".join(lines)


def _short(table: Any) -> str:
    if table is None:
        return "missing"
    return f"columns {table['columns']} rows {table['rows'][:4]}"


# --- running ------------------------------------------------------------------------------


class ParityRun:
    """The outcomes of the session's cases on both sides, computed on first use. Each case is
    known by a short key (``c17``): its tables' prefix and its requests' path segment. A run of
    its own on the same fake API (the generated cases, test_parity_generated.py) takes another
    ``label`` so that its keys and requests stay apart."""

    def __init__(self, api: FakeApi, cases: list[Case], workdir: Path, label: str = "c") -> None:
        self.api = api
        self.cases = {f"{label}{i}": case for i, case in enumerate(cases)}
        self._keys = {id(case): key for key, case in self.cases.items()}
        self.workdir = workdir
        self._outcomes: dict[tuple[str, str], Outcome] = {}

    def outcomes(self, case: Case) -> tuple[Outcome, Outcome]:
        if not self._outcomes:
            for side in SIDES:
                self._run_side(side)
        key = self._keys[id(case)]
        found = self._outcomes[("dlt", key)], self._outcomes[("restsync", key)]
        for side, outcome in zip(SIDES, found, strict=True):
            outcome.requests = sorted(
                (c.round, c.method, c.path, c.query, json.dumps(c.body, sort_keys=True))
                for c in self.api.calls_of(side, key)
            )
        return found

    def _run_side(self, side: str) -> None:
        built: dict[str, Any] = {}
        for key in self.cases:
            try:
                source = self._source(side, key, "r1")
            except Exception as exc:  # the config is rejected when the source is built
                self._outcomes[(side, key)] = Outcome("config_error", error=_text(exc))
                continue
            if self.cases[key].fails:
                self._outcomes[(side, key)] = _iterate(source)
            else:
                built[key] = source
        if not built:
            return
        try:
            self._load(side, "batch", built)
        except Exception:
            self._find_failures(side, list(built))

    def _find_failures(self, side: str, names: list[str]) -> None:
        """A batch raised: iterate each case (cheap) to find the ones that fail, load the rest
        in a second batch, and only if that raises too load them one by one."""
        self.api.forget(side, set(names))
        healthy = []
        for name in names:
            outcome = _iterate(self._source(side, name, "r1"))
            if outcome.kind == "run_error":
                self._outcomes[(side, name)] = outcome
            else:
                healthy.append(name)
        self.api.forget(side, set(healthy))
        try:
            self._load(side, "rest", {n: self._source(side, n, "r1") for n in healthy})
        except Exception:
            self.api.forget(side, set(healthy))
            for name in healthy:
                try:
                    self._load(side, name, {name: self._source(side, name, "r1")})
                except Exception as exc:
                    self._outcomes[(side, name)] = Outcome("run_error", error=_text(exc))

    def _source(self, side: str, key: str, round_: str) -> Any:
        case = self.cases[key]
        with _quiet():
            config = case.config(self.api.url(side, key, round_))
            # a source given a schema is named after it (dlt refuses a name as well)
            named = {} if "schema" in case.kwargs else {"name": "parity"}
            source = SIDES[side](config, **named, **case.kwargs)
        if case.select:
            source = source.with_resources(*case.select)
        # a safety net, the same on both sides: a config that pages forever stops (dlt does
        # not limit its child resources; the fake API never serves this many pages)
        source.add_limit(PAGES_CAP)
        for resource in source.resources.values():
            resource.apply_hints(table_name=_prefixed(key, resource.table_name))
        return source

    def _load(self, side: str, label: str, sources: dict[str, Any]) -> None:
        path = self.workdir / f"{side}_{label}.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name=f"parity_{side}_{label}",
            destination=dlt.destinations.duckdb(str(path)),
            dataset_name="parity",
            pipelines_dir=str(self.workdir / "pipelines"),
        )
        with _quiet():
            # incremental state is committed at extraction: round 2 can be extracted before
            # anything is loaded, and both rounds load in one go (in order)
            pipeline.extract(_packed(sources))
            again = {n: self._source(side, n, "r2") for n in sources if self.cases[n].rounds > 1}
            if again:
                pipeline.extract(_packed(again))
            pipeline.normalize()
            pipeline.load()
        tables = read_tables(path, "parity")
        for name in sources:
            prefix = f"{name}__"
            self._outcomes[(side, name)] = Outcome(
                "tables",
                tables={t[len(prefix) :]: v for t, v in tables.items() if t.startswith(prefix)},
            )


def _packed(sources: dict[str, Any]) -> list[Any]:
    """dlt spends ~0.1 s per source extracted: the resources of sources that need nothing of
    their own (no source-level settings, no dlt transformers, whose parents a rename would
    detach) move into one source, renamed ``<key>__<name>``; the others stay as they are."""
    packed: list[Any] = []
    alone: list[Any] = []
    for key, source in sources.items():
        resources = [r for r in source.resources.values() if r.selected]
        if any(r.is_transformer for r in resources) or _has_source_settings(source):
            alone.append(source)
            continue
        for resource in resources:
            if not resource.name.endswith("_restsync_rejects"):
                packed.append(resource.with_name(f"{key}__{resource.name}"))

    def parity() -> list[Any]:
        return packed

    combined = dlt.source(parity, name="parity")()
    combined.add_limit(PAGES_CAP)
    return [combined, *alone] if packed else alone


def _has_source_settings(source: Any) -> bool:
    if source.schema.name != "parity":  # a schema of its own (the ``schema`` argument)
        return True
    return source.max_table_nesting is not None or bool(source.root_key)


def _prefixed(case: str, table_name: Any) -> Any:
    if callable(table_name):
        return lambda item: f"{case}__{table_name(item)}"
    return f"{case}__{table_name}"


def _iterate(source: Any) -> Outcome:
    """Extract without a pipeline: for configs dlt fails at run time."""
    try:
        with _quiet():
            rows = list(source)
    except Exception as exc:
        return Outcome("run_error", error=_text(exc))
    return Outcome("tables", tables={"<iterated>": {"columns": {}, "rows": sorted(rows, key=repr)}})


def read_tables(path: Path, dataset: str) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    with duckdb.connect(str(path), read_only=True) as db:
        columns: dict[str, dict[str, str]] = {}
        for table, column, kind in db.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ? order by table_name, ordinal_position",
            [dataset],
        ).fetchall():
            if table.startswith("_dlt_") or table.endswith("_restsync_rejects"):
                continue
            columns.setdefault(table, {})
            if column not in IGNORED_COLUMNS:
                columns[table][column] = kind
        for table, kinds in columns.items():
            # a table of nothing but dlt's own columns still has rows: count them
            quoted = ", ".join(_selected(c) for c in kinds) or "1"
            rows = db.execute(f'select {quoted} from "{dataset}"."{table}"').fetchall()
            tables[table] = {"columns": kinds, "rows": sorted(rows, key=repr)}
    return tables


def _selected(column: str) -> str:
    if column in TIMESTAMPS:
        return f'"{column}" is not null'
    return f'"{column}"'


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """dlt logs a warning per guessed paginator; keep the test output readable."""
    logger = logging.getLogger("dlt")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# --- checking -----------------------------------------------------------------------------

# case -> "identical", "documented" (a listed difference, asserted as such) or "different"
RESULTS: dict[int, str] = {}


def check(
    case: Case, run: ParityRun, difference: Callable[[Outcome, Outcome], bool] | None = None
) -> None:
    """Assert the case: identical outcomes, or for a documented difference, that difference."""
    dlt_side, restsync_side = run.outcomes(case)
    identical = same(dlt_side, restsync_side, requests=case.requests)
    if case.differs is None:
        RESULTS[id(case)] = "identical" if identical else "different"
        assert identical, explain(dlt_side, restsync_side)
        return
    RESULTS[id(case)] = "identical" if identical else "documented"
    assert not identical, f"{case.name} is documented as a difference but behaves as dlt does"
    assert difference is not None and difference(dlt_side, restsync_side), explain(
        dlt_side, restsync_side
    )


# --- documented differences (docs/dlt-differences.md), each asserted as it is ---------------


def dlt_fails_restsync_loads(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    return dlt_side.kind in ("run_error", "config_error") and restsync_side.kind == "tables"


def dlt_loads_restsync_rejects(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    return dlt_side.kind == "tables" and restsync_side.kind == "config_error"


def dlt_empty_restsync_fails(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """dlt loads no rows; restsync fails the resource: the API changed shape."""
    no_rows = all(not table["rows"] for table in dlt_side.tables.values())
    return (
        dlt_side.kind == "tables"
        and no_rows
        and restsync_side.kind == "run_error"
        and "is not in the response" in restsync_side.error
    )


def dlt_loads_restsync_fails_shape(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """dlt loads a bare JSON value as a record; restsync fails the resource: not records."""
    return (
        dlt_side.kind == "tables"
        and any(table["rows"] for table in dlt_side.tables.values())
        and restsync_side.kind == "run_error"
        and "not an object or a list of records" in restsync_side.error
    )


def both_load_other_columns(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """The same tables with the same number of rows; some column's type differs."""
    if dlt_side.kind != "tables" or restsync_side.kind != "tables":
        return False
    if dlt_side.tables.keys() != restsync_side.tables.keys():
        return False
    pairs = [(dlt_side.tables[n], restsync_side.tables[n]) for n in dlt_side.tables]
    return all(len(a["rows"]) == len(b["rows"]) for a, b in pairs) and any(
        a["columns"] != b["columns"] for a, b in pairs
    )


def restsync_rejects_sooner(dlt_side: Outcome, restsync_side: Outcome) -> bool:
    """Both refuse the config: restsync when the source is built, dlt at the first request."""
    return dlt_side.kind == "run_error" and restsync_side.kind == "config_error"
