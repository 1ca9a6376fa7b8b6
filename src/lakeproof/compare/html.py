"""A comparison as an HTML fragment for Robot Framework's log: verdict, then head-limited tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from lakeproof.compare.answer import Column
from lakeproof.compare.diff import Comparison
from lakeproof.compare.values import format_value

# Inline styles: the fragment is embedded in a log whose stylesheet knows nothing of it.
_TABLE = 'style="border-collapse:collapse;margin:4px 0"'
_CELL = 'style="border:1px solid #999;padding:2px 6px;font-family:monospace;white-space:pre"'
_VERDICT = {True: "color:#080;font-weight:bold", False: "color:#c00;font-weight:bold"}


def comparison_html(comparison: Comparison, limit: int = 20) -> str:
    """The verdict line, then missing rows, extra rows and first differing cells, ``limit`` of each."""
    parts = [f'<p style="{_VERDICT[comparison.equal]}">{escape(comparison.summary())}</p>']
    if comparison.schema_problems:
        items = "".join(f"<li>{escape(problem)}</li>" for problem in comparison.schema_problems)
        parts.append(f"<p>Schema differences:</p><ul>{items}</ul>")
    if comparison.missing:
        parts.append(
            _section(
                "Missing rows (expected, not returned)",
                comparison.expected_columns,
                comparison.missing,
                limit,
            )
        )
    if comparison.extra:
        parts.append(
            _section(
                "Extra rows (returned, not expected)", comparison.actual_columns, comparison.extra, limit
            )
        )
    if comparison.difference_count:
        cells = [
            (difference.row_index + 1, difference.column, difference.expected, difference.actual)
            for difference in comparison.first_differences
        ]
        parts.append(
            _table(
                "First differing cells (by position)",
                ["row", "column", "expected", "actual"],
                [(str(row), name, format_value(want), format_value(got)) for row, name, want, got in cells],
                comparison.difference_count,
                limit,
            )
        )
    return "<div>" + "".join(parts) + "</div>"


def _section(title: str, columns: Sequence[Column], rows: Sequence[tuple[Any, ...]], limit: int) -> str:
    headers = [f"{column.name} ({column.type})" for column in columns]
    shown = [[format_value(value) for value in row] for row in rows[:limit]]
    return _table(title, headers, shown, len(rows), limit)


def _table(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]], total: int, limit: int) -> str:
    head = "".join(f"<th {_CELL}>{escape(header)}</th>" for header in headers)
    body = "".join(
        "<tr>" + "".join(f"<td {_CELL}>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in list(rows)[:limit]
    )
    more = f"<p>... and {total - limit} more</p>" if total > limit else ""
    return f"<p>{escape(title)}: {total}</p><table {_TABLE}><tr>{head}</tr>{body}</table>{more}"
