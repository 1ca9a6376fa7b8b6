"""The lab's DuckDB scans as Spark sources: ``read_parquet``/``read_csv``/``read_json`` calls become
``spark.read`` loads registered as temporary views, and the rest of the query is translated with sqlglot.

Each option of a scan is mapped to the Spark reader option with the same meaning, or refused: a
scan option Spark cannot honour would otherwise be dropped silently and the comparison would test
something else. Text readers always run in ``FAILFAST`` mode, so a record Spark cannot parse is an
error, never a row of NULLs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp

from lakeproof.engines.base import EngineError
from lakeproof.engines.spark.types import spark_schema

SparkFormat = Literal["parquet", "csv", "json"]

_FUNCTIONS: dict[str, SparkFormat] = {"read_parquet": "parquet", "read_csv": "csv", "read_json": "json"}
_NODE_FUNCTIONS: dict[type[exp.Expr], str] = {exp.ReadCSV: "read_csv", exp.ReadParquet: "read_parquet"}

# Reader options every text scan gets: a record Spark cannot parse fails the query (never a row of
# NULLs), and CSV values may hold line breaks inside quotes (RFC 4180), as the lab writes them.
_TEXT_ALWAYS: dict[SparkFormat, dict[str, str]] = {
    "csv": {
        "mode": "FAILFAST",
        "multiLine": "true",
        # The lab writes non-finite doubles as Python and DuckDB spell them.
        "nanValue": "nan",
        "positiveInf": "inf",
        "negativeInf": "-inf",
        # A quoted empty value is the empty string; only an unquoted empty field is NULL.
        "emptyValue": "",
        "timestampNTZFormat": "yyyy-MM-dd HH:mm:ss[.SSSSSS]",
        "dateFormat": "yyyy-MM-dd",
    },
    "json": {"mode": "FAILFAST", "allowNonNumericNumbers": "true"},
    "parquet": {},
}

# DuckDB option -> how it becomes Spark options (None: the option needs no Spark counterpart).
OptionMap = Callable[[object], dict[str, str]]


def _text(name: str) -> OptionMap:
    return lambda value: {name: str(value)}


def _boolean(name: str) -> OptionMap:
    return lambda value: {name: "true" if value else "false"}


def _must_be(expected: object, why: str) -> OptionMap:
    def check(value: object) -> dict[str, str]:
        if value != expected:
            raise EngineError(400, "unsupported_option", f"{why}: {value!r} has no Spark equivalent")
        return {}

    return check


_OPTIONS: dict[SparkFormat, dict[str, OptionMap]] = {
    "csv": {
        "header": _boolean("header"),
        "delim": _text("sep"),
        "sep": _text("sep"),
        "quote": _text("quote"),
        "escape": _text("escape"),
        "nullstr": _text("nullValue"),
        "allow_quoted_nulls": _must_be(False, "read_csv allow_quoted_nulls"),
        # Spark never sniffs when it is given a schema, which every lab scan carries.
        "auto_detect": _must_be(False, "read_csv auto_detect"),
    },
    "json": {"format": _must_be("newline_delimited", "read_json format")},
    "parquet": {},
}


@dataclass(frozen=True)
class Scan:
    """One table-function call of a query, as Spark reads it: format, paths, options and schema."""

    function: str
    format: SparkFormat
    paths: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    schema: str | None = None


@dataclass(frozen=True)
class SparkQuery:
    """A DuckDB query rewritten for Spark: its SQL over temporary views, and each view's scan."""

    sql: str
    views: dict[str, Scan]


def s3a(uri: str) -> str:
    """``s3://bucket/key`` as the S3A connector names it (``s3a://bucket/key``)."""
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


def rewrite(sql: str, view_prefix: str) -> SparkQuery:
    """``sql`` (DuckDB dialect, lab scans) as Spark SQL over views named ``<view_prefix><n>``.

    The same scan written twice reads through one view. EngineError 400 for SQL sqlglot cannot
    read, a scan of something other than literal ``s3://`` paths, or an option Spark cannot honour.
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise EngineError(
            400, "parsing_exception", f"the query is not valid SQL: {_first_line(exc)}"
        ) from None
    views: dict[str, Scan] = {}
    by_text: dict[str, str] = {}

    def swap(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table):
            return node
        call = node.this
        function = _function_name(call)
        if function is None:
            return node
        text = call.sql(dialect="duckdb")
        name = by_text.get(text)
        if name is None:
            name = by_text[text] = f"{view_prefix}{len(views)}"
            views[name] = _scan(function, call)
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(function))
        return exp.Table(this=exp.to_identifier(name), alias=alias)

    rewritten = tree.transform(swap)
    try:
        spark_sql = rewritten.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise EngineError(400, "unsupported_sql", f"Spark SQL cannot express: {_first_line(exc)}") from None
    return SparkQuery(spark_sql, views)


def _function_name(call: object) -> str | None:
    if isinstance(call, exp.Anonymous) and str(call.this).lower() in _FUNCTIONS:
        return str(call.this).lower()
    for node_type, name in _NODE_FUNCTIONS.items():
        if isinstance(call, node_type):
            return name
    return None


def _scan(function: str, call: exp.Expr) -> Scan:
    spark_format = _FUNCTIONS[function]
    arguments = [call.this] if call.this is not None and isinstance(call.this, exp.Expr) else []
    arguments += list(call.expressions)
    paths: list[str] = []
    options = dict(_TEXT_ALWAYS[spark_format])
    schema = None
    for argument in arguments:
        if isinstance(argument, exp.EQ | exp.PropertyEQ):
            name = argument.this.name.lower()
            if name == "columns":
                schema = spark_schema(_columns(function, argument.expression))
                continue
            mapping = _OPTIONS[spark_format].get(name)
            if mapping is None:
                raise EngineError(
                    400,
                    "unsupported_option",
                    f"{function} option '{name}' has no Spark equivalent in this driver",
                )
            options |= mapping(_literal(function, name, argument.expression))
        else:
            paths += _paths(function, argument)
    if not paths:
        raise EngineError(400, "unsupported_scan", f"{function} needs at least one 's3://...' path")
    return Scan(function, spark_format, tuple(paths), options, schema)


def _paths(function: str, argument: exp.Expr) -> list[str]:
    items = argument.expressions if isinstance(argument, exp.Array) else [argument]
    paths = []
    for item in items:
        if not (isinstance(item, exp.Literal) and item.is_string and item.this.startswith("s3://")):
            raise EngineError(
                400,
                "unsupported_scan",
                f"{function} reads literal 's3://' paths here, not {item.sql('duckdb')}",
            )
        paths.append(s3a(item.this))
    return paths


def _literal(function: str, name: str, value: exp.Expr) -> object:
    if isinstance(value, exp.Boolean):
        return bool(value.this)
    if isinstance(value, exp.Literal):
        return value.this if value.is_string else value.to_py()
    raise EngineError(400, "unsupported_option", f"{function} option '{name}' must be a literal value")


def _columns(function: str, value: exp.Expr) -> Mapping[str, str]:
    if not isinstance(value, exp.Struct):
        raise EngineError(
            400, "unsupported_option", f"{function} columns must be a {{'name': 'TYPE'}} struct"
        )
    columns = {}
    for item in value.expressions:
        if not (isinstance(item, exp.PropertyEQ) and isinstance(item.expression, exp.Literal)):
            raise EngineError(400, "unsupported_option", f"{function} columns must map names to type strings")
        columns[item.this.name] = item.expression.this
    return columns


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
