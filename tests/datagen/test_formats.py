"""Each format carries the generated values exactly, and reads back with plain DuckDB."""

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakeproof.datagen import FORMATS, Format, Manifest, encode, generate_table, load_spec
from lakeproof.datagen.spec import CsvOptions, ParquetOptions

from .helpers import DATASETS, read_back


def canonical(value: object) -> object:
    """A value with floats as text, so NaN equals NaN and -0.0 differs from 0.0."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("fmt", FORMATS)
def test_edge_values_round_trip(edge_manifest: Manifest, fmt: Format) -> None:
    truth = generate_table(load_spec(DATASETS / "edge_values.yaml")).to_pylist()
    columns = [column.name for column in edge_manifest.columns[fmt]]
    rows = read_back(edge_manifest, fmt)
    assert len(rows) == len(truth)
    for expected, actual in zip(truth, rows, strict=True):
        assert canonical(actual) == canonical({name: expected[name] for name in columns})


def test_csv_omits_nested_columns(edge_manifest: Manifest) -> None:
    csv_columns = [column.name for column in edge_manifest.columns["csv"]]
    assert "items" not in csv_columns
    assert "rec" not in csv_columns
    assert [column.name for column in edge_manifest.columns["ndjson"]][-2:] == ["items", "rec"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_object_reads_back_with_its_row_count(edge_manifest: Manifest, fmt: Format) -> None:
    with duckdb.connect() as con:
        for obj in edge_manifest.objects_of(fmt):
            scan = edge_manifest.duckdb_scan(fmt, obj.uri)
            count = con.sql(f"SELECT count(*) FROM {scan}").fetchone()
            assert count == (obj.rows,), obj.key


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_files_are_readable(edge_manifest: Manifest, fmt: Format) -> None:
    empty = edge_manifest.objects_of(fmt)[-1]
    assert empty.rows == 0
    assert read_back(edge_manifest, fmt, empty.uri) == []
    body = Path(empty.uri).read_bytes()
    if fmt == "csv":
        header = ",".join(f'"{column.name}"' for column in edge_manifest.columns["csv"])
        assert body == (header + "\n").encode()
    if fmt == "ndjson":
        assert body == b""
    if fmt == "parquet":
        assert pq.read_table(empty.uri).schema.names == [c.name for c in edge_manifest.columns["parquet"]]


def test_csv_line_breaks_inside_values_do_not_split_records(edge_manifest: Manifest) -> None:
    data = edge_manifest.objects_of("csv")[0]
    text = Path(data.uri).read_bytes().decode()  # not read_text: it would turn CRLF into LF
    assert '"line1\nline2"' in text
    assert '"line1\r\nline2"' in text
    assert text.count("\n") > data.rows + 1  # more physical lines than records
    with duckdb.connect() as con:
        # Without the manifest's declared types too: a plain sniffing read must agree on the count.
        count = con.sql(f"SELECT count(*) FROM read_csv('{data.uri}', allow_quoted_nulls=false)").fetchone()
    assert count == (data.rows,)


def test_csv_quoting_null_and_empty_string() -> None:
    table = pa.table(
        {
            "s": pa.array(["", None, 'say "hi"', "a,b\nc", "plain"]),
            "n": pa.array([1, None, -0.0, float("nan"), float("-inf")]),
            "d": pa.array([dt.date(1, 1, 1), None, dt.date(9999, 12, 31), None, None]),
        }
    )
    assert encode(table, "csv").decode() == (
        '"s","n","d"\n"",1,0001-01-01\n,,\n"say ""hi""",-0,9999-12-31\n"a,b\nc",nan,\n"plain",-inf,\n'
    )
    assert encode(table, "csv", csv=CsvOptions(header=False, delimiter="|")).decode().startswith('""|1|')


def test_ndjson_is_strict_json_with_nan_as_strings() -> None:
    table = pa.table(
        {
            "x": pa.array([float("nan"), float("inf"), float("-inf"), -0.0, None]),
            "wide": pa.array(
                [Decimal("12345678901234567.89"), None, Decimal("-0.01"), None, None], pa.decimal128(20, 2)
            ),
            "narrow": pa.array([Decimal("1.50"), None, None, None, None], pa.decimal128(5, 2)),
            "ts": pa.array([dt.datetime.max, dt.datetime.min, None, None, None], pa.timestamp("us")),
            "l": pa.array([[1.0, float("nan")], [], None, [None], None]),
        }
    )
    body = encode(table, "ndjson").decode()
    assert body.endswith("\n")
    lines = body.split("\n")[:-1]
    assert len(lines) == 5

    def reject(constant: str) -> object:
        raise AssertionError(f"non-standard JSON constant {constant}")

    rows = [json.loads(line, parse_constant=reject) for line in lines]
    assert [row["x"] for row in rows] == ["NaN", "Infinity", "-Infinity", -0.0, None]
    assert math.copysign(1, rows[3]["x"]) == -1
    assert rows[0]["wide"] == "12345678901234567.89"
    assert rows[0]["narrow"] == 1.5
    assert rows[0]["ts"] == "9999-12-31 23:59:59.999999"
    assert rows[1]["ts"] == "0001-01-01 00:00:00"
    assert [row["l"] for row in rows] == [[1.0, "NaN"], [], None, [None], None]


def test_parquet_row_groups_and_compression(tmp_path: Path) -> None:
    table = pa.table({"x": pa.array(range(2500))})
    body = encode(table, "parquet", parquet=ParquetOptions(row_group_rows=1000, compression="zstd"))
    path = tmp_path / "x.parquet"
    path.write_bytes(body)
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [1000, 1000, 500]
    assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_parquet_of_edge_values_dataset_uses_the_spec_row_groups(edge_manifest: Manifest) -> None:
    data = edge_manifest.objects_of("parquet")[0]
    assert pq.ParquetFile(data.uri).metadata.num_row_groups == math.ceil(data.rows / 250)
