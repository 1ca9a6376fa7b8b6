"""Finding the lab's scans in DuckDB SQL and carrying a query over to another dialect."""

from __future__ import annotations

import pytest

from lakeproof.engines.sql import Scan, SqlTranslationError, find_scans, translate

JOIN = (
    "SELECT t.region, count(*) AS n FROM read_csv(['s3://lake/r/a.csv', 's3://lake/r/b.csv'], "
    "header = true, delim = '|') AS t JOIN read_json('s3://lake/r/*.ndjson', format = 'newline_delimited') u "
    "ON t.id = u.id WHERE t.qty > 2.5 GROUP BY t.region"
)


def test_each_scan_is_found_with_its_format_objects_and_options() -> None:
    csv, ndjson = find_scans(JOIN)
    assert (csv.function, csv.format, csv.uris) == (
        "read_csv",
        "csv",
        ("s3://lake/r/a.csv", "s3://lake/r/b.csv"),
    )
    assert csv.options == {"header": True, "delim": "|"}
    assert (ndjson.function, ndjson.format, ndjson.uris) == ("read_json", "ndjson", ("s3://lake/r/*.ndjson",))
    assert ndjson.options == {"format": "newline_delimited"}


def test_numbers_and_lists_in_options_keep_their_types() -> None:
    (scan,) = find_scans(
        "SELECT * FROM read_csv('s3://l/a.csv', skip = 2, sample_size = 0.5, nullstr = ['NA', ''])"
    )
    assert scan.options == {"skip": 2, "sample_size": 0.5, "nullstr": ["NA", ""]}


def test_scans_inside_subqueries_and_ctes_are_found_in_text_order() -> None:
    sql = (
        "WITH a AS (SELECT * FROM read_parquet('s3://l/1.parquet')) "
        "SELECT * FROM a WHERE id IN (SELECT id FROM read_parquet('s3://l/2.parquet'))"
    )
    assert [scan.uris for scan in find_scans(sql)] == [("s3://l/1.parquet",), ("s3://l/2.parquet",)]


def test_translation_replaces_each_scan_keeps_aliases_and_writes_the_dialect() -> None:
    def spark_source(scan: Scan) -> str:
        return f"{scan.format}.`{scan.uris[0].replace('s3://', 's3a://')}`"

    assert translate(JOIN, "spark", spark_source) == (
        "SELECT t.region, COUNT(*) AS n FROM csv.`s3a://lake/r/a.csv` AS t "
        "JOIN ndjson.`s3a://lake/r/*.ndjson` AS u ON t.id = u.id WHERE t.qty > 2.5 GROUP BY t.region"
    )


def test_eleven_scans_each_get_their_own_source() -> None:
    # The eleventh scan's placeholder starts with the second's: each must be replaced whole.
    sql = " UNION ALL ".join(f"SELECT id FROM read_parquet('s3://l/{n}.parquet')" for n in range(11))
    translated = translate(sql, "spark", lambda scan: f"src[{scan.uris[0]}]")
    assert translated == " UNION ALL ".join(f"SELECT id FROM src[s3://l/{n}.parquet]" for n in range(11))


def test_dialect_specific_functions_are_translated() -> None:
    sql = "SELECT list_value(1, 2) AS l, strftime(ts, '%Y') AS y FROM read_parquet('s3://l/x.parquet')"
    assert translate(sql, "spark", lambda scan: "v") == (
        "SELECT ARRAY(1, 2) AS l, DATE_FORMAT(ts, 'yyyy') AS y FROM v"
    )


def test_sql_that_is_not_duckdb_is_one_line_naming_the_query() -> None:
    with pytest.raises(SqlTranslationError) as caught:
        find_scans("SELEC count(*) FROM read_parquet('s3://l/x.parquet')")
    message = str(caught.value)
    assert message.startswith("cannot read the query as DuckDB SQL (")
    assert message.endswith("): SELEC count(*) FROM read_parquet('s3://l/x.parquet')")
    assert "\n" not in message


def test_a_scan_path_that_is_not_a_literal_is_refused() -> None:
    with pytest.raises(SqlTranslationError, match=r"^read_parquet needs its path as a string literal"):
        find_scans("SELECT * FROM read_parquet(concat('s3://', 'x'))")


def test_a_long_query_is_cut_in_the_message() -> None:
    sql = "SELEC " + ", ".join(f"c{i}" for i in range(200))
    with pytest.raises(SqlTranslationError) as caught:
        find_scans(sql)
    message = str(caught.value)
    assert message.endswith("...")
    assert len(message) < 250
