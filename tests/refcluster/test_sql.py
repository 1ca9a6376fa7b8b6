"""The SQL split of the reference cluster against DuckDB's own answers.

Every query runs twice over the same local files: once as DuckDB runs it over all of them (the
oracle), once the way the cluster does (a scan and fragment per file, the union of the results
merged, or scans and the final query in coordinator mode). Answers must agree as multisets (in
order when the query orders), with the same column names and DuckDB types.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeproof.refcluster.model import QueryShape
from lakeproof.refcluster.sql import Analysis, QueryError, analyse

HINT = (
    "read files with read_parquet('s3://...'), read_csv(...) or read_json(...), "
    "tables with iceberg_scan('s3://...') or delta_scan('s3://...')"
)
FACTS = "s3://lake/facts/*.parquet"
DIMS = "s3://lake/dims/dims.csv"
DIMS_OPTIONS = "header = true, columns = {'k': 'INTEGER', 'label': 'VARCHAR'}"
READ_FACTS = f"read_parquet('{FACTS}')"
READ_DIMS = f"read_csv('{DIMS}', {DIMS_OPTIONS})"
REL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Lake:
    """Local copies of the objects the test queries name, by s3:// path."""

    files: dict[str, list[Path]]

    def local(self, sql: str) -> str:
        """`sql` reading the local files instead of S3 (for the oracle)."""
        for uri, paths in self.files.items():
            sql = sql.replace(f"'{uri}'", "[" + ", ".join(f"'{path}'" for path in paths) + "]")
        return sql


