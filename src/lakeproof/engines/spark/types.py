"""Types between Spark and DuckDB: schemas for Spark's readers, DuckDB type names for Spark's answers.

The oracle speaks DuckDB's type names (``DECIMAL(15,2)``, ``VARCHAR[]``, ``STRUCT(a INTEGER)``), so
a Spark answer is described in the same words: Spark's own type, named as DuckDB names the same
type. A type Spark chose differently (``sum`` of a ``BIGINT`` stays ``BIGINT`` in Spark, is a
``HUGEINT`` in DuckDB) therefore shows as a schema difference, never hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import types as st
from sqlglot import exp

from lakeproof.errors import ConfigError

_SCALARS: tuple[tuple[type[st.DataType], str], ...] = (
    (st.BooleanType, "BOOLEAN"),
    (st.ByteType, "TINYINT"),
    (st.ShortType, "SMALLINT"),
    (st.IntegerType, "INTEGER"),
    (st.LongType, "BIGINT"),
    (st.FloatType, "FLOAT"),
    (st.DoubleType, "DOUBLE"),
    (st.StringType, "VARCHAR"),
    (st.CharType, "VARCHAR"),
    (st.VarcharType, "VARCHAR"),
    (st.BinaryType, "BLOB"),
    (st.DateType, "DATE"),
    (st.TimestampNTZType, "TIMESTAMP"),
    (st.TimestampType, "TIMESTAMP WITH TIME ZONE"),
    (st.NullType, '"NULL"'),
)


def duckdb_type_name(kind: st.DataType) -> str:
    """DuckDB's name for Spark type ``kind`` (``DecimalType(15,2)`` is ``DECIMAL(15,2)``)."""
    if isinstance(kind, st.DecimalType):
        return f"DECIMAL({kind.precision},{kind.scale})"
    if isinstance(kind, st.ArrayType):
        return f"{duckdb_type_name(kind.elementType)}[]"
    if isinstance(kind, st.MapType):
        return f"MAP({duckdb_type_name(kind.keyType)}, {duckdb_type_name(kind.valueType)})"
    if isinstance(kind, st.StructType):
        fields = ", ".join(
            f"{_struct_field_name(f.name)} {duckdb_type_name(f.dataType)}" for f in kind.fields
        )
        return f"STRUCT({fields})"
    for spark_type, name in _SCALARS:
        if isinstance(kind, spark_type):
            return name
    # Intervals, variants, geometry: named by Spark, so a comparison shows what Spark sent.
    return kind.simpleString().upper()


def _struct_field_name(name: str) -> str:
    """A struct field as DuckDB prints it: bare when a plain identifier, else double-quoted."""
    if name.isidentifier() and name.lower() == name:
        return name
    return '"' + name.replace('"', '""') + '"'


def spark_ddl(duckdb_type: str) -> str:
    """Spark's DDL for DuckDB type ``duckdb_type`` (``TIMESTAMP`` is ``TIMESTAMP_NTZ``, ``VARCHAR[]``
    is ``ARRAY<STRING>``); ConfigError naming the type when sqlglot cannot read it."""
    try:
        return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")
    except Exception as exc:  # sqlglot raises ParseError or ValueError for a type it cannot read
        raise ConfigError(f"column type {duckdb_type!r} has no Spark equivalent: {exc}") from None


def spark_schema(columns: Mapping[str, str]) -> str:
    """A Spark DDL schema (``id BIGINT, name STRING``) for DuckDB ``columns`` (name -> type)."""
    return ", ".join(f"`{name.replace('`', '``')}` {spark_ddl(kind)}" for name, kind in columns.items())
