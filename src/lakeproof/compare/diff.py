"""Comparing an engine's answer with the oracle's: schema, then rows as a multiset or in order.

Matching rows when doubles may differ by rounding noise
--------------------------------------------------------
1. Exact pass: rows with identical exact keys (see :func:`~lakeproof.compare.values.value_key`)
   are paired through a hash multiset. In a correct result this pairs nearly every row, in O(n).
2. Tolerant pass, over what is left: both sides are sorted by a coarse key (doubles rounded
   to a few significant digits fewer than the tolerance resolves, then the exact key as a
   tie-breaker) and walked in step; two rows pair if they are equal within the tolerance,
   otherwise the one with the smaller key is unmatched. O(n log n).
3. Repair pass: the sorted walk misses a pair only when a double straddles a rounding
   boundary *and* other leftover rows sort between the two. Left-over missing and extra rows
   are therefore tried against each other greedily, as long as that takes at most
   ``_REPAIR_BUDGET`` row comparisons; beyond it such a pair is reported as one missing and
   one extra row (a false difference, never a false match).

Tolerant equality is not transitive, so greedy pairing can in theory miss a perfect
matching among several rows all within tolerance of each other; it never pairs rows that
are not equal within the tolerance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lakeproof.compare.answer import Answer, Column
from lakeproof.compare.values import (
    coarse_digits,
    format_value,
    normalizer,
    row_key,
    rows_equal,
    values_equal,
)

Row = tuple[Any, ...]
Key = tuple[tuple[Any, ...], ...]

# Ordered comparisons keep this many differing cells; the count of all of them is kept too.
_DIFFERENCE_LIMIT = 100
# At most this many row comparisons in the repair pass (about a second at worst).
_REPAIR_BUDGET = 250_000


@dataclass(frozen=True)
class CompareOptions:
    """How to compare: row order, relative tolerance for doubles, whether column types must match."""

    ordered: bool = False
    float_tolerance: float = 1e-9
    compare_types: bool = True
    known_types: Mapping[str, str] = field(default_factory=dict)
    """Columns an engine is known to type otherwise (its known differences): the actual column
    must have exactly this type instead of the expected one; values are compared as usual."""


@dataclass(frozen=True)
class CellDifference:
    """A cell that differs in an ordered comparison; ``row_index`` counts from 0."""

    row_index: int
    column: str
    expected: Any
    actual: Any


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`.

    Rows and cells hold normalised values: ``Decimal`` for decimals, ``float`` for doubles
    (NaN and infinities included), otherwise the JSON-safe value as sent.
    """

    expected_columns: tuple[Column, ...]
    actual_columns: tuple[Column, ...]
    expected_row_count: int
    actual_row_count: int
    ordered: bool
    schema_problems: tuple[str, ...]
    missing: tuple[Row, ...]
    """Rows of the expected answer the actual answer lacks (each surplus duplicate counts)."""
    extra: tuple[Row, ...]
    """Rows of the actual answer the expected answer lacks."""
    first_differences: tuple[CellDifference, ...]
    """Ordered comparisons only: the first differing cells, by position."""
    difference_count: int
    """Ordered comparisons only: how many cells differ by position in all."""

    @property
    def equal(self) -> bool:
        """True when the answers match under the options used."""
        return not (self.schema_problems or self.missing or self.extra or self.difference_count)

    def summary(self) -> str:
        """One line for a reader: the verdict and what differs."""
        size = f"{_plural(self.expected_row_count, 'row')}, {_plural(len(self.expected_columns), 'column')}"
        if self.equal:
            return f"results match{' in order' if self.ordered else ''}: {size}"
        parts = list(self.schema_problems)
        if self.expected_row_count != self.actual_row_count:
            parts.append(f"expected {self.expected_row_count} rows, got {self.actual_row_count}")
        rows = []
        if self.missing:
            rows.append(f"{_plural(len(self.missing), 'row')} missing")
        if self.extra:
            rows.append(f"{_plural(len(self.extra), 'extra row')}")
        if rows:
            parts.append(", ".join(rows))
        if self.first_differences:
            first = self.first_differences[0]
            where = (
                f"row {first.row_index + 1}, column '{first.column}': "
                f"expected {format_value(first.expected)}, got {format_value(first.actual)}"
            )
            order = "same rows in a different order, " if not rows else ""
            parts.append(f"{order}first difference at {where}")
        return "results differ: " + "; ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def compare(expected: Answer, actual: Answer, options: CompareOptions | None = None) -> Comparison:
    """Compare ``actual`` (the engine's answer) with ``expected`` (the oracle's)."""
    options = options or CompareOptions()
    expected_rows = _normalized(expected)
    actual_rows = _normalized(actual)
    missing, extra = _multiset_difference(expected_rows, actual_rows, options.float_tolerance)
    differences: list[CellDifference] = []
    difference_count = 0
    if options.ordered:
        names = [column.name for column in expected.columns]
        for index, (left, right) in enumerate(zip(expected_rows, actual_rows, strict=False)):
            for name, a, b in zip(names, left, right, strict=False):
                if not values_equal(a, b, options.float_tolerance):
                    difference_count += 1
                    if len(differences) < _DIFFERENCE_LIMIT:
                        differences.append(CellDifference(index, name, a, b))
    return Comparison(
        expected_columns=expected.columns,
        actual_columns=actual.columns,
        expected_row_count=len(expected_rows),
        actual_row_count=len(actual_rows),
        ordered=options.ordered,
        schema_problems=tuple(_schema_problems(expected.columns, actual.columns, options)),
        missing=tuple(expected_rows[index] for index in missing),
        extra=tuple(actual_rows[index] for index in extra),
        first_differences=tuple(differences),
        difference_count=difference_count,
    )