def _facts(rows: int, seed: int) -> pa.Table:
    """Rows with NULLs, negatives, strings, a DECIMAL, doubles and BIGINTs whose sum overflows BIGINT."""
    values = range(seed * 1000, seed * 1000 + rows)
    return pa.table(
        {
            "g": pa.array([None if v % 7 == 0 else "abc"[v % 3] for v in values], pa.string()),
            "k": pa.array([None if v % 11 == 0 else v % 5 for v in values], pa.int32()),
            # Group k = 4 has no non-NULL i: SUM/AVG NULL, COUNT(i) 0 there.
            "i": pa.array(
                [None if v % 5 == 4 or v % 13 == 0 else (v * 37) % 201 - 100 for v in values], pa.int32()
            ),
            "b": pa.array([(2**62 if v % 2 else -(2**61)) + v for v in values], pa.int64()),
            "d": pa.array(
                [None if v % 9 == 0 else Decimal(v % 1000 - 500) / 100 for v in values], pa.decimal128(10, 2)
            ),
            "f": pa.array([math.sin(v) * 1000 for v in values], pa.float64()),
            "s": pa.array(["" if v % 17 == 0 else f"s{(v * 7) % 23}" for v in values], pa.string()),
            "day": pa.array(
                [datetime.date(2024, 1, 1) + datetime.timedelta(days=v % 40) for v in values], pa.date32()
            ),
        }
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """Four Parquet files of facts (one empty, one with several row groups) and a CSV of dimensions."""
    root = tmp_path_factory.mktemp("lake")
    facts = []
    for number, rows in enumerate([120, 0, 37, 300]):
        path = root / f"facts-{number}.parquet"
        pq.write_table(_facts(rows, number), path, row_group_size=64)
        facts.append(path)
    dims = root / "dims.csv"
    pa_csv.write_csv(pa.table({"k": [0, 1, 2, 3, 9], "label": ["zero", "one", "two", "three", "nine"]}), dims)
    return Lake({FACTS: facts, DIMS: [dims]})


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # Fragment results cross process boundaries as Arrow; without this HUGEINT becomes DECIMAL(38,0).
    con.execute("SET arrow_lossless_conversion = true")
    return con


def _scans(con: duckdb.DuckDBPyConnection, analysis: Analysis, lake: Lake, index: int) -> Iterator[pa.Table]:
    """What each node's scan of one source produces, a file at a time, read with the query's options."""
    source = analysis.sources[index]
    options = f", {source.options_sql}" if source.options_sql else ""
    for path in (path for uri in source.uris for path in lake.files[uri]):
        raw = con.sql(f"SELECT * FROM {source.function}('{path}'{options})").to_arrow_table()
        con.register("raw", raw)
        yield con.sql(analysis.scan_sql(source, "raw")).to_arrow_table()
        con.unregister("raw")


def _fragments(con: duckdb.DuckDBPyConnection, analysis: Analysis, lake: Lake) -> pa.Table:
    results = []
    for scan in _scans(con, analysis, lake, 0):
        con.register("split", scan)
        results.append(con.sql(analysis.fragment_sql("split")).to_arrow_table())
        con.unregister("split")
    return pa.concat_tables(results)


def _distributed(con: duckdb.DuckDBPyConnection, analysis: Analysis, lake: Lake) -> duckdb.DuckDBPyRelation:
    """The cluster's answer as a relation, in whichever mode the analysis chose."""
    if analysis.mode == "fragment":
        con.register("fragments", _fragments(con, analysis, lake))
        return con.sql(analysis.merge_sql("fragments"))
    tables = {}
    for source in analysis.sources:
        con.register(f"scan_{source.index}", pa.concat_tables(_scans(con, analysis, lake, source.index)))
        tables[source.index] = f"scan_{source.index}"
    return con.sql(analysis.final_sql(tables))


def _cell_key(value: Any) -> tuple[int, str]:
    return (0, "") if value is None else (1, repr(round(value, 6) if isinstance(value, float) else value))


def _same_cell(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=REL_TOLERANCE, abs_tol=1e-9)
    return bool(expected == actual and type(expected) is type(actual))


def assert_same_answer(sql: str, lake: Lake, *, ordered: bool = False) -> Analysis:
    """Runs `sql` both ways and asserts equal names, types and rows; returns the analysis."""
    analysis = analyse(sql)
    con = _connection()
    expected = con.sql(lake.local(sql))
    actual = _distributed(con, analysis, lake)
    assert actual.columns == expected.columns
    assert [str(t) for t in actual.types] == [str(t) for t in expected.types]
    expected_rows, actual_rows = expected.fetchall(), actual.fetchall()
    if not ordered:
        expected_rows.sort(key=lambda row: [_cell_key(cell) for cell in row])
        actual_rows.sort(key=lambda row: [_cell_key(cell) for cell in row])
    assert len(actual_rows) == len(expected_rows)
    for expected_row, actual_row in zip(expected_rows, actual_rows, strict=True):
        assert all(map(_same_cell, expected_row, actual_row)), (expected_row, actual_row)
    return analysis


# Group keys, aggregates and filters the generated queries combine.
KEYS = ["g", "k", "i % 3", "s IS NULL OR s = ''", "day"]
AGGREGATES = [
    "count(*)",
    "count(i)",
    "sum(i)",
    "sum(b)",
    "sum(d)",
    "sum(f)",
    "avg(i)",
    "avg(d)",
    "avg(f)",
    "min(s)",
    "max(s)",
    "min(d)",
    "max(i) - min(i)",
    "count(DISTINCT s)",
    "count(DISTINCT k)",
    "sum(i) / count(*)",
]
FILTERS = ["i > 0", "g IS NOT NULL AND f < 200.5", "d BETWEEN -1.5 AND 3", "s LIKE 's1%' OR k = 2", "false"]
BARE_COLUMNS = {"g", "s", "d", "facts.b", "K"}
PROJECTIONS = ["*", "i + 1", "f * 2", "upper(g) AS up", *sorted(BARE_COLUMNS)]


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.sampled_from(KEYS), unique=True, max_size=3),
    aggregates=st.lists(st.sampled_from(AGGREGATES), unique=True, min_size=1, max_size=4),
    where=st.none() | st.sampled_from(FILTERS),
    having=st.booleans(),
    limit=st.none() | st.integers(0, 6),
)
def test_generated_aggregations_match_duckdb(
    lake: Lake, keys: list[str], aggregates: list[str], where: str | None, having: bool, limit: int | None
) -> None:
    items = ", ".join([*keys, *aggregates])
    sql = f"SELECT {items} FROM {READ_FACTS} AS facts"
    sql += f" WHERE {where}" if where else ""
    sql += f" GROUP BY {', '.join(keys)}" if keys else ""
    sql += " HAVING count(*) > 3" if having else ""
    # Groups are unique by their keys, listed first: ordering by every column is deterministic.
    ordered = limit is not None
    if ordered:
        sql += f" ORDER BY {', '.join(str(n) for n in range(1, len(keys) + 2))} LIMIT {limit}"
    analysis = assert_same_answer(sql, lake, ordered=ordered)
    assert analysis.shape.aggregation
    # COUNT DISTINCT merges only alongside MIN/MAX (HAVING adds a COUNT(*)).
    plain = [a for a in aggregates if "DISTINCT" not in a and not a.startswith(("min", "max"))]
    distinct_mixed = any("DISTINCT" in a for a in aggregates) and bool(plain or having)
    assert analysis.mode == ("coordinator" if distinct_mixed else "fragment")


