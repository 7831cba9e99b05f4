"""A resolved manifest plus the user's config -> restsync's ``SourcePlan``.

One resource per stream, fetched by the ordinary engine. A stream with partitions or time slices
gets a computed resource in front of it (``_<stream>_slices``, not loaded) whose records are the
slices; a SubstreamPartitionRouter's parent is the parent stream's own resource when the manifest
lists that stream with the same definition, else a hidden copy (``_<stream>_parent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from restsync._errors import ConfigError
from restsync.airbyte._dates import format_datetime, parse_datetime, parse_duration
from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._parts import (
    Unsupported,
    _checked,
    _expect,
    build_auth,
    build_columns,
    build_paginator,
    build_records,
    build_retry,
    component_type,
    load_schema,
    request_option,
)
from restsync.airbyte._requests import RequestOption, StreamRequests
from restsync.airbyte._slices import DatetimeSlicer, ListPartitions, ParentPartitions, Slicer
from restsync.config import SinglePagePaginator
from restsync.plan import DEFAULT_RETRY, IncrementalPlan, ParentLink, ResourcePlan

__all__ = ["Translator"]

_EPOCH_FORMATS = ("%s", "%ms", "%s_as_float", "%epoch_microseconds")


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
        stream_kind = component_type(spec, where, "DeclarativeStream")
        if stream_kind != "DeclarativeStream":
            raise Unsupported(where, stream_kind, "not supported")
        ai = Interpolator(self.config, spec.get("$parameters"))
        retriever = spec.get("retriever") or {}
        _expect(retriever, f"{where}.retriever", ("SimpleRetriever",), "SimpleRetriever")
        requests, auth, retry, actions = self._requests(retriever, ai, f"{where}.retriever", name)
        slicer, options, parent_stream = self._slicer(spec, retriever, ai, where, name)
        requests = _with(requests, slice_options=options, feed_stop=_feed_stop(spec, slicer))
        schema = load_schema(spec.get("schema_loader"), self.folder, ai, f"{where}.schema_loader")
        records = build_records(
            retriever.get("record_selector") or {},
            spec.get("transformations"),
            ai,
            f"{where}.retriever.record_selector",
            schema,
        )
        columns = build_columns(schema)
        incremental = self._incremental(
            spec.get("incremental_sync"), ai, f"{where}.incremental_sync"
        )
        if incremental is not None and isinstance(incremental.initial_value, str):
            # the cursor is compared as the text the API sends: keep its column text, or a
            # schema's date-time type would turn it into timestamps dlt cannot compare
            columns[incremental.cursor_path] = {"data_type": "text", "nullable": True}
        parent = None
        if slicer is not None:
            helper = self._slices_resource(slicer, parent_stream, where, name)
            parent = ParentLink(resource=helper, bindings={}, include=())
        key = _primary_key(spec.get("primary_key"))
        if incremental is not None:
            disposition = "merge" if key else "append"
        else:
            disposition = "replace"
        self.resources[name] = ResourcePlan(
            name=name,
            config_path=where,
            method=requests.method,
            path="",
            params={},
            headers={},
            json_body=None,
            paginator=requests,  # type: ignore[arg-type]
            data_selector=None,
            stop_condition=None,
            auth=auth,
            retry=retry,
            primary_key=key,
            write_disposition=disposition,
            table_name=name,
            hints={"columns": columns} if columns else {},
            parent=parent,
            incremental=incremental,
            response_actions=actions,
            select=records,
            selected=selected,
            notes=_notes(requests, slicer, incremental),
        )

    # --- requests -------------------------------------------------------------------------

    def _requests(
        self, retriever: Mapping[str, Any], ai: Interpolator, where: str, name: str
    ) -> tuple[StreamRequests, Any, Any, Any]:
        requester = retriever.get("requester") or {}
        at = f"{where}.requester"
        _expect(requester, at, ("HttpRequester",), "HttpRequester")
        if requester.get("request_body_data"):
            raise Unsupported(at, "HttpRequester", "a form-encoded request_body_data")
        if requester.get("query_properties") or requester.get("fetch_properties_from_endpoint"):
            raise Unsupported(at, "QueryProperties", "not supported")
        body = requester.get("request_body_json")
        request_body = requester.get("request_body")
        if request_body:
            _expect(request_body, f"{at}.request_body", ("RequestBodyJsonObject",))
            body = request_body.get("value")
        decoder = retriever.get("decoder") or requester.get("decoder")
        if decoder:
            _expect(decoder, f"{where}.decoder", ("JsonDecoder",))
        strategy, token_option, size_option = build_paginator(
            retriever.get("paginator"), ai, f"{where}.paginator"
        )
        url_base = requester.get("url_base")
        default_base = ai.text(url_base) if url_base else ai.text(requester.get("url"))
        if not default_base.startswith(("http://", "https://")) and "{{" not in default_base:
            key = "url_base" if url_base else "url"
            raise ConfigError(
                f"{at}.{key}",
                f"stream '{name}': {key} {url_base or requester.get('url')!r} gives "
                f"{default_base!r} with this config, not an http(s) URL; give the config "
                "values it reads (restsync run MANIFEST --config CONFIG.json)",
            )
        if not self.base_url and default_base:
            self.base_url = default_base
        requests = StreamRequests(
            stream=name,
            interpolator=ai.with_parameters(requester.get("$parameters")),
            url_base=default_base if url_base else "",
            url=_checked(requester.get("url"), at),
            path=_checked(requester.get("path"), at),
            method=str(requester.get("http_method") or "GET").upper(),
            params=_checked(requester.get("request_parameters"), at),
            headers=_checked(requester.get("request_headers"), at),
            body_json=_checked(body, at),
            strategy=strategy,
            page_token_option=token_option,
            page_size_option=size_option,
            skip_slice_options_when_paging=bool(
                retriever.get("ignore_stream_slicer_parameters_on_paginated_requests")
            ),
        )
        auth = build_auth(requester.get("authenticator"), ai, f"{at}.authenticator")
        retry, actions = build_retry(requester.get("error_handler"), f"{at}.error_handler")
        return requests, auth, retry, actions

    # --- partitions and slices ------------------------------------------------------------

    def _slicer(
        self,
        stream: Mapping[str, Any],
        retriever: Mapping[str, Any],
        ai: Interpolator,
        where: str,
        name: str,
    ) -> tuple[Slicer | None, tuple[tuple[RequestOption, str], ...], str | None]:
        routers = retriever.get("partition_router") or retriever.get("stream_slicer")
        routers = routers if isinstance(routers, list) else [routers] if routers else []
        lists: list[ListPartitions] = []
        parent: ParentPartitions | None = None
        options: list[tuple[RequestOption, str]] = []
        parent_stream: str | None = None
        for i, router in enumerate(routers):
            at = f"{where}.retriever.partition_router" + (f"[{i}]" if len(routers) > 1 else "")
            kind = _expect(router, at, ("ListPartitionRouter", "SubstreamPartitionRouter"))
            rai = ai.with_parameters(router.get("$parameters"))
            if kind == "ListPartitionRouter":
                values = rai.eval(router.get("values"))
                if isinstance(values, str):
                    values = [values]
                cursor = str(rai.eval(router.get("cursor_field")))
                lists.append(ListPartitions(cursor, tuple(values or ())))
                option = request_option(router.get("request_option"), rai, f"{at}.request_option")
                if option is not None:
                    options.append((option, cursor))
                continue
            configs = router.get("parent_stream_configs") or []
            if len(configs) != 1 or parent is not None:
                raise Unsupported(at, "SubstreamPartitionRouter", "more than one parent stream")
            config = configs[0]
            if config.get("lazy_read_pointer"):
                raise Unsupported(at, "ParentStreamConfig", "lazy_read_pointer")
            partition_field = str(rai.eval(config.get("partition_field")))
            parent = ParentPartitions(
                parent_key=tuple(str(rai.eval(config.get("parent_key"))).split("/")),
                partition_field=partition_field,
                extra_fields=tuple(
                    tuple(str(k) for k in p) for p in config.get("extra_fields") or []
                ),
            )
            option = request_option(config.get("request_option"), rai, f"{at}.request_option")
            if option is not None:
                options.append((option, partition_field))
            parent_stream = self._parent(
                config.get("stream") or {}, f"{at}.parent_stream_configs[0].stream", name
            )
            if config.get("incremental_dependency") and parent_stream != config["stream"].get(
                "name"
            ):
                # a shared parent resumes from its own saved cursor, as Airbyte's dependency
                # does; a hidden copy of the parent has no state of its own
                raise Unsupported(
                    at,
                    "ParentStreamConfig",
                    "incremental_dependency on a parent that is not one of the manifest's streams",
                )
        window = self._cursor(stream.get("incremental_sync"), ai, f"{where}.incremental_sync", name)
        if window is not None:
            spec = stream["incremental_sync"]
            for key, end in (
                ("start_time_option", window.start_key),
                ("end_time_option", window.end_key),
            ):
                option = request_option(spec.get(key), ai, f"{where}.incremental_sync.{key}")
                if option is not None:
                    options.append((option, end))
        if not lists and parent is None and window is None:
            return None, (), None
        slicer = Slicer(stream=name, lists=tuple(lists), parent=parent, cursor=window)
        return slicer, tuple(options), parent_stream

    def _parent(self, spec: Mapping[str, Any], where: str, child: str) -> str:
        name = str(spec.get("name") or "")
        if name and self.streams.get(name) == spec:
            self.stream(spec, where, name, selected=name in self.wanted)
            return name
        hidden = f"_{child}_parent"
        self.stream(spec, where, hidden, selected=False)
        return hidden

    def _slices_resource(
        self, slicer: Slicer, parent_stream: str | None, where: str, name: str
    ) -> str:
        helper = f"_{name}_slices"
        self.resources[helper] = ResourcePlan(
            name=helper,
            config_path=where,
            method="GET",
            path="",
            params={},
            headers={},
            json_body=None,
            paginator=SinglePagePaginator(type="single_page"),
            data_selector=None,
            stop_condition=None,
            auth=None,
            retry=DEFAULT_RETRY,
            primary_key=(),
            write_disposition="append",
            table_name=helper,
            hints={},
            parent=ParentLink(parent_stream, {}, ()) if parent_stream else None,
            selected=False,
            compute=slicer,
            notes=(f"the slices of stream '{name}', computed: no request is sent",),
        )
        return helper

    def _cursor(self, spec: Any, ai: Interpolator, where: str, name: str) -> DatetimeSlicer | None:
        if not spec:
            return None
        _expect(spec, where, ("DatetimeBasedCursor",))
        for flag in ("is_client_side_incremental", "global_substream_cursor"):
            if spec.get(flag):
                raise Unsupported(where, "DatetimeBasedCursor", flag)
        if spec.get("clamping"):
            raise Unsupported(where, "DatetimeBasedCursor", "clamping")
        cai = ai.with_parameters(spec.get("$parameters"))
        fmt = str(spec.get("datetime_format"))
        start = _min_max(spec.get("start_datetime"), cai, fmt, f"{where}.start_datetime")
        if start is None:
            template = spec.get("start_datetime")
            if isinstance(template, Mapping):
                template = template.get("datetime")
            raise ConfigError(
                f"{where}.start_datetime",
                f"stream '{name}': start_datetime {template!r} is empty with this config; "
                "give the config value it reads (e.g. start_date)",
            )
        end = _min_max(spec.get("end_datetime"), cai, fmt, f"{where}.end_datetime")
        return DatetimeSlicer(
            stream=name,
            datetime_format=fmt,
            start=start,
            end=end,
            step=_duration(cai.eval(spec.get("step")), where),
            granularity=_duration(cai.eval(spec.get("cursor_granularity")), where),
            start_key=str(cai.eval(spec.get("partition_field_start")) or "start_time"),
            end_key=str(cai.eval(spec.get("partition_field_end")) or "end_time"),
            lookback=_duration(cai.eval(spec.get("lookback_window")), where),
            cursor_formats=tuple(spec.get("cursor_datetime_formats") or ()),
        )

    def _incremental(self, spec: Any, ai: Interpolator, where: str) -> IncrementalPlan | None:
        if not spec:
            return None
        cai = ai.with_parameters(spec.get("$parameters"))
        fmt = str(spec.get("datetime_format"))
        start = _min_max(spec.get("start_datetime"), cai, fmt, where)
        assert start is not None
        text = format_datetime(start, fmt)
        latest: Any = "max"
        if fmt in _EPOCH_FORMATS:
            initial: Any = float(text) if "." in text else int(text)
        else:
            initial = text
            if not fmt.startswith("%Y"):  # text order is not time order: compare as datetimes
                formats = (*(spec.get("cursor_datetime_formats") or ()), fmt)
                latest = LatestDatetime(tuple(str(f) for f in formats))
        return IncrementalPlan(
            cursor_path=str(cai.eval(spec.get("cursor_field"))),
            initial_value=initial,
            last_value_func=latest,
            on_cursor_value_missing="include",
        )


@dataclass(frozen=True)
class LatestDatetime:
    """dlt's last_value_func for cursor values kept as text in a format that does not sort."""

    formats: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "__name__", "latest_datetime")  # dlt names the function

    def __call__(self, values: Any) -> Any:
        return max(values, key=self._instant)

    def _instant(self, value: Any) -> datetime:
        for fmt in self.formats:
            try:
                return parse_datetime(value, fmt)
            except (ValueError, TypeError, OverflowError):
                continue
        return datetime.min.replace(tzinfo=UTC)  # unreadable values never win


