"""Spark's answer types named as DuckDB names them, and DuckDB's column types as Spark DDL."""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark", reason="the Spark driver needs the .[spark] extra: run `make venv-spark`")

from pyspark.sql import types as st

from lakeproof.engines.spark.types import duckdb_type_name, spark_ddl
from lakeproof.errors import ConfigError


@pytest.mark.parametrize(
    ("spark_type", "duckdb_name"),
    [
        (st.LongType(), "BIGINT"),
        (st.IntegerType(), "INTEGER"),
        (st.DoubleType(), "DOUBLE"),
        (st.StringType(), "VARCHAR"),
        (st.DecimalType(20, 2), "DECIMAL(20,2)"),
        (st.TimestampNTZType(), "TIMESTAMP"),
        (st.TimestampType(), "TIMESTAMP WITH TIME ZONE"),
        (st.DateType(), "DATE"),
        (st.BinaryType(), "BLOB"),
        (st.ArrayType(st.StringType()), "VARCHAR[]"),
        (
            st.StructType([st.StructField("a", st.IntegerType()), st.StructField("B c", st.StringType())]),
            'STRUCT(a INTEGER, "B c" VARCHAR)',
        ),
        (st.MapType(st.StringType(), st.LongType()), "MAP(VARCHAR, BIGINT)"),
    ],
)
def test_spark_types_get_duckdb_names(spark_type: st.DataType, duckdb_name: str) -> None:
    assert duckdb_type_name(spark_type) == duckdb_name


def test_duckdb_column_types_become_spark_ddl() -> None:
    assert spark_ddl("TIMESTAMP") == "TIMESTAMP_NTZ"
    assert spark_ddl('STRUCT(a INTEGER, "b c" VARCHAR[])') == "STRUCT<a: INT, `b c`: ARRAY<STRING>>"


def test_a_type_sqlglot_cannot_read_is_one_line_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"^column type 'STRUCT\(' has no Spark equivalent: "):
        spark_ddl("STRUCT(")
