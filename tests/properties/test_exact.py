"""The exactness checks pass the documented plan and name the first group of any other plan."""

from __future__ import annotations

import dataclasses

from lakeproof.properties.distribution import from_answer
from lakeproof.properties.exact import exact_assignment, exact_coalescing, lpt_quality
from lakeproof.properties.invariants import CoalescingRules

from .test_invariants import plan

LPT_RULE = (
    "longest processing time first (groups by size descending, equal sizes in group order, each to "
    "the least-loaded node, equal loads to the lowest index)"
)


def test_round_robin_must_start_at_the_offset() -> None:
    # (i + 1) mod 2 for i = 0..2: nodes 1, 0, 1.
    from_one = plan([([0], 1), ([1], 0), ([2], 1)], [1, 1, 1], 2, "round_robin", "round_robin")
    assert exact_assignment(dataclasses.replace(from_one, offset=1)) == []
    assert exact_assignment(from_one) == [
        "round_robin: group 0 (1 bytes) is on node 1, but round robin from offset 0 (group i on node "
        "(i + 0) mod 2) puts it on node 0"
    ]


def test_weighted_names_the_first_group_lpt_places_elsewhere_with_the_loads_it_saw() -> None:
    # LPT on 2 nodes: 2 (5) -> node 0; 0 (3) -> node 1; 1 (3) -> node 1 (loads 5, 3).
    sizes = [3, 3, 5]
    lpt = plan([([0], 1), ([1], 1), ([2], 0)], sizes, 2, "weighted_round_robin", "weighted_round_robin")
    assert exact_assignment(lpt) == []
    # In file order: 0 -> node 0, 1 -> node 1, 2 -> node 0. Both meet the bound 11/2 + 5.
    in_file_order = plan(
        [([0], 0), ([1], 1), ([2], 0)], sizes, 2, "weighted_round_robin", "weighted_round_robin"
    )
    assert exact_assignment(in_file_order) == [
        f"weighted_round_robin: group 0 (3 bytes) is on node 0, but {LPT_RULE} puts it on node 1; "
        "loads before it: node 0 = 5, node 1 = 0"
    ]


def test_adaptive_is_checked_against_the_strategy_its_table_picks() -> None:
    # 3 groups on 2 nodes, a scan: more groups than nodes, all sizes known -> LPT.
    sizes = [1, 1, 1]
    ties_high = plan([([0], 1), ([1], 0), ([2], 1)], sizes, 2, "adaptive", "weighted_round_robin")
    assert exact_assignment(ties_high) == [
        "adaptive: group 0 (1 bytes) is on node 1, but adaptive picks weighted_round_robin for more "
        f"splits than nodes with all sizes known; {LPT_RULE} puts it on node 0; loads before it: "
        "node 0 = 0, node 1 = 0"
    ]
    local = plan([([0], None)], [1], 2, "nonsense", "coordinator_only")
    assert exact_assignment(local) == []


def test_coalescing_must_be_best_fit_not_first_fit() -> None:
    # Sizes 7, 4, 4, 1 into bins of 10: best fit makes (0) and (1, 2, 3); first fit (0, 3), (1, 2).
    sizes = [7, 4, 4, 1]
    rules = CoalescingRules(threshold=1, target_size=10)
    best = plan([([0], 0), ([1, 2, 3], 0)], sizes, 1, "round_robin", "round_robin", coalesce=True)
    assert exact_coalescing(best, rules) == []
    first = plan([([0, 3], 0), ([1, 2], 0)], sizes, 1, "round_robin", "round_robin", coalesce=True)
    assert exact_coalescing(first, rules) == [
        "best-fit decreasing into 10-byte bins (each split, largest first, into the fitting bin with the "
        "least room, ties to the oldest; at most 32 files a bin; a split of 10 bytes or more alone): "
        "group 0 should hold splits 0, but holds splits 0, 3"
    ]


