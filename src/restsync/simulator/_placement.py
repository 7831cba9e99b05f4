"""Where a page's records go: the body shape ``data_selector`` implies, with the paging fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from restsync._selectors import set_field
from restsync.simulator._paging import dotted

__all__ = ["Placement", "with_fields"]


class Placement:
    """The body shape ``data_selector`` implies: records at a dotted path, a bare list, or (``$``
    with paging fields to carry) one record object per response."""

    def __init__(self, selector: str | None, *, needs_fields: bool) -> None:
        text = (selector or "data").strip()
        self.path: str | None = None if text in ("", "$", "[]") else dotted(text)
        self.one_object = self.path is None and needs_fields

    def body(self, records: Sequence[Any], fields: Mapping[str, Any]) -> Any:
        """``records`` are JSON values (dicts, or their JSON as orjson fragments); a one-object
        body merges ``fields`` into the first, which must then be a dict."""
        if self.path is None and not self.one_object:
            return list(records)
        if self.one_object:
            return with_fields(records[0] if records else {}, fields)
        body: dict[str, Any] = {}
        set_field(body, self.path, list(records))  # type: ignore[arg-type]
        for path, value in fields.items():
            set_field(body, path, value)
        return body


def with_fields(record: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record served as the whole body, with the page's fields; null fields are left out."""
    out = dict(record)
    for path, value in fields.items():
        if value is None:
            if "." not in path:
                out.pop(path, None)
        else:
            set_field(out, path, value)
    return out
