"""What an engine cannot show is skipped with one line saying why, never passed; the rest still runs.

The example driver (plain DuckDB, no capabilities) runs the cluster smoke suite: the equivalence
tests pass on its answers, the node-loss test is skipped naming the capability. A case listed in
an engine's known-differences file is skipped with the listed reason, and only that case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

SUITE = ["suites/smoke/cluster.robot"]
COUNTS = "Every strategy counts every row in every format"
GROUPED = "Grouped aggregates equal the oracle under every strategy and format"
NODE_KILLED = "A node killed before the query is not used and nothing is lost"


def test_an_engine_without_node_lifecycle_skips_node_loss_and_still_answers() -> None:
    run = run_suite(SUITE, [], variables={"ENGINE": "examples.drivers.duckdb_local"})
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted([COUNTS, GROUPED]), run.describe()
    assert run.skipped == {NODE_KILLED: "engine 'duckdb_local' lacks capability 'node_lifecycle'"}, (
        run.describe()
    )


def test_a_listed_known_difference_skips_that_test_with_its_reason(tmp_path: Path) -> None:
    differences = tmp_path / "differences.yaml"
    differences.write_text(
        f"differences:\n  - case: {GROUPED}\n    reason: averages differ in the last digit\n"
        "    evidence: ticket 7\n",
        encoding="utf-8",
    )
    settings = tmp_path / "engine.yaml"
    settings.write_text("known_differences: differences.yaml\n", encoding="utf-8")
    run = run_suite(SUITE, [], tests=[COUNTS, GROUPED], variables={"ENGINE_SETTINGS": str(settings)})
    assert run.rc == 0, run.describe()
    assert run.passed == [COUNTS], run.describe()
    assert run.skipped == {
        GROUPED: "known difference of engine 'reference': averages differ in the last digit "
        f"(evidence: ticket 7; listed in {differences}:2)"
    }, run.describe()


def test_an_unknown_engine_fails_the_suite_setup_listing_the_drivers() -> None:
    run = run_suite(SUITE, [], tests=[COUNTS], variables={"ENGINE": "presto"})
    assert run.rc != 0, run.describe()
    assert run.failures[COUNTS].startswith(
        "Parent suite setup failed:\nunknown engine 'presto'; the drivers are: reference, spark"
    ), run.describe()


def test_a_known_type_difference_is_compared_not_skipped(tmp_path: Path) -> None:
    """An entry listing the engine's type of a column runs the case: a type the engine does not
    give fails it (the reference engine sums as the oracle does, HUGEINT, not the listed BIGINT)."""
    differences = tmp_path / "differences.yaml"
    differences.write_text(
        f"differences:\n  - case: {GROUPED}\n    reason: sums as BIGINT\n    evidence: ticket 8\n"
        "    types: {q: BIGINT}\n",
        encoding="utf-8",
    )
    settings = tmp_path / "engine.yaml"
    settings.write_text("known_differences: differences.yaml\n", encoding="utf-8")
    run = run_suite(SUITE, [], tests=[GROUPED], variables={"ENGINE_SETTINGS": str(settings)})
    assert run.rc != 0, run.describe()
    assert not run.skipped, run.describe()
    assert (
        "column 'q' is HUGEINT, expected BIGINT (a known difference; the oracle's is HUGEINT)"
        in (run.failures[GROUPED])
    ), run.describe()


def test_an_engine_that_cannot_read_tables_skips_the_table_tier_in_its_setup() -> None:
    run = run_suite(
        ["suites/tables/metadata_faults.robot"], [], variables={"ENGINE": "examples.drivers.duckdb_local"}
    )
    assert run.rc == 0, run.describe()
    assert (run.passed, run.failures) == ([], {}), run.describe()
    assert len(run.skipped) >= 10, run.describe()
    assert set(run.skipped.values()) == {
        "Skipped in parent suite setup:\nengine 'duckdb_local' lacks capability 'table_formats'"
    }, run.describe()
