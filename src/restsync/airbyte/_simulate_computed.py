"""A partition value the parent computes from its fields and the child's path takes apart.

hugging-face-datasets: the parent ``splits`` adds ``key`` as ``"::".join([record["dataset"],
record["config"], record["split"]])``, and the child ``rows`` asks for ``/rows?config={{
stream_partition.key.split("::")[1] }}&split={{ stream_partition.key.split("::")[2] }}``. The
simulator cannot bind a placeholder for ``key`` (splitting ``{key}`` fails), but the parts the
child reads are parent fields. The rule: run the parent's own ``AddFields`` on a record whose
fields it reads are markers (``{config}``), render the child's path with the partition value
that gives, and bind each marker found in the rendered path (or its query) to that parent
field. Both clients then ask with the parent record's own fields, and the simulator serves each
combination the records bound to it.

microsoft-lists: the parent ``items`` adds ``item_info`` as an object, ``{{ {"list_id":
stream_partition.list, "item_id": record.id} }}``, from its own partition (the list it was
asked for) and its record; the children ask for ``/lists/{{ stream_partition.item_info.list_id
}}/items/{{ stream_partition.item_info.item_id }}``. The same rule, with the parent's own
partition values as markers too (``{list}``): a marker of the parent's partition is bound to a
field of the parent's record named like it, which the simulator fills with the value the
parent was asked for (a child record inherits its parent's bound values), and serves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from restsync._selectors import set_field
from restsync.airbyte._jinja import Slice, TemplateError
from restsync.airbyte._records import AddField, RecordPipeline
from restsync.airbyte._requests import StreamRequests
from restsync.airbyte._slices import Slicer
from restsync.simulator._data import LIST_STEP

__all__ = ["computed_partition"]


def computed_partition(
    requests: StreamRequests,
    slicer: Slicer | None,
    parent: Any,
    marks: Mapping[str, Any],
    record_reads: Callable[[RecordPipeline], list[str]],
    parent_marks: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, str]] | None:
    """(the child's path with parent-field placeholders, {placeholder: parent field}) when the
    partition key is computed by the parent's ``AddFields`` and the path reads parts of it (see
    the module docstring), else None. ``parent`` is the parent stream's plan; ``record_reads``
    gives the record fields (dotted) a pipeline's templates read; ``parent_marks`` is the
    parent's own partition, each value its ``{name}`` placeholder."""
    if slicer is None or slicer.parent is None or len(slicer.parent.parent_key) != 1:
        return None
    pipeline = getattr(parent, "select", None)
    if not isinstance(pipeline, RecordPipeline):
        return None
    key = slicer.parent.parent_key[0]
    step = _last_step_on(pipeline, key)
    if step is None:
        return None
    alone = RecordPipeline(pipeline.interpolator, transformations=(step,))
    reads = [r for r in record_reads(alone) if LIST_STEP not in r and "[0]" not in r]
    if not reads:
        return None
    record: dict[str, Any] = {}
    for read in reads:
        set_field(record, read, "{" + read + "}")
    own = dict(parent_marks or {})
    try:
        value = alone._transform(dict(record), Slice(own)).get(key)
    except (TemplateError, ValueError, TypeError, KeyError, AttributeError):
        return None
    texts = [value] if isinstance(value, str) else None
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        texts = list(value.values())  # an object of parts (microsoft-lists' item_info)
    if texts is None or not any("{" + r + "}" in t for r in reads for t in texts):
        return None
    field = slicer.parent.partition_field
    try:
        path = requests.interpolator.text(
            requests.path, stream_slice=Slice({**marks, field: value}), next_page_token=None
        )
    except TemplateError:
        return None
    bound = {read: read for read in reads if "{" + read + "}" in path}
    if not bound:
        return None
    # the parent's own partition, bound to the field of its record named like it
    bound.update({name: name for name in own if "{" + name + "}" in path and name not in bound})
    return path, bound


def _last_step_on(pipeline: RecordPipeline, key: str) -> AddField | None:
    """The last unconditional ``AddFields`` that sets ``key``, or None."""
    found = None
    for step in pipeline.transformations:
        if isinstance(step, AddField) and tuple(step.path) == (key,):
            found = step if isinstance(step.value, str) and not step.condition else None
    return found
