"""Pages as Arrow tables in dlt's exact layout (page_format arrow, the default).

An ``ArrowPages`` step sits at the end of a resource's pipe, after dlt's incremental and
``add_limit`` (they see records, as with dict pages, so state and limits behave the same) and
after any ``add_map`` of the user's. For each page it asks ``_relational.lay_out`` for the
tables dlt's normalizer would make, adds their new columns to the schema as that normalizer
would, and hands the root table to dlt as an Arrow table: dlt writes it to Parquet and loads it
without looking at rows. Nested tables go into the same load package through dlt's own Parquet
writer, the way the normalizer's output would: dlt's extractor takes no rows for nested tables
(it counts each extracted file by the resource of its table, and a nested table has none).

A page that cannot be laid out exactly (``NotExact``: a value that needs a variant column, a
merge strategy that derives ``_dlt_id`` from the row, ...) goes to dlt as the list of dicts it
came as, and so do the resource's remaining pages in this run: dlt's normalizer then sees every
row after the ones already laid out, in order, so it types them exactly as it would have.
docs/config.md#page_format lists when this happens.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import dlt
from dlt.extract.items_transform import BaseItemTransform, ItemTransform, LimitItem

from restsync._load._release import SystemArrowPool

if TYPE_CHECKING:
    from restsync._load._relational import LaidTable, Layout

__all__ = ["ArrowPages"]

log = logging.getLogger("restsync")

_MERGE_ROW_HASH = ("key_hash", "row_hash")


class ArrowPages(ItemTransform[Any, dict[str, Any]]):
    """The pipe step of one resource (see the module docstring)."""

    # after dlt's incremental (1) and add_limit (1.1); a user's add_map (0) comes before
    placement_affinity: ClassVar[float] = 1.5

    def __init__(self, resource: str) -> None:
        BaseItemTransform.__init__(self)
        self.resource = resource
        self._run: _Run | None = None
        self.fallback: str | None = None  # why the last run's pages (from some page on) were dicts

    def __call__(self, item: Any, meta: Any = None) -> Any:
        # pyarrow is imported only when there is a page to lay out
        from restsync._load._column_types import NotExact
        from restsync._load._relational import lay_out

        if meta is not None or not isinstance(item, list) or not item:
            return item
        run = self._current()
        if run is None or run.refusal is not None:
            return item
        try:
            tables = lay_out(item, run.layout())
        except NotExact as exc:
            run.refuse(str(exc))
            self.fallback = run.refusal
            return item
        root = run.apply(tables)
        if run.finished:
            # add_limit closes the resource while it passes on the last page: that page's
            # nested rows come after the files were closed, and get their own
            run.close(flush=True)
        return root

    def takes_batches(self) -> bool:
        """Whether this run's pages may come joined (several pages as one list): they may unless
        the resource's pipe counts items (``add_limit``). False before the run's first page."""
        run = self._run
        return run is not None and not run.finished and not run.counts_items

    def finish(self, flush: bool) -> None:
        """The resource's pages are all through (or the extraction failed): close the nested
        tables' files, so that they are in the load package before dlt commits it."""
        if self._run is not None:
            self._run.close(flush)
            self._run.end()

    def _current(self) -> _Run | None:
        """This extraction's state; None when the resource is iterated outside a pipeline (the
        records then stay records, as the caller expects)."""
        from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable

        try:
            load_id = dlt.current.load_package_state()["load_id"]
        except CurrentLoadPackageStateNotAvailable:
            return None
        if self._run is None or self._run.load_id != load_id:
            if self._run is not None and not self._run.finished:
                self._run.close(False)
                self._run.end()
            self._run = _Run(self.resource, load_id, self)
            self.fallback = self._run.refusal
        return self._run


