"""The columns of a source over all of its files, as DuckDB binds them, for nodes to parse splits to.

A data node parses only its own splits. Left to itself it would type a header-only CSV file as
VARCHAR columns, an empty NDJSON file as one JSON column, a file of small integers as BIGINT
where another file of the glob needs DOUBLE, and fail to bind a column that some Parquet files of
a ``union_by_name`` glob lack. Plain DuckDB types the whole glob at once: it sniffs several files
and unifies what it saw. So when a source's types depend on its data (CSV or NDJSON without
explicit ``columns``, or ``union_by_name``), the coordinator asks DuckDB itself for the source's
columns over every listed object (``DESCRIBE``: CSV and NDJSON samples, Parquet footers), and
every node parses its splits to exactly those columns and types (``SourceSchema``).

A CSV source's dialect (delimiter, quote, escape, header) is the same case: DuckDB sniffs it
once for a glob, from its first file, and parses every file with it. A node left to sniff its own
split may guess otherwise (a split without an escaped quote cannot tell a backslash escape from a
literal backslash), so the coordinator asks DuckDB (``sniff_csv``) for whatever the query does
not declare, and nodes parse with exactly that (``CsvDialect``); the quote and escape also say
where CSV records end when a file is cut into byte ranges.

Hive-partitioned keys (``.../year=2024/month=01/part-0.parquet``) are the same case: DuckDB adds
a column per key (by default when every path has them, or with ``hive_partitioning = true``)
and types it from the values. A node's local copy has no such path, so the values come from the
split's object key, typed as DuckDB typed them; and a filter on them drops whole files before
any split is planned (``partition_pruned``).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from lakeproof.datagen.sql import sql_identifier, sql_string
from lakeproof.duckdb_ext import s3_database
from lakeproof.errors import LakeproofError
from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster.deadline import Cancelled, Deadline, interrupting
from lakeproof.refcluster.errors import BadRequestError, caller_errors
from lakeproof.refcluster.model import FileInfo, Format
from lakeproof.refcluster.sql_sources import Source

DECLARED_COLUMNS = "columns"
"""The option that declares a text source's every column and type: nothing left to sniff."""
TYPE_OPTIONS = frozenset({"types", "dtypes", "column_types", "names", "column_names"})
"""CSV options that name or type some columns; the source's schema already holds their effect."""
UNION_BY_NAME = "union_by_name"
HIVE_OPTIONS = frozenset({"hive_partitioning", "hive_types", "hive_types_autocast"})


def hive_values(uri: str) -> dict[str, str]:
    """The ``key=value`` folders of an object's key, in order (``{'year': '2024', 'month': '01'}``)."""
    folders = uri.removeprefix("s3://").split("/")[1:-1]  # neither the bucket nor the file name
    return dict(folder.split("=", 1) for folder in folders if "=" in folder and not folder.startswith("="))


