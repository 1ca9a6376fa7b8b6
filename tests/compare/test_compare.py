"""Comparison semantics: multisets, order, tolerance, NULL, decimals, schema, nesting."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from lakeproof.compare import (
    Answer,
    AnswerFormatError,
    CellDifference,
    CompareOptions,
    answer_from_json,
    compare,
)

ORDERED = CompareOptions(ordered=True)


def answer(types: dict[str, str], *rows: list[Any]) -> Answer:
    """An answer with columns ``types`` (name to DuckDB type) and ``rows``, via the engine's JSON shape."""
    columns = [{"name": name, "type": kind} for name, kind in types.items()]
    return answer_from_json({"columns": columns, "values": [list(row) for row in rows]})


def one(kind: str, *values: Any) -> Answer:
    """A one-column answer of type ``kind`` with one row per value."""
    return answer({"v": kind}, *([value] for value in values))


def test_same_rows_in_another_order_match_unordered_only() -> None:
    expected = answer({"id": "INTEGER", "name": "VARCHAR"}, [1, "a"], [2, "b"], [3, "c"])
    actual = answer({"id": "INTEGER", "name": "VARCHAR"}, [3, "c"], [1, "a"], [2, "b"])

    assert compare(expected, actual).equal
    in_order = compare(expected, actual, ORDERED)
    assert not in_order.equal
    assert (in_order.missing, in_order.extra) == ((), ())
    assert in_order.first_differences[0] == CellDifference(0, "id", 1, 3)
    assert in_order.difference_count == 6
    assert in_order.summary() == (
        "results differ: same rows in a different order, "
        "first difference at row 1, column 'id': expected 1, got 3"
    )


def test_ordered_comparison_of_equal_answers() -> None:
    expected = answer({"id": "INTEGER"}, [1], [2])
    result = compare(expected, expected, ORDERED)
    assert result.equal
    assert result.summary() == "results match in order: 2 rows, 1 column"


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (1.0, 1.0 + 1e-10, True),
        (1e6, 1e6 * (1 + 9e-10), True),
        (1e6, 1e6 * (1 + 2e-9), False),
        (1.0, 1.001, False),
        (0.0, 1e-13, True),  # absolute tolerance near zero
        (0.0, 1e-11, False),
        (1e-20, 2e-20, True),  # both below the absolute tolerance
        (-0.0, 0.0, True),
        ("NaN", "NaN", True),
        ("NaN", 0.0, False),
        ("Infinity", "Infinity", True),
        ("-Infinity", "-Infinity", True),
        ("Infinity", "-Infinity", False),
        ("Infinity", 1e308, False),
        ("NaN", "Infinity", False),
        (3, 3.0, True),  # an integer sent for a double
    ],
)
def test_double_equality(left: Any, right: Any, equal: bool) -> None:
    assert compare(one("DOUBLE", left), one("DOUBLE", right)).equal is equal


def test_tolerance_is_an_option() -> None:
    loose = CompareOptions(float_tolerance=1e-3)
    assert compare(one("DOUBLE", 1.0), one("DOUBLE", 1.0005), loose).equal
    assert not compare(one("DOUBLE", 1.0), one("DOUBLE", 1.0005)).equal


@pytest.mark.parametrize(
    ("left", "right"),
    [(None, 0), (None, ""), (0, ""), (None, "NULL"), (0, False), ("0", 0)],
)
def test_null_zero_and_empty_text_all_differ(left: Any, right: Any) -> None:
    result = compare(one("JSON", left), one("JSON", right))
    assert not result.equal
    assert (result.missing, result.extra) == (((left,),), ((right,),))


def test_null_equals_null() -> None:
    assert compare(one("INTEGER", None, 1), one("INTEGER", 1, None)).equal


def test_decimals_compare_exactly_by_value() -> None:
    assert compare(one("DECIMAL(4,2)", "1.10"), one("DECIMAL(4,2)", "1.1")).equal
    result = compare(one("DECIMAL(20,19)", "1.0000000000000000001"), one("DECIMAL(20,19)", "1"))
    assert not result.equal  # a double would round these together
    assert result.missing == ((Decimal("1.0000000000000000001"),),)


def test_text_that_looks_like_a_number_compares_as_text() -> None:
    assert not compare(one("VARCHAR", "1.10"), one("VARCHAR", "1.1")).equal
    assert not compare(one("VARCHAR", "NaN"), one("DOUBLE", "NaN"), CompareOptions(compare_types=False)).equal


def test_hugeint_beyond_double_precision_compares_exactly() -> None:
    big = 2**100
    assert compare(one("HUGEINT", big), one("HUGEINT", big)).equal
    assert not compare(one("HUGEINT", big), one("HUGEINT", big + 1)).equal
    assert compare(one("HUGEINT", str(big)), one("HUGEINT", big)).equal  # sent as text


def test_schema_differences_are_named_in_the_summary() -> None:
    expected = answer({"id": "INTEGER", "total": "DECIMAL(38,2)"}, [1, "5.00"])
    actual = answer({"key": "INTEGER", "total": "HUGEINT"}, [1, 5])

    result = compare(expected, actual)
    assert result.schema_problems == (
        "column 1 is named 'key', expected 'id'",
        "column 'total' is HUGEINT, expected DECIMAL(38,2)",
    )
    assert result.summary() == (
        "results differ: column 1 is named 'key', expected 'id'; "
        "column 'total' is HUGEINT, expected DECIMAL(38,2)"
    )
    # The values agree, so without type checks only the name remains.
    untyped = compare(expected, actual, CompareOptions(compare_types=False))
    assert untyped.schema_problems == ("column 1 is named 'key', expected 'id'",)
    assert (untyped.missing, untyped.extra) == ((), ())


