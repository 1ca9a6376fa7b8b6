"""The lab's DuckDB scans as Spark reader calls, and the rest of the query in Spark's SQL."""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark", reason="the Spark driver needs the .[spark] extra: run `make venv-spark`")

from lakeproof.engines.base import EngineError
from lakeproof.engines.spark.sources import rewrite

CSV_SCAN = (
    "read_csv('s3://lake/run/sales/csv/*.csv', header=true, delim=';', quote='\"', escape='\"',"
    " nullstr='', allow_quoted_nulls=false, auto_detect=false,"
    " columns={'id': 'BIGINT', 'price': 'DECIMAL(12,2)', 'seen': 'TIMESTAMP', 'tags': 'VARCHAR[]'})"
)


def test_a_csv_scan_becomes_a_view_with_the_same_dialect_and_schema() -> None:
    query = rewrite(f"SELECT count(*) AS n FROM {CSV_SCAN} WHERE id > 3", view_prefix="v")

    assert query.sql == "SELECT COUNT(*) AS n FROM v0 WHERE id > 3"
    scan = query.views["v0"]
    assert scan.format == "csv"
    assert scan.paths == ("s3a://lake/run/sales/csv/*.csv",)
    assert scan.schema == "`id` BIGINT, `price` DECIMAL(12, 2), `seen` TIMESTAMP_NTZ, `tags` ARRAY<STRING>"
    assert {key: scan.options[key] for key in ("header", "sep", "quote", "escape", "nullValue")} == {
        "header": "true",
        "sep": ";",
        "quote": '"',
        "escape": '"',
        "nullValue": "",
    }
    # Never a row of NULLs for a record Spark cannot parse; quoted line breaks are data.
    assert scan.options["mode"] == "FAILFAST"
    assert scan.options["multiLine"] == "true"


def test_parquet_and_ndjson_scans_keep_their_aliases_and_the_same_scan_reads_through_one_view() -> None:
    parquet = "read_parquet('s3://lake/run/t/parquet/*.parquet')"
    ndjson = (
        "read_json(['s3://lake/run/a.ndjson', 's3://lake/run/b.ndjson'], format='newline_delimited',"
        " columns={'id': 'BIGINT'})"
    )
    query = rewrite(
        f"SELECT a.id FROM {parquet} AS a JOIN {ndjson} AS b ON a.id = b.id "
        f"WHERE a.id IN (SELECT id FROM {parquet})",
        view_prefix="s_",
    )

    assert query.sql == (
        "SELECT a.id FROM s_0 AS a JOIN s_1 AS b ON a.id = b.id WHERE a.id IN (SELECT id FROM s_0)"
    )
    assert query.views["s_0"].format == "parquet"
    assert query.views["s_1"].format == "json"
    assert query.views["s_1"].paths == ("s3a://lake/run/a.ndjson", "s3a://lake/run/b.ndjson")
    assert query.views["s_1"].schema == "`id` BIGINT"


def test_duckdb_functions_are_translated_to_spark_ones() -> None:
    query = rewrite(
        "SELECT strftime(d, '%Y') AS y, list_value(1, 2) AS l FROM read_parquet('s3://lake/x.parquet')",
        view_prefix="v",
    )

    assert query.sql == "SELECT DATE_FORMAT(d, 'yyyy') AS y, ARRAY(1, 2) AS l FROM v0"


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        (
            "read_csv('s3://lake/a.csv', union_by_name=true)",
            "read_csv option 'union_by_name' has no Spark equivalent in this driver",
        ),
        (
            "read_csv('s3://lake/a.csv', allow_quoted_nulls=true)",
            "read_csv allow_quoted_nulls: True has no Spark equivalent",
        ),
        ("read_parquet('/etc/passwd')", "read_parquet reads 's3://' paths here, not '/etc/passwd'"),
        (
            "read_json('s3://lake/a.json', format='array')",
            "read_json format: 'array' has no Spark equivalent",
        ),
    ],
)
def test_a_scan_spark_cannot_honour_is_refused_naming_the_option(scan: str, message: str) -> None:
    with pytest.raises(EngineError) as error:
        rewrite(f"SELECT * FROM {scan}", view_prefix="v")

    assert error.value.status == 400
    assert error.value.reason == message


def test_sql_that_does_not_parse_is_a_400_with_the_parser_line() -> None:
    with pytest.raises(EngineError) as error:
        rewrite("SELECT FROM WHERE (", view_prefix="v")

    assert error.value.status == 400
    assert error.value.reason.startswith("cannot read the query as DuckDB SQL (")


def test_a_scan_the_sniffer_reads_gets_a_header_and_inferred_types() -> None:
    scan = rewrite("SELECT * FROM read_csv('s3://lake/run/t/csv/*.csv')", view_prefix="v").views["v0"]

    assert scan.schema is None
    assert (scan.options["header"], scan.options["inferSchema"]) == ("true", "true")
    told = rewrite("SELECT * FROM read_csv('s3://lake/a.csv', header=false)", view_prefix="v").views["v0"]
    assert told.options["header"] == "false"


@pytest.mark.parametrize(
    ("path", "options", "base"),
    [
        ("s3://lake/run/hive/parquet/*/*/*.parquet", "", "s3a://lake/run/hive/parquet/"),
        ("s3://lake/run/hive/parquet/year=2024/*/*.parquet", "", "s3a://lake/run/hive/parquet/"),
        ("s3://lake/run/hive/parquet/*/*/*.parquet", ", hive_partitioning=false", None),
        ("s3://lake/run/t/parquet/*.parquet", ", hive_partitioning=true", None),
    ],
)
def test_partition_keys_are_discovered_below_the_first_partition_folder(
    path: str, options: str, base: str | None
) -> None:
    scan = rewrite(f"SELECT * FROM read_parquet('{path}'{options})", view_prefix="v").views["v0"]

    assert scan.options.get("basePath") == base


def test_union_by_name_merges_parquet_schemas_by_name() -> None:
    scan = rewrite(
        "SELECT * FROM read_parquet('s3://lake/d/*.parquet', union_by_name=true)", view_prefix="v"
    ).views["v0"]

    assert scan.options["mergeSchema"] == "true"
