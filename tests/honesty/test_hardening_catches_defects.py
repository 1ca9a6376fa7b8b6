"""The deadline and bad-input suites fail, for the right reason, on an engine that watches its
deadline too late or silently accepts a misspelt field."""

from __future__ import annotations

import re

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

DEADLINES = ["suites/resilience/deadlines.robot"]
COORDINATOR_SPLITS = "Splits the coordinator reads itself stop at the deadline"
BAD_INPUT = ["suites/bad_input/engine_api.robot"]
MISSPELT = ["Misspelt pragma field", "Async query with a misspelt field", "A plan does not take a profile"]
NO_FILES = "the query reads no files"


def test_the_tests_used_here_pass_on_a_correct_engine() -> None:
    deadlines = run_suite(DEADLINES, [], tests=[COORDINATOR_SPLITS], variables={"TRICKLE": "10000"})
    assert deadlines.passed == [COORDINATOR_SPLITS], deadlines.describe()
    bad_input = run_suite(BAD_INPUT, [], tests=MISSPELT)
    assert sorted(bad_input.passed) == sorted(MISSPELT), bad_input.describe()


def test_reading_the_coordinators_splits_before_watching_misses_the_deadline() -> None:
    # Reads five times faster than the suite's: still several seconds of work against the
    # two-second deadline, but a defective run that reads it all ends within the test's time.
    run = run_suite(
        DEADLINES, ["coordinator_reads_first"], tests=[COORDINATOR_SPLITS], variables={"TRICKLE": "10000"}
    )
    failure = run.failures.get(COORDINATOR_SPLITS, "")
    # The bug: the coordinator's own reads run to the end before anything looks at the
    # deadline, so the query either times out late or is not stopped at all.
    assert re.search(r"it came after \d+\.\d s, later than 0:00:05", failure) or re.fullmatch(
        r"the query succeeded with \d+ rows; it should have failed", failure
    ), run.describe()


def test_ignoring_unknown_fields_fails_every_misspelt_field_case() -> None:
    run = run_suite(BAD_INPUT, ["ignore_unknown_fields"], tests=MISSPELT)
    assert sorted(run.failures) == sorted(MISSPELT), run.describe()
    for name in MISSPELT:
        # The misspelt field was dropped: the query ran as if it had not been sent.
        assert f'reason "{NO_FILES}' in run.failures[name] or run.failures[name].startswith(
            "POST /query/async was not refused as expected: HTTP status 202"
        ), run.describe()
