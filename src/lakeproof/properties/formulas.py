"""Answers known in closed form over a sequence column holding 0, 1, ..., T-1 exactly once.

A dataset whose column is such a sequence (``generator: sequence``), spread over many files of
different sizes, has answers that need no oracle: COUNT = T, SUM = T(T-1)/2, MIN = 0, MAX = T-1,
and its top N values are T-1, T-2, ..., T-N. A split read twice or lost changes COUNT and SUM;
a wrong TopN merge changes the top values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Expectation:
    """One checked value: what it is, the formula, and the value it must have."""

    what: str
    formula: str
    expected: Any


def _quoted(identifier: str) -> str:
    escaped = identifier.replace('"', '""')
    return f'"{escaped}"'


def aggregate_sql(scan: str, column: str) -> str:
    """COUNT, SUM, MIN and MAX of ``column`` over ``scan`` (a table function call) in one query."""
    name = _quoted(column)
    return f"SELECT count(*), sum({name}), min({name}), max({name}) FROM {scan}"  # noqa: S608 - scan is the kit's own


def top_sql(scan: str, column: str, top: int) -> str:
    """The ``top`` largest values of ``column`` over ``scan``, largest first."""
    name = _quoted(column)
    return f"SELECT {name} FROM {scan} ORDER BY {name} DESC LIMIT {int(top)}"  # noqa: S608 - scan is the kit's own


def aggregate_expectations(rows: int) -> list[Expectation]:
    """What COUNT, SUM, MIN and MAX of a 0..T-1 sequence must be, for T = ``rows``."""
    return [
        Expectation("COUNT(*)", "T", rows),
        # SQL's SUM of no rows is NULL, not 0.
        Expectation("SUM", "T(T-1)/2", rows * (rows - 1) // 2 if rows else None),
        Expectation("MIN", "0", 0 if rows else None),
        Expectation("MAX", "T-1", rows - 1 if rows else None),
    ]


def top_expectation(rows: int, top: int) -> Expectation:
    """The top ``top`` values of a 0..T-1 sequence: T-1, T-2, ... (fewer if T is smaller)."""
    return Expectation(f"top {top}", f"T-1 .. T-{top}", list(range(rows - 1, max(rows - 1 - top, -1), -1)))


@dataclass(frozen=True)
class Verdict:
    """An expectation and the value the engine gave."""

    expectation: Expectation
    actual: Any

    @property
    def holds(self) -> bool:
        """Whether the engine's value is the formula's."""
        return bool(self.actual == self.expectation.expected)

    def describe(self, rows: int) -> str:
        """``SUM is 123, expected T(T-1)/2 = 125 (T = 5 rows)``."""
        return (
            f"{self.expectation.what} is {_shown(self.actual)}, expected {self.expectation.formula} = "
            f"{_shown(self.expectation.expected)} (T = {rows:,} rows)"
        )


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list) and len(value) > 6:
        return f"[{', '.join(_shown(item) for item in value[:6])}, ...]"
    return repr(value)


def _integer(value: Any) -> Any:
    # Engines return big sums as exact decimal text or as numbers; compare them as integers.
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def aggregate_verdicts(result: Sequence[Sequence[Any]], rows: int) -> list[Verdict]:
    """The `aggregate_sql` answer's rows (``result``) against the formulas."""
    values: Sequence[Any] = result[0] if result else [None] * 4
    return [
        Verdict(expectation, _integer(value))
        for expectation, value in zip(aggregate_expectations(rows), values, strict=True)
    ]


def top_verdict(result: Sequence[Sequence[Any]], rows: int, top: int) -> Verdict:
    """The `top_sql` answer's rows (``result``) against the formula."""
    return Verdict(top_expectation(rows, top), [_integer(row[0]) for row in result])
