"""DuckDB SQL with the lab's scans, carried over to another engine's dialect.

The catalogue's queries are DuckDB SQL reading objects with ``read_parquet(...)``,
``read_csv(...)`` and ``read_json(...)`` (a path, a glob or a list of them, then options).
A driver for another engine finds those scans (:func:`find_scans`), gives each one its own
source text (a registered view, ``parquet.`s3a://...```), and has sqlglot translate the rest
(:func:`translate`). SQL sqlglot cannot read, or cannot write in the engine's dialect, fails with
one line naming the dialect and the problem.

>>> scans = find_scans("SELECT count(*) FROM read_parquet('s3://lake/r/*.parquet') AS t")
>>> scans[0].format, scans[0].uris
('parquet', ('s3://lake/r/*.parquet',))
>>> translate("SELECT count(*) FROM read_parquet('s3://lake/r/*.parquet') AS t", "spark",
...           lambda scan: "parquet.`s3a://lake/r/*.parquet`")
'SELECT COUNT(*) FROM parquet.`s3a://lake/r/*.parquet` AS t'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from lakeproof.errors import LakeproofError

ScanFormat = Literal["parquet", "csv", "ndjson"]
SCAN_FUNCTIONS: dict[str, ScanFormat] = {
    "read_parquet": "parquet",
    "read_csv": "csv",
    "read_csv_auto": "csv",
    "read_json": "ndjson",
    "read_json_auto": "ndjson",
    "read_ndjson": "ndjson",
}
"""DuckDB's scan functions, and the format each reads."""

_SOURCE_DIALECT = "duckdb"
_PLACEHOLDER = "lakeproof_scan_{}"
# Whole placeholders only: lakeproof_scan_1 is not the start of lakeproof_scan_10.
_PLACEHOLDER_PATTERN = re.compile(r"\blakeproof_scan_(\d+)\b")
_QUOTED_CHARS = 120


class SqlTranslationError(LakeproofError):
    """A query cannot be read as DuckDB SQL, or cannot be written in an engine's dialect."""


@dataclass(frozen=True)
class Scan:
    """One scan of a query: its DuckDB function, format, object URIs and options."""

    function: str
    format: ScanFormat
    uris: tuple[str, ...]
    options: Mapping[str, Any]
    """Option name (lower case) -> its value: str, int, float, bool, a list, or SQL text."""
    sql: str
    """The scan's own DuckDB text, e.g. ``read_csv('s3://lake/a.csv', header = TRUE)``."""


def _quoted(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= _QUOTED_CHARS else flat[: _QUOTED_CHARS - 3] + "..."


def _parse(sql: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(sql, read=_SOURCE_DIALECT, error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SqlTranslationError(f"cannot read the query as DuckDB SQL ({first}): {_quoted(sql)}") from None
    return tree


def function_name(function: exp.Func) -> str:
    """A function's lower-case SQL name, whether or not sqlglot has a class for it."""
    return function.name.lower() if isinstance(function, exp.Anonymous) else function.sql_name().lower()


def call_arguments(function: exp.Func) -> list[exp.Expr]:
    """A function call's arguments in order (sqlglot keeps the first apart for known functions)."""
    if isinstance(function, exp.Anonymous):
        return list(function.expressions)
    first = function.args.get("this")
    return [*([first] if isinstance(first, exp.Expr) else []), *function.expressions]


def _value(node: exp.Expr) -> Any:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.name
        number = float(node.name)
        return int(number) if number.is_integer() and "." not in node.name else number
    if isinstance(node, exp.Array):
        return [_value(item) for item in node.expressions]
    return node.sql(_SOURCE_DIALECT)


def _scan_of(function: exp.Func, name: str) -> Scan:
    arguments = call_arguments(function)
    path, options = (arguments[0], arguments[1:]) if arguments else (None, [])
    literals = path.expressions if isinstance(path, exp.Array) else [path]
    if not literals or not all(isinstance(item, exp.Literal) and item.is_string for item in literals):
        raise SqlTranslationError(
            f"{name} needs its path as a string literal or a list of them, e.g. {name}('s3://bucket/*'); "
            f"got {function.sql(_SOURCE_DIALECT)}"
        )
    named: dict[str, Any] = {}
    for option in options:
        if not (isinstance(option, exp.EQ | exp.PropertyEQ) and isinstance(option.this, exp.Column)):
            raise SqlTranslationError(
                f"{name} option {option.sql(_SOURCE_DIALECT)} is not of the form name = value"
            )
        named[option.this.name.lower()] = _value(option.expression)
    return Scan(
        function=name,
        format=SCAN_FUNCTIONS[name],
        uris=tuple(item.name for item in literals if item is not None),
        options=named,
        sql=function.sql(_SOURCE_DIALECT),
    )


def _text_position(node: exp.Expr) -> int:
    """Where ``node``'s first literal starts in the query text (sqlglot walks CTEs after the body)."""
    literal = node.find(exp.Literal)
    return int(literal.meta.get("start", 0)) if literal is not None else 0


def _scan_tables(tree: exp.Expr) -> list[tuple[exp.Table, Scan]]:
    found = []
    for table in tree.find_all(exp.Table):
        function = table.this
        if isinstance(function, exp.Func) and (name := function_name(function)) in SCAN_FUNCTIONS:
            found.append((table, _scan_of(function, name)))
    return sorted(found, key=lambda item: _text_position(item[0]))


def find_scans(sql: str) -> tuple[Scan, ...]:
    """The scans of DuckDB query ``sql`` in text order; SqlTranslationError if it is not valid SQL."""
    return tuple(scan for _, scan in _scan_tables(_parse(sql)))


def translate(sql: str, dialect: str, source: Callable[[Scan], str]) -> str:
    """``sql`` in sqlglot ``dialect``, each scan replaced by ``source(scan)`` (the engine's text).

    Aliases stay as written (``read_parquet(...) AS t`` becomes ``<source> AS t``).
    """
    tree = _parse(sql)
    replacements: list[str] = []
    for index, (table, scan) in enumerate(_scan_tables(tree)):
        replacements.append(source(scan))
        table.set("this", exp.to_identifier(_PLACEHOLDER.format(index)))
    try:
        text = tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
    except (SqlglotError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SqlTranslationError(
            f"cannot write the query in the {dialect} dialect ({first}): {_quoted(sql)}"
        ) from None
    # One pass, so an engine's source text is never searched for placeholders itself.
    return _PLACEHOLDER_PATTERN.sub(lambda match: replacements[int(match.group(1))], text)
