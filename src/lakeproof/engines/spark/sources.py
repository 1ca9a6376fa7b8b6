"""The lab's DuckDB scans as Spark sources: ``read_parquet``/``read_csv``/``read_json`` calls become
``spark.read`` loads registered as temporary views, and the rest of the query is translated with
sqlglot (``lakeproof.engines.sql``).

Each option of a scan is mapped to the Spark reader option with the same meaning, or refused: a
scan option Spark cannot honour would otherwise be dropped silently and the comparison would test
something else. Text readers always run in ``FAILFAST`` mode, so a record Spark cannot parse is an
error, never a row of NULLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp

from lakeproof.engines.base import EngineError
from lakeproof.engines.spark.types import spark_schema
from lakeproof.engines.sql import Scan, ScanFormat, SqlTranslationError, translate

SparkFormat = Literal["parquet", "csv", "json"]

_FORMATS: dict[ScanFormat, SparkFormat] = {"parquet": "parquet", "csv": "csv", "ndjson": "json"}

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
        # Partition columns come from the keys (basePath, below) whatever the query says.
        "hive_partitioning": lambda value: {},
        # Spark never sniffs when it is given a schema, which every lab scan carries.
        "auto_detect": _must_be(False, "read_csv auto_detect"),
    },
    "json": {"format": _must_be("newline_delimited", "read_json format")},
    # Spark's mergeSchema reads each Parquet file's columns by name, as union_by_name does.
    "parquet": {"union_by_name": _boolean("mergeSchema"), "hive_partitioning": lambda value: {}},
}

# A folder segment that is a Hive-style key (``year=2024``) or a wildcard over folders (``*``, as the
# lab globs partitioned data): DuckDB adds the keys it finds there as columns unless told not to.
_PARTITION_FOLDER = re.compile(r"/(?:[^/=]+=[^/]*|[^/]*[*?\[{][^/]*)/")


@dataclass(frozen=True)
class SparkSource:
    """One scan of a query as Spark reads it: format, paths, reader options and schema."""

    function: str
    format: SparkFormat
    paths: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    schema: str | None = None


@dataclass(frozen=True)
class SparkQuery:
    """A DuckDB query rewritten for Spark: its SQL over temporary views, and each view's source."""

    sql: str
    views: dict[str, SparkSource]


def s3a(uri: str) -> str:
    """``s3://bucket/key`` as the S3A connector names it (``s3a://bucket/key``)."""
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


def rewrite(sql: str, view_prefix: str) -> SparkQuery:
    """``sql`` (DuckDB dialect, lab scans) as Spark SQL over views named ``<view_prefix><n>``.

    The same scan written twice reads through one view. EngineError 400 for SQL sqlglot cannot
    read or write, a scan of something other than ``s3://`` paths, or an option Spark cannot honour.
    """
    views: dict[str, SparkSource] = {}
    by_text: dict[str, str] = {}

    def view_of(scan: Scan) -> str:
        name = by_text.get(scan.sql)
        if name is None:
            name = by_text[scan.sql] = f"{view_prefix}{len(views)}"
            views[name] = spark_source(scan)
        return name

    try:
        spark_sql = translate(sql, "spark", view_of)
    except SqlTranslationError as exc:
        raise EngineError(400, "parsing_exception", str(exc)) from None
    return SparkQuery(spark_sql, views)


def spark_source(scan: Scan) -> SparkSource:
    """How Spark reads ``scan``: its options mapped one by one, its ``columns`` as a Spark schema."""
    spark_format = _FORMATS[scan.format]
    options = dict(_TEXT_ALWAYS[spark_format])
    schema = None
    for name, value in scan.options.items():
        if name == "columns":
            schema = spark_schema(_columns(scan.function, value))
            continue
        mapping = _OPTIONS[spark_format].get(name)
        if mapping is None:
            raise EngineError(
                400,
                "unsupported_option",
                f"{scan.function} option '{name}' has no Spark equivalent in this driver",
            )
        options |= mapping(value)
    for uri in scan.uris:
        if not uri.startswith("s3://"):
            raise EngineError(
                400, "unsupported_scan", f"{scan.function} reads 's3://' paths here, not {uri!r}"
            )
    if spark_format == "csv" and schema is None:
        # DuckDB sniffs the header and the types; Spark detects no header, so a scan that leaves it
        # to the sniffer reads one (every lab CSV file has one), and Spark infers the types.
        options.setdefault("header", "true")
        options["inferSchema"] = "true"
    base = _hive_base(scan)
    if base is not None:
        options["basePath"] = s3a(base)
    return SparkSource(scan.function, spark_format, tuple(s3a(uri) for uri in scan.uris), options, schema)


def _hive_base(scan: Scan) -> str | None:
    """Where Hive-style keys may start in the scan's paths, for Spark's partition discovery (which
    needs it for a glob), unless the query turns ``hive_partitioning`` off; None without folders."""
    if scan.options.get("hive_partitioning") is False:
        return None
    bases = {uri[: match.start() + 1] for uri in scan.uris if (match := _PARTITION_FOLDER.search(uri))}
    return bases.pop() if len(bases) == 1 else None


def _columns(function: str, value: object) -> Mapping[str, str]:
    struct = sqlglot.parse_one(str(value), read="duckdb") if isinstance(value, str) else None
    if not isinstance(struct, exp.Struct):
        raise EngineError(
            400, "unsupported_option", f"{function} columns must be a {{'name': 'TYPE'}} struct"
        )
    columns = {}
    for item in struct.expressions:
        if not (isinstance(item, exp.PropertyEQ) and isinstance(item.expression, exp.Literal)):
            raise EngineError(400, "unsupported_option", f"{function} columns must map names to type strings")
        columns[item.this.name] = item.expression.this
    return columns
