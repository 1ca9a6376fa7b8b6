"""The independent distribution algorithms give what the written rules give, worked out by hand.

Every expected value here is computed by hand from the rules in the README and the module
docstring of `lakeproof.properties.algorithms` (the working is in the comments), never taken
from an engine.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeproof.properties.algorithms import (
    PlannedSplit,
    coalesced_groups,
    expected_assignment,
    longest_processing_time,
    makespan,
    optimum_makespan,
    round_robin,
)
from lakeproof.properties.distribution import Shape
from lakeproof.properties.invariants import CoalescingRules

AGGREGATION = Shape(aggregation=True)
SCAN = Shape()
# Small numbers keep the working readable: coalesce above 1 split into bins of 10 bytes.
SMALL_BINS = CoalescingRules(threshold=1, target_size=10)


def splits(*sizes: int) -> list[PlannedSplit]:
    """Splits 0..n-1 of ``sizes``, each its own file."""
    return [PlannedSplit(index, size, f"file-{index}") for index, size in enumerate(sizes)]


# -- round robin -------------------------------------------------------------------------------


def test_round_robin_starts_at_the_offset_and_wraps() -> None:
    # (i + 4) mod 3 for i = 0..4: 1, 2, 0, 1, 2.
    assert round_robin(5, 3, 4) == (1, 2, 0, 1, 2)


def test_round_robin_with_more_nodes_than_groups_uses_consecutive_nodes() -> None:
    # (i + 6) mod 8 for i = 0..2: 6, 7, 0.
    assert round_robin(3, 8, 6) == (6, 7, 0)


# -- longest processing time -------------------------------------------------------------------


def test_lpt_takes_the_largest_first_and_breaks_load_ties_to_the_lowest_node() -> None:
    # Order 0 (3), 1 (3), 2 (2), 3 (2), 4 (2). Loads [0, 0]: 0 -> node 0 (tie, lowest) [3, 0];
    # 1 -> node 1 [3, 3]; 2 -> node 0 (tie) [5, 3]; 3 -> node 1 [5, 5]; 4 -> node 0 (tie) [7, 5].
    assert longest_processing_time([3, 3, 2, 2, 2], 2) == (0, 1, 0, 1, 0)


def test_lpt_keeps_equal_sizes_in_group_order() -> None:
    # Order 1 (5), 3 (5), 0 (1), 2 (1). 1 -> node 0; 3 -> node 1; 0 -> node 2 (load 0);
    # 2 -> node 2 again (loads 5, 5, 1).
    assert longest_processing_time([1, 5, 1, 5], 3) == (2, 0, 2, 1)


def test_lpt_puts_all_zero_sizes_on_the_first_node() -> None:
    # Size 0 is known and adds nothing: every load stays 0, so every tie goes to node 0.
    assert longest_processing_time([0, 0, 0], 2) == (0, 0, 0)


def test_lpt_gives_a_zero_size_group_to_the_least_loaded_node() -> None:
    # Order 1 (4), 0 (0): 1 -> node 0 [4, 0]; 0 -> node 1, the least loaded.
    assert longest_processing_time([0, 4], 2) == (1, 0)


# -- the whole assignment ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "nodes", "strategy", "shape", "offset", "placed", "used"),
    [
        # Weighted with an unknown size: round robin from offset 1 on 2 nodes.
        ([5, -1, 3], 2, "weighted_round_robin", SCAN, 1, (1, 0, 1), "round_robin"),
        # Weighted ignores the offset when every size is known: 5 -> node 0, 3 -> node 1.
        ([3, 5], 2, "weighted_round_robin", SCAN, 1, (1, 0), "weighted_round_robin"),
        # Round robin with no nodes stays local.
        ([1, 2], 0, "round_robin", SCAN, 0, (None, None), "coordinator_only"),
        # Adaptive: an aggregation over 2 groups and 3 nodes is weighted (4 -> node 0, 1 -> node 1).
        ([4, 1], 3, "adaptive", AGGREGATION, 0, (0, 1), "weighted_round_robin"),
        # Adaptive: a scan of 2 groups on 3 nodes (no more groups than nodes) stays local.
        ([4, 1], 3, "adaptive", SCAN, 0, (None, None), "coordinator_only"),
        # Adaptive: a bare LIMIT stays local even over many groups.
        ([1] * 5, 2, "", Shape(limit=10), 0, (None,) * 5, "coordinator_only"),
        # An unknown value is adaptive: 3 groups on 2 nodes, one size unknown -> round robin from 1.
        ([1, -1, 1], 2, "ROUND_ROBIN", SCAN, 1, (1, 0, 1), "round_robin"),
        # Coordinator only never distributes.
        ([1, 2, 3], 2, "coordinator_only", AGGREGATION, 0, (None,) * 3, "coordinator_only"),
    ],
)
def test_the_expected_assignment_follows_the_strategy_table(
    sizes: list[int],
    nodes: int,
    strategy: str,
    shape: Shape,
    offset: int,
    placed: tuple[int | None, ...],
    used: str,
) -> None:
    expected = expected_assignment(sizes, nodes, strategy, shape, offset)
    assert (expected.nodes, expected.used) == (placed, used)


# -- coalescing --------------------------------------------------------------------------------


def test_at_or_below_the_threshold_each_split_is_its_own_group() -> None:
    assert coalesced_groups(splits(*[1] * 32), CoalescingRules()) == [(index,) for index in range(32)]


def test_coalescing_off_keeps_one_split_per_group() -> None:
    assert coalesced_groups(splits(1, 1, 1), CoalescingRules(enabled=False, threshold=1)) == [
        (0,),
        (1,),
        (2,),
    ]


@pytest.mark.parametrize(
    ("count", "chunks"),
    [
        # ceil(40/8) = 5: eight chunks of 5.
        (40, [range(start, start + 5) for start in range(0, 40, 5)]),
        # ceil(33/8) = 5: six chunks of 5 and a last one of 3 (seven groups, not eight).
        (33, [*(range(start, start + 5) for start in range(0, 30, 5)), range(30, 33)]),
        # ceil(41/8) = 6: six chunks of 6 and a last one of 5.
        (41, [*(range(start, start + 6) for start in range(0, 36, 6)), range(36, 41)]),
    ],
)
def test_an_unknown_size_cuts_contiguous_chunks_of_a_ceiling_share(count: int, chunks: list[range]) -> None:
    sizes = [7] * count
    sizes[count // 2] = -1
    assert coalesced_groups(splits(*sizes), CoalescingRules()) == [tuple(chunk) for chunk in chunks]


def test_best_fit_takes_the_bin_with_the_least_room() -> None:
    # Bins of 10. 0 (7) -> bin A, 3 free. 1 (4) does not fit A -> bin B, 6 free. 2 (4) -> B, 2 free.
    # 3 (1) fits A (3 free) and B (2 free): the best fit is B. First fit would pick A.
    assert coalesced_groups(splits(7, 4, 4, 1), SMALL_BINS) == [(0,), (1, 2, 3)]


def test_best_fit_breaks_ties_to_the_oldest_bin_and_equal_sizes_by_id() -> None:
    # Sizes 6, 3, 6 taken as 0 (6), 2 (6), 1 (3): 0 -> A (4 free); 2 -> B (4 free); 1 fits both with 4
    # free: the oldest, A. Groups ordered by smallest id: (0, 1), (2,).
    assert coalesced_groups(splits(6, 3, 6), SMALL_BINS) == [(0, 1), (2,)]


def test_a_split_of_the_target_size_stays_alone_and_zero_fills_a_full_bin() -> None:
    # 0 (10) is the target: alone, even for a size-0 split. 1 (6) -> A; 2 (4) -> A, now full;
    # 3 (0) fits A's 0 free bytes.
    assert coalesced_groups(splits(10, 6, 4, 0), SMALL_BINS) == [(0,), (1, 2, 3)]


def test_a_bin_at_the_file_cap_takes_only_splits_of_its_files() -> None:
    # At most 2 files a bin. 0 (3, a) -> A; 1 (2, b) -> A, now at the cap {a, b}; 2 (1, c) cannot join
    # A -> B; 3 (1, a) fits A (5 free, holds a) and B (9 free): the best fit is A.
    capped = [
        PlannedSplit(0, 3, "a"),
        PlannedSplit(1, 2, "b"),
        PlannedSplit(2, 1, "c"),
        PlannedSplit(3, 1, "a"),
    ]
    rules = CoalescingRules(threshold=1, target_size=10, max_files=2)
    assert coalesced_groups(capped, rules) == [(0, 1, 3), (2,)]


def test_sources_are_coalesced_one_by_one_and_numbered_in_turn() -> None:
    # Source 0 has 2 splits (not above the threshold of 2): two groups. Source 1 has 3: one bin.
    two_sources = [
        PlannedSplit(0, 1, "a", source=0),
        PlannedSplit(1, 1, "b", source=0),
        PlannedSplit(2, 1, "c", source=1),
        PlannedSplit(3, 1, "d", source=1),
        PlannedSplit(4, 1, "e", source=1),
    ]
    rules = CoalescingRules(threshold=2, target_size=10)
    assert coalesced_groups(two_sources, rules) == [(0,), (1,), (2, 3, 4)]


# -- LPT quality -------------------------------------------------------------------------------


def test_graham_s_tight_example_meets_the_bound_exactly() -> None:
    # LPT puts 3, 3, 2, 2, 2 on 2 nodes as 3+2+2 and 3+2 (makespan 7); the optimum is 3+3 and
    # 2+2+2 (6); the bound is (4/3 - 1/6) x 6 = 7.
    sizes = [3, 3, 2, 2, 2]
    assert makespan(sizes, longest_processing_time(sizes, 2), 2) == 7
    assert optimum_makespan(sizes, 2) == 6
    assert (Fraction(4, 3) - Fraction(1, 6)) * 6 == 7


def test_the_optimum_of_trivial_instances() -> None:
    assert optimum_makespan([], 3) == 0
    assert optimum_makespan([5], 3) == 5
    assert optimum_makespan([0, 0, 0], 2) == 0
    assert optimum_makespan([1, 1, 2], 2) == 2
    with pytest.raises(ValueError, match="at least one node, got 0"):
        optimum_makespan([1], 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=6), st.integers(1, 3))
def test_the_brute_force_optimum_is_the_smallest_makespan_of_every_assignment(
    sizes: list[int], nodes: int
) -> None:
    every = itertools.product(range(nodes), repeat=len(sizes))
    assert optimum_makespan(sizes, nodes) == min(makespan(sizes, placed, nodes) for placed in every)
