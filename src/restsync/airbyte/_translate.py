"""A resolved manifest plus the user's config -> restsync's ``SourcePlan``.

One resource per stream, fetched by the ordinary engine. A stream with partitions or time slices
gets a computed resource in front of it (``_<stream>_slices``, not loaded) whose records are the
slices; a SubstreamPartitionRouter's parent is the parent stream's own resource when the manifest
lists that stream with the same definition, else a hidden copy (``_<stream>_parent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from restsync._errors import ConfigError
from restsync._plan import DEFAULT_RETRY, IncrementalPlan, ParentLink, ResourcePlan, SinglePaging
from restsync.airbyte._auth import body_key, build_auth
from restsync.airbyte._cursor import (
    client_side_cursor,
    count_start,
    datetime_cursor,
    feed_stop,
    incremental_plan,
    text_cursor,
)
from restsync.airbyte._decoders import (
    DecoderUnsupported,
    decoder_for,
    encoder_for,
    is_json,
    page_decoder,
    paginates,
)
from restsync.airbyte._errors import build_retry
from restsync.airbyte._jinja import Interpolator, Slice, TemplateError, UnknownSlice
from restsync.airbyte._parts import (
    Unsupported,
    _checked,
    _expect,
    build_columns,
    build_paginator,
    build_records,
    check_shapes,
    component_type,
    load_schema,
    request_option,
)
from restsync.airbyte._query import query_chain, query_properties, without_query_properties
from restsync.airbyte._records import RecordPipeline
from restsync.airbyte._requests import RequestOption, StreamRequests
from restsync.airbyte._side import DynamicSchema, dynamic_schema, schema_first
from restsync.airbyte._slices import (
    ParentPartitions,
    SliceParts,
    Slicer,
    TagPartition,
    grouping_router,
    list_router,
    slice_identity,
)

__all__ = ["Translator"]


@dataclass
class Translator:
    config: Mapping[str, Any]
    folder: Path | None
    streams: Mapping[str, Mapping[str, Any]]  # top-level streams by name, resolved
    wanted: frozenset[str] = frozenset()  # the streams the user asked for
    resources: dict[str, ResourcePlan] = field(default_factory=dict)
    base_url: str = ""

    def stream(self, spec: Mapping[str, Any], where: str, name: str, selected: bool) -> None:
        """Add the resources of one stream (and its parents and slices) under ``name``."""
        if name in self.resources:
            return
        check_shapes(spec, where)
        stream_kind = component_type(spec, where, "DeclarativeStream")
        if stream_kind == "StateDelegatingStream":
            self._delegating(spec, where, name, selected)
            return
        if stream_kind != "DeclarativeStream":
            raise Unsupported(where, stream_kind, "not supported")
        ai = Interpolator(self.config, spec.get("$parameters"))
        retriever = spec.get("retriever") or {}
        if isinstance(retriever, Mapping) and retriever.get("type") == "AsyncRetriever":
            from restsync.airbyte._async import async_stream  # report jobs: _async.py

            async_stream(self, spec, where, name, selected)
            return
        _expect(retriever, f"{where}.retriever", ("SimpleRetriever",), "SimpleRetriever")
        requests, auth, retry, actions, home = self._requests(
            retriever, ai, f"{where}.retriever", name
        )
        slicer, options, parts = self._slicer(spec, retriever, ai, where, name)
        counting = count_start(
            spec.get("incremental_sync"),
            ai,
            f"{where}.incremental_sync",
            bool(parts.lists or parts.parent),
        )
        requests = _with(
            requests, slice_options=options, feed_stop=feed_stop(spec, slicer), count_start=counting
        )
        schema, records = self._records(spec, retriever, ai, where)
        incremental = incremental_plan(
            spec.get("incremental_sync"), ai, f"{where}.incremental_sync"
        )
        decode = _decoder(retriever, f"{where}.retriever")
        self.add_resource(
            spec,
            where,
            name,
            (requests, auth, retry, actions, home),
            (slicer, parts),
            (schema, incremental),
            selected,
            _notes(requests, slicer, incremental),
            select=records,
            decode=decode,
            encode_body=encoder_for(retriever.get("decoder")) if decode else None,
        )
        self._other_chain(spec, retriever, where, name, parts)
        if isinstance(schema, DynamicSchema):
            self.resources[name] = schema_first(self.resources[name], schema)

    def _other_chain(
        self,
        spec: Mapping[str, Any],
        retriever: Mapping[str, Any],
        where: str,
        name: str,
        parts: SliceParts,
    ) -> None:
        """A stream whose pages are not one plain chain: its parent record embeds its first page
        (``lazy_read_pointer``), or each page is asked once per QueryProperties chunk."""
        query = query_properties(retriever.get("requester") or {}, f"{where}.retriever.requester")
        if parts.lazy:
            if query is not None:
                raise Unsupported(
                    f"{where}.retriever.requester",
                    "QueryProperties",
                    "with a lazy_read_pointer parent",
                )
            self._lazy(spec, retriever, where, name)
        elif query is not None:
            ai = Interpolator(self.config, spec.get("$parameters"))
            self.resources[name] = query_chain(self, self.resources[name], query, ai)

    def add_resource(
        self,
        spec: Mapping[str, Any],
        where: str,
        name: str,
        requested: tuple[StreamRequests, Any, Any, Any, str],
        sliced: tuple[Slicer | None, SliceParts],
        typed: tuple[Any, IncrementalPlan | None],
        selected: bool,
        notes: tuple[str, ...],
        *,
        select: Any = None,
        decode: Any = None,
        encode_body: Any = None,
        produce: Any = None,
    ) -> None:
        """Add one stream's ResourcePlan (and its slices' resource, if it has slices): the one
        place a SimpleRetriever's and an AsyncRetriever's stream become a resource.

        ``requested`` is what ``_requests`` reads of the stream's (creation) requester: its
        requests, auth, retry policy, response actions and home origin; ``typed`` the declared
        schema and the incremental plan. A SimpleRetriever's stream selects and decodes its
        pages (``select``, ``decode``, ``encode_body``); a report-job stream runs its own
        requests (``produce``, a ``JobRunner``)."""
        requests, auth, retry, actions, home = requested
        slicer, parts = sliced
        schema, incremental = typed
        parent = None
        if slicer is not None:
            helper = self._slices_resource(slicer, parts, where, name)
            parent = ParentLink(resource=helper, bindings={}, include=())
        key = _primary_key(spec.get("primary_key"))
        self.resources[name] = ResourcePlan(
            name=name,
            config_path=where,
            method=requests.method,
            path="",
            params={},
            headers={},
            json_body=None,
            paginator=requests,
            data_selector=None,
            stop_condition=None,
            auth=auth,
            retry=retry,
            primary_key=key,
            write_disposition=_disposition(incremental, key),
            table_name=name,
            hints=_hints(schema, incremental, text_cursor(spec.get("incremental_sync") or {})),
            parent=parent,
            incremental=incremental,
            response_actions=actions,
            select=select,
            decode=decode,
            encode_body=encode_body,
            selected=selected,
            notes=notes,
            produce=produce,
            base_url=home,  # each stream's credentials go to its own host only
        )

    def _lazy(
        self, spec: Mapping[str, Any], retriever: Mapping[str, Any], where: str, name: str
    ) -> None:
        """A stream whose parent embeds its first page (``lazy_read_pointer``) reads that page
        from the parent record (_lazy.py), with airbyte-cdk's LazySimpleRetriever's limits."""
        cursor = spec.get("incremental_sync")
        if isinstance(cursor, Mapping):
            at = f"{where}.incremental_sync"
            if component_type(cursor, at, "DatetimeBasedCursor") != "DatetimeBasedCursor":
                raise Unsupported(at, str(cursor.get("type")), _LAZY_REFUSED)
            if cursor.get("step") or cursor.get("cursor_granularity"):
                raise Unsupported(at, "DatetimeBasedCursor", f"a step, {_LAZY_REFUSED}")
        decoder = retriever.get("decoder")
        if isinstance(decoder, Mapping) and decoder.get("type") not in (None, "JsonDecoder"):
            raise Unsupported(f"{where}.retriever.decoder", str(decoder["type"]), _LAZY_REFUSED)
        from restsync.airbyte._lazy import LazyChain

        resource = self.resources[name]
        select = resource.select
        assert isinstance(resource.paginator, StreamRequests) and select is not None
        chain = LazyChain(name, resource.paginator, select, resource.max_pages)
        note = "lazy_read_pointer: each partition's first page is read from its parent record"
        self.resources[name] = _replace(resource, produce=chain, notes=(*resource.notes, note))

    def _delegating(self, spec: Mapping[str, Any], where: str, name: str, selected: bool) -> None:
        """A StateDelegatingStream reads its ``full_refresh_stream`` while the stream has no
        state and its ``incremental_stream`` once it has. restsync always runs the full-refresh
        stream (a first sync reads the same records as airbyte-cdk's); where that stream has a
        cursor of its own, later runs resume from it in dlt state, as any stream's does."""
        full = spec.get("full_refresh_stream")
        if not isinstance(full, Mapping):
            raise Unsupported(where, "StateDelegatingStream", "no full_refresh_stream")
        self.stream(full, f"{where}.full_refresh_stream", name, selected)
        resource = self.resources[name]
        note = "StateDelegatingStream: restsync runs its full_refresh_stream on every run"
        self.resources[name] = _replace(resource, notes=(*resource.notes, note))

    def _records(
        self, spec: Mapping[str, Any], retriever: Mapping[str, Any], ai: Any, where: str
    ) -> tuple[Any, Any]:
        """The stream's declared schema (a DynamicSchema: read at run time, _side.py), and how
        its records are selected and transformed."""
        loader, at = spec.get("schema_loader"), f"{where}.schema_loader"
        selector = retriever.get("record_selector") or {}
        normalize = (
            isinstance(selector, Mapping) and selector.get("schema_normalization") == "Default"
        )
        name = str(spec.get("name") or where)
        dynamic = dynamic_schema(self, loader, ai, at, name, normalize)
        schema = None if dynamic is not None else load_schema(loader, self.folder, ai, at)
        records = build_records(
            retriever.get("record_selector") or {},
            spec.get("transformations"),
            ai,
            f"{where}.retriever.record_selector",
            schema,
            client_side_cursor(spec.get("incremental_sync"), ai, f"{where}.incremental_sync"),
            stream_where=where,
        )
        return dynamic or schema, records

    # --- requests -------------------------------------------------------------------------

    def _requests(
        self, retriever: Mapping[str, Any], ai: Interpolator, where: str, name: str
    ) -> tuple[StreamRequests, Any, Any, Any, str]:
        requester = retriever.get("requester") or {}
        at = f"{where}.requester"
        _expect(requester, at, ("HttpRequester",), "HttpRequester")
        body = _json_body(requester, retriever, at)
        strategy, token_option, size_option = build_paginator(
            retriever.get("paginator"), ai, f"{where}.paginator"
        )
        url_base = requester.get("url_base")
        default_base = _base_url(requester, ai, at, name)
        if not self.base_url and default_base:
            self.base_url = default_base
        requests = StreamRequests(
            stream=name,
            interpolator=ai.with_parameters(requester.get("$parameters")),
            url_base=default_base if url_base else "",
            url=_checked(requester.get("url"), at),
            path=_checked(requester.get("path"), at),
            method=str(requester.get("http_method") or "GET").upper(),
            params=_checked(without_query_properties(requester.get("request_parameters")), at),
            headers=_checked(requester.get("request_headers"), at),
            body_json=_checked(body, at),
            body_data=_checked(_body_data(requester), at),
            strategy=strategy,
            page_token_option=token_option,
            page_size_option=size_option,
            skip_slice_options_when_paging=bool(
                retriever.get("ignore_stream_slicer_parameters_on_paginated_requests")
            ),
        )
        form_key = body_key(requester.get("authenticator"), ai, f"{at}.authenticator")
        if form_key is not None and not isinstance(_body_data(requester) or {}, Mapping):
            raise Unsupported(f"{at}.authenticator", "ApiKeyAuthenticator", "a key in a text body")
        requests = _with(requests, form_key=form_key)
        auth = (
            None
            if form_key
            else build_auth(requester.get("authenticator"), ai, f"{at}.authenticator")
        )
        retry, actions = build_retry(requester.get("error_handler"), f"{at}.error_handler", ai)
        return requests, auth, retry, actions, default_base

    # --- partitions and slices ------------------------------------------------------------

    def _slicer(
        self,
        stream: Mapping[str, Any],
        retriever: Mapping[str, Any],
        ai: Interpolator,
        where: str,
        name: str,
    ) -> tuple[Slicer | None, tuple[tuple[RequestOption, str], ...], SliceParts]:
        routers = retriever.get("partition_router") or retriever.get("stream_slicer")
        routers = routers if isinstance(routers, list) else [routers] if routers else []
        parts = SliceParts()
        for i, router in enumerate(routers):
            at = f"{where}.retriever.partition_router" + (f"[{i}]" if len(routers) > 1 else "")
            kind = _expect(
                router,
                at,
                ("ListPartitionRouter", "SubstreamPartitionRouter", "GroupingPartitionRouter"),
            )
            rai = ai.with_parameters(router.get("$parameters"))
            if kind == "GroupingPartitionRouter":
                grouping_router(router, rai, at, parts)
            elif kind == "ListPartitionRouter":
                list_router(router, rai, at, parts)
            else:
                only = isinstance(retriever.get("partition_router"), Mapping)
                cursor = stream.get("incremental_sync")
                self._substream_router(router, rai, at, name, parts, only, cursor)
        window = datetime_cursor(
            stream.get("incremental_sync"), ai, f"{where}.incremental_sync", name
        )
        if window is not None:
            spec = stream["incremental_sync"]
            for key, end in (
                ("start_time_option", window.start_key),
                ("end_time_option", window.end_key),
            ):
                option = request_option(spec.get(key), ai, f"{where}.incremental_sync.{key}")
                if option is not None:
                    parts.options.append((option, end))
        if not parts.lists and parts.parent is None and window is None:
            return None, (), parts
        slicer = Slicer(
            stream=name,
            lists=tuple(parts.lists),
            parent=parts.parent,
            cursor=window,
            others=tuple(parts.others),
            first_sync_only=parts.first_sync_only,
        )
        return slicer, tuple(parts.options), parts

    def _substream_router(
        self,
        router: Mapping[str, Any],
        ai: Interpolator,
        at: str,
        name: str,
        parts: SliceParts,
        only: bool = True,
        cursor: Any = None,
    ) -> None:
        configs = router.get("parent_stream_configs") or []
        if len(configs) != 1:
            raise Unsupported(at, "SubstreamPartitionRouter", "more than one parent stream")
        config = configs[0]
        pointer = _lazy_pointer(
            config.get("lazy_read_pointer"), ai, f"{at}.parent_stream_configs[0].lazy_read_pointer"
        )
        # airbyte-cdk reads lazily only below a stream's one SubstreamPartitionRouter
        lazy = bool(pointer) and only and parts.parent is None
        partition_field = str(ai.eval(config.get("partition_field")))
        partitions = ParentPartitions(
            parent_key=tuple(str(ai.eval(config.get("parent_key"))).split("/")),
            partition_field=partition_field,
            extra_fields=tuple(tuple(str(k) for k in p) for p in config.get("extra_fields") or []),
            lazy_pointer=pointer if lazy else (),
        )
        parts.lazy = parts.lazy or lazy
        option = request_option(config.get("request_option"), ai, f"{at}.request_option")
        if option is not None:
            parts.options.append((option, partition_field))
        parent_spec = config.get("stream") or {}
        parent_stream = self._parent(parent_spec, f"{at}.parent_stream_configs[0].stream", name)
        if parts.parent is None:
            parts.parent, parts.parent_stream = partitions, parent_stream
        else:  # a second router: every partition of the first times every one of this
            parts.others.append(partitions)
            parts.other_streams.append(parent_stream)
        if config.get("incremental_dependency") and parent_stream != parent_spec.get("name"):
            # a shared parent resumes from its own saved cursor, as Airbyte's dependency does;
            # a hidden copy of the parent has no state of its own: restsync runs the first sync
            # (the copy read in full, as airbyte-cdk reads it without state) and stops the
            # stream on a later run, when airbyte-cdk would resume the copy from this stream's
            # state (``resumed_dependency``). Without a cursor of its own the stream keeps no
            # state to tell a later run by: refused
            if not isinstance(cursor, Mapping) or cursor.get("type") != "DatetimeBasedCursor":
                raise Unsupported(
                    at,
                    "ParentStreamConfig",
                    "incremental_dependency on a parent that is not one of the manifest's streams"
                    + _copy_differs(
                        parent_spec, self.streams.get(str(parent_spec.get("name") or ""))
                    )
                    + " in a stream without a DatetimeBasedCursor: airbyte-cdk keeps that "
                    "parent's cursor in this stream's state and on a later sync reads only the "
                    "children of parents changed since; restsync's copy of the parent keeps no "
                    "state, and this stream none that would tell a later sync from the first",
                )
            parts.first_sync_only = str(parent_spec.get("name") or parent_stream)

    def _parent(self, spec: Mapping[str, Any], where: str, child: str) -> str:
        name = str(spec.get("name") or "")
        if name and self.streams.get(name) == spec:
            self.stream(spec, where, name, selected=name in self.wanted)
            return name
        hidden = f"_{child}_parent"
        if hidden in self.resources:  # the parent of a second SubstreamPartitionRouter
            hidden += str(sum(n.startswith(hidden) for n in self.resources) + 1)
        self.stream(spec, where, hidden, selected=False)
        return hidden

    def _slices_resource(self, slicer: Slicer, parts: SliceParts, where: str, name: str) -> str:
        parent_stream = parts.parent_stream
        helper = f"_{name}_slices"
        once = self._read_once(slicer, parts)
        self.resources[helper] = ResourcePlan(
            name=helper,
            config_path=where,
            method="GET",
            path="",
            params={},
            headers={},
            json_body=None,
            paginator=SinglePaging(),
            data_selector=None,
            stop_condition=None,
            auth=None,
            retry=DEFAULT_RETRY,
            primary_key=(),
            write_disposition="append",
            table_name=helper,
            hints={},
            parent=(
                ParentLink(parent_stream, {}, (), product=tuple(parts.other_streams))
                if parent_stream
                else None
            ),
            selected=False,
            compute=slicer,
            compute_key=slice_identity if once else None,
            notes=(
                f"the slices of stream '{name}', computed: no request is sent",
                *(("a partition several parent records name is read once",) if once else ()),
            ),
        )
        return helper

    def _read_once(self, slicer: Slicer, parts: SliceParts) -> bool:
        """Whether a partition named again by another parent record is left out, as
        airbyte-cdk's per-partition cursor (an incremental stream with a partition router)
        leaves it out. Only where restsync's partition is airbyte-cdk's to the letter,
        ``parent_slice`` included: each parent's records carry their own partition
        (``_parent_slices``), or the parent has none."""
        exact = all([self._parent_slices(p) for p in parts.parent_streams()])
        if slicer.cursor is None or parts.lazy or not (parts.lists or parts.parent):
            return False
        return exact

    def _parent_slices(self, parent: str) -> bool:
        """Whether the records of ``parent`` tell their children the partition they were read
        under (airbyte-cdk's ``parent_slice``): a parent without partitions has ``{}``, one
        with them has its ``select`` hook tag each record (``TagPartition``). A parent that
        runs its own requests (report jobs, lazy or chunked reads) is not tagged: False."""
        resource = self.resources[parent]
        link = resource.parent
        above = self.resources[link.resource].compute if link is not None else None
        if not isinstance(above, Slicer) or not (above.lists or above.parent):
            return link is None or isinstance(above, Slicer)
        if isinstance(resource.select, TagPartition):
            return True
        if not isinstance(resource.select, RecordPipeline) or resource.produce is not None:
            return False
        self.resources[parent] = _replace(resource, select=TagPartition.over(resource.select))
        return True


def _json_body(requester: Mapping[str, Any], retriever: Mapping[str, Any], at: str) -> Any:
    """The request's JSON body template; other body kinds are rejected."""
    for key in ("request_headers", "request_body_json"):  # request_parameters: _query.py
        options = requester.get(key)
        for name, value in (options or {}).items() if isinstance(options, Mapping) else ():
            if isinstance(value, Mapping) and value.get("type") == "QueryProperties":
                # sent as its text it would ask the API for nonsense: refused by name
                raise Unsupported(
                    f"{at}.{key}.{name}",
                    "QueryProperties",
                    "properties listed, fetched or chunked per request are not supported",
                )
    request_body = requester.get("request_body")
    if request_body:
        kind = _expect(request_body, f"{at}.request_body", _BODY_KINDS)
        return request_body.get("value") if kind == "RequestBodyJsonObject" else None
    return requester.get("request_body_json")


_LAZY_REFUSED = "with a lazy_read_pointer parent, which airbyte-cdk refuses too"


def _lazy_pointer(value: Any, ai: Interpolator, at: str) -> tuple[str, ...]:
    """A ParentStreamConfig's ``lazy_read_pointer``, its parts rendered with the config."""
    if not value:
        return ()
    if not isinstance(value, list):
        raise Unsupported(at, _shape(value), "the manifest schema allows a list here")
    if any("*" in str(part) for part in value):
        raise Unsupported(at, "lazy_read_pointer", "a '*' in it, which airbyte-cdk refuses too")
    return tuple(str(ai.eval(part)) for part in value)


def _shape(value: Any) -> str:
    return "a text" if isinstance(value, str) else f"the value {value!r}"


def _decoder(retriever: Mapping[str, Any], where: str) -> Any:
    """How the stream's pages are decoded: None for JSON (the engine's own parsing), else the
    page function of the retriever's ``decoder``. airbyte-cdk reads the retriever's decoder
    only (a ``decoder`` under the requester or the extractor is not in its model), and lets a
    paginator read JSON and XML pages only."""
    spec = retriever.get("decoder")
    at = f"{where}.decoder"
    try:
        decoder = decoder_for(spec, at)
    except DecoderUnsupported as exc:
        raise Unsupported(exc.path, exc.component, exc.reason) from None
    if is_json(spec) or not isinstance(spec, Mapping):
        return None
    paginator = retriever.get("paginator")
    if isinstance(paginator, Mapping) and paginator.get("type") not in (None, "NoPagination"):
        if not paginates(spec) or spec.get("type") == "GzipDecoder":
            raise Unsupported(
                at,
                str(spec.get("type")),
                "with a paginator: airbyte-cdk paginates JSON and XML pages only",
            )
    return page_decoder(decoder)


_BODY_KINDS = ("RequestBodyJsonObject", "RequestBodyUrlEncodedForm", "RequestBodyPlainText")


def _body_data(requester: Mapping[str, Any]) -> Any:
    """The request's form fields or text body (``request_body_data``, or a ``request_body`` of
    type RequestBodyUrlEncodedForm / RequestBodyPlainText)."""
    request_body = requester.get("request_body")
    if isinstance(request_body, Mapping) and request_body.get("type") != "RequestBodyJsonObject":
        return request_body.get("value")
    return requester.get("request_body_data")


def _base_url(requester: Mapping[str, Any], ai: Interpolator, at: str, name: str) -> str:
    """``url_base`` (or ``url``) rendered with the config; it must be an http(s) URL. A ``url``
    holds the whole address, often with a partition in it (outlook's
    ``.../messages/{{ stream_partition['message_id'] }}``): an empty slice stands in for it."""
    template = requester.get("url_base") or requester.get("url")
    key = "url_base" if requester.get("url_base") else "url"
    empty = {"stream_slice": Slice(), "next_page_token": None}
    try:
        rendered = ai.text(template, **empty).strip()  # a `{% set %}` line leaves a blank
        if not rendered.startswith(("http://", "https://")):
            # a partition deeper in the slice (instagram's stream_partition.account.id) is
            # unknown at check: any value of it renders empty, and the origin is the stream's
            unknown = {"stream_slice": UnknownSlice(), "next_page_token": None}
            whole = urlsplit(ai.text(template, **unknown).strip())
            if whole.scheme in ("http", "https") and whole.netloc:
                rendered = f"{whole.scheme}://{whole.netloc}"
    except TemplateError as exc:
        raise Unsupported(f"{at}.{key}", "template", str(exc)) from None
    if not rendered.startswith(("http://", "https://")) and "{{" not in rendered:
        raise ConfigError(
            f"{at}.{key}",
            f"stream '{name}': {key} {template!r} gives {rendered!r} with this config, not an "
            "http(s) URL; give the config values it reads (restsync run MANIFEST --config "
            "CONFIG.json)",
        )
    return rendered


def _disposition(incremental: IncrementalPlan | None, key: tuple[str, ...]) -> str:
    if incremental is None:
        return "replace"  # a full-refresh stream: each run is the whole table
    return "merge" if key else "append"


def _hints(schema: Any, incremental: IncrementalPlan | None, text: bool) -> dict[str, Any]:
    columns = build_columns(schema)
    if incremental is not None and text:
        # the cursor is compared as the text the API sends: keep its column text, or a
        # schema's date-time type would turn it into timestamps dlt cannot compare
        columns[incremental.cursor_path] = {"data_type": "text", "nullable": True}
    return {"columns": columns} if columns else {}


def _primary_key(value: Any) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        return (value,)
    keys: list[str] = []
    for item in value:
        if isinstance(item, list):
            if len(item) != 1:
                raise Unsupported("primary_key", "primary_key", "a nested key path")
            keys.append(str(item[0]))
        else:
            keys.append(str(item))
    return tuple(keys)


def _with(requests: StreamRequests, **changes: Any) -> StreamRequests:
    from dataclasses import replace

    return replace(requests, **changes)


def _notes(requests: StreamRequests, slicer: Slicer | None, incremental: Any) -> tuple[str, ...]:
    notes = [
        f"Airbyte stream: {requests.method} {requests.url_base or requests.url}"
        f"{'/' + str(requests.path).lstrip('/') if requests.path else ''}"
    ]
    if requests.strategy is not None:
        notes.append(f"pagination: {requests.strategy}")
    if slicer is not None:
        parts = []
        parts += [
            f"one partition per parent record ('{'/'.join(p.parent_key)}' as '{p.partition_field}')"
            for p in ((slicer.parent, *slicer.others) if slicer.parent else ())
        ]
        parts += [f"one partition per '{p.field}' in {list(p.values)}" for p in slicer.lists]
        if slicer.cursor is not None:
            parts.append(f"time windows of {slicer.cursor.step or 'the whole range'}")
        notes.append("slices: " + ", times ".join(parts))
        if slicer.first_sync_only:
            notes.append(
                f"incremental_dependency on a copy of '{slicer.first_sync_only}': read in full "
                "(airbyte-cdk's first sync); a run with this stream's cursor saved stops it"
            )
    if incremental is not None:
        notes.append(
            f"incremental on '{incremental.cursor_path}': the saved value is kept in dlt state"
        )
    return tuple(notes)


def config_error(problem: Unsupported, stream: str, others: list[str]) -> ConfigError:
    can = (
        f"the other streams can still run: {', '.join(others)}"
        if others
        else "no other stream can run"
    )
    return ConfigError(
        problem.where,
        f"stream '{stream}' uses {problem.component}"
        + (f" ({problem.reason})" if problem.reason else "")
        + f", which restsync cannot run; {can}",
    )


def _copy_differs(copy: Mapping[str, Any], stream: Mapping[str, Any] | None) -> str:
    """`` (a copy of stream 'x' that differs at retriever.requester.path)``: where a parent
    written into a router differs from the manifest's stream of its name (at most 3 places)."""
    if stream is None:
        return ""
    places: list[str] = []

    def walk(mine: Any, theirs: Any, path: str, depth: int) -> None:
        if len(places) >= 3 or mine == theirs:
            return
        if isinstance(mine, Mapping) and isinstance(theirs, Mapping) and depth < 20:
            for key in sorted({*mine, *theirs}, key=str):
                step = f"{path}.{key}" if path else str(key)
                walk(mine.get(key), theirs.get(key), step, depth + 1)
        else:
            places.append(path or "(the whole stream)")

    walk(copy, stream, "", 0)
    return f" (a copy of stream '{copy.get('name')}' that differs at {', '.join(places)})"
