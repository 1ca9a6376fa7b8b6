"""Small HTML fragments for log.html: escaped, head-limited tables a non-developer can read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from robot.api import logger

MAX_ROWS = 50


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
