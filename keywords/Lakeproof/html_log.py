"""Small HTML fragments for log.html: escaped, head-limited tables a non-developer can read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from robot.api import logger

MAX_ROWS = 50
_BAR_WIDTH_PX = 300


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], limit: int = MAX_ROWS) -> str:
    """An HTML table of ``rows``; rows past ``limit`` are counted, not shown."""
    head = "".join(f"<th>{escape(str(header))}</th>" for header in headers)
    body: list[str] = []
    hidden = 0
    for index, row in enumerate(rows):
        if index >= limit:
            hidden += 1
            continue
        body.append("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>")
    more = f"<p>... and {hidden} more rows</p>" if hidden else ""
    return f'<table border="1" style="border-collapse:collapse"><tr>{head}</tr>{"".join(body)}</table>{more}'


def log_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a titled table to the log at INFO level."""
    logger.info(f"<b>{escape(title)}</b>{html_table(headers, rows)}", html=True)


def log_mapping(title: str, mapping: Mapping[str, Any]) -> None:
    """Write a two-column name/value table to the log."""
    log_table(title, ["name", "value"], sorted(mapping.items()))


def bar_chart(title: str, values: Mapping[str, int | float], unit: str) -> str:
    """A horizontal bar per name, scaled to the largest value: readable without any plotting library."""
    largest = max(values.values(), default=0) or 1
    rows = "".join(
        f'<tr><td>{escape(name)}</td><td><div style="background:#4a90d9;height:12px;'
        f'width:{round(_BAR_WIDTH_PX * value / largest)}px"></div></td><td>{value} {escape(unit)}</td></tr>'
        for name, value in values.items()
    )
    return f"<b>{escape(title)}</b><table>{rows}</table>"
