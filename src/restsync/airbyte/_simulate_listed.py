"""A page number that picks an item of a config list for the path (yahoo-finance-price).

yahoo-finance-price pages with a ``PageIncrement`` sent nowhere but in its path template:
``{% if (next_page_token['next_page_token'] or 0) < config['tickers'].split(',')|length
%}/v8/finance/chart/{{ config['tickers'].split(',')[next_page_token['next_page_token'] or
0].strip() }}{% endif %}``. Page n asks for the n-th ticker; the page after the last renders an
empty path, a request to the API's root, whose empty answer ends the paging (no page size:
both clients stop on a page without records).

Found by rendering the path for the tokens the clients send (none, then ``start_from_page`` + 1,
+ 2, ...) until it is empty; every path before that must differ. Served: one record at each
item's path (the texts between the paths' common prefix and suffix, a placeholder), and an
empty list at the path after the last.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from restsync._plan import ResourcePlan, SinglePaging
from restsync.airbyte._jinja import Slice, TemplateError
from restsync.airbyte._requests import PageStrategy, StreamRequests
from restsync.simulator._compile import RECORDS

__all__ = ["ListedPages", "end_of_list", "listed_pages"]

_MAX_ITEMS = 100  # a list longer than this is not served this way
ITEM = "{page_item}"


@dataclass(frozen=True)
class ListedPages:
    path: str  # the served path: the item's text at ITEM (literal when the list has one item)
    end_path: str  # the path asked after the last item


def listed_pages(requests: StreamRequests) -> ListedPages | None:
    strategy = requests.strategy
    if not isinstance(strategy, PageStrategy) or requests.page_token_option is not None:
        return None
    if "next_page_token" not in str(requests.path or ""):
        return None
    paths: list[str] = []
    for n in range(_MAX_ITEMS + 1):
        token = None if n == 0 else {"next_page_token": strategy.start_from_page + n}
        try:
            text = requests.interpolator.text(
                requests.path, stream_slice=Slice(), next_page_token=token
            )
        except TemplateError:
            return None
        paths.append(str(text).strip())
        if not paths[-1].strip("/"):
            break
    else:
        return None
    items = paths[:-1]
    if not items or len(set(items)) != len(items):
        return None
    if len(items) == 1:
        return ListedPages(items[0], paths[-1])
    prefix = os.path.commonprefix(items)
    suffix = os.path.commonprefix([item[len(prefix) :][::-1] for item in items])[::-1]
    if "/" in "".join(item[len(prefix) : len(item) - len(suffix)] for item in items):
        return None  # an item spans segments: not one placeholder
    return ListedPages(prefix + ITEM + suffix, paths[-1])


def end_of_list(resource: ResourcePlan, listed: ListedPages) -> ResourcePlan:
    """The answer at the path asked after the last item: no records."""
    return replace(
        resource,
        name=f"_{resource.name}_end",
        path=listed.end_path.lstrip("/"),
        params={},
        paginator=SinglePaging(),
        data_selector="$",
        stop_condition=None,
        parent=None,
        incremental=None,
        hints={RECORDS: 0},
    )