def _normalized(answer: Answer) -> list[Row]:
    normalizers = [normalizer(column.type) for column in answer.columns]
    return [
        tuple(normalize(value) for normalize, value in zip(normalizers, row, strict=True))
        for row in answer.rows
    ]


def _schema_problems(
    expected: Sequence[Column], actual: Sequence[Column], options: CompareOptions
) -> list[str]:
    problems = []
    if len(expected) != len(actual):
        problems.append(f"expected {len(expected)} columns, got {len(actual)}")
    for position, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        if want.name != got.name:
            problems.append(f"column {position} is named '{got.name}', expected '{want.name}'")
        if not options.compare_types:
            continue
        known = options.known_types.get(want.name)
        if known is not None and known.strip() != got.type.strip():
            problems.append(
                f"column '{want.name}' is {got.type}, expected {known} "
                f"(a known difference; the oracle's is {want.type})"
            )
        elif known is None and want.type.strip() != got.type.strip():
            problems.append(f"column '{want.name}' is {got.type}, expected {want.type}")
    return problems


def _multiset_difference(
    expected: Sequence[Row], actual: Sequence[Row], tolerance: float
) -> tuple[list[int], list[int]]:
    """Indexes of the unmatched expected rows (missing) and actual rows (extra), in input order."""
    expected_keys = [row_key(row, None) for row in expected]
    actual_keys = [row_key(row, None) for row in actual]
    missing, extra = _exact_pass(expected_keys, actual_keys)
    if missing and extra:
        missing, extra = _tolerant_walk(
            expected, actual, expected_keys, actual_keys, missing, extra, tolerance
        )
    if missing and extra and len(missing) * len(extra) <= _REPAIR_BUDGET:
        missing, extra = _repair(expected, actual, missing, extra, tolerance)
    return sorted(missing), sorted(extra)


def _exact_pass(expected_keys: Sequence[Key], actual_keys: Sequence[Key]) -> tuple[list[int], list[int]]:
    """Pairs rows with equal exact keys through a hash multiset; returns the unpaired indexes."""
    unpaired_actual = Counter(actual_keys)
    missing = []
    for index, key in enumerate(expected_keys):
        if unpaired_actual[key]:
            unpaired_actual[key] -= 1
        else:
            missing.append(index)
    extra = []
    for index, key in enumerate(actual_keys):
        if unpaired_actual[key]:
            unpaired_actual[key] -= 1
            extra.append(index)
    return missing, extra


def _tolerant_walk(
    expected: Sequence[Row],
    actual: Sequence[Row],
    expected_keys: Sequence[Key],
    actual_keys: Sequence[Key],
    missing: Sequence[int],
    extra: Sequence[int],
    tolerance: float,
) -> tuple[list[int], list[int]]:
    """Pairs rows within tolerance by walking both sides in step, sorted by coarse key."""
    digits = coarse_digits(tolerance)
    left = sorted((row_key(expected[index], digits), expected_keys[index], index) for index in missing)
    right = sorted((row_key(actual[index], digits), actual_keys[index], index) for index in extra)
    still_missing: list[int] = []
    still_extra: list[int] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if rows_equal(expected[left[i][2]], actual[right[j][2]], tolerance):
            i += 1
            j += 1
        elif left[i] < right[j]:  # nothing on the other side can pair with the smaller any more
            still_missing.append(left[i][2])
            i += 1
        else:
            still_extra.append(right[j][2])
            j += 1
    still_missing.extend(entry[2] for entry in left[i:])
    still_extra.extend(entry[2] for entry in right[j:])
    return still_missing, still_extra


def _repair(
    expected: Sequence[Row],
    actual: Sequence[Row],
    missing: Sequence[int],
    extra: Sequence[int],
    tolerance: float,
) -> tuple[list[int], list[int]]:
    """Pairs the walk separated: each missing row with the first extra row equal within tolerance."""
    still_missing = []
    still_extra = list(extra)
    for want in missing:
        for position, got in enumerate(still_extra):
            if rows_equal(expected[want], actual[got], tolerance):
                del still_extra[position]
                break
        else:
            still_missing.append(want)
    return still_missing, still_extra
