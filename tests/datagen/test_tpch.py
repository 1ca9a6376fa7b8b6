"""TPC-H: generated tables, exported files, and DuckDB's official answers as typed tables."""

import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lakeproof.datagen import Format, LocalSink, Manifest, tpch_answer, tpch_query, write_tpch
from lakeproof.datagen.tpch import QUERY_NUMBERS, TPCH_TABLES, connect
from lakeproof.errors import ConfigError


def assert_same_result(actual: pa.Table, expected: pa.Table, rel: float = 1e-9) -> None:
    """Same schema and rows in order; doubles within `rel`, everything else exact."""
    assert actual.schema == expected.schema
    assert actual.num_rows == expected.num_rows
    for got, want in zip(actual.to_pylist(), expected.to_pylist(), strict=True):
        for name, value in want.items():
            if isinstance(value, float):
                assert math.isclose(got[name], value, rel_tol=rel), (name, got[name], value)
            else:
                assert got[name] == value, (name, got[name], value)


@pytest.fixture(scope="module")
def tpch_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Manifest]:
    return write_tpch(0.01, LocalSink(tmp_path_factory.mktemp("tpch")), formats=("parquet", "csv"), files=2)


def test_every_table_is_written_in_each_format(tpch_files: dict[str, Manifest]) -> None:
    assert sorted(tpch_files) == sorted(TPCH_TABLES)
    lineitem = tpch_files["lineitem"]
    assert lineitem.total_rows == 60175
    assert [obj.key for obj in lineitem.objects] == [
        "lineitem/parquet/part-0000.parquet",
        "lineitem/parquet/part-0001.parquet",
        "lineitem/csv/part-0000.csv",
        "lineitem/csv/part-0001.csv",
    ]
    assert lineitem.seed is None


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("number", [1, 6])
def test_queries_over_exported_files_match_official_answers(
    tpch_files: dict[str, Manifest], fmt: Format, number: int
) -> None:
    with duckdb.connect() as con:
        for name, manifest in tpch_files.items():
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {manifest.duckdb_scan(fmt)}")
        actual = con.execute(tpch_query(number)).to_arrow_table()
    assert_same_result(actual, tpch_answer(number, 0.01))


def test_all_answers_parse_to_the_types_of_a_real_result() -> None:
    with connect() as con:
        con.execute("CALL dbgen(sf = 0.01)")
        for number in QUERY_NUMBERS:
            assert_same_result(con.execute(tpch_query(number)).to_arrow_table(), tpch_answer(number, 0.01))


def test_answer_values_are_typed() -> None:
    answer = tpch_answer(1, 0.1)
    assert answer.schema.field("sum_disc_price").type == pa.decimal128(38, 4)
    assert answer.schema.field("count_order").type == pa.int64()
    assert isinstance(answer.column("sum_qty")[0].as_py(), Decimal)
    assert tpch_answer(18, 1).column_names[-1] == "sum(l_quantity)"
    # At sf 0.01 query 17's only row is NULL (printed as an empty line).
    assert tpch_answer(17, 0.01).to_pylist() == [{"avg_yearly": None}]


@pytest.mark.parametrize("number", [0, 23])
def test_query_numbers_outside_1_to_22_are_refused(number: int) -> None:
    with pytest.raises(ConfigError, match=rf"TPC-H query {number} does not exist; use 1\.\.22"):
        tpch_query(number)
    with pytest.raises(ConfigError, match=r"use 1\.\.22"):
        tpch_answer(number, 0.01)


def test_scale_factor_without_answers_is_refused() -> None:
    expected = r"no official TPC-H answers for sf 0\.5; use one of 0\.01, 0\.1, 1"
    with pytest.raises(ConfigError, match=expected):
        tpch_answer(1, 0.5)


def test_negative_scale_factor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scale factor -1"):
        write_tpch(-1, LocalSink(tmp_path))
