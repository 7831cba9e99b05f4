"""Paginators in the plan: one small frozen value per paging kind, every default and inference
already applied (``_plan/_paginators.py`` resolves them, ``_plan/_resolve.py`` builds these).

``type`` names the kind as configs spell it (``"cursor"``, ``"offset"``, ...). The engine keys its
``Traversal`` factories and the simulator its pagers by these classes. A paginator that is no
config kind (an Airbyte manifest's requester) is a ``CustomPaging``: it brings its own
``Traversal``, registered with the engine by the package that defines it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Protocol, runtime_checkable

__all__ = [
    "AutoPaging",
    "CursorPaging",
    "CustomPaging",
    "DltPaging",
    "HeaderCursorPaging",
    "HeaderLinkPaging",
    "JSONLinkPaging",
    "OffsetPaging",
    "PageNumberPaging",
    "PagingPlan",
    "SinglePaging",
    "describe_paging",
]


@dataclass(frozen=True)
class AutoPaging:
    """No paginator given: detected from the first response (Link header, next link, one page)."""

    type: ClassVar[str] = "auto"


@dataclass(frozen=True)
class SinglePaging:
    type: ClassVar[str] = "single_page"


@dataclass(frozen=True)
class HeaderLinkPaging:
    type: ClassVar[str] = "header_link"
    links_next_key: str = "next"


@dataclass(frozen=True)
class JSONLinkPaging:
    type: ClassVar[str] = "json_link"
    next_url_path: str | None = None


@dataclass(frozen=True)
class HeaderCursorPaging:
    type: ClassVar[str] = "header_cursor"
    cursor_key: str = "next"
    cursor_param: str = "cursor"


@dataclass(frozen=True)
class CursorPaging:
    type: ClassVar[str] = "cursor"
    cursor_param: str | None = None
    cursor_path: str | None = None
    cursor_body_path: str | None = None
    # the seeds' dialect (a stop_condition or a limit) also follows a cursor that is a URL
    stop_condition: str | None = None
    limit: int | None = None
    limit_param: str = "limit"
    stop_after_empty_page: bool = True
    has_more_path: str | None = None


@dataclass(frozen=True)
class OffsetPaging:
    type: ClassVar[str] = "offset"
    limit: int
    offset: int = 0
    offset_param: str = "offset"
    limit_param: str = "limit"
    offset_body_path: str | None = None
    limit_body_path: str | None = None
    total_path: str | None = None
    # total_path not written: dlt's default "total" is read when present, else a short page ends
    total_from_default: bool = True
    maximum_offset: int | None = None
    stop_after_empty_page: bool = True
    has_more_path: str | None = None
    stop_condition: str | None = None


@dataclass(frozen=True)
class PageNumberPaging:
    type: ClassVar[str] = "page_number"
    base_page: int = 0
    page: int | None = None
    page_param: str = "page"
    page_body_path: str | None = None
    total_path: str | None = None
    total_from_default: bool = True  # as for OffsetPaging
    maximum_page: int | None = None
    stop_after_empty_page: bool = True
    has_more_path: str | None = None
    stop_condition: str | None = None
    limit: int | None = None  # not in dlt: a page size to send, for APIs that take one
    limit_param: str = "limit"


@dataclass(frozen=True)
class DltPaging:
    """A dlt paginator object given in Python code: its own methods page."""

    type: ClassVar[str] = "dlt_object"
    instance: Any = field(repr=False)


@runtime_checkable
class CustomPaging(Protocol):
    """A paginator that builds its own requests; its ``Traversal`` is registered with the engine
    (``restsync._engine._paginate.register_traversal``) for its class."""

    @property
    def type(self) -> str: ...

    def describe(self) -> dict[str, Any]:
        """What ``restsync plan`` shows for it."""
        ...


PagingPlan = (
    AutoPaging
    | SinglePaging
    | HeaderLinkPaging
    | JSONLinkPaging
    | HeaderCursorPaging
    | CursorPaging
    | OffsetPaging
    | PageNumberPaging
    | DltPaging
    | CustomPaging
)

_INTERNAL = frozenset({"total_from_default"})


def describe_paging(paging: PagingPlan) -> dict[str, Any]:
    """The paginator as ``restsync plan`` shows it: its type and every value not a default."""
    if isinstance(paging, CustomPaging):
        return paging.describe()
    shown: dict[str, Any] = {"type": paging.type}
    for spec in fields(paging):
        value = getattr(paging, spec.name)
        if spec.name not in _INTERNAL and value != spec.default:
            shown[spec.name] = value
    return shown
