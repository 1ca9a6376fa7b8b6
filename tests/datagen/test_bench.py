"""The generation benchmark the bench script calls."""

from lakeproof.datagen import bench_parquet_rows


def test_bench_parquet_rows_returns_seconds() -> None:
    seconds = bench_parquet_rows(10_000)
    assert 0 < seconds < 5
