"""Public entry points: a drop-in ``rest_api_source``, and ``sync`` that raises after loading."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from restsync._config import parse_config
from restsync._errors import ConfigError, SyncFailed
from restsync._plan import SourcePlan, build_plan
from restsync._secrets import known_secrets, scrubbed_logs

if TYPE_CHECKING:
    from dlt.extract.source import DltSource

    from restsync._load import SourceRuntime

__all__ = [
    "load_file_format",
    "load_pending",
    "overrides",
    "plan_config",
    "planned",
    "rest_api_source",
    "runtime_of",
    "source_of",
    "sync",
]

_OVERRIDES: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "restsync_overrides", default=MappingProxyType({})
)


@contextlib.contextmanager
def overrides(**values: Any) -> Iterator[None]:
    """Apply settings to every source built inside the block, e.g. ``base_url`` for a simulator.

    The CLI uses this to point a Python config file (which builds its own source) at another host.
    """
    token = _OVERRIDES.set(
        {**_OVERRIDES.get(), **{k: v for k, v in values.items() if v is not None}}
    )
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def plan_config(
    config: Mapping[str, Any],
    *,
    name: str = "rest_api",
    base_url: str | None = None,
    page_format: str | None = None,
) -> SourcePlan:
    """Validate and resolve a config without building a dlt source (``restsync check``).

    As ``rest_api_source``: credentials the auth leaves out come from dlt's config for a source
    of this name, and one found nowhere is an error naming the key dlt looks up."""
    return _plan(config, name, base_url, page_format)


def _plan(
    config: Mapping[str, Any],
    name: str,
    base_url: str | None,
    page_format: str | None,
    dlt_resources: frozenset[str] = frozenset(),
    section: str | None = None,
) -> SourcePlan:
    # as dlt does: credentials the auth leaves out come from dlt's config for this source
    from restsync._config._dlt_secrets import DLT_DEFAULT_SECTION, inject_auth_secrets

    config = inject_auth_secrets(config, ("sources", section or DLT_DEFAULT_SECTION, name))
    base_url = base_url or _OVERRIDES.get().get("base_url")
    page_format = page_format or _OVERRIDES.get().get("page_format")
    parsed = parse_config(config, dlt_resources=dlt_resources)
    plan = build_plan(parsed, name=name, base_url=base_url, page_format=page_format)
    bound = _OVERRIDES.get().get("max_run_seconds")  # restsync run --timeout
    return plan if bound is None else replace(plan, max_run_seconds=bound)


def rest_api_source(
    config: Mapping[str, Any],
    name: str | None = None,
    section: str | None = None,
    max_table_nesting: int | None = None,
    root_key: bool | None = None,
    schema: Any = None,
    schema_contract: Any = None,
    parallelized: bool = False,
    *,
    page_format: str | None = None,
    partial_load: bool = False,
) -> DltSource:
    """Build a dlt source from a REST API config: dlt's dialect plus the seed extensions.

    Same call as ``dlt.sources.rest_api.rest_api_source``; the returned object is an ordinary
    ``DltSource``. ``parallelized`` is accepted for compatibility: restsync always runs resources
    and children concurrently. ``schema`` (a dlt ``Schema``) is the source's schema, as in dlt:
    the source takes its name, and ``name`` may not be given with it. ``section`` is the source's
    config section (its name if not given). ``page_format`` ("arrow", the default: pages as Arrow
    tables in dlt's own layout; "dicts": rows for dlt's normalizer, see docs/config.md#page_format)
    overrides the config's ``page_format`` for every resource.

    When a resource fails, ``pipeline.run`` raises dlt's ``PipelineStepFailed`` (wrapping
    ``ResourcesFailed``, which names every failed resource) and loads nothing, as dlt does.
    ``partial_load=True`` instead lets the run load the healthy resources and return; the
    failures are then only in ``runtime_of(source).last_report`` and the log.
    ``restsync.sync`` loads partially and raises ``SyncFailed`` afterwards.
    """
    if page_format not in (None, "dicts", "arrow"):
        raise ConfigError("page_format", f"page_format is {page_format!r}; use 'dicts' or 'arrow'")
    if schema is not None and name is not None:  # dlt refuses the pair too
        raise ConfigError(
            "name", "give the source a name or a schema (it is named after the schema), not both"
        )
    source_name = schema.name if schema is not None else name or "rest_api"
    plan, dlt_resources = planned(config, source_name, section, page_format)
    source = source_of(
        plan, partial_load=partial_load, schema=schema, section=section, extra=dlt_resources
    )
    if max_table_nesting is not None:
        source.max_table_nesting = max_table_nesting
    if root_key is not None:
        source.root_key = root_key
    if schema_contract is not None:
        source.schema_contract = schema_contract
    return source


def source_of(
    plan: SourcePlan,
    *,
    runtime: SourceRuntime | None = None,
    partial_load: bool = False,
    schema: Any = None,
    section: str | None = None,
    extra: list[Any] | None = None,
) -> DltSource:
    """The dlt source of a plan from ``planned`` (``extra``: its dlt resources), as
    ``rest_api_source`` builds it; around ``runtime`` if one was made for the plan already
    (``restsync run`` starts the engine on the plan while dlt is imported)."""
    from restsync._load import build_source  # dlt and the Arrow step: not for plan_config

    source = build_source(
        plan,
        partial_load=partial_load,
        schema=schema,
        section=section,
        extra=extra or (),
        runtime=runtime,
    )
    note_built(source)
    return source


def planned(
    config: Mapping[str, Any],
    name: str = "rest_api",
    section: str | None = None,
    page_format: str | None = None,
) -> tuple[SourcePlan, list[Any]]:
    """The plan of ``config`` as ``rest_api_source`` runs it (``overrides`` applied), and the
    dlt resources that join the source; without importing dlt when the config holds no dlt
    object and needs no value from dlt's providers."""
    from restsync._config._dlt_resources import split_dlt_resources

    config, taken = split_dlt_resources(config)
    plan = _plan(config, name, None, page_format, taken.names, section)
    return _fed_from(plan, taken.parents), taken.joining


