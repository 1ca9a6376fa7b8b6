"""Messy layouts: empty CSV files written both ways, drifting file schemas, compressed files and codecs."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lakeproof.datagen import LocalSink, Manifest, generate_tables, load_spec, write_dataset
from lakeproof.datagen.encode import csv_records

from .helpers import DATASETS


def _written(tmp_path: Path, name: str) -> Manifest:
    return write_dataset(load_spec(DATASETS / f"{name}.yaml"), LocalSink(tmp_path))


def test_empty_csv_files_are_header_only_or_zero_bytes_in_turn(tmp_path: Path) -> None:
    manifest = _written(tmp_path, "messy_empty_files")
    empty = [obj for obj in manifest.objects_of("csv") if obj.rows == 0]
    header = b'"id","grp","val","qty","day","seen","ok"\n'
    # empty_files: [header_only, zero_bytes, header_only], repeated over the empty CSV files.
    styles = ["header_only", "zero_bytes", "header_only"]
    expected = [header if styles[i % 3] == "header_only" else b"" for i in range(len(empty))]
    assert [Path(obj.uri).read_bytes() for obj in empty] == expected
    assert len(empty) == 28  # file_weights: seven zeros in every ten files, over 40 files
    assert all(obj.size == 0 for obj in manifest.objects_of("ndjson") if obj.rows == 0)


def test_drifting_files_hold_their_own_columns_in_order_and_width(tmp_path: Path) -> None:
    manifest = _written(tmp_path, "messy_drift")
    schemas = [pq.read_schema(obj.uri) for obj in manifest.objects_of("parquet")]
    assert [schema.names for schema in schemas] == [
        ["id", "grp", "qty", "val", "flag"],
        ["id", "grp", "qty", "val", "flag"],
        ["id", "grp", "qty", "val", "flag", "note"],
        ["note", "val", "qty", "grp", "id", "flag"],
        ["id", "grp", "qty", "val", "note"],
        ["id", "grp", "qty", "val", "flag", "note"],
    ]
    assert (schemas[0].field("id").type, schemas[0].field("val").type) == (pa.int32(), pa.float32())
    assert schemas[5].field("qty").type == pa.int32()
    csv_header = Path(manifest.objects_of("csv")[3].uri).read_text().splitlines()[0]
    assert csv_header == '"note","val","qty","grp","id","flag"'
    # The manifest lists the whole dataset's columns, not the first file's.
    assert [column.name for column in manifest.columns["parquet"]] == [
        "id",
        "grp",
        "qty",
        "val",
        "flag",
        "note",
    ]


def test_compressed_text_files_and_parquet_codecs(tmp_path: Path) -> None:
    manifest = _written(tmp_path, "messy_compression")
    keys = [Path(obj.key).name for obj in manifest.objects_of("csv")]
    assert keys == [
        "part-0000.csv.gz",
        "part-0001.csv.zst",
        "part-0002.csv",
        "part-0003.csv.gz",
        "part-0004.csv.zst",
    ]
    first = manifest.objects_of("ndjson")[0]
    assert gzip.decompress(Path(first.uri).read_bytes()).count(b"\n") == first.rows
    codecs = [
        pq.ParquetFile(obj.uri).metadata.row_group(0).column(0).compression
        for obj in manifest.objects_of("parquet")
    ]
    assert codecs == ["SNAPPY", "ZSTD", "GZIP", "LZ4", "UNCOMPRESSED"]
    # The manifest's glob matches the compressed files, and DuckDB reads them back.
    for fmt in ("csv", "ndjson"):
        scan = manifest.duckdb_scan(fmt)
        assert duckdb.sql(f"SELECT count(*) FROM {scan}").fetchone() == (1200,)


def test_writing_the_same_messy_spec_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = (_written(tmp_path / run, "messy_compression") for run in ("a", "b"))
    assert [obj.sha256 for obj in first.objects] == [obj.sha256 for obj in second.objects]


def test_tab_separated_files_start_with_a_byte_order_mark_in_turn(tmp_path: Path) -> None:
    manifest = _written(tmp_path, "messy_dialect_tab")
    for fmt in ("csv", "ndjson"):
        objects = manifest.objects_of(fmt)
        starts = [Path(obj.uri).read_bytes()[:3] == b"\xef\xbb\xbf" for obj in objects]
        assert starts == [True, False] * 3, fmt  # text.bom: [true, false] over six files
        assert [obj.text.bom for obj in objects if obj.text] == starts
    first = Path(manifest.objects_of("csv")[0].uri).read_bytes().decode("utf-8-sig").split("\n", 1)[0]
    # Header names as written: quoted, their quotes doubled, fields separated by tabs.
    assert first == '"id"\t"first name"\t"say ""hi"""\t"select"\t"Gr\u00f6\u00dfe"'


def test_names_that_need_quoting_read_back_in_every_format(tmp_path: Path) -> None:
    manifest = _written(tmp_path, "messy_dialect_tab")
    names = ["id", "first name", 'say "hi"', "select", "Gr\u00f6\u00dfe"]
    with duckdb.connect() as con:
        for fmt in manifest.formats:
            for columns in ("declared", "sniffed"):
                relation = con.sql(f"SELECT * FROM {manifest.duckdb_scan(fmt, columns=columns)}")
                assert relation.columns == names, (fmt, columns)
                values = con.sql(
                    f'SELECT count(*), count(DISTINCT "first name"), sum(id) FROM {manifest.duckdb_scan(fmt)}'
                ).fetchone()
                assert values == (600, 7, 179_700), (fmt, columns)


def test_single_quotes_and_backslash_escapes_read_back_as_generated(tmp_path: Path) -> None:
    spec = load_spec(DATASETS / "messy_dialect_quotes.yaml")
    manifest = write_dataset(spec, LocalSink(tmp_path))
    body = Path(manifest.objects_of("csv")[0].uri).read_bytes()
    assert body.startswith(b"'id'|'note'|'quip'|'amount'|'day'\n")
    assert b"'back\\\\slash'" in body  # the escape before itself
    assert b'"' not in body.replace(b'say "hi"', b"").replace(b'"fourth"', b"")  # only values hold '"'
    generated = pa.concat_tables(generate_tables(spec)).select(["id", "note", "quip"]).to_pylist()
    with duckdb.connect() as con:
        for columns in ("declared", "sniffed"):
            scan = manifest.duckdb_scan("csv", columns=columns)
            rows = con.sql(f"SELECT id, note, quip FROM {scan} ORDER BY id").fetchall()
            # Sniffed reads take quoted empty strings for NULL (DuckDB's default); declared ones do not.
            expected = [
                (row["id"], None if columns == "sniffed" and row["note"] == "" else row["note"], row["quip"])
                for row in generated
            ]
            assert rows == [tuple(row) for row in expected], columns


def test_csv_records_follow_quotes_and_escapes() -> None:
    rfc = b'"a","b"\n1,"x\n""y"",\nz"\n2,""\n'
    assert csv_records(rfc) == [b'"a","b"\n', b'1,"x\n""y"",\nz"\n', b'2,""\n']
    escaped = b"'a'|'b'\n1|'it\\'s\n'\n2|'\\\\'\n3|'end"
    assert csv_records(escaped, "'", "\\") == [b"'a'|'b'\n", b"1|'it\\'s\n'\n", b"2|'\\\\'\n", b"3|'end"]
