"""The dlt source of a ``SourcePlan``: one dlt resource per plan resource, each reading its pages
from the source's ``SourceRuntime`` (``_bridge.py``), plus the rejects table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.extract.source import DltSource

from restsync._load._arrow import ArrowPages
from restsync._load._bridge import REJECTS_TABLE, SourceRuntime
from restsync._plan import IncrementalPlan, ResourcePlan, SourcePlan

__all__ = ["RestSyncSource", "build_source"]


def build_source(
    plan: SourcePlan,
    *,
    partial_load: bool = False,
    schema: Any = None,
    section: str | None = None,
    extra: Sequence[Any] = (),
    runtime: SourceRuntime | None = None,
) -> DltSource:
    """The dlt source of ``plan``; ``schema`` (a dlt ``Schema`` named ``plan.name``) is its
    schema, as in dlt's ``rest_api_source``. ``extra`` are dlt resources that join it as they
    are (dlt's resource objects in a config's ``resources``). ``runtime``: one made for ``plan``
    already (``restsync run`` starts its engine before dlt is imported); ``partial_load`` is
    then the runtime's."""
    if runtime is None:
        runtime = SourceRuntime(plan, partial_load=partial_load)
    elif runtime.plan is not plan:
        raise ValueError("the runtime was made for another plan")
    # a dlt resource that feeds a config resource is in the plan as that parent: it stays in the
    # source itself, as it is
    joining = {r.name for r in extra}
    resources = [_resource(runtime, r) for r in plan.resources.values() if r.name not in joining]
    resources.append(_rejects_resource(runtime))
    resources.extend(extra)

    def restsync_source() -> Any:
        return resources

    section = section or plan.name
    if schema is not None:  # dlt takes the name from the schema and refuses both
        built = dlt.source(restsync_source, section=section, schema=schema)()
    else:
        built = dlt.source(restsync_source, name=plan.name, section=section)()
    return RestSyncSource(built.schema, built.section, list(built.resources.values()), runtime)


class RestSyncSource(DltSource):
    """A dlt source that remembers its restsync runtime, also through ``with_resources`` clones."""

    def __init__(
        self, schema: Any, section: str, resources: list[Any], runtime: SourceRuntime
    ) -> None:
        super().__init__(schema, section, resources)
        self.restsync = runtime

    def clone(self, with_name: str | None = None) -> RestSyncSource:
        return RestSyncSource(
            self.schema.clone(with_name=with_name) if with_name else self.schema.clone(),
            self.section,
            list(self._resources.values()),
            self.restsync,
        )


def _resource(runtime: SourceRuntime, plan: ResourcePlan) -> Any:
    incremental = _dlt_incremental(plan.incremental) if plan.incremental else None
    name = plan.name
    if incremental is None:

        def fetch() -> Iterator[Any]:
            return runtime.stream(name, None)

    else:

        def fetch(incremental: Any = incremental) -> Iterator[Any]:  # type: ignore[misc]
            return runtime.stream(name, incremental)

    fetch.__name__ = name
    hints: dict[str, Any] = dict(plan.hints)  # the plan keeps only dlt table hints
    if plan.primary_key:
        hints["primary_key"] = list(plan.primary_key)
    table: Any = plan.table_name
    if callable(hints.get("columns")):  # columns known once the run reads them (_side.py):
        table = lambda item, name=table: name  # noqa: E731  # dlt wants every hint dynamic then
    resource = dlt.resource(
        fetch,
        name=name,
        table_name=table,
        write_disposition=plan.write_disposition,
        selected=plan.selected,
        **hints,
    )
    if plan.page_format == "arrow":
        step = runtime.arrow_steps[name] = ArrowPages(name)
        resource.add_step(step)
    return resource


def _rejects_resource(runtime: SourceRuntime) -> Any:
    def rejects() -> Iterator[Any]:
        return runtime.stream(REJECTS_TABLE, None)

    return dlt.resource(
        rejects,
        name=REJECTS_TABLE,
        write_disposition="append",
        columns={
            "resource": {"data_type": "text", "nullable": False},
            "reason": {"data_type": "text", "nullable": False},
            "record": {"data_type": "text"},
            "rejected_at": {"data_type": "timestamp", "nullable": False},
        },
    )


def _dlt_incremental(inc: IncrementalPlan) -> Any:
    kwargs: dict[str, Any] = {
        "initial_value": inc.initial_value,
        "end_value": inc.end_value,
        "last_value_func": inc.last_value_func
        if callable(inc.last_value_func)
        else (max if inc.last_value_func == "max" else min),
        "on_cursor_value_missing": inc.on_cursor_value_missing,
    }
    if inc.row_order:
        kwargs["row_order"] = inc.row_order
    if inc.lag:
        kwargs["lag"] = inc.lag
    if inc.range_start:
        kwargs["range_start"] = inc.range_start
    if inc.range_end:
        kwargs["range_end"] = inc.range_end
    return dlt.sources.incremental(inc.cursor_path, **kwargs)