def _fed_from(plan: SourcePlan, parents: Mapping[str, Any]) -> SourcePlan:
    """``plan`` with the stand-ins of dlt resources that are parents reading their records from
    those resources (iterated once per run), instead of an endpoint. A selected stand-in loads
    them too: the dlt resource is then not in the source a second time."""
    if not parents:
        return plan
    resources = dict(plan.resources)
    for name, dlt_resource in parents.items():

        def records(parent: Any, start_values: Any, dlt_resource: Any = dlt_resource) -> list[Any]:
            return list(dlt_resource)

        where = "loaded from here" if resources[name].selected else "in the source as it is"
        note = f"records from the dlt resource '{name}' ({where})"
        resources[name] = replace(resources[name], compute=records, notes=(note,))
    return replace(plan, resources=resources)


def note_built(source: DltSource) -> None:
    """Hand ``source`` to the Python-file loader if one is running (``capturing_sources``)."""
    capturing = _BUILT.get()
    if capturing is not None:
        capturing.append(source)


# Set only while restsync runs a Python config file (``capturing_sources``), so the CLI finds the
# sources the file builds whatever it names them; outside that, nothing keeps a reference.
_BUILT: contextvars.ContextVar[list[DltSource] | None] = contextvars.ContextVar(
    "restsync_built_sources", default=None
)


@contextlib.contextmanager
def capturing_sources() -> Iterator[list[DltSource]]:
    """Collect the sources ``rest_api_source`` builds inside the block (in this context only)."""
    built: list[DltSource] = []
    token = _BUILT.set(built)
    try:
        yield built
    finally:
        _BUILT.reset(token)


