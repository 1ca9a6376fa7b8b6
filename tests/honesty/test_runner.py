"""The honesty runner passes the defects to the engine and reports each test's verdict."""

from __future__ import annotations

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component


def test_smoke_cluster_suite_fails_when_the_engine_drops_a_split() -> None:
    test = "Every strategy counts every row in every format"
    clean = run_suite(["suites/smoke/cluster.robot"], [], tests=[test])
    assert clean.rc == 0, clean.describe()
    assert clean.passed == [test], clean.describe()
    broken = run_suite(["suites/smoke/cluster.robot"], ["drop_split"], tests=[test])
    assert broken.rc == 1, broken.describe()
    # The first format and distributing strategy read one split fewer: the count is short.
    assert broken.failures[test].endswith("!= 3000"), broken.describe()


def test_an_unknown_defect_fails_the_suite_setup_with_its_name() -> None:
    run = run_suite(["suites/smoke/cluster.robot"], ["drop_splits"], tests=["*"])
    assert run.rc != 0
    assert "unknown engine defect 'drop_splits'" in run.console, run.describe()
