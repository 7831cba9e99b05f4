"""Partitions and time slices: the "parent records" a manifest stream's requests are built from.

Each stream with a partition router or a ``DatetimeBasedCursor`` gets a computed resource in
front of it (the engine's ``compute`` hook): it turns each record of the parent stream (or, for a
root, nothing) into the stream's slices, and every slice starts one chain of the stream's pages.
Slices combine as Airbyte combines them: every partition times every time window.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from restsync._errors import ExtractionError
from restsync.airbyte._dates import CalendarStep, format_datetime, parse_datetime
from restsync.airbyte._jinja import Interpolator, Slice
from restsync.airbyte._parts import Unsupported, _expect, request_option
from restsync.airbyte._records import RecordPipeline, _dpath_get
from restsync.airbyte._requests import RequestOption

__all__ = [
    "DatetimeSlicer",
    "ListPartitions",
    "ParentPartitions",
    "PartitionedRecord",
    "SliceParts",
    "Slicer",
    "TagPartition",
    "grouping_router",
    "list_router",
    "resumed_dependency",
    "slice_identity",
]


@dataclass(frozen=True)
class DatetimeSlicer:
    """Airbyte's DatetimeBasedCursor windows: ``[start, start + step - granularity]``, ... up to
    the end (the last window ends at the end itself); one window when there is no step."""

    stream: str
    datetime_format: str
    start: datetime
    end: datetime | None  # None: now, when the run starts
    step: CalendarStep | None = None
    granularity: timedelta | None = None
    start_key: str = "start_time"
    end_key: str = "end_time"
    lookback: CalendarStep | None = None  # months too (brex's, timely's P1M)
    cursor_formats: tuple[str, ...] = ()

    def windows(self, saved: Any) -> list[dict[str, str]]:
        """The windows of one run; ``saved`` is the stream's saved cursor (dlt state), if any."""
        lower = self.start
        resumed = self._parse(saved)
        if resumed is not None:
            lower = max(lower, self.lookback.before(resumed) if self.lookback else resumed)
        upper = self.end or datetime.now(UTC)
        if lower > upper:
            return []
        if self.step is None or self.step.after(lower) >= upper:
            return [self._window(lower, upper)]
        windows = []
        while lower < upper:
            following = min(self.step.after(lower), upper)
            last = following >= upper
            end = following - self.granularity if self.granularity and not last else following
            windows.append(self._window(lower, end))
            lower = following
        return windows

    def _parse(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        for fmt in (*self.cursor_formats, self.datetime_format):
            try:
                return parse_datetime(value, fmt)
            except (ValueError, TypeError, OverflowError):
                continue
        return None

    def _window(self, start: datetime, end: datetime) -> dict[str, str]:
        return {
            self.start_key: format_datetime(start, self.datetime_format),
            self.end_key: format_datetime(end, self.datetime_format),
        }


@dataclass(frozen=True)
class ListPartitions:
    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class ParentPartitions:
    parent_key: tuple[str, ...]
    partition_field: str
    extra_fields: tuple[tuple[str, ...], ...] = ()
    # lazy_read_pointer: where the parent record embeds the child's first page (_lazy.py)
    lazy_pointer: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slicer:
    """The engine's ``compute`` hook for one stream: parent record in, the stream's slices out."""

    stream: str
    lists: tuple[ListPartitions, ...] = ()
    parent: ParentPartitions | None = None
    cursor: DatetimeSlicer | None = None
    # further SubstreamPartitionRouters: the engine then hands in ``(record, *others)``, one
    # record of each parent stream, in the routers' order
    others: tuple[ParentPartitions, ...] = ()
    # incremental_dependency on a parent copied into the router: that parent's name in the
    # manifest. restsync reads the copy in full, which is airbyte-cdk's first sync only
    first_sync_only: str = ""

    def __call__(self, parent_record: Any, start_values: Mapping[str, Any]) -> list[Slice]:
        if self.first_sync_only and start_values.get(self.stream) is not None:
            raise ExtractionError(
                self.stream, resumed_dependency(self.stream, self.first_sync_only)
            )
        partitions: list[dict[str, Any]] = [{}]
        extra: dict[str, Any] = {}
        if self.parent is not None:
            routers = (self.parent, *self.others)
            records = parent_record if self.others else (parent_record,)
            # Airbyte merges the routers' partitions with the first router winning a clash
            for router, record in reversed(list(zip(routers, records, strict=True))):
                value = _dpath_get(record, list(router.parent_key))
                if value == [] or value is None:
                    return []  # a parent record without the key addresses no partition
                # the parent record's own partition, as airbyte-cdk's parent_slice holds it
                parent_slice = dict(getattr(record, "partition", None) or {})
                partitions[0].update({router.partition_field: value, "parent_slice": parent_slice})
                for path in router.extra_fields:
                    # a parent record without the field: None, as airbyte-cdk's KeyError gives
                    extra[".".join(path)] = _dpath_get(record, list(path), missing=None)
                if router.lazy_pointer:
                    extra["child_response"] = _dpath_get(record, list(router.lazy_pointer))
        for listed in self.lists:
            partitions = [
                {**p, listed.field: v} for p, v in itertools.product(partitions, listed.values)
            ]
        windows: Sequence[dict[str, Any]] = [{}]
        if self.cursor is not None:
            windows = self.cursor.windows(start_values.get(self.stream))
        return [Slice(p, w, extra) for p in partitions for w in windows]


class PartitionedRecord(dict[str, Any]):
    """A parent stream's record with the partition of the slice it was read under, which its
    child's slices carry as ``parent_slice`` (airbyte-cdk's record's ``associated_slice``)."""

    __slots__ = ("partition",)

    def __init__(self, record: Mapping[str, Any], partition: Mapping[str, Any]) -> None:
        super().__init__(record)
        self.partition = partition


@dataclass(frozen=True)
class TagPartition(RecordPipeline):
    """A partitioned parent stream's records pipeline, each record tagged with its slice's
    partition (``PartitionedRecord``) for its children's slices. A RecordPipeline still, so
    what reads the pipeline (the simulator) reads it as it is."""

    @classmethod
    def over(cls, pipeline: RecordPipeline) -> TagPartition:
        return cls(**{f.name: getattr(pipeline, f.name) for f in fields(pipeline)})

    def __call__(self, body: Any, headers: Mapping[str, str], parent: Any) -> list[Any]:
        records = super().__call__(body, headers, parent)
        partition = parent.partition if isinstance(parent, Slice) else None
        if not partition:
            return records
        return [PartitionedRecord(r, partition) if isinstance(r, dict) else r for r in records]


def resumed_dependency(stream: str, parent: str) -> str:
    """Why a stream with ``incremental_dependency`` on a copied parent stops on a later run."""
    return (
        f"stream '{stream}' has a cursor from an earlier run, and its parent '{parent}' is read "
        "with incremental_dependency: airbyte-cdk would now read that parent from the cursor it "
        "keeps in this stream's state and only the children of parents changed since, a state "
        "restsync does not keep; run it again with --full-refresh (or drop the stream's dlt "
        "state), which reads every parent's children as a first sync does"
    )


def slice_identity(piece: Slice) -> str:
    """A slice's partition as airbyte-cdk's per-partition cursor tells partitions apart (its
    JSON, keys sorted). Not its time window: a window ending now ends at another millisecond
    for each parent record."""
    return json.dumps(piece.partition, sort_keys=True, default=str)


@dataclass
class SliceParts:
    """What a stream's partition routers add up to, collected router by router."""

    lists: list[ListPartitions] = field(default_factory=list)
    parent: ParentPartitions | None = None
    options: list[tuple[RequestOption, str]] = field(default_factory=list)
    parent_stream: str | None = None
    others: list[ParentPartitions] = field(default_factory=list)
    other_streams: list[str] = field(default_factory=list)
    lazy: bool = False  # the stream's first page per partition is in its parent's record
    first_sync_only: str = ""  # incremental_dependency on a copied parent (its name)

    def parent_streams(self) -> list[str]:
        """The resources whose records the stream's SubstreamPartitionRouters read."""
        return [s for s in (self.parent_stream, *self.other_streams) if s]


def list_router(router: Mapping[str, Any], ai: Interpolator, at: str, parts: SliceParts) -> None:
    values = ai.eval(router.get("values"))
    if isinstance(values, str):
        values = [values]
    cursor = str(ai.eval(router.get("cursor_field")))
    parts.lists.append(ListPartitions(cursor, tuple(values or ())))
    option = request_option(router.get("request_option"), ai, f"{at}.request_option")
    if option is not None:
        parts.options.append((option, cursor))


def grouping_router(
    router: Mapping[str, Any], ai: Interpolator, at: str, parts: SliceParts
) -> None:
    """A GroupingPartitionRouter over a ListPartitionRouter: the list's values in groups of
    ``group_size`` (duplicates left out unless ``deduplicate`` is false), each group one
    partition whose value is the group's list, as airbyte-cdk groups them. Over a
    SubstreamPartitionRouter airbyte-cdk groups partitions of different parent records, which
    restsync computes one parent record at a time: refused."""
    inner_at = f"{at}.underlying_partition_router"
    inner = router.get("underlying_partition_router")
    kind = _expect(inner, inner_at, ("ListPartitionRouter", "SubstreamPartitionRouter"))
    if kind != "ListPartitionRouter" or not isinstance(inner, Mapping):
        raise Unsupported(
            inner_at, kind, "under a GroupingPartitionRouter (groups span parent records)"
        )
    size = ai.eval(router.get("group_size"))
    if isinstance(size, bool) or not str(size).isdigit() or int(size) < 1:
        raise Unsupported(f"{at}.group_size", "GroupingPartitionRouter", f"group_size {size!r}")
    if inner.get("request_option"):
        raise Unsupported(
            f"{inner_at}.request_option",
            "GroupingPartitionRouter",
            "a request_option under it, which airbyte-cdk refuses too",
        )
    listed = SliceParts()
    list_router(inner, ai.with_parameters(inner.get("$parameters")), inner_at, listed)
    for partitions in listed.lists:
        values: list[Any] = []
        for value in partitions.values:
            if router.get("deduplicate", True) is not False and value in values:
                continue
            values.append(value)
        groups = [values[i : i + int(size)] for i in range(0, len(values), int(size))]
        parts.lists.append(ListPartitions(partitions.field, tuple(groups)))
