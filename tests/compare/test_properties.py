"""Properties of the multiset comparison over generated answers."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lakeproof.compare import Answer, Column, CompareOptions, compare

COLUMNS = (
    Column("id", "BIGINT"),
    Column("x", "DOUBLE"),
    Column("amount", "DECIMAL(9,2)"),
    Column("name", "VARCHAR"),
    Column("tags", "INTEGER[]"),
)

DOUBLES = st.one_of(st.floats(allow_nan=False), st.sampled_from(["NaN", "Infinity", "-Infinity", -0.0]))
DECIMALS = st.decimals(min_value=-(10**6), max_value=10**6, places=2).map(str)
ROWS = st.tuples(
    st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.none() | DOUBLES,
    st.none() | DECIMALS,
    st.none() | st.text(max_size=5),
    st.none() | st.lists(st.none() | st.integers(-3, 3), max_size=3),
)
# Few distinct values, so answers often hold duplicate rows.
ANSWERS = st.lists(st.sampled_from([(1, 0.5, "1.00", "a", [1])]) | ROWS, max_size=25)


@settings(max_examples=150, deadline=None)
@given(rows=ANSWERS, data=st.data())
def test_shuffled_is_equal_and_a_dropped_row_is_exactly_missing(
    rows: list[tuple[Any, ...]], data: Any
) -> None:
    expected = Answer(COLUMNS, tuple(rows))
    shuffled = data.draw(st.permutations(rows))
    assert compare(expected, Answer(COLUMNS, tuple(shuffled))).equal

    if rows:
        dropped = data.draw(st.integers(0, len(rows) - 1))
        rest = Answer(COLUMNS, tuple(shuffled[:dropped] + shuffled[dropped + 1 :]))
        result = compare(expected, rest)
        assert not result.equal
        assert result.extra == ()
        # The missing row is the dropped one as the comparison sees it (-0.0 is 0.0, NaN is NaN).
        (missing,) = result.missing
        exact = CompareOptions(float_tolerance=0)
        assert compare(Answer(COLUMNS, (shuffled[dropped],)), Answer(COLUMNS, (missing,)), exact).equal