def load_file_format(pipeline: Any, source: DltSource) -> str | None:
    """The file format restsync stages a load in: ``None`` (dlt's choice) except into DuckDB.

    There dlt's default, insert_values, loaded 100k rows 2.6x slower than jsonl (bench/); and
    Arrow pages go as Parquet, since asked for jsonl dlt would turn each table back into rows.
    """
    destination = getattr(pipeline, "destination", None)
    if getattr(destination, "destination_name", "") != "duckdb":
        return None
    plan = runtime_of(source).plan
    return "parquet" if any(r.page_format == "arrow" for r in plan.resources.values()) else "jsonl"


def runtime_of(source: DltSource) -> SourceRuntime:
    from restsync._load import SourceRuntime

    runtime = getattr(source, "restsync", None)
    if not isinstance(runtime, SourceRuntime):
        raise TypeError("this source was not built by restsync")
    return runtime


def load_pending(pipeline: Any, **run_kwargs: Any) -> Any:
    """Normalize and load what an earlier, interrupted run extracted; ``None`` if nothing waits.

    Only the destination arguments of ``run_kwargs`` apply (``destination``, ``staging``,
    ``dataset_name``, ``credentials``): the packages were extracted with the rest already.
    """
    if not pipeline.has_pending_data:
        return None
    where = {k: v for k, v in run_kwargs.items() if k in _DESTINATION_ARGS}
    return pipeline.run(**where)  # with no data, dlt loads the pending packages and stops


_DESTINATION_ARGS = ("destination", "staging", "dataset_name", "credentials")


def sync(pipeline: Any, source: DltSource, **run_kwargs: Any) -> Any:
    """``pipeline.run(source)`` with partial loading, then raise ``SyncFailed`` naming every
    resource that failed.

    Packages an interrupted run left pending are loaded first; then ``source`` is synced (plain
    ``pipeline.run`` would load them and return without extracting). The resources that succeeded
    are loaded before the exception is raised. Into DuckDB, unless ``loader_file_format`` is
    given, files are staged the fast way (see ``load_file_format``), and DuckDB inserts with one
    thread unless given its own settings (docs/config.md#duckdbs-memory). No credential shows
    in what it raises, its report or the lines logged while it runs (docs/security.md).

    A DuckDB file is held open until the sync returns, so dlt's stages do not each open and
    checkpoint it, and meanwhile DuckDB's allocator returns the memory it frees at once; its
    settings are restored on every exit (``restsync._load._duckdb.held_file``). Once the file is
    open, the first requests go out before dlt's extract step (not with an incremental cursor:
    its start is dlt's state).
    """
    from restsync._load._capabilities import resolved_once
    from restsync._load._duckdb import duckdb_settings, held_file
    from restsync._load._release import FrozenHeap

    runtime = runtime_of(source)
    # the same values the command line masks, in every line logged while the run is on (the
    # engine masks them in its errors and its report itself)
    secrets = known_secrets(runtime.plan)
    with (
        duckdb_settings(pipeline, run_kwargs.get("destination")),
        scrubbed_logs(lambda: secrets),
        FrozenHeap.held(),
        # dlt derives the destination's capabilities in each stage: from one resolution of its
        # configuration here (restsync._load._capabilities)
        resolved_once(pipeline, run_kwargs.get("destination")),
    ):
        with held_file(pipeline, run_kwargs) as held:
            # the file opened: the requests go out now, while pending loads are loaded and dlt
            # prepares its extract (its state, schemas, the destination's stored state on a first
            # run); their pages wait in the bounded handoff until dlt reads (docs/benchmarks.md,
            # "Session 12: small runs"). Not before a destination that may not open (the API is
            # not asked then, as with restsync run), nor with an incremental cursor (its start is
            # dlt's state)
            if held:
                runtime.start_early(list(source.selected_resources))
            try:
                load_pending(pipeline, **run_kwargs)
                if "loader_file_format" not in run_kwargs:
                    run_kwargs["loader_file_format"] = load_file_format(pipeline, source)
                with runtime.partial_loading():
                    info = pipeline.run(source, **run_kwargs)
            finally:
                runtime.stop_early()  # what dlt did not take up (it failed before its extract)
    report = runtime.last_report
    if report is not None and report.failures():
        raise SyncFailed(report.failures())
    return info
