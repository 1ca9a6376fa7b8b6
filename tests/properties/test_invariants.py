"""Each distribution invariant holds on correct plans and catches a hand-made violating plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from lakeproof.properties.distribution import Distribution, Shape, from_synthetic_plan
from lakeproof.properties.invariants import (
    CoalescingRules,
    adaptive_choice,
    adaptive_decision,
    coalescing,
    coordinator_only,
    deterministic,
    exactly_once,
    fallback_warning,
    round_robin_balance,
    strategy_rules,
    weighted_bound,
)

MIB = 1024 * 1024


def plan(
    groups: Sequence[tuple[list[int], int | None]],
    sizes: list[int],
    nodes: int,
    strategy: str,
    used: str,
    shape: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
    coalesce: bool = False,
) -> Distribution:
    """A /plan answer written by hand: groups as (split ids, node index); sizes per split."""
    request = {
        "split_sizes": sizes,
        "nodes": nodes,
        "strategy": strategy,
        "shape": shape or {},
        "coalesce": coalesce,
    }
    answer_groups = []
    loads = [0] * nodes
    local = 0
    for index, (members, node) in enumerate(groups):
        member_sizes = [sizes[member] for member in members]
        size = -1 if any(s < 0 for s in member_sizes) else sum(member_sizes)
        answer_groups.append({"id": index, "splits": members, "size": size, "node": node})
        if node is None:
            local += max(size, 0)
        else:
            loads[node] += max(size, 0)
    answer = {
        "strategy": {"requested": strategy, "used": used, "reason": "by hand"},
        "warnings": warnings or [],
        "groups": answer_groups,
        "node_loads": loads,
        "coordinator_load": local,
    }
    return from_synthetic_plan(request, answer)


# -- exactly once ------------------------------------------------------------------------------


def test_exactly_once_holds_for_one_group_per_split() -> None:
    assert (
        exactly_once(plan([([0], 0), ([1], 1), ([2], None)], [5, 5, 5], 2, "round_robin", "round_robin"))
        == []
    )


def test_exactly_once_catches_a_lost_split() -> None:
    found = exactly_once(plan([([0], 0), ([1], 1)], [5, 5, 5], 2, "round_robin", "round_robin"))
    assert found == ["1 splits are in no group, so nobody reads them: splits 2"]


def test_exactly_once_catches_a_split_read_twice() -> None:
    found = exactly_once(plan([([0, 1], 0), ([1], 1)], [5, 5], 2, "round_robin", "round_robin"))
    assert found == ["1 splits are assigned more than once, e.g. split 1 2 times (groups 0, 1)"]


def test_exactly_once_catches_a_group_placed_twice() -> None:
    distribution = plan([([0], 0), ([1], 1)], [5, 5], 2, "round_robin", "round_robin")
    doubled = Distribution(
        **{**distribution.__dict__, "groups": (*distribution.groups, distribution.groups[0])}
    )
    found = exactly_once(doubled)
    assert "1 groups are placed more than once: groups 0" in found


def test_exactly_once_catches_a_node_outside_the_plan() -> None:
    found = exactly_once(plan([([0], 0), ([1], 3)], [5, 5], 4, "round_robin", "round_robin"))
    assert found == []
    narrowed = plan([([0], 0), ([1], 1)], [5, 5], 2, "round_robin", "round_robin")
    stranger = Distribution(**{**narrowed.__dict__, "nodes": ("node 0",)})
    assert exactly_once(stranger) == [
        "1 groups are on readers that are not nodes of this plan, e.g. group 1 on node 1 (nodes: node 0)"
    ]


def test_exactly_once_catches_a_split_never_planned() -> None:
    found = exactly_once(plan([([0], 0)], [5], 1, "round_robin", "round_robin"))
    assert found == []
    distribution = plan([([0], 0)], [5], 1, "round_robin", "round_robin")
    shrunk = Distribution(**{**distribution.__dict__, "split_sizes": {}})
    assert exactly_once(shrunk) == ["groups hold splits that were never planned: splits 0"]


# -- strategies --------------------------------------------------------------------------------


def test_coordinator_only_catches_a_distributed_group() -> None:
    good = plan([([0], None), ([1], None)], [1, 2], 3, "coordinator_only", "coordinator_only")
    assert coordinator_only(good) == []
    bad = plan([([0], None), ([1], 2)], [1, 2], 3, "coordinator_only", "coordinator_only")
    assert coordinator_only(bad) == [
        "coordinator_only: 1 of 2 groups were sent to data nodes (e.g. group 1 to node 2), "
        "but coordinator_only never distributes"
    ]


def test_round_robin_balance_catches_an_unbalanced_plan() -> None:
    sizes = [1] * 4
    good = plan([([0], 0), ([1], 1), ([2], 0), ([3], 1)], sizes, 2, "round_robin", "round_robin")
    assert round_robin_balance(good) == []
    bad = plan([([0], 0), ([1], 0), ([2], 0), ([3], 1)], sizes, 2, "round_robin", "round_robin")
    assert round_robin_balance(bad) == [
        "round_robin: node 0 reads 3 groups but node 1 reads 1; round robin counts may differ by at most 1",
        "round_robin: node 0 reads 3 groups, more than ceil(4 groups / 2 nodes) = 2",
    ]


def test_round_robin_with_no_nodes_must_stay_local() -> None:
    good = plan([([0], None)], [1], 0, "round_robin", "coordinator_only")
    assert round_robin_balance(good) == []
    wrongly_named = plan([([0], None)], [1], 0, "round_robin", "round_robin")
    assert round_robin_balance(wrongly_named) == [
        "round_robin: the plan says it used 'round_robin', but there are no data nodes, "
        "so it must be coordinator_only"
    ]


def test_round_robin_catches_groups_left_local() -> None:
    bad = plan([([0], 0), ([1], None)], [1, 1], 2, "round_robin", "round_robin")
    assert "round_robin: 1 groups stayed on the coordinator although 2 nodes were available: groups 1" in (
        round_robin_balance(bad)
    )


def test_weighted_bound_catches_an_overloaded_node() -> None:
    sizes = [10, 10, 10, 10]
    good = plan(
        [([0], 0), ([1], 1), ([2], 0), ([3], 1)], sizes, 2, "weighted_round_robin", "weighted_round_robin"
    )
    assert weighted_bound(good) == []
    # 30 bytes on node 0 is exactly the bound 40/2 + 10: still allowed.
    tight = plan(
        [([0], 0), ([1], 0), ([2], 0), ([3], 1)], sizes, 2, "weighted_round_robin", "weighted_round_robin"
    )
    assert weighted_bound(tight) == []
    worse = plan(
        [([0], 0), ([1], 0), ([2], 0), ([3], 0), ([4], 1)],
        [10] * 5,
        2,
        "weighted_round_robin",
        "weighted_round_robin",
    )
    assert weighted_bound(worse) == [
        "weighted_round_robin: node 0 reads 40 bytes, above the bound total/nodes + largest group"
        " = 50/2 + 10 = 35"
    ]


def test_weighted_with_an_unknown_size_must_be_round_robin() -> None:
    sizes = [10, -1, 10]
    good = plan([([0], 0), ([1], 1), ([2], 0)], sizes, 2, "weighted_round_robin", "round_robin")
    assert weighted_bound(good) == []
    bad = plan([([0], 0), ([1], 1), ([2], 0)], sizes, 2, "weighted_round_robin", "weighted_round_robin")
    assert weighted_bound(bad) == [
        "weighted_round_robin: the plan used 'weighted_round_robin' where an unknown split size"
        " requires 'round_robin'"
    ]


@pytest.mark.parametrize(
    ("groups", "nodes", "shape", "known", "expected"),
    [
        (1, 3, {"aggregation": True}, True, "coordinator_only"),
        (5, 3, {"limit": 10}, True, "coordinator_only"),
        (5, 0, {"aggregation": True}, True, "coordinator_only"),
        (2, 3, {"aggregation": True}, True, "weighted_round_robin"),
        (2, 3, {"topn": True, "limit": 3}, False, "round_robin"),
        (4, 3, {}, True, "weighted_round_robin"),
        (4, 3, {"limit": 10, "filter": True}, False, "round_robin"),
        (3, 3, {"filter": True}, True, "coordinator_only"),
    ],
)
def test_adaptive_choice_is_the_design_table(
    groups: int, nodes: int, shape: dict[str, Any], known: bool, expected: str
) -> None:
    assert adaptive_choice(groups, nodes, Shape.from_json(shape), known)[0] == expected


def test_adaptive_decision_catches_the_wrong_choice() -> None:
    sizes = [1, 2, 3, 4]
    good = plan([([0], 1), ([1], 0), ([2], 1), ([3], 0)], sizes, 2, "adaptive", "weighted_round_robin")
    assert adaptive_decision(good) == []
    local = plan(
        [([0], None), ([1], None), ([2], None), ([3], None)], sizes, 2, "adaptive", "coordinator_only"
    )
    found = adaptive_decision(local)
    assert found[0].startswith(
        "adaptive (requested 'adaptive'): the plan used 'coordinator_only' where more splits than nodes "
        "with all sizes known"
    )


def test_adaptive_decision_catches_a_missing_fallback_warning() -> None:
    sizes = [1]
    warned = plan(
        [([0], None)], sizes, 2, "roundrobin", "coordinator_only", warnings=[fallback_warning("roundrobin")]
    )
    assert adaptive_decision(warned) == []
    silent = plan([([0], None)], sizes, 2, "roundrobin", "coordinator_only")
    assert adaptive_decision(silent) == [
        "the unknown strategy 'roundrobin' gave no warning 'unknown external_distribution pragma value "
        "[roundrobin]; falling back to adaptive'; warnings: []"
    ]


def test_a_known_strategy_must_not_be_warned_about() -> None:
    warned = plan(
        [([0], 0)], [1], 1, "round_robin", "round_robin", warnings=[fallback_warning("round_robin")]
    )
    assert adaptive_decision(warned) == [
        "the known strategy 'round_robin' was warned about as unknown: "
        "['unknown external_distribution pragma value [round_robin]; falling back to adaptive']"
    ]


def test_strategy_rules_apply_only_the_requested_strategy() -> None:
    # Balanced for round robin, though far from what weighted would do: only round robin's rules apply.
    distribution = plan([([0], 0), ([1], 1)], [1000, 1], 2, "round_robin", "round_robin")
    assert strategy_rules(distribution) == []


# -- coalescing --------------------------------------------------------------------------------


def test_coalescing_holds_for_a_packed_plan() -> None:
    sizes = [10] * 40
    groups = [(list(range(32)), 0), (list(range(32, 40)), 1)]
    assert coalescing(plan(groups, sizes, 2, "round_robin", "round_robin", coalesce=True)) == []


def test_coalescing_catches_merging_at_or_below_the_threshold() -> None:
    found = coalescing(plan([([0, 1], 0)], [1, 1], 1, "round_robin", "round_robin", coalesce=True))
    assert found == [
        "2 splits are at most the threshold (32), yet 1 groups hold several splits, e.g. group 0 with 2"
    ]


def test_coalescing_catches_a_group_of_too_many_files() -> None:
    groups = [(list(range(40)), 0)]
    found = coalescing(plan(groups, [10] * 40, 1, "round_robin", "round_robin", coalesce=True))
    assert found == ["1 groups touch more than 32 files, e.g. group 0 with 40"]


def test_coalescing_catches_an_overfull_group_and_a_big_split_not_alone() -> None:
    sizes = [200 * MIB, *([1] * 40)]
    groups = [([0, 1], 0), (list(range(2, 33)), 0), (list(range(33, 41)), 0)]
    found = coalescing(plan(groups, sizes, 1, "round_robin", "round_robin", coalesce=True))
    assert found == [
        f"1 coalesced groups exceed the {128 * MIB}-byte target, e.g. group 0 with {200 * MIB + 1} bytes"
        " in 2 splits",
        f"splits of {128 * MIB} bytes or more stay alone, but group 0 puts one together with 1 other splits",
    ]


def test_coalescing_with_an_unknown_size_needs_few_contiguous_chunks() -> None:
    sizes = [1] * 40
    sizes[5] = -1
    good = [(list(range(start, min(start + 5, 40))), 0) for start in range(0, 40, 5)]
    assert coalescing(plan(good, sizes, 1, "round_robin", "round_robin", coalesce=True)) == []
    scattered = [([0, 2], 0), ([1, 3], 0), *[([i], 0) for i in range(4, 40)]]
    found = coalescing(plan(scattered, sizes, 1, "round_robin", "round_robin", coalesce=True))
    assert found == [
        "with an unknown split size splits are cut into at most 8 contiguous chunks, but there are 38 groups",
        "with an unknown split size chunks are contiguous, but group 0 holds splits 0, 2",
    ]


def test_coalescing_catches_lost_files_bytes_and_wrong_sizes() -> None:
    distribution = plan([([0], 0)], [7, 9], 1, "round_robin", "round_robin")
    found = coalescing(distribution)
    assert found == [
        "1 files are in no group, so none of their data is read: split-1",
        "the groups hold 7 bytes of splits, but the splits hold 16",
    ]


def test_coalescing_catches_loads_that_do_not_add_up() -> None:
    distribution = plan([([0], 0), ([1], 1)], [7, 9], 2, "round_robin", "round_robin")
    misreported = Distribution(
        **{**distribution.__dict__, "reported_loads": {"node 0": 7, "node 1": 0, None: 0}}
    )
    assert coalescing(misreported) == ["the plan reports 0 bytes for node 1, but the groups it reads hold 9"]


def test_coalescing_off_means_one_split_per_group() -> None:
    found = coalescing(
        plan([([0, 1], 0), *[([i], 0) for i in range(2, 40)]], [1] * 40, 1, "round_robin", "round_robin"),
        CoalescingRules(enabled=False),
    )
    assert found == ["coalescing is off (32), yet 1 groups hold several splits, e.g. group 0 with 2"]


# -- determinism -------------------------------------------------------------------------------


def test_deterministic_names_the_first_difference() -> None:
    first = {"groups": [{"id": 0, "node": 1}], "strategy": {"used": "round_robin"}}
    assert deterministic(first, first) == []
    second = {"groups": [{"id": 0, "node": 2}], "strategy": {"used": "round_robin"}}
    assert deterministic(first, second) == [
        "the same request gave two different plans: plan.groups[0].node is 1, then 2"
    ]
    assert deterministic(first, {**first, "groups": []}) == [
        "the same request gave two different plans: plan.groups has 1 entries, then 0"
    ]
