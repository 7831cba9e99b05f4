"""One paginate-and-compare check for the simulator's cursor contracts: a stream ``items`` at
``/items`` that pages with a manifest's ``CursorPagination``, served and read back, every
served record read in order over more than one request."""

from __future__ import annotations

from typing import Any

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate, Simulated

__all__ = ["cursor_items", "pages_every_record"]


def cursor_items(
    strategy: dict[str, Any], token: dict[str, Any], url_base: str = "https://x.invalid"
) -> dict[str, Any]:
    """The stream ``items`` (records under ``value``) paged by a ``CursorPagination`` with
    ``strategy``'s keys, its token sent by ``token``; a ``page_size`` in the strategy is sent
    as ``limit``."""
    pages = build.paginator(
        {"type": "CursorPagination", **strategy},
        token,
        build.option("limit") if "page_size" in strategy else None,
    )
    return build.stream(
        "items",
        build.requester(url_base, "/items"),
        ["value"],
        primary_key=["id"],
        paginator=pages,
        schema=build.properties(id="integer", name="string"),
    )


def pages_every_record(
    simulate: Simulate, strategy: dict[str, Any], token: dict[str, Any], *, seed: int
) -> Simulated:
    """Serve ``cursor_items(strategy, token)``, read it, and check that restsync read every
    served record in order, paged (more than one request); the run, for further checks."""
    run = simulate(build.manifest(cursor_items(strategy, token)), seed=seed)
    served, read = run.served_and_read("items")
    assert len(served) > 4
    assert [r["id"] for r in read] == [r["id"] for r in served]
    assert run.requests()["/items"] > 1  # paged, not one answer
    return run