@settings(max_examples=60, deadline=None)
@given(
    projection=st.lists(st.sampled_from(PROJECTIONS), unique=True, min_size=1, max_size=4),
    where=st.none() | st.sampled_from(FILTERS),
    order=st.booleans(),
    limit=st.none() | st.integers(0, 25),
    offset=st.none() | st.integers(1, 5),
)
def test_generated_projections_match_duckdb(
    lake: Lake, projection: list[str], where: str | None, order: bool, limit: int | None, offset: int | None
) -> None:
    if limit is None or not order:
        offset = None  # an OFFSET without a total order picks arbitrary rows
    sql = f"SELECT {', '.join(projection)} FROM {READ_FACTS} AS facts"
    sql += f" WHERE {where}" if where else ""
    sql += " ORDER BY ALL" if order else ""
    sql += f" LIMIT {limit}" if limit is not None else ""
    sql += f" OFFSET {offset}" if offset is not None else ""
    if limit is not None and not order:
        assert_limit_only(sql, lake, limit)
        return
    analysis = assert_same_answer(sql, lake, ordered=order)
    # With a star, a bare column is shipped in the star's place: ORDER BY ALL could not sort nodes alike.
    star_reorders = order and "*" in projection and bool(BARE_COLUMNS & set(projection))
    assert analysis.mode == ("coordinator" if star_reorders else "fragment")
    assert analysis.shape == QueryShape(
        topn=order and limit is not None, limit=limit, filter=where is not None
    )


def assert_limit_only(sql: str, lake: Lake, limit: int) -> None:
    """A LIMIT without ORDER BY may return any `limit` rows: check the count and that each row exists."""
    analysis = analyse(sql)
    con = _connection()
    everything = con.sql(lake.local(sql.rsplit(" LIMIT ", 1)[0])).fetchall()
    actual = _distributed(con, analysis, lake).fetchall()
    assert len(actual) == min(limit, len(everything))
    remaining = [[_cell_key(cell) for cell in row] for row in everything]
    for row in actual:
        remaining.remove([_cell_key(cell) for cell in row])


FRAGMENT, COORDINATOR = "fragment", "coordinator"


