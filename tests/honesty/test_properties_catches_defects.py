"""The properties suite fails, naming the property, a minimal request and the replay seed, when the
engine's distribution is wrong."""

from __future__ import annotations

import re

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

SUITE = ["suites/properties/distribution.robot"]
EXACTLY_ONCE = "Every split is in exactly one group under every strategy"
ROUND_ROBIN = "Round robin gives no node more than its share"
REAL_QUERIES = "Adaptive picks by query shape on real queries"
SEED = "4242"
# Fewer generated plans than the suite's default: a defect is found within a few dozen.
FAST = {"PROPERTY_EXAMPLES": "200", "PROPERTY_SEED": SEED}
REPLAY = f"(seed {SEED}; replay with seed={SEED} examples=200, or robot --variable PROPERTY_SEED:{SEED})"


def test_the_tests_used_here_pass_on_a_correct_engine() -> None:
    tests = [EXACTLY_ONCE, ROUND_ROBIN, REAL_QUERIES]
    run = run_suite(SUITE, [], tests=tests, variables=FAST)
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted(tests), run.describe()


def test_a_dropped_split_group_fails_exactly_once_and_the_real_query_profile() -> None:
    run = run_suite(SUITE, ["drop_split"], tests=[EXACTLY_ONCE, REAL_QUERIES], variables=FAST)
    assert sorted(run.failures) == sorted([EXACTLY_ONCE, REAL_QUERIES]), run.describe()
    assert re.match(
        r"property exactly_once does not hold: 1 splits are in no group, so nobody reads them: splits 0 "
        r"-- falsifying request \{\"split_sizes\": \[0\], ",
        run.failures[EXACTLY_ONCE],
    ), run.describe()
    assert run.failures[EXACTLY_ONCE].endswith(REPLAY), run.describe()
    # The TopN query's last group is the empty file: no rows are missing, but the object is unread.
    assert re.fullmatch(
        r"the profile breaks distribution invariants: objects_covered: 1 of 13 objects are read by no split, "
        r"e\.g\. s3://lake/\S+/distribution/parquet/part-0012\.parquet",
        run.failures[REAL_QUERIES],
    ), run.describe()


def test_a_duplicated_split_group_fails_exactly_once() -> None:
    run = run_suite(SUITE, ["duplicate_split"], tests=[EXACTLY_ONCE], variables=FAST)
    assert re.match(
        r"property exactly_once does not hold: 1 splits are assigned more than once, e\.g\. split 0 2 times "
        r"\(groups 0, 0\) -- falsifying request \{\"split_sizes\": \[0\], ",
        run.failures.get(EXACTLY_ONCE, ""),
    ), run.describe()
    assert run.failures[EXACTLY_ONCE].endswith(REPLAY), run.describe()


def test_an_unbalanced_round_robin_fails_the_balance_property() -> None:
    run = run_suite(SUITE, ["unbalanced_round_robin"], tests=[EXACTLY_ONCE, ROUND_ROBIN], variables=FAST)
    assert list(run.failures) == [ROUND_ROBIN], run.describe()
    assert re.match(
        r"property round_robin_balance does not hold: round_robin: node 0 reads 2 groups but node 1 reads 0; "
        r"round robin counts may differ by at most 1 -- falsifying request \{\"split_sizes\": \[0, 0\], "
        r"\"nodes\": 2, \"strategy\": \"round_robin\"",
        run.failures[ROUND_ROBIN],
    ), run.describe()
    assert run.failures[ROUND_ROBIN].endswith(REPLAY), run.describe()
