"""Judging a spec case: each format x strategy against the oracle, the first strategy, the expected table."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from lakeproof.compare import answer_from_duckdb
from lakeproof.datagen import Format
from lakeproof.engines.base import Answer, EngineError, QueryOptions, SplitRead
from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.objectstore import S3Endpoint
from lakeproof.oracle import Oracle
from lakeproof.queryspec import ORACLE, ExpectedTable, SpecCase, run_case
from lakeproof.queryspec.model import ExpectedError, ScanSpec

STRATEGIES = ("coordinator_only", "round_robin", "adaptive")


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    # Local files only: the endpoint is never contacted.
    oracle = Oracle(S3Endpoint("http://127.0.0.1:9"))
    yield oracle
    oracle.close()


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[Format, str]:
    directory = tmp_path_factory.mktemp("data")
    table = pa.table({"id": pa.array(range(10), pa.int64()), "grp": ["a", "b"] * 5})
    pq.write_table(table, directory / "t.parquet")
    pacsv.write_csv(table, directory / "t.csv")
    return {
        "parquet": f"read_parquet('{directory / 't.parquet'}')",
        "csv": f"read_csv('{directory / 't.csv'}', columns={{'id': 'BIGINT', 'grp': 'VARCHAR'}})",
    }


def spec_case(
    query: str,
    expected: ExpectedTable | None = None,
    ordered: bool = False,
    error: ExpectedError | None = None,
) -> SpecCase:
    return SpecCase(
        area="test",
        name="a case",
        description="",
        dataset="t",
        query=query,
        formats=("parquet", "csv"),
        ordered=ordered,
        tolerance=1e-9,
        expected=expected,
        error=error,
        scan=ScanSpec(),
        tags=("test",),
        pragma={"coalesce": False},
        source="specs/test.yaml:3",
    )


class FakeEngine:
    """Answers with DuckDB itself, wrong on purpose under the strategies listed in ``drop_last_row``."""

    def __init__(self, oracle: Oracle, drop_last_row: tuple[str, ...] = (), fail: str | None = None):
        self.oracle = oracle
        self.drop_last_row = drop_last_row
        self.fail = fail
        self.calls: list[tuple[str, Mapping[str, Any]]] = []

    def __call__(self, query: str, strategy: str, options: QueryOptions) -> Answer:
        self.calls.append((strategy, options.pragma))
        if strategy == self.fail:
            raise LakeproofError("boom [engine_error, HTTP 500]")
        # A cursor of its own: queries of several strategies arrive at once, from threads.
        answer = answer_from_duckdb(self.oracle.connection.cursor().sql(query))
        if strategy in self.drop_last_row:
            answer = dataclasses.replace(answer, rows=answer.rows[:-1])
        return Answer(
            answer,
            splits=tuple(
                SplitRead(index, node, 1, 0, 0) for index, node in enumerate(["node-1", "node-2", "node-1"])
            ),
            profile={"strategy": {"used": strategy}, "mode": "fragment"},
        )


def test_a_correct_engine_matches_everywhere(oracle: Oracle, scans: dict[Format, str]) -> None:
    engine = FakeEngine(oracle)
    report = run_case(
        spec_case("SELECT grp, count(*) AS n FROM {scan} GROUP BY grp"), scans, STRATEGIES, engine, oracle
    )

    assert not report.failures
    assert report.summary() == "all 6 runs (parquet, csv x 3 strategies) match the oracle and each other"
    assert [(run.format, run.strategy) for run in report.runs] == [
        ("parquet", ORACLE),
        *(("parquet", strategy) for strategy in STRATEGIES),
        ("csv", ORACLE),
        *(("csv", strategy) for strategy in STRATEGIES),
    ]
    first, second = report.runs[1], report.runs[2]
    assert first.verdict == "matches oracle"
    assert second.verdict == "matches oracle, coordinator_only"
    assert second.rows == 2
    assert second.splits_per_node == "node-1: 2, node-2: 1"
    assert second.strategy_used == "round_robin / fragment"
    # Every query carries the case's pragmas and one strategy from the list, each once per format.
    assert sorted(strategy for strategy, _ in engine.calls) == sorted(STRATEGIES * 2)
    assert all(pragma["coalesce"] is False for _, pragma in engine.calls)


def test_a_wrong_strategy_is_named_with_what_differs(oracle: Oracle, scans: dict[Format, str]) -> None:
    engine = FakeEngine(oracle, drop_last_row=("round_robin",))
    report = run_case(
        spec_case("SELECT id FROM {scan} ORDER BY id", ordered=True), scans, STRATEGIES, engine, oracle
    )

    assert [(run.format, run.strategy) for run in report.failures] == [
        ("parquet", "round_robin"),
        ("csv", "round_robin"),
    ]
    verdict = report.failures[0].verdict
    assert verdict == "differs from the oracle: results differ: expected 10 rows, got 9; 1 row missing"
    failed_checks = [check.reference for check in report.failures[0].checks if not check.comparison.equal]
    assert failed_checks == ["oracle", "coordinator_only"]
    assert report.summary() == (
        f"2 of 8 runs wrong: parquet/round_robin: {verdict}; csv/round_robin: {verdict}"
    )


def test_an_engine_error_is_a_verdict_not_an_exception(oracle: Oracle, scans: dict[Format, str]) -> None:
    engine = FakeEngine(oracle, fail="coordinator_only")
    report = run_case(spec_case("SELECT count(*) AS n FROM {scan}"), scans, STRATEGIES, engine, oracle)

    assert [run.strategy for run in report.failures] == ["coordinator_only", "coordinator_only"]
    assert report.failures[0].verdict == "engine error: boom [engine_error, HTTP 500]"
    # With the first strategy failed, the next one is the baseline of the rest.
    assert report.runs[3].verdict == "matches oracle, round_robin"


def test_a_partial_answer_fails(oracle: Oracle, scans: dict[Format, str]) -> None:
    def partial(query: str, strategy: str, options: QueryOptions) -> Answer:
        return dataclasses.replace(FakeEngine(oracle)(query, strategy, options), is_partial=True)

    report = run_case(spec_case("SELECT count(*) AS n FROM {scan}"), scans, STRATEGIES, partial, oracle)
    assert len(report.failures) == 6
    assert report.failures[0].verdict == "engine error: the answer is flagged partial"


def test_the_expected_table_checks_the_oracle_and_the_engine(
    oracle: Oracle, scans: dict[Format, str]
) -> None:
    right = ExpectedTable(columns=("n:BIGINT",), rows=((10,),))
    report = run_case(
        spec_case("SELECT count(*) AS n FROM {scan}", right), scans, STRATEGIES, FakeEngine(oracle), oracle
    )
    assert not report.failures
    assert report.runs[0].verdict == "matches expected table"
    assert report.summary().endswith("match the oracle, the expected table and each other")

    wrong = ExpectedTable(columns=("n:BIGINT",), rows=((11,),))
    report = run_case(
        spec_case("SELECT count(*) AS n FROM {scan}", wrong), scans, STRATEGIES, FakeEngine(oracle), oracle
    )
    assert len(report.failures) == 8  # the oracle and every engine run, in both formats
    assert report.failures[0].strategy == ORACLE
    # One wrong row is shown in full, so a wrong count reads as one.
    assert report.failures[0].verdict == (
        "differs from the expected table: results differ: 1 row missing, 1 extra row: expected (11), got (10)"
    )


def test_a_query_the_oracle_cannot_run_names_the_case_and_its_source(
    oracle: Oracle, scans: dict[Format, str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_case(spec_case("SELECT nope FROM {scan}"), scans, STRATEGIES, FakeEngine(oracle), oracle)
    message = str(caught.value)
    assert message.startswith("the oracle (plain DuckDB) cannot run case 'a case' in parquet: Binder Error")
    assert message.endswith("; fix the query at specs/test.yaml:3")
    assert "\n" not in message


MISSING_COLUMN = ExpectedError(type="verification_exception", reason='column "nope"')


def refusing(status: int, error_type: str, reason: str) -> Any:
    """An engine that refuses every query with this status, type and reason."""

    def engine(query: str, variant: str, options: QueryOptions) -> Answer:
        raise EngineError(status, error_type, reason)

    return engine


def test_a_refusal_as_the_case_expects_passes(oracle: Oracle, scans: dict[Format, str]) -> None:
    case = spec_case("SELECT nope FROM {scan}", error=MISSING_COLUMN)
    engine = refusing(400, "verification_exception", 'Binder Error: Referenced column "nope" not found')
    report = run_case(case, scans, STRATEGIES, engine, oracle)

    assert not report.failures
    assert report.summary() == (
        "all 6 runs (parquet, csv x 3 strategies) are refused with verification_exception naming "
        "'column \"nope\"', as the oracle refuses"
    )
    assert report.runs[0].verdict.startswith('refused as expected: Binder Error: Referenced column "nope"')


@pytest.mark.parametrize(
    ("status", "error_type", "reason", "problem"),
    [
        (
            503,
            "node_failure_exception",
            'column "nope" lost',
            "HTTP 503, not 4xx; type node_failure_exception",
        ),
        (
            400,
            "verification_exception",
            "Binder Error: no such column",
            "reason does not name 'column \"nope\"'",
        ),
        (
            400,
            "verification_exception",
            'CREATE TEMP TABLE __splits AS SELECT column "nope"',
            "reason shows the engine's internals (__splits, CREATE TEMP)",
        ),
    ],
)
def test_a_wrong_refusal_says_what_is_wrong(
    oracle: Oracle, scans: dict[Format, str], status: int, error_type: str, reason: str, problem: str
) -> None:
    case = spec_case("SELECT nope FROM {scan}", error=MISSING_COLUMN)
    report = run_case(case, scans, STRATEGIES, refusing(status, error_type, reason), oracle)

    assert len(report.failures) == 6
    assert report.failures[0].verdict.startswith(f"engine error: {problem}")


def test_an_answer_where_a_refusal_is_expected_fails(oracle: Oracle, scans: dict[Format, str]) -> None:
    # The oracle refuses (no column nope); the engine answers anyway.
    def answering(query: str, variant: str, options: QueryOptions) -> Answer:
        return FakeEngine(oracle)(query.replace("nope", "id"), variant, options)

    case = spec_case("SELECT nope FROM {scan}", error=MISSING_COLUMN)
    report = run_case(case, scans, STRATEGIES, answering, oracle)
    assert report.failures[0].verdict == "engine error: answered 10 rows; expected verification_exception"


def test_a_case_expecting_an_error_the_oracle_answers_names_its_source(
    oracle: Oracle, scans: dict[Format, str]
) -> None:
    case = spec_case("SELECT id FROM {scan}", error=MISSING_COLUMN)
    with pytest.raises(
        ConfigError, match=r"answers case 'a case' in parquet, which expects an error; .*test.yaml:3$"
    ):
        run_case(case, scans, STRATEGIES, FakeEngine(oracle), oracle)