@pytest.mark.parametrize(
    ("sql", "mode"),
    [
        # Zero rows into an ungrouped aggregate: one row, COUNT 0 and SUM/AVG/MIN NULL.
        (f"SELECT count(*), count(i), sum(i), avg(d), min(s) FROM {READ_FACTS} WHERE i > 1000", FRAGMENT),
        (f"SELECT count(DISTINCT g), max(s) FROM {READ_FACTS} WHERE i > 1000", FRAGMENT),
        (f"SELECT count(*) FROM {READ_FACTS}", FRAGMENT),
        (f"SELECT count(DISTINCT g), count(DISTINCT k), max(s) FROM {READ_FACTS}", FRAGMENT),
        (f"SELECT k, count(DISTINCT s) AS kinds, min(d) FROM {READ_FACTS} GROUP BY k", FRAGMENT),
        (f"SELECT k, avg(i), avg(d), avg(f), sum(b), sum(d) FROM {READ_FACTS} GROUP BY ALL", FRAGMENT),
        (f"SELECT g AS grp, k, sum(i) FROM {READ_FACTS} WHERE g IS NULL GROUP BY 1, 2", FRAGMENT),
        (f"SELECT G, COUNT(*), Sum(I) FROM {READ_FACTS} GROUP BY g", FRAGMENT),
        (f"SELECT DISTINCT g, k FROM {READ_FACTS}", FRAGMENT),
        (
            f"SELECT sum(i) + 1, count(*) * 2 AS twice, if(count(*) > 0, 'rows', 'none') FROM {READ_FACTS}",
            FRAGMENT,
        ),
        (f"SELECT * FROM {READ_FACTS} WHERE k = 3 AND d > 0", FRAGMENT),
        (f"SELECT t.*, i * 2 FROM {READ_FACTS} AS t WHERE i < -90", FRAGMENT),
        (f"SELECT I, g, i, G AS g2 FROM {READ_FACTS} AS t WHERE i < -90", FRAGMENT),
        (f"SELECT *, i, t.g FROM {READ_FACTS} AS t WHERE i < -90", FRAGMENT),
        (f"SELECT * EXCLUDE (g), g FROM {READ_FACTS} AS t WHERE i < -90", COORDINATOR),
        (f"SELECT * EXCLUDE (b), f + 1 AS f1 FROM {READ_FACTS} WHERE i < -90", FRAGMENT),
        # HAVING by an alias that might also be a column of the files.
        (f"SELECT t.g, count(*) AS n FROM {READ_FACTS} t GROUP BY t.g HAVING n > 10", COORDINATOR),
        # Aggregates sqlglot does not know must not pass for scalar functions (a row per node).
        (f"SELECT fsum(f), mean(i), count(*) FROM {READ_FACTS}", COORDINATOR),
        (f"SELECT k, count(*) FILTER (WHERE i > 0), min(i, 2) FROM {READ_FACTS} GROUP BY k", COORDINATOR),
        (f"SELECT DISTINCT ON (k) k, g FROM {READ_FACTS} ORDER BY k, g", COORDINATOR),
        (f"SELECT k, i FROM {READ_FACTS} QUALIFY i = max(i) OVER (PARTITION BY k)", COORDINATOR),
    ],
)
def test_hand_written_queries_match_duckdb(lake: Lake, sql: str, mode: str) -> None:
    assert assert_same_answer(sql, lake).mode == mode


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT g, i, s FROM {READ_FACTS} ORDER BY i DESC NULLS FIRST, g, s LIMIT 7 OFFSET 2",
        f"SELECT * FROM {READ_FACTS} ORDER BY f LIMIT 5",
        f"SELECT s AS name, d FROM {READ_FACTS} WHERE d IS NOT NULL ORDER BY d, name, f LIMIT 4",
        f"SELECT i, f FROM {READ_FACTS} WHERE i > 95 ORDER BY 2 DESC",
        f"SELECT g, sum(i) AS total FROM {READ_FACTS} GROUP BY g ORDER BY total DESC NULLS LAST LIMIT 2",
    ],
)
def test_ordered_queries_match_duckdb_in_order(lake: Lake, sql: str) -> None:
    assert analyse(sql).mode == "fragment"
    assert_same_answer(sql, lake, ordered=True)


