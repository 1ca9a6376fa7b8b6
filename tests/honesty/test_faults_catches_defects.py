"""The storage faults suite fails, for the right reason, when the engine's retry policy is wrong."""

from __future__ import annotations

import re

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

SUITE = ["suites/faults/storage_faults.robot"]
DATA_READS = "SlowDown on data reads is retried"
LISTING = "SlowDown on the listing is retried"
DEFAULT_POLICY = "Persistent SlowDown on data reads fails after the default four attempts"
CLIENT_ERRORS = "Access denied and missing objects are not retried"


def test_the_tests_used_here_pass_on_a_correct_engine() -> None:
    tests = [DATA_READS, LISTING, DEFAULT_POLICY, CLIENT_ERRORS]
    run = run_suite(SUITE, [], tests=tests)
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted(tests), run.describe()


def test_a_single_attempt_policy_fails_every_retry_test() -> None:
    run = run_suite(SUITE, ["single_attempt"], tests=[DATA_READS, LISTING, DEFAULT_POLICY])
    assert sorted(run.failures) == sorted([DATA_READS, LISTING, DEFAULT_POLICY]), run.describe()
    # The first injected SlowDown is not retried: the query fails naming the object and one attempt.
    assert re.search(
        r"failed to read s3://lake/\S+/smoke/parquet/part-000\d\.parquet after 1 attempt: "
        r"last status 503 SlowDown",
        run.failures[DATA_READS],
    ), run.describe()
    assert re.search(
        r"failed to read s3://lake/\S+/smoke/\w+/\*\.\w+ after 1 attempt: last status 503 SlowDown",
        run.failures[LISTING],
    ), run.describe()
    # The persistent fault still fails, but the attempt count is not the documented default.
    assert "it says 1 attempt, expected 4 attempts" in run.failures[DEFAULT_POLICY], run.describe()


def test_retrying_403_and_404_fails_the_no_retry_test() -> None:
    run = run_suite(SUITE, ["retry_client_errors"], tests=[CLIENT_ERRORS])
    message = run.failures.get(CLIENT_ERRORS, "")
    # Every row (403 and 404 on data reads, 403 on the listing, 404 on HEAD) was retried four times.
    assert message.count("it says 4 attempts, expected 1 attempt") == 4, run.describe()