def _min_max(spec: Any, ai: Interpolator, fmt: str, where: str) -> datetime | None:
    """A start or end datetime, read strictly with its format as Airbyte reads it (a value in
    another format is a config error, not a guess); ``min_datetime``/``max_datetime`` clamp it."""
    bounds: tuple[Any, Any] = (None, None)
    if isinstance(spec, Mapping):
        fmt = str(spec.get("datetime_format") or fmt)
        bounds = (spec.get("min_datetime"), spec.get("max_datetime"))
        spec = spec.get("datetime")
    value = _read_datetime(spec, ai, fmt, where)
    if value is None:
        return None
    low, high = (_read_datetime(b, ai, fmt, where) for b in bounds)
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def _read_datetime(template: Any, ai: Interpolator, fmt: str, where: str) -> datetime | None:
    if template is None:
        return None
    value = ai.eval(template)
    if value is None or value == "":
        return None
    try:
        return parse_datetime(str(value), fmt)
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(
            where,
            f"the datetime '{value}' does not match the format '{fmt}'; "
            "give the config value in that format",
        ) from None


def _duration(value: Any, where: str) -> timedelta | None:
    if value in (None, ""):
        return None
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise Unsupported(where, "DatetimeBasedCursor", str(exc)) from None


def _feed_stop(stream: Mapping[str, Any], slicer: Slicer | None) -> Any:
    from restsync.airbyte._requests import FeedStop

    spec = stream.get("incremental_sync")
    if not isinstance(spec, Mapping) or not spec.get("is_data_feed") or slicer is None:
        return None
    window = slicer.cursor
    if window is None:
        return None
    formats = (*(str(f) for f in spec.get("cursor_datetime_formats") or ()), window.datetime_format)
    return FeedStop(str(spec.get("cursor_field")), formats, window.start_key, window.end_key)


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
        if slicer.parent is not None:
            parts.append(
                f"one partition per parent record ('{'/'.join(slicer.parent.parent_key)}' "
                f"as '{slicer.parent.partition_field}')"
            )
        parts += [f"one partition per '{p.field}' in {list(p.values)}" for p in slicer.lists]
        if slicer.cursor is not None:
            parts.append(f"time windows of {slicer.cursor.step or 'the whole range'}")
        notes.append("slices: " + ", times ".join(parts))
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
