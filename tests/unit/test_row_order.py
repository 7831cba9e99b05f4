"""dlt's ``row_order``: which cursor values end a chain of pages (the engine then sends no
further request, as dlt closes the resource)."""

from __future__ import annotations

from typing import Any

import pytest

from restsync._plan import IncrementalPlan

START, END = "2024-01-05", "2024-01-20"


def _plan(**more: Any) -> IncrementalPlan:
    return IncrementalPlan(cursor_path="updated_at", initial_value=START, **more)


@pytest.mark.parametrize(
    ("plan", "value", "ends"),
    [
        (_plan(row_order="asc", end_value=END), "2024-01-19", False),
        (_plan(row_order="asc", end_value=END), END, True),  # the end is open, as in dlt
        (_plan(row_order="asc", end_value=END, range_end="closed"), END, False),
        (_plan(row_order="asc", end_value=END), "2024-01-21", True),
        (_plan(row_order="asc"), "2030-01-01", False),  # no end value: nothing ends the range
        (_plan(row_order="desc"), START, False),
        (_plan(row_order="desc", range_start="open"), START, True),
        (_plan(row_order="desc"), "2024-01-04", True),
        (_plan(row_order="desc", last_value_func="min"), "2024-01-06", True),
        (_plan(end_value=END), "2024-01-21", False),  # no row_order: the data has no order
        (_plan(row_order="asc", end_value=END), None, False),  # a record without the cursor
        (_plan(row_order="asc", end_value=END), 7, False),  # values that do not compare
    ],
)
def test_which_values_end_a_chain(plan: IncrementalPlan, value: Any, ends: bool) -> None:
    assert plan.ends_chain(value, plan.start_from(None)) is ends
