"""The node loss suite fails, for the right reason, when the engine loses work or ignores a cancel."""

from __future__ import annotations

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

SUITE = ["suites/resilience/node_loss.robot"]
REASSIGNED = "A node killed while reading has its splits reassigned"
PARTIAL = "With partial results allowed a node lost mid-query gives a flagged partial answer"
ALL_LOST = "Losing every node mid-query is one clear error"
CANCELLED = "A cancelled query leaves no node work running"


def test_the_tests_used_here_pass_on_a_correct_engine() -> None:
    tests = [REASSIGNED, PARTIAL, ALL_LOST, CANCELLED]
    run = run_suite(SUITE, [], tests=tests)
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted(tests), run.describe()


def test_dropping_a_lost_nodes_splits_fails_every_node_loss_test() -> None:
    run = run_suite(SUITE, ["no_reassignment"], tests=[REASSIGNED, PARTIAL, ALL_LOST])
    assert sorted(run.failures) == sorted([REASSIGNED, PARTIAL, ALL_LOST]), run.describe()
    # The lost node's rows are simply missing from the answer.
    assert run.failures[REASSIGNED].startswith("results differ:"), run.describe()
    assert "rows missing" in run.failures[REASSIGNED], run.describe()
    assert run.failures[PARTIAL].startswith("the answer is not flagged partial"), run.describe()
    # The dropped splits are never noticed: the rows a node read before it died come back as the
    # answer, or, when none had finished, merging nothing fails; never the engine's clear error.
    all_lost = run.failures[ALL_LOST]
    assert all_lost.endswith("it should have failed") or (
        "it does not say 'all [3] nodes assigned external splits failed" in all_lost
    ), run.describe()


def test_ignoring_a_cancel_fails_the_cancel_test() -> None:
    run = run_suite(SUITE, ["ignore_cancel"], tests=[CANCELLED])
    assert "as many as a complete run" in run.failures.get(CANCELLED, ""), run.describe()