def test_merge_of_no_fragment_rows_still_answers_one_row(lake: Lake) -> None:
    """An ungrouped aggregate whose fragments returned nothing answers COUNT 0 and SUM NULL."""
    analysis = analyse(f"SELECT count(*), sum(i), avg(f), min(s) FROM {READ_FACTS}")
    con = _connection()
    con.register("fragments", _fragments(con, analysis, lake).slice(0, 0))
    assert con.sql(analysis.merge_sql("fragments")).fetchall() == [(0, None, None, None)]


def test_fragment_plan_pushes_partial_aggregation_and_topn() -> None:
    analysis = analyse(f"SELECT k, avg(i) FROM {READ_FACTS} WHERE i > 0 GROUP BY k")
    assert analysis.fragment_sql("split") == (
        'SELECT k, SUM(i) AS "__lp_p0", COUNT(i) AS "__lp_p1" FROM "split" WHERE i > 0 GROUP BY ALL'
    )
    assert analysis.merge_sql("all") == (
        'SELECT "k", SUM("__lp_p0") / SUM("__lp_p1") AS "avg(i)" FROM "all" GROUP BY "k"'
    )
    topn = analyse(f"SELECT g FROM {READ_FACTS} ORDER BY i LIMIT 3 OFFSET 2")
    assert topn.fragment_sql("split").endswith('ORDER BY "__lp_o0" LIMIT 5')
    assert topn.shape == QueryShape(topn=True, limit=3)


def test_limit_only_shape() -> None:
    assert analyse(f"SELECT * FROM {READ_FACTS} LIMIT 10").shape.limit_only


@pytest.mark.parametrize(
    "sql",
    [
        # A join of two sources with a CSV read with options, and a window over the facts.
        f"SELECT f.g, d.label, count(*) AS n, sum(f.i) FROM {READ_FACTS} f JOIN {READ_DIMS} d ON f.k = d.k "
        "WHERE d.label <> 'two' AND f.i > -50 GROUP BY ALL",
        f"SELECT f.k, d.label, f.i FROM {READ_FACTS} f LEFT JOIN {READ_DIMS} d USING (k) "
        "WHERE d.label IS NULL",
        f"SELECT g, i, row_number() OVER (PARTITION BY g ORDER BY i, f) AS rank FROM {READ_FACTS} "
        "WHERE i > 50",
        f"SELECT k, count(*), count(DISTINCT s) FROM {READ_FACTS} GROUP BY k",
        f"WITH big AS (SELECT * FROM {READ_FACTS} WHERE i > 90) SELECT g, count(*) FROM big GROUP BY g",
        f"SELECT label FROM {READ_DIMS} WHERE k IN (SELECT k FROM {READ_FACTS} WHERE i = 100)",
        f"SELECT g FROM {READ_FACTS} UNION SELECT label FROM {READ_DIMS}",
        f"SELECT count(*) FROM {READ_FACTS} a, {READ_DIMS} b WHERE a.k = b.k",
    ],
)
def test_coordinator_queries_match_duckdb(lake: Lake, sql: str) -> None:
    assert assert_same_answer(sql, lake).mode == "coordinator"


