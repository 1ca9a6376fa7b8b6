"""Write tables as objects of each format to a sink, and describe them in a manifest."""

import gzip
import hashlib
import itertools
from collections.abc import Sequence

import pyarrow as pa

from lakeproof.datagen.encode import CONVENTIONS, EXTENSIONS, encode, encode_files, format_schema
from lakeproof.datagen.generate import generate_tables
from lakeproof.datagen.manifest import ColumnInfo, Manifest, ObjectInfo, TextLayout
from lakeproof.datagen.sinks import Sink
from lakeproof.datagen.spec import (
    CsvOptions,
    DatasetSpec,
    Format,
    ParquetOptions,
    TextCompression,
    TextOptions,
)
from lakeproof.datagen.textlayout import TEXT_FORMATS, lay_out_text
from lakeproof.datagen.types import duckdb_type, type_name


def object_key(dataset: str, fmt: Format, index: int, folders: str = "") -> str:
    """The key of file `index` of a dataset in `fmt`, relative to the sink; ``folders`` are its
    Hive-style partition folders (``year=2024/``), if any."""
    return f"{dataset}/{fmt}/{folders}part-{index:04d}.{EXTENSIONS[fmt]}"


def write_tables(
    dataset: str,
    tables: Sequence[pa.Table],
    sink: Sink,
    *,
    formats: Sequence[Format],
    parquet: ParquetOptions | None = None,
    csv: CsvOptions | None = None,
    seed: int | None = None,
    text: TextOptions | None = None,
    schema: pa.Schema | None = None,
    folders: Sequence[str] = (),
) -> Manifest:
    """Encode each table (one per file) in each format, store it in `sink`, and return the manifest.

    The manifest lists the columns of ``schema`` (default: the first table's; the whole dataset's
    when files drift from it). ``folders`` are each file's partition folders. ``text`` shapes the
    CSV and NDJSON files (`lakeproof.datagen.textlayout`); without it they are written as `encode`
    writes them.
    """
    if not tables:
        raise ValueError(f"dataset {dataset!r} has no tables to write; pass at least one (it may be empty)")
    csv = csv or CsvOptions()
    objects = []
    for fmt in formats:
        layouts: list[TextLayout | None] = [None] * len(tables)
        bodies = encode_files(tables, fmt, parquet=parquet, csv=csv)
        if text is not None and text != TextOptions() and fmt in TEXT_FORMATS:
            kinds = itertools.cycle(text.cuts.kinds if text.cuts else ("record_start",))
            shaped = [
                lay_out_text(table, body, fmt, csv, text, index, kinds)
                for index, (table, body) in enumerate(zip(tables, bodies, strict=True))
            ]
            bodies = [body for body, _ in shaped]
            layouts = [layout for _, layout in shaped]
        for index, (table, encoded) in enumerate(zip(tables, bodies, strict=True)):
            layout, body = layouts[index], encoded
            if text is not None and fmt in TEXT_FORMATS and text.bom_of(index) and body:
                # A byte order mark before the first byte, as Windows tools write one.
                body = UTF8_BOM + body
                layout = layout.model_copy(update={"bom": True}) if layout is not None else layout
            codec = text.compression_of(index) if text is not None and fmt in TEXT_FORMATS else "none"
            folder = folders[index] if folders else ""
            key = object_key(dataset, fmt, index, folder) + COMPRESSED_SUFFIXES[codec]
            objects.append(_store(sink, key, fmt, table.num_rows, compressed(body, codec), layout))
    schema = schema or tables[0].schema
    return Manifest(
        dataset=dataset,
        seed=seed,
        base_uri=sink.base_uri,
        total_rows=sum(table.num_rows for table in tables),
        csv=csv,
        columns={fmt: _columns(format_schema(schema, fmt)) for fmt in formats},
        conventions={fmt: CONVENTIONS[fmt] for fmt in formats},
        objects=tuple(objects),
    )


def write_dataset(spec: DatasetSpec, sink: Sink) -> Manifest:
    """Generate `spec` and write every file in every format of the spec to `sink`."""
    generated = generate_tables(spec)
    return write_tables(
        spec.name,
        [spec.file_schema(index).apply(table) for index, table in enumerate(generated)],
        sink,
        schema=generated[0].schema,
        folders=[spec.partition_folders(index) for index in range(len(generated))],
        formats=spec.formats,
        parquet=spec.parquet,
        csv=spec.csv,
        seed=spec.seed,
        text=spec.text,
    )


def write_file(spec: DatasetSpec, index: int, sink: Sink, *, rows: int, seed: int) -> list[ObjectInfo]:
    """File ``index`` of ``spec`` in each of its formats, written anew: ``rows`` rows drawn with ``seed``.

    Adds a file to a dataset already written, or replaces one (same key, other rows, other
    Parquet row groups): how a test changes the objects under a glob it has queried. The rows
    follow the spec's columns as a whole dataset of ``rows`` rows would (a sequence column counts
    from 0 again); text files are written plainly, without the spec's text options.
    """
    table = spec.file_schema(index).apply(
        pa.concat_tables(generate_tables(spec.with_changes(rows=rows, seed=seed)))
    )
    return [
        _store(
            sink,
            object_key(spec.name, fmt, index, spec.partition_folders(index)),
            fmt,
            table.num_rows,
            encode(table, fmt, parquet=spec.parquet, csv=spec.csv),
        )
        for fmt in spec.formats
    ]


def free_file_index(manifest: Manifest) -> int:
    """The first file index (part-NNNN) no object of ``manifest`` uses, in any format or folder."""
    # By file name (part-NNNN): partition folders and compression endings do not make a file new.
    used = {obj.key.rsplit("/", 1)[-1].split(".", 1)[0] for obj in manifest.objects}
    return next(index for index in itertools.count() if f"part-{index:04d}" not in used)


UTF8_BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark (U+FEFF) a text file may start with."""

COMPRESSED_SUFFIXES: dict[TextCompression, str] = {"none": "", "gzip": ".gz", "zstd": ".zst"}


def compressed(body: bytes, codec: TextCompression) -> bytes:
    """``body`` compressed with ``codec``, the same bytes every time (gzip records no time)."""
    if codec == "gzip":
        return gzip.compress(body, mtime=0)
    if codec == "zstd":
        return bytes(pa.compress(body, "zstd", asbytes=True))
    return body


def _store(
    sink: Sink, key: str, fmt: Format, rows: int, body: bytes, text: TextLayout | None = None
) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        uri=sink.put(key, body),
        format=fmt,
        size=len(body),
        rows=rows,
        sha256=hashlib.sha256(body).hexdigest(),
        text=text,
    )


def _columns(schema: pa.Schema) -> tuple[ColumnInfo, ...]:
    return tuple(
        ColumnInfo(name=field.name, type=type_name(field.type), duckdb_type=duckdb_type(field.type))
        for field in schema
    )