def test_different_column_counts() -> None:
    result = compare(answer({"a": "INTEGER", "b": "INTEGER"}, [1, 2]), answer({"a": "INTEGER"}, [1]))
    assert result.summary() == "results differ: expected 2 columns, got 1; 1 row missing, 1 extra row"


def test_duplicates_count_in_the_multiset() -> None:
    twice = answer({"id": "INTEGER"}, [1], [1], [2])
    once = answer({"id": "INTEGER"}, [1], [2])

    result = compare(twice, once)
    assert result.missing == ((1,),)
    assert result.summary() == "results differ: expected 3 rows, got 2; 1 row missing"
    assert compare(once, twice).extra == ((1,),)
    assert compare(twice, answer({"id": "INTEGER"}, [2], [1], [1])).equal


def test_near_equal_doubles_pair_up_as_a_multiset() -> None:
    # Rounding noise from a different summation order, rows shuffled, with a duplicate.
    values = [0.1 * k for k in range(50)] + [2.5]
    noisy = [value * (1 + 3e-12) for value in reversed(values)]
    assert compare(one("DOUBLE", *values), one("DOUBLE", *noisy)).equal


def test_near_equal_doubles_across_a_rounding_boundary_pair_up() -> None:
    # 1.000005 is where six significant digits round up: the coarse keys differ, and rows with
    # other names sort between the two, so only the repair pass can pair them.
    types = {"x": "DOUBLE", "name": "VARCHAR"}
    low, high = 1.000005 - 1e-15, 1.000005 + 1e-15
    expected = answer(types, [low, "z"], [1.0, "a"], [1.00001, "a"])
    actual = answer(types, [high, "z"], [1.0, "b"], [1.00001, "b"])

    result = compare(expected, actual)
    assert len(result.missing) == len(result.extra) == 2
    assert all(row[1] == "a" for row in result.missing)


def test_a_changed_double_is_missing_and_extra() -> None:
    result = compare(one("DOUBLE", 1.0, 2.0, 3.0), one("DOUBLE", 3.0, 2.5, 1.0))
    assert (result.missing, result.extra) == (((2.0,),), ((2.5,),))
    assert result.summary() == "results differ: 1 row missing, 1 extra row"


def test_nested_lists_and_structs_use_the_same_rules() -> None:
    types = {"xs": "DOUBLE[]", "s": 'STRUCT(d DECIMAL(5,2), "odd, name" INTEGER[], n DOUBLE)'}
    expected = answer(types, [[1.0, "NaN", None], {"d": "1.10", "odd, name": [1, 2], "n": "Infinity"}])
    actual = answer(types, [[1.0 + 1e-12, "NaN", None], {"d": "1.1", "odd, name": [1, 2], "n": "Infinity"}])
    assert compare(expected, actual).equal

    changed = answer(types, [[1.0, "NaN", 0.0], {"d": "1.10", "odd, name": [1, 2], "n": "Infinity"}])
    assert not compare(expected, changed).equal
    reordered = answer(types, [[1.0, "NaN", None], {"d": "1.10", "odd, name": [2, 1], "n": "Infinity"}])
    assert not compare(expected, reordered).equal  # lists are ordered even in unordered mode


def test_fixed_size_arrays_and_nested_lists() -> None:
    assert compare(
        one("DECIMAL(3,1)[2][]", [["1.0", "2.50"]]), one("DECIMAL(3,1)[2][]", [["1", "2.5"]])
    ).equal


def test_ordered_differences_are_head_limited() -> None:
    result = compare(one("INTEGER", *range(300)), one("INTEGER", *range(1, 301)), ORDERED)
    assert result.difference_count == 300
    assert len(result.first_differences) == 100


def test_ordered_mode_reports_the_changed_cell() -> None:
    types = {"id": "INTEGER", "total": "DOUBLE"}
    result = compare(answer(types, [1, 1.5], [2, 2.5]), answer(types, [1, 1.5], [2, None]), ORDERED)
    assert result.first_differences == (CellDifference(1, "total", 2.5, None),)
    assert result.summary() == (
        "results differ: 1 row missing, 1 extra row; "
        "first difference at row 2, column 'total': expected 2.5, got NULL"
    )


def test_summary_quotes_text_so_empty_text_is_visible() -> None:
    result = compare(one("VARCHAR", ""), one("VARCHAR", None), ORDERED)
    assert result.summary().endswith('expected "", got NULL')


def test_values_keep_their_meaning_in_results() -> None:
    result = compare(one("DOUBLE", "NaN"), one("DOUBLE", "Infinity"))
    (missing,) = result.missing
    assert math.isnan(missing[0])
    assert result.extra == ((math.inf,),)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"columns": [{"name": "a"}], "values": []},
        {"columns": [{"name": "a", "type": "INTEGER"}], "values": [[1, 2]]},
        {"columns": [{"name": "a", "type": "INTEGER"}], "values": [1]},
    ],
)
def test_malformed_answers_are_rejected(payload: dict[str, Any]) -> None:
    with pytest.raises(AnswerFormatError):
        answer_from_json(payload)


def test_a_known_type_stands_for_the_expected_type_and_values_still_count() -> None:
    oracle = answer({"total": "HUGEINT"}, [10])
    known = CompareOptions(known_types={"total": "BIGINT"})
    assert compare(oracle, answer({"total": "BIGINT"}, [10]), known).equal
    other_type = compare(oracle, answer({"total": "INTEGER"}, [10]), known)
    assert other_type.schema_problems == (
        "column 'total' is INTEGER, expected BIGINT (a known difference; the oracle's is HUGEINT)",
    )
    assert not compare(oracle, answer({"total": "BIGINT"}, [11]), known).equal
    assert not compare(oracle, answer({"total": "HUGEINT"}, [10]), known).equal
