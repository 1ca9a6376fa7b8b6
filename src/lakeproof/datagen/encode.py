"""Encode one file's Arrow table as Parquet, CSV or NDJSON bytes, deterministically.

The same table always encodes to the same bytes (for pinned pyarrow and DuckDB versions): no
writer here records a time, a host or a random id, and row order is kept.

Parquet
    pyarrow.parquet with the spec's row-group size and compression, dictionary encoding and
    statistics on. Every type is carried natively, including far dates and NaN.
CSV (RFC 4180 unless the spec says otherwise)
    Fields separated by the spec's delimiter, records ended by LF, an optional header. Every
    string value (and header name) is enclosed in double quotes, embedded quotes are doubled, and
    delimiters and line breaks inside a quoted value are data, not record boundaries. A spec's
    ``quote`` and ``escape`` replace the double quote and the doubling (``'it\\'s'``, the escape
    also before itself); nothing else changes. NULL is an
    empty unquoted field; the empty string is ``""`` (so readers must not turn quoted empties into
    NULL: DuckDB needs ``allow_quoted_nulls=false``). Doubles are shortest round-trip text with
    ``nan``, ``inf``, ``-inf``; dates ``YYYY-MM-DD``; timestamps ``YYYY-MM-DD HH:MM:SS.ffffff``.
    List and struct columns are omitted: CSV has no nested values (the manifest lists each
    format's columns).
NDJSON
    One JSON object per row and line, UTF-8, every line ending in LF (an empty file has no
    lines). Output is strict JSON (RFC 8259), which has no NaN or Infinity: those doubles are
    written as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``. Decimals wider than 15
    digits are written as strings of their exact text, because JSON readers (DuckDB included)
    parse numbers as doubles, which hold only 15 significant digits exactly. Dates and timestamps
    are strings as in CSV, except that trailing zeros of a fraction of a second are dropped.
    Readers declare the column types from the manifest; DuckDB's ``read_json`` then casts these
    strings back exactly.
"""

import itertools
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from lakeproof.datagen.spec import CsvOptions, Format, ParquetOptions
from lakeproof.datagen.sql import sql_identifier, sql_string
from lakeproof.datagen.types import is_nested

EXTENSIONS: dict[Format, str] = {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson"}

# The rules above, one line per format, recorded in every manifest for whoever reads the objects.
CONVENTIONS: dict[Format, str] = {
    "parquet": "native Parquet types; row groups of the spec's size; NaN and far dates as is",
    "csv": (
        "RFC 4180: string values always double-quoted (quotes doubled, newlines and delimiters inside"
        ' quotes are data); NULL = empty unquoted field; empty string = ""; nested columns omitted'
    ),
    "ndjson": (
        "one strict-JSON object per LF-terminated line; NaN/Infinity/-Infinity as strings;"
        " decimals wider than 15 digits as strings; dates and timestamps as ISO strings"
    ),
}

# Significant decimal digits a double carries exactly (DBL_DIG): wider decimals go out as text.
JSON_EXACT_DIGITS = 15


def format_schema(schema: pa.Schema, fmt: Format) -> pa.Schema:
    """The columns `fmt` carries: all of them, except that CSV drops list and struct columns."""
    if fmt != "csv":
        return schema
    return pa.schema([field for field in schema if not is_nested(field.type)])


def encode(
    table: pa.Table,
    fmt: Format,
    *,
    parquet: ParquetOptions | None = None,
    csv: CsvOptions | None = None,
) -> bytes:
    """The bytes of one `fmt` file holding `table` (options default to the spec defaults)."""
    if fmt == "parquet":
        return _parquet(table, parquet or ParquetOptions())
    if fmt == "csv":
        return _csv(_csv_columns(table), csv or CsvOptions())
    return _ndjson(table)


def encode_files(
    tables: Sequence[pa.Table],
    fmt: Format,
    *,
    parquet: ParquetOptions | None = None,
    csv: CsvOptions | None = None,
) -> list[bytes]:
    """The bytes of one `fmt` file per table; the same bytes `encode` gives for each table alone.

    NDJSON is encoded once for all tables and cut at line ends (one row is one line), because
    each DuckDB encoding costs a connection: a thousand tiny files would take half a minute.
    """
    if fmt == "parquet":
        codecs = parquet or ParquetOptions()
        return [_parquet(table, codecs, index) for index, table in enumerate(tables)]
    if fmt == "csv":
        # Each CSV file without rows is written the next way of ``empty_files``, in turn.
        options = csv or CsvOptions()
        empties = itertools.accumulate(table.num_rows == 0 for table in tables)  # empty files so far
        return [
            _csv(_csv_columns(table), options, seen - 1) for table, seen in zip(tables, empties, strict=True)
        ]
    if fmt != "ndjson" or len(tables) < 2 or any(table.schema != tables[0].schema for table in tables):
        return [encode(table, fmt, parquet=parquet, csv=csv) for table in tables]
    lines = _ndjson(pa.concat_tables(tables)).split(b"\n")
    bounds = itertools.accumulate((table.num_rows for table in tables), initial=0)
    return [b"".join(line + b"\n" for line in lines[start:end]) for start, end in itertools.pairwise(bounds)]


def _parquet(table: pa.Table, options: ParquetOptions, file_index: int = 0) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        row_group_size=options.row_group_rows,
        compression=options.codec(file_index),
        use_dictionary=True,
        write_statistics=True,
    )
    return bytes(sink.getvalue())