class _Run:
    """One resource in one extraction: the schema it lays pages out against, and the writer of
    its nested tables."""

    def __init__(self, resource: str, load_id: str, step: Any) -> None:
        from dlt.common.schema.utils import normalize_table_identifiers

        self.load_id = load_id
        self.schema = dlt.current.source_schema()
        self.caps = _capabilities()
        self.refusal: str | None = None
        self.finished = False  # the resource's generator has ended
        self._holds_pool = False
        self._writers: Any = None
        self._resource = resource
        self._source_resource = source_resource = _resource_named(resource, step)
        self.counts_items = any(isinstance(s, LimitItem) for s in source_resource._pipe.steps)
        self._started = False
        reason = _resource_refusal(source_resource)
        if reason is not None:
            # before the table schema: a table name that is a function of the record has no
            # schema without a record
            self.refuse(reason)
            self._hints: Any = {}
            self.root = resource
            return
        hints = source_resource.compute_table_schema()
        self._hints = normalize_table_identifiers(hints, self.schema.naming)
        self.root = str(self._hints["name"])
        SystemArrowPool.hold()  # until end(): _load/_release.py says why
        self._holds_pool = True

    def end(self) -> None:
        """The resource's pages are through: no more Arrow layout in this run."""
        self.finished = True
        if self._holds_pool:
            self._holds_pool = False
            SystemArrowPool.let_go()

    def refuse(self, reason: str) -> None:
        if self.refusal is None:
            self.refusal = reason
            log.info(
                "resource '%s': the rest of this run's pages go to dlt's normalizer as dicts (%s)",
                self._resource,
                reason,
            )

    def layout(self) -> Layout:
        from dlt.common.normalizers.json.helpers import get_table_nesting_level

        from restsync._load._relational import Layout

        schema = self.schema
        if not self._started:
            self._start()
        config = schema._normalizers_config["json"].get("config") or {}
        nesting = get_table_nesting_level(schema, self.root, config.get("max_nesting", 1000))
        return Layout(
            schema=schema,
            caps=self.caps,
            load_id=self.load_id,
            root=self.root,
            root_columns=schema.tables[self.root]["columns"],
            root_key=self._root_key(config),
            max_nesting=1000 if nesting is None else nesting,
        )

    def _start(self) -> None:
        """Merge the resource's hints into the schema, as dlt's extractor does with a resource's
        first item, so the page sees the table (and the merge settings) dlt's normalizer would."""
        from dlt.common.normalizers.json.helpers import get_root_row_id_type

        from restsync._load._column_types import NotExact

        self._started = True
        self.schema.update_table(
            copy.deepcopy(self._hints), normalize_identifiers=False, merge_compound_props=False
        )
        self._declare_json(self.schema.tables[self.root]["columns"])
        reason = _schema_refusal(self.schema, self.root)
        if reason is None and get_root_row_id_type(self.schema, self.root) in _MERGE_ROW_HASH:
            reason = "its merge strategy derives _dlt_id from the row"
        if reason is not None:
            self.refuse(reason)
            raise NotExact(reason)

    def _root_key(self, config: Mapping[str, Any]) -> bool:
        from restsync._load._column_types import NotExact

        naming = self.schema.naming
        standard = {
            naming.normalize_identifier("_dlt_id"): naming.normalize_identifier("_dlt_root_id")
        }
        propagation = config.get("propagation") or {}
        mapping = (propagation.get("tables") or {}).get(self.root)
        if propagation.get("root") or mapping not in (None, standard):
            raise NotExact("the schema propagates other columns to nested tables")
        return mapping is not None

    def apply(self, tables: list[LaidTable]) -> Any:
        """Add the new columns to the schema, write the nested tables; the root table is what
        the step hands on to dlt."""
        from dlt.common.libs.pyarrow import normalize_py_arrow_item

        schema = self.schema
        self._declare_json(tables[0].new_columns)
        for laid in tables:
            if laid.new_columns:
                partial: dict[str, Any] = {"name": laid.name, "columns": laid.new_columns}
                if laid.parent is not None:
                    partial["parent"] = laid.parent
                schema.update_table(partial, normalize_identifiers=False)  # type: ignore[arg-type]
        for laid in tables[1:]:
            columns = schema.get_table_columns(laid.name)
            table = normalize_py_arrow_item(laid.table, columns, schema.naming, self.caps)
            self._storage().write_data_item(self.load_id, schema.name, laid.name, table, columns)
        return tables[0].table

    def _declare_json(self, columns: Mapping[str, Any]) -> None:
        """dlt's extractor types the root table's columns from each Arrow table it takes, except
        the columns the resource declares; a json column travels as text (as dlt's own Parquet
        writer stores it), so a json column the resource does not declare yet (one that
        max_table_nesting leaves whole) is declared on the resource."""
        # by normalized name: a config declares `filterTypes`, the table has `filter_types`; read
        # as two columns, the hint was declared again on every page, and dlt warned each time
        # that the two "collide"
        normalize = self.schema.naming.normalize_identifier
        declared = {
            normalize(name): column
            for name, column in (self._source_resource.columns or {}).items()
        }
        undeclared: list[Any] = [
            {"name": name, "data_type": "json"}
            for name, column in columns.items()
            if column.get("data_type") == "json"
            and declared.get(name, {}).get("data_type") != "json"
        ]
        if undeclared:
            self._source_resource.apply_hints(columns=undeclared)
        _ArrowMergeNotice.quiet(self._resource)

    def _storage(self) -> Any:
        if self._writers is None:
            from dlt.common.configuration.container import Container
            from dlt.common.data_writers import DataWriter
            from dlt.common.storages.load_package import LoadPackageStateInjectableContext
            from dlt.extract.storage import ExtractorItemStorage

            package = Container()[LoadPackageStateInjectableContext].storage
            spec = DataWriter.writer_spec_from_file_format("parquet", "arrow")
            self._writers = ExtractorItemStorage(package, spec)
        return self._writers

    def close(self, flush: bool) -> None:
        if self._writers is not None:
            self._writers.close_writers(self.load_id, skip_flush=not flush)
            self._writers = None


