"""Arrow pages reach dlt joined into fewer, larger items, and load the same as dict pages.

dlt's extractor checks an Arrow table's schema once per item, so the Arrow step joins laid-out
pages into items of at least ``_ITEM_ROWS`` rows (the last one of a resource may be smaller).
A counting step after it (a real dlt pipe step) sees what dlt's extractor takes; the tables are
compared with the same records loaded as dicts (tests/load/layout.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiohttp import web
from dlt.extract.items_transform import BaseItemTransform, ItemTransform

import restsync
from restsync._load import _arrow
from tests.conftest import RoutedServer
from tests.load.layout import assert_identical, load_both

ITEM_ROWS = 100
RECORDS = 1_000
PAGE = 30


class Items(ItemTransform[Any, Any]):
    """Records the rows of each item dlt's extractor is handed (runs after the Arrow step)."""

    placement_affinity: ClassVar[float] = 2.0

    def __init__(self) -> None:
        BaseItemTransform.__init__(self)
        self.sizes: list[tuple[str, int]] = []

    def __call__(self, item: Any, meta: Any = None) -> Any:
        if isinstance(item, list):
            self.sizes.append(("dicts", len(item)))
        else:
            self.sizes.append(("arrow", item.num_rows))
        return item


def _record(i: int, flip: int | None) -> dict[str, Any]:
    # from record ``flip`` on, ``size`` is text: a variant column, which Arrow pages refuse
    size: Any = f"s{i}" if flip is not None and i >= flip else i % 7
    return {"id": i, "size": size, "tags": [{"t": i % 3}, {"t": 4}], "meta": {"n": i}}


@pytest.fixture
def api() -> Any:
    server = RoutedServer()
    flips: list[int | None] = [None]

    @server.get("/things")
    async def things(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        end = min(offset + limit, RECORDS)
        return web.json_response({"data": [_record(i, flips[0]) for i in range(offset, end)]})

    server.start()
    yield server, flips
    server.stop()


def _load(api: Any, tmp_path: Path, flip: int | None) -> tuple[Any, Any, Any, Items]:
    server, flips = api
    flips[0] = flip
    config = {
        "client": {"base_url": server.base_url},
        "resources": [
            {
                "name": "things",
                "primary_key": "id",
                "endpoint": {
                    "path": "/things",
                    "data_selector": "data",
                    "paginator": {"type": "offset", "limit": PAGE},
                },
            }
        ],
    }
    items = Items()

    def build(page_format: str) -> Any:
        source = restsync.rest_api_source(config, page_format=page_format)
        if page_format == "arrow":
            source.resources["things"].add_step(items)
        return source

    fast, dicts, fallbacks = load_both(tmp_path, "data", build)
    return fast, dicts, fallbacks, items


def test_pages_reach_dlt_as_few_items_of_at_least_the_item_size(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_arrow, "_ITEM_ROWS", ITEM_ROWS, raising=False)
    fast, dicts, fallbacks, items = _load(api, tmp_path, flip=None)
    assert_identical(fast, dicts)
    assert fallbacks["things"] is None
    kinds = {kind for kind, _ in items.sizes}
    rows = [n for _, n in items.sizes]
    assert kinds == {"arrow"}
    assert sum(rows) == RECORDS
    assert all(n >= ITEM_ROWS for n in rows[:-1]), rows
    # 34 pages of at most 30 rows: each item but the last joins at least 4 of them
    assert len(rows) <= RECORDS // ITEM_ROWS + 1, rows


def test_held_pages_go_first_when_a_later_page_falls_back_to_dicts(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_arrow, "_ITEM_ROWS", ITEM_ROWS, raising=False)
    fast, dicts, fallbacks, items = _load(api, tmp_path, flip=450)
    assert_identical(fast, dicts)
    assert fallbacks["things"] is not None and "variant" in fallbacks["things"]
    kinds = [kind for kind, _ in items.sizes]
    # the laid-out pages before the first text ``size``, then the rest as dicts
    assert kinds == sorted(kinds), kinds
    assert kinds[0] == "arrow" and kinds[-1] == "dicts"
    assert sum(n for _, n in items.sizes) == RECORDS
    assert sum(n for kind, n in items.sizes if kind == "arrow") < 450