def _csv_columns(table: pa.Table) -> pa.Table:
    return table.select(format_schema(table.schema, "csv").names)


def _csv(table: pa.Table, options: CsvOptions, empty_index: int = 0) -> bytes:
    """A CSV file of ``table``; a table without rows is the ``empty_index``-th empty file."""
    if table.num_rows == 0 and options.empty_files[empty_index % len(options.empty_files)] == "zero_bytes":
        return b""
    sink = pa.BufferOutputStream()
    write_options = pa_csv.WriteOptions(
        include_header=options.header,
        delimiter=options.delimiter,
        # "needed" quotes every string-typed value, so strings with delimiters, quotes or line
        # breaks are always safe, and an empty string ("") stays distinct from NULL (nothing).
        quoting_style="needed",
    )
    pa_csv.write_csv(table, sink, write_options=write_options)
    body = bytes(sink.getvalue())
    return body if options.is_rfc4180 else _requoted(body, options.quote, options.escape_char)


_RFC4180_QUOTED = re.compile(rb'"((?:[^"]|"")*)"')
"""A quoted value as pyarrow writes it; no unquoted value (numbers, dates, NULL) holds a quote."""


def _requoted(body: bytes, quote: str, escape: str) -> bytes:
    """``body`` (RFC 4180) with every quoted value quoted with ``quote`` and escaped with ``escape``."""
    q, e = quote.encode(), escape.encode()

    def requote(match: re.Match[bytes]) -> bytes:
        value = match.group(1).replace(b'""', b'"')
        if e != q:
            value = value.replace(e, e + e)
        return q + value.replace(q, e + q) + q

    return _RFC4180_QUOTED.sub(requote, body)


def csv_records(body: bytes, quote: str = '"', escape: str = '"') -> list[bytes]:
    """Each record of a CSV file written with ``quote`` and ``escape``, with its LF.

    A line break inside quotes is data: a record ends at the first LF outside quotes. Bytes after
    the last LF (a last line without one) are the last record.
    """
    q, e = re.escape(quote.encode()), re.escape(escape.encode())
    if quote == escape:
        inner = rb"(?:[^" + q + rb"]|" + q + q + rb")*"
    else:
        inner = rb"(?:[^" + q + e + rb"]|" + e + rb"[\s\S])*"
    token = re.compile(q + inner + q + rb"|\n|[^" + q + rb"\n]+|" + q)
    records: list[bytes] = []
    start = 0
    for match in token.finditer(body):
        if match.group() == b"\n":
            records.append(body[start : match.end()])
            start = match.end()
    if start < len(body):
        records.append(body[start:])
    return records


def _ndjson(table: pa.Table) -> bytes:
    # pyarrow has no JSON writer; DuckDB's is vectorised and keeps row order with
    # preserve_insertion_order (its default, set here because the output depends on it).
    columns = [sql_identifier(field.name) for field in table.schema]
    select = ", ".join(
        f"{_json_value(column, field.type, 0) or column} AS {column}"
        for column, field in zip(columns, table.schema, strict=True)
    )
    with tempfile.TemporaryDirectory(prefix="lakeproof-ndjson-") as tmp, duckdb.connect() as con:
        con.execute("SET preserve_insertion_order = true")
        con.register("rows_to_encode", table)
        path = Path(tmp) / "part.ndjson"
        # Every name and the path in this statement are quoted by sql_identifier / sql_string.
        con.execute(f"COPY (SELECT {select} FROM rows_to_encode) TO {sql_string(str(path))} (FORMAT json)")  # noqa: S608
        return path.read_bytes()


def _json_value(expr: str, dtype: pa.DataType, depth: int) -> str | None:
    """A DuckDB expression for `expr` that follows the NDJSON rules, or None if DuckDB's own
    JSON output already does."""
    if pa.types.is_floating(dtype):
        return (
            f"CASE WHEN isnan({expr}) THEN '\"NaN\"'::JSON"
            f" WHEN isinf({expr}) AND {expr} > 0 THEN '\"Infinity\"'::JSON"
            f" WHEN isinf({expr}) THEN '\"-Infinity\"'::JSON"
            f" ELSE to_json({expr}) END"
        )
    if pa.types.is_decimal(dtype) and dtype.precision > JSON_EXACT_DIGITS:
        return f"CAST({expr} AS VARCHAR)"
    if pa.types.is_list(dtype):
        item = f"item{depth}"
        inner = _json_value(item, dtype.value_type, depth + 1)
        return None if inner is None else f"list_transform({expr}, lambda {item}: {inner})"
    if pa.types.is_struct(dtype):
        fields = [
            (field.name, _json_value(f"{expr}.{sql_identifier(field.name)}", field.type, depth))
            for field in dtype
        ]
        if all(inner is None for _, inner in fields):
            return None
        packed = ", ".join(
            f"{sql_identifier(name)} := {inner or f'{expr}.{sql_identifier(name)}'}" for name, inner in fields
        )
        # struct_pack of a NULL struct's fields would be a struct of NULLs, not NULL.
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE struct_pack({packed}) END"
    return None