def test_join_pushes_columns_and_filters_to_each_source() -> None:
    analysis = analyse(
        f"SELECT f.g, d.label FROM {READ_FACTS} f JOIN {READ_DIMS} d ON f.k = d.k "
        "WHERE d.label <> 'two' AND f.i BETWEEN -5 AND 5 AND f.day >= DATE '2024-01-10' AND f.i + d.k > 0"
    )
    facts, dims = analysis.sources
    assert (facts.function, facts.format, facts.uris, facts.options_sql) == (
        "read_parquet",
        "parquet",
        [FACTS],
        "",
    )
    assert (dims.function, dims.format, dims.uris) == ("read_csv", "csv", [DIMS])
    assert dims.options_sql == "header = TRUE, \"columns\" = {'k': 'INTEGER', 'label': 'VARCHAR'}"
    assert facts.columns == ["g", "k", "i", "day"]
    assert dims.columns == ["label", "k"]
    assert facts.filter_sql == '("i" BETWEEN -5 AND 5) AND ("day" >= CAST(\'2024-01-10\' AS DATE))'
    assert facts.predicates == [("i", ">=", -5), ("i", "<=", 5), ("day", ">=", datetime.date(2024, 1, 10))]
    assert dims.predicates == [("label", "<>", "two")]
    assert analysis.scan_sql(dims, "part") == 'SELECT "label", "k" FROM "part" WHERE ("label" <> \'two\')'


@pytest.mark.parametrize(
    ("sql", "facts_columns", "facts_filter"),
    [
        # An unqualified column a correlated subquery may take from either source: read everything.
        (f"SELECT g FROM {READ_FACTS} WHERE k IN (SELECT k FROM {READ_DIMS} WHERE label = g)", None, None),
        # The null-supplying side of an outer join keeps its rows: its WHERE conjuncts stay on top.
        (
            f"SELECT a.g FROM {READ_DIMS} d LEFT JOIN {READ_FACTS} a ON a.k = d.k WHERE a.i IS NULL",
            ["g", "k", "i"],
            None,
        ),
        # A name that is a select alias and maybe a column: only the data could tell.
        (f"SELECT i + 1 AS k FROM {READ_FACTS} WHERE k > 1", None, None),
        # ORDER BY an alias names no column; COUNT(*) alone needs none.
        (f"SELECT i AS x FROM {READ_FACTS} ORDER BY x", ["i"], None),
        (f"SELECT count(*) FROM {READ_FACTS} WHERE random() < 2", [], None),
        (f"SELECT * FROM {READ_FACTS} WHERE -3 < i", None, '(-3 < "i")'),
    ],
)
def test_pushdown_is_conservative_when_unsure(
    sql: str, facts_columns: list[str] | None, facts_filter: str | None
) -> None:
    facts = next(source for source in analyse(sql).sources if source.uris == [FACTS])
    assert facts.columns == facts_columns
    assert facts.filter_sql == facts_filter


def test_scan_without_columns_keeps_the_row_count(lake: Lake) -> None:
    assert_same_answer(f"SELECT count(*) FROM {READ_FACTS} a CROSS JOIN {READ_DIMS} b", lake)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELEC * FROM t", 'invalid SQL: syntax error at or near "SELEC"'),
        (
            "SELECT * FROM facts",
            f"unknown table 'facts'; {HINT}",
        ),
        (
            "SELECT * FROM read_xlsx('s3://lake/a.xlsx')",
            f"unknown table function 'read_xlsx'; {HINT}",
        ),
        (
            "SELECT * FROM read_parquet('/data/a.parquet')",
            "read_parquet reads only s3:// paths; got '/data/a.parquet'",
        ),
        (
            "SELECT * FROM read_csv(['s3://lake/a.csv', 'http://x/b.csv'])",
            "read_csv reads only s3:// paths; got 'http://x/b.csv'",
        ),
        (
            "SELECT * FROM read_json(concat('s3://', 'x'))",
            "read_json needs its path as a string literal or a list of them, e.g. read_json('s3://bucket/*')",
        ),
        (
            "SELECT filename FROM read_parquet('s3://lake/*.parquet', filename = true)",
            "read_parquet option 'filename' is not supported: data nodes read copies of splits, "
            "not the object at its path; drop the option",
        ),
        (
            "SELECT * FROM read_csv('s3://lake/*.csv', FILE_ROW_NUMBER := 1)",
            "read_csv option 'file_row_number' is not supported: data nodes read copies of splits, "
            "not the object at its path; drop the option",
        ),
        ("CREATE TABLE t AS SELECT 1", "only SELECT queries are allowed; got a CREATE statement"),
        ("DELETE FROM t", "only SELECT queries are allowed; got a DELETE statement"),
        ("DESCRIBE SELECT 1", "only SELECT queries are allowed; got DESCRIBE"),
        (f"SELECT 1 FROM {READ_FACTS}; SELECT 2", "expected exactly one SQL statement; got 2"),
        ("SELECT 42", f"the query reads no files; {HINT}"),
    ],
)
def test_bad_queries_say_why(sql: str, reason: str) -> None:
    with pytest.raises(QueryError) as raised:
        analyse(sql)
    assert str(raised.value) == reason


