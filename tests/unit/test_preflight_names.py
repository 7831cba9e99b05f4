"""The dataset-name checks of ``restsync run`` decide a snake_case name without dlt (so the requests
can start before dlt is imported); for those names dlt's own normalization must agree."""

from __future__ import annotations

from dlt.common.normalizers.naming.snake_case import NamingConvention
from hypothesis import given
from hypothesis import strategies as st

from restsync.cli._preflight import normalized_name

SNAKE_CASE = r"\A[a-z][a-z0-9]*(_[a-z0-9]+)*\Z"


@given(st.from_regex(SNAKE_CASE))
def test_a_snake_case_name_is_one_dlt_leaves_as_it_is(name: str) -> None:
    assert NamingConvention().normalize_identifier(name) == name == normalized_name(name)


@given(st.text(min_size=1, max_size=20).filter(str.strip))
def test_any_other_name_is_normalized_by_dlt(name: str) -> None:
    assert normalized_name(name) == NamingConvention().normalize_identifier(name)