def test_unknown_size_chunks_must_leave_the_remainder_to_a_short_last_chunk() -> None:
    sizes = [1] * 33
    sizes[0] = -1
    chunks = [(list(range(start, min(start + 5, 33))), 0) for start in range(0, 33, 5)]
    assert exact_coalescing(plan(chunks, sizes, 1, "round_robin", "round_robin", coalesce=True)) == []
    # Eight chunks of 33 // 8 = 4, the remainder joining the last: passes "at most 8 contiguous".
    merged = [(list(range(start, start + 4)), 0) for start in range(0, 28, 4)] + [(list(range(28, 33)), 0)]
    assert exact_coalescing(plan(merged, sizes, 1, "round_robin", "round_robin", coalesce=True)) == [
        "with an unknown size 33 splits are cut into contiguous chunks of ceil(33/8) = 5, the last one "
        "holding the rest: group 0 should hold splits 0-4, but holds splits 0-3"
    ]


def test_a_missing_or_extra_group_is_named() -> None:
    sizes = [1, 1]
    missing = plan([([0], 0)], sizes, 1, "round_robin", "round_robin")
    assert exact_coalescing(missing, CoalescingRules(enabled=False)) == [
        "coalescing is off, so each split is its own group: group 1 should hold splits 1, "
        "but the plan has no group 1"
    ]
    extra = plan([([0], 0), ([1], 0), ([], 0)], sizes, 1, "round_robin", "round_robin")
    assert exact_coalescing(extra) == [
        "2 splits are at most the threshold 32, so each split is its own group: that makes 2 groups, "
        "but the plan also has group 2 (splits none)"
    ]


def test_lpt_quality_catches_a_makespan_above_graham_s_bound() -> None:
    # 1, 1, 2 on 2 nodes in file order: 1 -> node 0, 1 -> node 1, 2 -> node 0: makespan 3 > 7/6 x 2.
    sizes = [1, 1, 2]
    greedy = plan([([0], 0), ([1], 1), ([2], 0)], sizes, 2, "weighted_round_robin", "weighted_round_robin")
    assert lpt_quality(greedy) == [
        "weighted_round_robin: the busiest node reads 3 bytes, above LPT's guarantee "
        "(4/3 - 1/(3 x 2)) x optimum = 7/6 x 2 = 2.3 (sizes 1, 1, 2 on 2 nodes)"
    ]
    optimal = plan([([0], 1), ([1], 1), ([2], 0)], sizes, 2, "weighted_round_robin", "weighted_round_robin")
    assert lpt_quality(optimal) == []
    # Round robin is not LPT: no quality bound applies.
    assert lpt_quality(plan([([0], 0), ([1], 1), ([2], 0)], sizes, 2, "round_robin", "round_robin")) == []


def test_a_profile_is_checked_per_source_in_the_live_nodes_order() -> None:
    def split(split_id: int, group: int, source: int, node: str) -> dict[str, object]:
        uri = f"s3://lake/{source}/{split_id}.csv"
        return {"id": split_id, "group": group, "source": source, "uri": uri, "size": 4, "node": node}

    answer = {
        "profile": {
            "strategy": {"requested": "round_robin", "used": "round_robin"},
            # Source 0: 3 splits in one group (above a threshold of 2); source 1: 1 split alone.
            "splits": [
                split(0, 0, 0, "node-2"),
                split(1, 0, 0, "node-2"),
                split(2, 0, 0, "node-2"),
                split(3, 1, 1, "node-1"),
            ],
        }
    }
    rules = CoalescingRules(threshold=2, target_size=100)
    # Offset 1 over the nodes [node-1, node-2]: group 0 -> node-2, group 1 -> node-1.
    distribution = from_answer(answer, ["node-1", "node-2"], offset=1)
    assert exact_coalescing(distribution, rules) == []
    assert exact_assignment(distribution) == []
    assert exact_assignment(from_answer(answer, ["node-1", "node-2"])) == [
        "round_robin: group 0 (12 bytes) is on node-2, but round robin from offset 0 (group i on node "
        "(i + 0) mod 2) puts it on node-1"
    ]