def test_coordinator_mode_has_no_fragment() -> None:
    analysis = analyse(f"SELECT * FROM {READ_FACTS} a JOIN {READ_FACTS} b USING (k)")
    with pytest.raises(ValueError, match="no fragment"):
        analysis.fragment_sql("t")
    with pytest.raises(ValueError, match=r"no table given for sources \[1\]"):
        analysis.final_sql({0: "x"})


FACTS_SCHEMA = frozenset({"g", "k", "i", "day"})
DIMS_SCHEMA = frozenset({"k", "label"})


def test_known_schemas_attribute_unqualified_join_columns() -> None:
    sql = f"SELECT g, label FROM {READ_FACTS}, {READ_DIMS} WHERE i > 2 AND label <> 'two'"
    assert [source.columns for source in analyse(sql).sources] == [None, None]
    facts, dims = analyse(sql).with_schemas({0: FACTS_SCHEMA, 1: DIMS_SCHEMA}).sources
    assert facts.columns == ["g", "i"]
    assert dims.columns == ["label"]
    assert facts.predicates == [("i", ">", 2)]
    assert dims.predicates == [("label", "<>", "two")]


@pytest.mark.parametrize(
    ("sql", "schemas"),
    [
        # k is in both schemas: only a qualifier could say which source it means.
        (f"SELECT k FROM {READ_FACTS}, {READ_DIMS}", {0: FACTS_SCHEMA, 1: DIMS_SCHEMA}),
        # A subquery's star: its columns are not worked out here, and this one does bind g.
        (f"SELECT g FROM {READ_FACTS}, (SELECT * FROM (SELECT 1 AS g) t) s", {0: FACTS_SCHEMA}),
        # g may be the select alias (GROUP BY) or a column of the subquery, whose columns are unknown.
        (f"SELECT k AS g FROM {READ_FACTS}, (SELECT * FROM (SELECT 1 AS x)) s GROUP BY g", {0: FACTS_SCHEMA}),
        # One source's schema is unknown (not read): no guessing.
        (f"SELECT g FROM {READ_FACTS}, {READ_DIMS}", {0: FACTS_SCHEMA}),
    ],
)
def test_schemas_never_guess_between_possible_owners(sql: str, schemas: dict[int, frozenset[str]]) -> None:
    facts = analyse(sql).with_schemas(schemas).sources[0]
    assert facts.columns is None


def test_correlated_subquery_binds_inner_scope_first() -> None:
    sql = f"SELECT g FROM {READ_FACTS} WHERE k IN (SELECT k FROM {READ_DIMS} WHERE label = g)"
    facts, dims = analyse(sql).with_schemas({0: FACTS_SCHEMA, 1: DIMS_SCHEMA}).sources
    assert facts.columns == ["g", "k"]
    assert dims.columns == ["k", "label"]