class _ArrowMergeNotice(logging.Filter):
    """Drops dlt's per-item warning that an Arrow table's column hints differ from the
    resource's, for the resources restsync lays out: their json columns travel as text by design
    (``_declare_json``), which is the one difference, so dlt warned on every page of every
    resource with a json column (56 lines in ``restsync demo``) about nothing the user can act
    on. dlt's INFO lines with the details are kept, and so is the warning for any other resource.
    """

    _installed: ClassVar[_ArrowMergeNotice | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.prefixes: set[str] = set()

    @classmethod
    def quiet(cls, resource: str) -> None:
        if cls._installed is None:
            cls._installed = cls()
            logging.getLogger("dlt").addFilter(cls._installed)
        cls._installed.prefixes.add(
            f"In resource: {resource}, when merging arrow schema with dlt schema,"
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not self.prefixes:
            return True
        message = str(record.msg)
        return not any(message.startswith(prefix) for prefix in self.prefixes)


def _capabilities() -> Any:
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.exceptions import ContextDefaultCannotBeCreated
    from dlt.common.destination.capabilities import DestinationCapabilitiesContext

    try:
        return Container()[DestinationCapabilitiesContext]
    except ContextDefaultCannotBeCreated:
        return DestinationCapabilitiesContext.generic_capabilities()


def _resource_refusal(resource: Any) -> str | None:
    if resource.has_dynamic_table_name or resource.has_other_dynamic_hints:
        return "the resource's hints depend on the data"
    if resource.validator is not None:
        return "the resource validates its records with a model"
    if resource.nested_hints:
        return "the resource has hints for nested tables"
    return None


def _schema_refusal(schema: Any, root: str) -> str | None:
    from dlt.common.normalizers.json.relational import DataItemNormalizer

    if type(schema.data_item_normalizer) is not DataItemNormalizer:
        return "the schema uses another JSON normalizer"
    if schema._compiled_excludes or schema._compiled_includes:
        return "the schema filters columns"
    contract = schema.resolve_contract_settings_for_table(root)
    if any(mode != "evolve" for mode in contract.values()):
        return "the table has a schema contract"
    return None


def _resource_named(name: str, step: Any) -> Any:
    """The resource ``step`` runs in: the one of that name, or the one whose pipe holds the step
    (a resource renamed after restsync built it, e.g. with ``with_name``)."""
    resources = dlt.current.source().resources
    if name in resources:
        return resources[name]
    return next(r for r in resources.values() if any(s is step for s in r._pipe.steps))
