"""Seeded dataset generation: YAML specs -> Parquet, CSV and NDJSON objects, plus TPC-H.

Same spec and seed -> byte-identical objects (with the pinned pyarrow and DuckDB).

Spec format (``data/datasets/*.yaml``; unknown fields are errors)::

    name: mixed_types          # lowercase [a-z0-9_-]; the first part of every object key
    description: ...           # optional, for people
    seed: 42                   # >= 0
    rows: 100_000              # total rows over all data files, >= 0
    files: 4                   # data files per format, >= 1 (default 1)
    formats: [parquet, csv, ndjson]        # default: all three, each once
    parquet: {row_group_rows: 10_000, compression: snappy}  # defaults 100_000, snappy
                               # compression: none, snappy, gzip, zstd, lz4, brotli, or a list
                               #   of them repeated over the files in order
    csv: {header: true, delimiter: ","}    # defaults; delimiter: one char, not a letter, digit,
                               #   newline, quote or escape ("\t" for a tab)
                               # quote: '"' (default), "'" or a backquote; escape: the quote
                               #   doubled (default) or "\\" ('it\'s', a backslash as \\)
                               # empty_files: [header_only, zero_bytes]: how each CSV file without
                               #   rows is written, in turn (default [header_only])
    size_skew: {file: 0, factor: 100}      # optional: data file 0 gets 100x the rows of each other
    file_weights: [1, 3, 10]   # optional: relative rows of the data files, repeated in order
                               #   (file 0 weighs 1, file 1 3, file 2 10, file 3 1, ...); 0 is
                               #   an empty file in that place (at least one weight > 0)
    drift:                     # optional: each file's schema, repeated over the files in order
      - {columns: [id, qty], narrow: {id: int}}  # only these columns, in this order; a bigint
                               #   written as int, a double as float (default: every column)
    partitions:                # optional: Hive-style folders of each file's key, repeated in order
      - {year: 2024, month: "01"}   # -> {name}/{format}/year=2024/month=01/part-NNNN.{ext}
    empty_files: 1             # optional: extra zero-row files after the data files (default 0)
    text:                      # optional: how CSV and NDJSON files end (see `textlayout`)
      line_endings: [lf, crlf]                   # repeat over the data files (default [lf])
      file_endings: [newline, none, blank_line]  # repeat likewise (default [newline])
      compression: [none, gzip, zstd]            # repeat likewise; keys end in .gz / .zst
      bom: [true, false]                         # repeat likewise: a UTF-8 byte order mark first
      cuts: {split_size: 1024, pad_column: note} # split cuts placed by construction (>= 1024);
                               #   kinds: [record_start, ...] (default: every kind, in turn)
    columns:                   # at least one; names unique (also ignoring case), printable,
                               #   no spaces at either end: "first name", 'say "hi"', select
      - name: id
        type: bigint           # int, bigint, double, decimal(p,s), string, bool, date, timestamp,
                               # list<T>, struct<name:T,...> (nesting allowed)
        generator: sequence    # random (default) | sequence: unique 0..rows-1 over all files
                               #   (int/bigint only, no nulls, edge values or value options)
        nulls: 0.05            # share of NULL rows, 0..1 (default 0)
        edge_values: true      # mix in the type's edge values (see `edges`), default false
        edge_ratio: 0.01       # share of edge rows (default 0.01; needs edge_values: true)
        min: 0                 # int, bigint, double, decimal, date, timestamp (default: see `values`)
        max: 1000
        choices: [a, b, c]     # draw uniformly from these instead (excludes min, max, cardinality)
        cardinality: 5000      # string: vocabulary size (default 1000)
        length: 1048576        # string: every value exactly this many characters (up to 16 MiB)
        repeat: 300            # this column 300 times, as name_001 .. name_300 (each its own
                               #   values; not for a sequence): wide tables
        max_items: 4           # list: 0..max_items items (default 4)

For list columns, min/max/choices/cardinality apply to the items; struct fields always use
their type's defaults. Every edge value appears at least once when rows allow, and edge rows are
never NULL.

Files and keys: data files ``part-0000`` .. then the empty files, under
``{sink prefix}/{name}/{format}/part-NNNN.{parquet|csv|ndjson}``. Each data file is a
contiguous slice of the generated rows, so a sequence column is unique over the whole dataset.

Format decisions (details in `lakeproof.datagen.encode`, recorded in every manifest):

- CSV: NULL is an empty unquoted field, the empty string is ``""`` (strings are always quoted,
  RFC 4180); list and struct columns are omitted (the manifest lists each format's columns).
- NDJSON: strict JSON; NaN, Infinity and -Infinity are the strings ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"``; decimals wider than 15 digits are strings; read with declared column types
  (`Manifest.duckdb_scan`), DuckDB restores them exactly.
- Far dates 0001-01-01 and 9999-12-31 (and timestamps to the microsecond) are carried by all three
  formats: Parquet natively, CSV and NDJSON as ISO text.
"""

from lakeproof.datagen.bench import bench_parquet_rows
from lakeproof.datagen.encode import encode, format_schema
from lakeproof.datagen.generate import file_row_counts, generate_table, generate_tables
from lakeproof.datagen.loader import load_spec
from lakeproof.datagen.manifest import ColumnInfo, Manifest, ObjectInfo
from lakeproof.datagen.sinks import LocalSink, S3Sink, Sink
from lakeproof.datagen.spec import (
    FORMATS,
    ColumnSpec,
    CsvOptions,
    DatasetSpec,
    Format,
    ParquetOptions,
    SizeSkew,
)
from lakeproof.datagen.tpch import tpch_answer, tpch_query, tpch_query_over, tpch_tables, write_tpch
from lakeproof.datagen.write import free_file_index, write_dataset, write_file, write_tables

__all__ = [
    "FORMATS",
    "ColumnInfo",
    "ColumnSpec",
    "CsvOptions",
    "DatasetSpec",
    "Format",
    "LocalSink",
    "Manifest",
    "ObjectInfo",
    "ParquetOptions",
    "S3Sink",
    "Sink",
    "SizeSkew",
    "bench_parquet_rows",
    "encode",
    "file_row_counts",
    "format_schema",
    "free_file_index",
    "generate_table",
    "generate_tables",
    "load_spec",
    "tpch_answer",
    "tpch_query",
    "tpch_query_over",
    "tpch_tables",
    "write_dataset",
    "write_file",
    "write_tables",
    "write_tpch",
]