def test_named_subquery_and_cte_columns_take_part_in_binding() -> None:
    sql = (
        f"WITH per_key AS (SELECT k AS key, count(*) AS n FROM {READ_FACTS} GROUP BY key) "
        f"SELECT label, n, x FROM {READ_DIMS}, per_key, (SELECT 1 AS x) s WHERE k = key"
    )
    dims, facts = analyse(sql).with_schemas({0: DIMS_SCHEMA, 1: FACTS_SCHEMA}).sources  # FROM before WITH
    assert facts.columns == ["k"]
    assert dims.columns == ["label", "k"]


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        # Not a column of the file: the GROUP BY name is the select alias.
        (f"SELECT i AS bucket, count(label) FROM {READ_FACTS}, {READ_DIMS} GROUP BY bucket", ["i"]),
        # Also a column of the file: DuckDB binds the column, as it would here.
        (f"SELECT i AS g, count(label) FROM {READ_FACTS}, {READ_DIMS} GROUP BY g", ["i", "g"]),
    ],
)
def test_schemas_tell_a_select_alias_from_a_column(sql: str, columns: list[str]) -> None:
    assert analyse(sql).sources[0].columns is None
    assert analyse(sql).with_schemas({0: FACTS_SCHEMA, 1: DIMS_SCHEMA}).sources[0].columns == columns


def test_star_of_an_exists_body_reads_only_the_columns_it_uses() -> None:
    sql = f"SELECT g FROM {READ_FACTS} f WHERE EXISTS (SELECT * FROM {READ_DIMS} d WHERE d.k = f.k)"
    assert analyse(sql).sources[1].columns == ["k"]
    grouped = sql.replace("f.k)", "f.k GROUP BY d.k)")
    assert analyse(grouped).sources[1].columns is None  # the star is evaluated per group there


SETTINGS = "reads the engine's settings"
SECRETS = "reads the engine's stored credentials"
HOST = "reveals the engine's host (environment, files, memory, platform)"
FILES = "reads files on the engine's host, not s3:// data"


@pytest.mark.parametrize(
    ("sql", "name", "reason"),
    [
        (f"SELECT current_setting('s3_secret_access_key') FROM {READ_FACTS}", "current_setting", SETTINGS),
        (f"SELECT getenv('HOME') AS home FROM {READ_FACTS}", "getenv", HOST),
        (
            f"SELECT * FROM {READ_FACTS} WHERE k IN (SELECT 1 FROM duckdb_settings())",
            "duckdb_settings",
            SETTINGS,
        ),
        ("SELECT * FROM duckdb_secrets()", "duckdb_secrets", SECRETS),
        (f"SELECT which_secret('s3://lake/x', 's3') FROM {READ_FACTS}", "which_secret", SECRETS),
        ("SELECT * FROM duckdb_extensions()", "duckdb_extensions", "lists or loads DuckDB extensions"),
        (f"SELECT (SELECT platform FROM pragma_platform()) FROM {READ_FACTS}", "pragma_platform", HOST),
        ("SELECT * FROM read_text('/etc/passwd')", "read_text", FILES),
        ("SELECT * FROM glob('/tmp/*')", "glob", FILES),
        (f"SELECT getvariable('x') FROM {READ_FACTS}", "getvariable", SETTINGS),
    ],
)
def test_settings_secrets_and_host_introspection_are_refused_with_their_reason(
    sql: str, name: str, reason: str
) -> None:
    with pytest.raises(QueryError) as raised:
        analyse(sql)
    assert str(raised.value) == f"function '{name}' is refused: it {reason}; {HINT}"


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("PRAGMA version", "PRAGMA"),
        ("SET s3_region = 'x'", "a SET statement"),
        ("INSTALL httpfs", "a LOAD statement"),  # DuckDB parses INSTALL as a LOAD statement
        ("LOAD httpfs", "a LOAD statement"),
        ("ATTACH 'other.db'", "a ATTACH statement"),
        ("COPY (SELECT 1) TO '/tmp/out.csv'", "a COPY statement"),
    ],
)
def test_statements_that_change_or_leave_the_engine_are_refused(sql: str, kind: str) -> None:
    with pytest.raises(QueryError) as raised:
        analyse(sql)
    assert str(raised.value) == f"only SELECT queries are allowed; got {kind}"
