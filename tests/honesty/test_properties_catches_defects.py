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


# -- exact algorithms: each defect below meets every bound, and only the exact properties see it ----

WEIGHTED_BOUND = "Weighted round robin keeps the largest load within its bound"
EXACT_ASSIGNMENT = "Every strategy puts each group exactly where its documented rule does"
LPT_QUALITY = "Weighted round robin stays within LPT's bound of the optimum"
PROFILES = "Profiles of real queries satisfy the invariants under every strategy and format"
COALESCING = "Coalescing conserves every file and byte"
COALESCING_EXACT = "Coalescing groups exactly by best-fit decreasing or in unknown-size chunks"
SHORT_LAST_CHUNK = "Boundary plans with equal sizes, equal loads and a short last chunk are exact"
LPT_RULE = (
    r"longest processing time first \(groups by size descending, equal sizes in group order, each to "
    r"the least-loaded node, equal loads to the lowest index\)"
)
BEST_FIT_RULE = (
    r"best-fit decreasing into 134217728-byte bins \(each split, largest first, into the fitting bin "
    r"with the least room, ties to the oldest; at most 32 files a bin; a split of 134217728 bytes or "
    r"more alone\)"
)


def test_the_exact_tests_pass_on_a_correct_engine() -> None:
    tests = [EXACT_ASSIGNMENT, LPT_QUALITY, PROFILES, COALESCING_EXACT, SHORT_LAST_CHUNK]
    run = run_suite(SUITE, [], tests=tests, variables=FAST)
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted(tests), run.describe()


def test_weighted_assignment_in_file_order_fails_lpt_and_its_quality_bound_not_the_load_bound() -> None:
    tests = [WEIGHTED_BOUND, EXACT_ASSIGNMENT, LPT_QUALITY]
    run = run_suite(SUITE, ["weighted_in_file_order"], tests=tests, variables=FAST)
    assert sorted(run.failures) == sorted([EXACT_ASSIGNMENT, LPT_QUALITY]), run.describe()
    assert re.match(
        rf"property exact_assignment does not hold: weighted_round_robin: group 0 \(0 bytes\) is on node 0, "
        rf"but {LPT_RULE} puts it on node 1; loads before it: node 0 = 1048576, node 1 = 0 -- falsifying "
        r"request \{\"split_sizes\": \[0, 1048576\], \"nodes\": 2, \"strategy\": \"weighted_round_robin\"",
        run.failures[EXACT_ASSIGNMENT],
    ), run.describe()
    assert re.match(
        r"property lpt_quality does not hold: weighted_round_robin: the busiest node reads 3 bytes, above "
        r"LPT's guarantee \(4/3 - 1/\(3 x 2\)\) x optimum = 7/6 x 2 = 2\.3 \(sizes 1, 1, 2 on 2 nodes\)",
        run.failures[LPT_QUALITY],
    ), run.describe()
    assert run.failures[EXACT_ASSIGNMENT].endswith(REPLAY), run.describe()


def test_weighted_ties_to_the_highest_node_fail_lpt_not_the_load_bound() -> None:
    run = run_suite(
        SUITE, ["weighted_ties_to_highest_node"], tests=[WEIGHTED_BOUND, EXACT_ASSIGNMENT], variables=FAST
    )
    assert list(run.failures) == [EXACT_ASSIGNMENT], run.describe()
    assert re.match(
        rf"property exact_assignment does not hold: weighted_round_robin: group 0 \(0 bytes\) is on node 1, "
        rf"but {LPT_RULE} puts it on node 0; loads before it: node 0 = 0, node 1 = 0 -- falsifying request "
        r"\{\"split_sizes\": \[0\], \"nodes\": 2, \"strategy\": \"weighted_round_robin\"",
        run.failures[EXACT_ASSIGNMENT],
    ), run.describe()


def test_round_robin_ignoring_its_offset_fails_the_exact_rule_and_a_real_profile_not_the_balance() -> None:
    run = run_suite(
        SUITE,
        ["round_robin_ignores_offset"],
        tests=[ROUND_ROBIN, EXACT_ASSIGNMENT, PROFILES],
        variables=FAST,
    )
    assert sorted(run.failures) == sorted([EXACT_ASSIGNMENT, PROFILES]), run.describe()
    assert re.match(
        r"property exact_assignment does not hold: round_robin: group 0 \(0 bytes\) is on node 0, but "
        r"round robin from offset 1 \(group i on node \(i \+ 1\) mod 2\) puts it on node 1 -- falsifying "
        r"request \{\"split_sizes\": \[0\], \"nodes\": 2, \"strategy\": \"round_robin\"",
        run.failures[EXACT_ASSIGNMENT],
    ), run.describe()
    # The CSV row runs with round_robin_offset=1 over the three live nodes (and NDJSON's with 2).
    assert re.search(
        r"^1\) the profile breaks distribution invariants: exact_assignment: round_robin: group 0 \(\d+ "
        r"bytes\) is on node-1, but round robin from offset 1 \(group i on node \(i \+ 1\) mod 3\) puts it "
        r"on node-2$",
        run.failures[PROFILES],
        re.MULTILINE,
    ), run.describe()


def test_first_fit_coalescing_fails_the_exact_grouping_not_the_coalescing_rules() -> None:
    run = run_suite(SUITE, ["coalesce_first_fit"], tests=[COALESCING, COALESCING_EXACT], variables=FAST)
    assert list(run.failures) == [COALESCING_EXACT], run.describe()
    assert re.match(
        rf"property coalescing_exact does not hold: {BEST_FIT_RULE}: group \d+ should hold splits [-\d, ]+, "
        r"but holds splits [-\d, ]+ -- falsifying request \{\"split_sizes\": \[",
        run.failures[COALESCING_EXACT],
    ), run.describe()


def test_an_unknown_size_remainder_merged_into_the_last_chunk_fails_the_exact_chunks() -> None:
    run = run_suite(
        SUITE,
        ["unknown_size_remainder_in_last_chunk"],
        tests=[COALESCING, COALESCING_EXACT, SHORT_LAST_CHUNK],
        variables=FAST,
    )
    assert sorted(run.failures) == sorted([COALESCING_EXACT, SHORT_LAST_CHUNK]), run.describe()
    assert re.match(
        r"property coalescing_exact does not hold: with an unknown size 33 splits are cut into contiguous "
        r"chunks of ceil\(33/8\) = 5, the last one holding the rest: group 0 should hold splits 0-4, but "
        r"holds splits 0-3 -- falsifying request \{\"split_sizes\": \[-1, 0, ",
        run.failures[COALESCING_EXACT],
    ), run.describe()
    # 41 splits: chunks of ceil(41/8) = 6 and a last of 5; the defect makes 7 chunks of 5 and a last of 6.
    assert re.search(
        r"^1\) 41 splits on 3 nodes under '\w+': exact_coalescing: with an unknown size 41 splits are cut "
        r"into contiguous chunks of ceil\(41/8\) = 6, the last one holding the rest: group 0 should hold "
        r"splits 0-5, but holds splits 0-4$",
        run.failures[SHORT_LAST_CHUNK],
        re.MULTILINE,
    ), run.describe()
