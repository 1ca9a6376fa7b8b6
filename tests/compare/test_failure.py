"""Failure reasons are checked part by part: object, status, attempts, text and type."""

from __future__ import annotations

import pytest

from lakeproof.compare.failure import ExpectedFailure, failure_problems

REASON = "failed to read s3://lake/r/part-0001.parquet after 4 attempts: last status 503 SlowDown"


def test_a_reason_that_says_everything_has_no_problem() -> None:
    expected = ExpectedFailure(
        object="s3://lake/r/part-0001.parquet", status="503 SlowDown", attempts=4, contains="last status"
    )
    assert failure_problems(REASON, expected) == []


@pytest.mark.parametrize(
    ("expected", "problem"),
    [
        (
            ExpectedFailure(object="s3://lake/r/part-0002.parquet"),
            "it does not name the object s3://lake/r/part-0002.parquet",
        ),
        (ExpectedFailure(status="500 InternalError"), "it does not give the status '500 InternalError'"),
        (ExpectedFailure(attempts=1), "it says 4 attempts, expected 1 attempt"),
        (ExpectedFailure(attempts=3), "it says 4 attempts, expected 3 attempts"),
        (ExpectedFailure(contains="not retried"), "it does not say 'not retried'"),
    ],
)
def test_each_missing_part_is_named(expected: ExpectedFailure, problem: str) -> None:
    assert failure_problems(REASON, expected) == [problem]


def test_attempt_counts_are_whole_numbers_not_digits_of_larger_ones() -> None:
    reason = "failed to read s3://lake/x.csv after 14 attempts: last status 503 SlowDown"
    assert failure_problems(reason, ExpectedFailure(attempts=4)) == [
        "it says 14 attempts, expected 4 attempts"
    ]
    assert failure_problems("after 1 attempt", ExpectedFailure(attempts=1)) == []


def test_a_status_must_stand_alone() -> None:
    # "503 SlowDownAgain" is not the status "503 SlowDown"; "1503 SlowDown" is not either.
    assert failure_problems("status 503 SlowDownAgain", ExpectedFailure(status="503 SlowDown"))
    assert failure_problems("status 1503 SlowDown", ExpectedFailure(status="503 SlowDown"))
    assert failure_problems("status 503 SlowDown.", ExpectedFailure(status="503 SlowDown")) == []


def test_a_reason_without_a_count_says_so() -> None:
    assert failure_problems("access denied", ExpectedFailure(attempts=1)) == [
        "it says no attempt count, expected 1 attempt"
    ]


def test_the_error_type_is_compared_exactly() -> None:
    expected = ExpectedFailure(error_type="timeout_exception")
    assert failure_problems(REASON, expected, "timeout_exception") == []
    assert failure_problems(REASON, expected, "storage_exception") == [
        "its type is 'storage_exception', expected 'timeout_exception'"
    ]


def test_several_problems_are_all_reported() -> None:
    problems = failure_problems(REASON, ExpectedFailure(status="403 AccessDenied", attempts=1))
    assert problems == [
        "it does not give the status '403 AccessDenied'",
        "it says 4 attempts, expected 1 attempt",
    ]
