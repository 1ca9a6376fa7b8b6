"""The oracle side: answers built from real DuckDB relations."""

from __future__ import annotations

import duckdb

from lakeproof.compare import Column, answer_from_duckdb, answer_from_json, compare


def test_answer_from_duckdb_converts_like_the_engine() -> None:
    connection = duckdb.connect()
    relation = connection.sql(
        """SELECT 170141183460469231731687303715884105727::HUGEINT AS big,
                  12.30::DECIMAL(15,2) AS price,
                  DATE '2024-02-29' AS day,
                  'NaN'::DOUBLE AS nan,
                  '-inf'::DOUBLE AS low,
                  [1, NULL]::INTEGER[] AS xs,
                  {'a': 1, 'b': 'x'} AS s,
                  NULL::VARCHAR AS nothing"""
    )
    answer = answer_from_duckdb(relation)

    assert answer.columns == (
        Column("big", "HUGEINT"),
        Column("price", "DECIMAL(15,2)"),
        Column("day", "DATE"),
        Column("nan", "DOUBLE"),
        Column("low", "DOUBLE"),
        Column("xs", "INTEGER[]"),
        Column("s", "STRUCT(a INTEGER, b VARCHAR)"),
        Column("nothing", "VARCHAR"),
    )
    assert answer.rows == (
        (2**127 - 1, "12.30", "2024-02-29", "NaN", "-Infinity", [1, None], {"a": 1, "b": "x"}, None),
    )


def test_engine_json_matches_the_oracle_relation() -> None:
    oracle = answer_from_duckdb(
        duckdb.connect().sql(
            "SELECT * FROM (VALUES (1, 2.50::DECIMAL(9,2), 0.1::DOUBLE + 0.2::DOUBLE),"
            " (2, 3.00::DECIMAL(9,2), 'NaN'::DOUBLE)) AS t(id, amount, ratio)"
        )
    )
    engine = answer_from_json(
        {
            "columns": [
                {"name": "id", "type": "INTEGER"},
                {"name": "amount", "type": "DECIMAL(9,2)"},
                {"name": "ratio", "type": "DOUBLE"},
            ],
            "values": [[2, "3", "NaN"], [1, "2.5", 0.3]],
        }
    )
    assert oracle.rows[0][2] == 0.30000000000000004  # the engine's 0.3 is within tolerance
    assert compare(oracle, engine).equal