@dataclass(frozen=True)
class SourceSchema:
    """A source's columns, in DuckDB's order, with DuckDB's type names, over all of its files."""

    columns: tuple[tuple[str, str], ...]
    union_by_name: bool
    partitions: tuple[str, ...] = ()
    """The Hive partition columns (values from each object's key), as the columns name them."""

    def partition_literals(self, uri: str) -> str:
        """``CAST('2024' AS BIGINT) AS "year", ...``: the partition columns of the object ``uri``."""
        values = {key.lower(): value for key, value in hive_values(uri).items()}
        types = {name.lower(): kind for name, kind in self.columns}
        return ", ".join(
            f"CAST({sql_string(values[name.lower()])} AS {types[name.lower()]}) AS {sql_identifier(name)}"
            for name in self.partitions
        )

    def node_options(self, options: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """The query's options a node may parse a local copy with: the Hive ones name the object's path."""
        return [(name, sql) for name, sql in options if name not in HIVE_OPTIONS]

    def columns_option(self) -> str:
        """The ``columns = {...}`` option that makes DuckDB parse a text split to these types (those
        the files hold: partition columns come from the key)."""
        in_files = [(name, kind) for name, kind in self.columns if name not in self.partitions]
        pairs = ", ".join(f"{sql_string(name)}: {sql_string(kind)}" for name, kind in in_files)
        return f"{DECLARED_COLUMNS} = {{{pairs}}}"

    def text_options(self, format: Format, options: Sequence[tuple[str, str]]) -> str:
        """The options a node parses a text split of this source with: the query's own, and the types.

        CSV under ``union_by_name`` is read by each file's own header (files order their columns
        differently), and conformed afterwards (``conformed_sql``).
        """
        kept = [sql for name, sql in self.node_options(options) if name not in TYPE_OPTIONS]
        if format == "ndjson" or not self.union_by_name:
            kept.append(self.columns_option())
        return ", ".join(kept)

    def conformed_sql(self, scan: str, present: Sequence[str], needed: Sequence[str] | None) -> str:
        """SQL selecting ``needed`` columns (all when None) of the query ``scan`` (whose columns are
        ``present``) as this schema types them.

        A column the scan lacks is NULL of its type under ``union_by_name`` (DuckDB fills it so);
        without it, the column is referenced anyway and DuckDB names it in its error.
        """
        have = {name.lower(): name for name in present}
        projections = []
        for name, kind in self._picked(needed):
            column = have.get(name.lower())
            if kind is None or (column is None and not self.union_by_name):
                projections.append(sql_identifier(column or name))
            else:
                value = "NULL" if column is None else sql_identifier(column)
                projections.append(f"CAST({value} AS {kind}) AS {sql_identifier(name)}")
        return f"SELECT {', '.join(projections)} FROM ({scan})"  # noqa: S608

    def empty_sql(self, needed: Sequence[str] | None) -> str:
        """SQL of no rows with the ``needed`` columns (all when None): what a split of zero bytes holds."""
        picked = self._picked(needed)
        projections = [f"CAST(NULL AS {kind or 'VARCHAR'}) AS {sql_identifier(col)}" for col, kind in picked]
        return f"SELECT {', '.join(projections)} LIMIT 0"

    def _picked(self, needed: Sequence[str] | None) -> list[tuple[str, str | None]]:
        """The ``needed`` columns (all when None) with this schema's spelling and type (None: not in it)."""
        if needed is None:
            return list(self.columns)
        types = {name.lower(): (name, kind) for name, kind in self.columns}
        return [types.get(name.lower(), (name, None)) for name in needed]


def is_partitioned(source: Source, files: Sequence[FileInfo]) -> bool:
    """Whether the source may have Hive partition columns: its first object's key has ``key=value``
    folders (DuckDB detects them), or the query asks for them."""
    return bool(files and hive_values(files[0].uri)) or any(
        name == "hive_partitioning" for name, _ in source.options
    )


def needs_schema(
    source: Source, files: Sequence[FileInfo] = (), file_schemas: Sequence[frozenset[str]] = ()
) -> bool:
    """Whether the source's types depend on its data: text without declared columns, union_by_name,
    Hive-partitioned keys, or Parquet files whose columns (``file_schemas``, from footers) differ."""
    if is_partitioned(source, files):
        return True
    names = {name for name, _ in source.options}
    if source.format == "parquet":
        return UNION_BY_NAME in names or len(set(file_schemas)) > 1
    return UNION_BY_NAME in names or DECLARED_COLUMNS not in names


def check_first_file_columns(
    source: Source, schema: SourceSchema, files: Sequence[FileInfo], file_columns: Sequence[frozenset[str]]
) -> None:
    """BadRequestError, as DuckDB refuses it, for a needed column a Parquet file of the glob lacks.

    Without ``union_by_name`` DuckDB binds the first file's columns and refuses to read a later
    file without one the query needs; a column only later files have is unknown. A node reading
    only some files cannot see either, so the coordinator checks before any split is read.
    """
    if schema.union_by_name:
        return
    known = {name.lower(): name for name, _ in schema.columns}
    needed = [column.lower() for column in source.columns] if source.columns is not None else list(known)
    if unknown := [column for column in needed if column not in known]:
        raise BadRequestError(
            f'Binder Error: Referenced column "{unknown[0]}" not found in {source.function}; its columns '
            f"(the first file's) are: {', '.join(known.values())}; read with union_by_name = true"
        )
    for file, columns in zip(files, file_columns, strict=True):
        if missing := [known[column] for column in needed if column not in columns]:
            raise BadRequestError(
                f'Invalid Input Error: schema mismatch in glob: column "{missing[0]}" of the first file '
                f"{files[0].uri} is not in {file.uri}; read with union_by_name = true to fill it with NULLs"
            )


DIALECT_NAMES: dict[str, str] = {"delim": "delim", "sep": "delim", "quote": "quote", "escape": "escape"}
"""CSV options that set the delimiter, quote and escape (``sep`` is DuckDB's other name for ``delim``)."""
SNIFF_OPTIONS = frozenset(
    {"delim", "sep", "quote", "escape", "header", "new_line", "comment", "skip", "encoding", "compression"}
)
"""The query's CSV options that change what ``sniff_csv`` finds."""
DUCKDB_DEFAULT_DIALECT = {"delim": ",", "quote": '"', "escape": '"'}
"""What DuckDB parses with when nothing is declared and ``auto_detect = false``."""


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV source's records are written: as the query declares it, else as DuckDB sniffed it.

    ``quote`` and ``escape`` are '' when values are not quoted. ``sniffed`` names the options the
    query left out: nodes get exactly these, so no split is sniffed on its own.
    """

    delim: str
    quote: str
    escape: str
    header: bool | None = None
    sniffed: tuple[str, ...] = ()

    def node_options(self) -> list[str]:
        """``name = 'value'`` for each option the query left to sniffing."""
        values: dict[str, str] = {
            "delim": sql_string(self.delim),
            "quote": sql_string(self.quote),
            "escape": sql_string(self.escape),
        }
        if self.header is not None:
            values["header"] = "true" if self.header else "false"
        return [f"{name} = {values[name]}" for name in self.sniffed if name in values]


def declared_dialect(source: Source) -> dict[str, Any]:
    """The dialect options a CSV ``source`` declares (``delim``, ``quote``, ``escape``, ``header``,
    ``auto_detect``) with literal values; an option whose value is not a literal is left out."""
    declared: dict[str, Any] = {}
    for name, sql in source.options:
        key = DIALECT_NAMES.get(name, name)
        if key not in {"delim", "quote", "escape", "header", "auto_detect"}:
            continue
        value = _literal(sql)
        if value is not None:
            declared[key] = value
    return declared


@functools.lru_cache(maxsize=256)
def _literal(option_sql: str) -> str | bool | None:
    """The literal value of ``name = value`` (text or boolean), or None."""
    try:
        select = sqlglot.parse_one(f"SELECT {option_sql}", dialect="duckdb")
        parsed = select.selects[0] if isinstance(select, exp.Select) else None
    except sqlglot.errors.ParseError:
        return None
    value = parsed.expression if isinstance(parsed, exp.EQ | exp.PropertyEQ) else None
    if isinstance(value, exp.Boolean):
        return bool(value.this)
    if isinstance(value, exp.Literal) and value.is_string:
        return str(value.name)
    return None


def needs_dialect(source: Source) -> bool:
    """Whether a CSV ``source`` leaves its delimiter, quote or escape to DuckDB's sniffer."""
    if source.format != "csv":
        return False
    declared = declared_dialect(source)
    if declared.get("auto_detect") is False:
        return False
    return not {"delim", "quote", "escape"} <= declared.keys() or "header" not in declared


def fixed_dialect(source: Source) -> CsvDialect:
    """The dialect of a CSV source that sniffs nothing: its declared options over DuckDB's defaults."""
    values = {**DUCKDB_DEFAULT_DIALECT, **declared_dialect(source)}
    header = values.get("header")
    return CsvDialect(
        str(values["delim"]),
        str(values["quote"]),
        str(values["escape"]),
        bool(header) if header is not None else None,
    )


class SchemaReader:
    """Asks DuckDB, reading through the coordinator's own endpoint, for a source's columns."""

    def __init__(self, endpoint: S3Endpoint):
        self._database = s3_database(endpoint, file_cache=False)

    def close(self) -> None:
        """Close the DuckDB database."""
        self._database.close()

    def describe(
        self, source: Source, files: Sequence[FileInfo], deadline: Deadline, cancelled: Cancelled
    ) -> SourceSchema:
        """The columns DuckDB binds for ``source`` over ``files`` (the listed objects, in order)."""
        uris = ", ".join(sql_string(file.uri) for file in files)
        options = f", {source.options_sql}" if source.options_sql else ""
        union = any(name == UNION_BY_NAME and sql.lower().endswith("true") for name, sql in source.options)
        keys = {key.lower() for key in hive_values(files[0].uri)} if files else set()
        doing = f"reading the columns of {source.uris[0]} on the coordinator"
        connection = self._database.cursor()
        try:
            with interrupting(connection, deadline, doing, cancelled), caller_errors():
                # The function and options are the analysed query's own; the URIs were listed.
                sql = f"DESCRIBE SELECT * FROM {source.function}([{uris}]{options})"  # noqa: S608
                rows = connection.sql(sql).fetchall()
        except duckdb.Error as error:
            first_line = next(iter(str(error).strip().splitlines()), type(error).__name__)
            if isinstance(error, duckdb.IOException) and not isinstance(error, duckdb.HTTPException):
                # DuckDB read the bytes but cannot parse them (not gzip, not Parquet): the data is at fault.
                raise BadRequestError(first_line) from None
            # Storage failed DuckDB's reads (the query's own mistakes were raised by caller_errors).
            raise LakeproofError(f"failed to read the columns of {source.uris[0]}: {first_line}") from None
        finally:
            connection.close()
        columns = tuple((str(row[0]), str(row[1])) for row in rows)
        partitions = tuple(name for name, _ in columns if name.lower() in keys)
        return SourceSchema(columns, union, partitions)

    def dialect(
        self, source: Source, files: Sequence[FileInfo], deadline: Deadline, cancelled: Cancelled
    ) -> CsvDialect:
        """The CSV ``source``'s dialect: DuckDB's sniff of its first non-empty object (as DuckDB
        sniffs a glob), under the options the query declares."""
        if not needs_dialect(source):
            return fixed_dialect(source)
        first = next((file for file in files if file.size != 0), None)
        if first is None:
            return fixed_dialect(source)
        options = [sql for name, sql in source.options if name in SNIFF_OPTIONS]
        extra = f", {', '.join(options)}" if options else ""
        doing = f"sniffing the CSV dialect of {source.uris[0]} on the coordinator"
        connection = self._database.cursor()
        try:
            with interrupting(connection, deadline, doing, cancelled), caller_errors():
                # The options are the analysed query's own; the URI was listed.
                sql = (
                    "SELECT Delimiter, Quote, Escape, HasHeader "  # noqa: S608
                    f"FROM sniff_csv({sql_string(first.uri)}{extra})"
                )
                row = connection.sql(sql).fetchone()
        except duckdb.Error as error:
            first_line = next(iter(str(error).strip().splitlines()), type(error).__name__)
            if isinstance(error, duckdb.IOException) and not isinstance(error, duckdb.HTTPException):
                raise BadRequestError(first_line) from None
            if isinstance(error, duckdb.InvalidInputException):
                # DuckDB cannot sniff this file: the scan itself will say why, as DuckDB does.
                return fixed_dialect(source)
            raise LakeproofError(f"failed to sniff the dialect of {first.uri}: {first_line}") from None
        finally:
            connection.close()
        if row is None:
            return fixed_dialect(source)
        declared = {DIALECT_NAMES.get(name, name) for name, _ in source.options}
        delim, quote, escape, header = (str(row[0]), _unquoted(row[1]), _unquoted(row[2]), bool(row[3]))
        sniffed = tuple(name for name in ("delim", "quote", "escape", "header") if name not in declared)
        return CsvDialect(delim, quote, escape, header, sniffed)


def partition_pruned(source: Source, schema: SourceSchema, files: Sequence[FileInfo]) -> list[FileInfo]:
    """``files`` without those whose partition values fail the source's pushed-down predicates.

    A predicate compares a partition column with a literal; the key's text is read as DuckDB
    typed the column (integers, doubles, dates; anything else as text). Files of a type not
    compared here are kept: pruning may only skip files that hold no matching row.
    """
    types = {name.lower(): kind for name, kind in schema.columns}
    partitions = {name.lower() for name in schema.partitions}
    tests = [
        (column.lower(), op, value) for column, op, value in source.predicates if column.lower() in partitions
    ]
    if not tests:
        return list(files)

    def may_match(file: FileInfo) -> bool:
        values = {key.lower(): value for key, value in hive_values(file.uri).items()}
        for column, op, literal in tests:
            value = _typed(values.get(column), types[column], literal)
            if value is not None and not _COMPARE[op](value, literal):
                return False
        return True

    kept = [file for file in files if may_match(file)]
    # No file left: keep one, whose rows the query's own filter drops, so the answer still has
    # its columns (an answer over no split at all has none).
    return kept or list(files[:1])


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda value, literal: value == literal,
    "<>": lambda value, literal: value != literal,
    "<": lambda value, literal: value < literal,
    "<=": lambda value, literal: value <= literal,
    ">": lambda value, literal: value > literal,
    ">=": lambda value, literal: value >= literal,
}


def _typed(text: str | None, kind: str, literal: object) -> object | None:
    """A partition value as its column's type, comparable with ``literal``; None when not sure."""
    if text is None:
        return None
    try:
        if kind in {"BIGINT", "INTEGER"} and isinstance(literal, int) and not isinstance(literal, bool):
            return int(text)
        if kind == "DOUBLE" and isinstance(literal, int | float) and not isinstance(literal, bool):
            return float(text)
        if kind == "DATE" and type(literal) is datetime.date:
            return datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return text if kind == "VARCHAR" and isinstance(literal, str) else None


def _unquoted(value: object) -> str:
    """``sniff_csv``'s quote or escape: '(empty)' when values are not quoted."""
    text = str(value)
    return "" if text == "(empty)" else text
