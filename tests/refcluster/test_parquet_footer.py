"""Footers cut down to some row groups, and the sparse local copies of splits DuckDB reads."""

from __future__ import annotations

import decimal
import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeproof.refcluster.model import FileInfo, Split
from lakeproof.refcluster.parquet_footer import FooterError, footer_with_row_groups
from lakeproof.refcluster.storage import copy_parquet_split, parquet_metadata, parquet_row_groups

from .memory_reader import MemoryReader

URI = "s3://lake/t/f.parquet"


def table_of(rows: int) -> pa.Table:
    """Columns of the kinds whose chunks differ most: plain, dictionary, nested, decimal, NULLs."""
    return pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "name": pa.array([f"name-{n % 7}" if n % 5 else None for n in range(rows)]),
            "tags": pa.array([[n, n + 1] if n % 3 else [] for n in range(rows)], pa.list_(pa.int32())),
            "point": pa.array([{"x": n, "label": str(n)} for n in range(rows)]),
            "price": pa.array([decimal.Decimal(n) / 100 for n in range(rows)], pa.decimal128(15, 2)),
        }
    )


def parquet_file(rows: int, row_group_size: int, page_index: bool = False) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table_of(rows), buffer, row_group_size=row_group_size, write_page_index=page_index)
    return buffer.getvalue()


def footer_of(data: bytes) -> bytes:
    length = int.from_bytes(data[-8:-4], "little")
    return data[-8 - length :]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 60),
    row_group_size=st.integers(1, 9),
    page_index=st.booleans(),
    data=st.data(),
)
def test_a_cut_footer_lists_exactly_the_kept_row_groups(
    rows: int, row_group_size: int, page_index: bool, data: st.DataObject
) -> None:
    original = parquet_file(rows, row_group_size, page_index)
    before = pq.read_metadata(pa.BufferReader(original))
    count = before.num_row_groups
    keep = data.draw(st.lists(st.integers(0, count - 1), unique=True, max_size=count).map(sorted))
    kept_rows = sum(before.row_group(index).num_rows for index in keep)
    after = pq.read_metadata(pa.BufferReader(footer_with_row_groups(footer_of(original), keep, kept_rows)))
    assert after.num_rows == kept_rows
    assert [after.row_group(i).to_dict() for i in range(after.num_row_groups)] == [
        before.row_group(index).to_dict() for index in keep
    ]
    assert after.schema.equals(before.schema)
    assert after.metadata == before.metadata  # key-value metadata (the Arrow schema) kept
    assert after.created_by == before.created_by


@pytest.mark.parametrize("writer", ["pyarrow", "duckdb"])
def test_keeping_every_row_group_changes_no_byte(writer: str, tmp_path: Path) -> None:
    if writer == "pyarrow":
        data = parquet_file(100, 7, page_index=True)
    else:
        path = tmp_path / "d.parquet"
        duckdb.sql(
            "COPY (SELECT range AS i, range::VARCHAR AS s, [range] AS l, {'x': range} AS st, "
            f"range::DECIMAL(15, 2) AS d FROM range(5000)) TO '{path}' (ROW_GROUP_SIZE 2048)"
        )
        data = path.read_bytes()
    metadata = pq.read_metadata(pa.BufferReader(data))
    footer = footer_of(data)
    assert footer_with_row_groups(footer, range(metadata.num_row_groups), metadata.num_rows) == footer


@pytest.mark.parametrize(
    ("footer", "keep", "message"),
    [
        (b"not a footer", [0], "no PAR1 at its end"),
        (
            footer_of(parquet_file(10, 5))[:100] + footer_of(parquet_file(10, 5))[-8:],
            [0],
            "middle of a value",
        ),
        (
            footer_of(parquet_file(10, 5))[:-8] + b"\x00" + footer_of(parquet_file(10, 5))[-8:],
            [0],
            "1 bytes follow",
        ),
        (footer_of(parquet_file(10, 5)), [2], r"row groups \[2\] asked of a footer listing 2"),
    ],
)
def test_a_malformed_footer_or_row_group_is_refused(footer: bytes, keep: list[int], message: str) -> None:
    with pytest.raises(FooterError, match=message):
        footer_with_row_groups(footer, keep, 1)


@pytest.mark.parametrize(
    ("row_groups", "columns"),
    [
        ((1, 3), ["price", "tags"]),
        (None, ["point"]),
        (None, None),
        ((2,), []),  # count(*): no chunk read, DuckDB counts from the footer
    ],
)
def test_duckdb_reads_the_sparse_copy_of_a_split(
    row_groups: tuple[int, ...] | None, columns: list[str] | None, tmp_path: Path
) -> None:
    data = parquet_file(40_000, 10_000)  # row groups far larger than the holes reads bridge
    reader = MemoryReader({URI: data})
    spans = parquet_row_groups(reader, FileInfo(URI, "parquet", len(data)))
    footer_reads = len(reader.reads)
    split = Split(0, URI, "parquet", 0, len(data), len(data), row_groups=row_groups)
    copy = tmp_path / "split.parquet"
    rows = copy_parquet_split(reader, split, copy, columns)

    wanted = list(row_groups) if row_groups is not None else [0, 1, 2, 3]
    expected = pq.ParquetFile(pa.BufferReader(data)).read_row_groups(wanted, columns=columns)
    projection = ", ".join(columns) if columns else "*" if columns is None else "count(*) AS n"
    read = duckdb.sql(f"SELECT {projection} FROM read_parquet('{copy}')").to_arrow_table()
    if columns == []:
        assert read.column("n").to_pylist() == [expected.num_rows] == [rows]
    else:
        assert read.to_pylist() == expected.to_pylist()
        assert rows == expected.num_rows
    allowed: list[list[int]] = []  # the wanted row groups' byte spans, touching ones joined
    for span in sorted((span for span in spans if span.index in wanted), key=lambda span: span.offset):
        if allowed and allowed[-1][1] == span.offset:
            allowed[-1][1] += span.length
        else:
            allowed.append([span.offset, span.offset + span.length])
    fetched = reader.reads[footer_reads:]
    for _, start, end in fetched:  # nothing outside the row groups asked for
        assert any(low <= start < end <= high for low, high in allowed)
    assert (not fetched) == (columns == [])


def test_a_dotted_top_level_name_fetches_its_own_chunk(tmp_path: Path) -> None:
    table = pa.table(
        {
            "a.b": pa.array(range(50_000), pa.int64()),
            "a": pa.array([{"b": n} for n in range(50_000)]),
            "m": pa.array([[("k", n)] for n in range(50_000)], pa.map_(pa.string(), pa.int32())),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    data = buffer.getvalue()
    reader = MemoryReader({URI: data})
    metadata = parquet_metadata(reader, FileInfo(URI, "parquet", len(data)))
    footer_reads = len(reader.reads)
    copy = tmp_path / "split.parquet"
    copy_parquet_split(reader, Split(0, URI, "parquet", 0, len(data), len(data)), copy, ["a.b", "m"])
    read = duckdb.sql(f"SELECT \"a.b\", m FROM read_parquet('{copy}')").to_arrow_table()
    assert read.column("a.b").to_pylist() == list(range(50_000))
    assert read.column("m").to_pylist() == [[("k", n)] for n in range(50_000)]
    chunk = metadata.row_group(0).column(1)  # a.b of struct a: not asked for, not read
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    for _, low, high in reader.reads[footer_reads:]:
        assert high <= start or low >= start + chunk.total_compressed_size
