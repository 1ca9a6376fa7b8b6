"""Checks that a plan IS the documented one, not merely within a bound the documented one meets.

Each checker takes a `Distribution` (a synthetic ``/plan`` answer or a real query's profile),
recomputes what the documented rules give for the same input with `algorithms` (an independent
computation), and returns sentences naming the first group where the two differ, with the rule
that decides it; an empty list means the plan is exactly the documented one.

- `exact_coalescing`: the groups (which splits, which group id) equal the documented grouping of
  the plan's splits;
- `exact_assignment`: each group is on the node the requested strategy's rule puts it on (taking
  the plan's own groups as the input, so a grouping error is reported once, by `exact_coalescing`);
- `lpt_quality`: when LPT is the rule and the instance is small, the largest load is within
  Graham's bound (4/3 - 1/(3n)) x the optimum, which is found by brute force.
"""

from __future__ import annotations

from collections.abc import Sequence

from lakeproof.properties.algorithms import (
    NodeIndex,
    PlannedSplit,
    coalesced_groups,
    expected_assignment,
    lpt_order,
    lpt_quality_bound,
    makespan,
    optimum_makespan,
    unknown_size_chunk,
)
from lakeproof.properties.distribution import Distribution, Group
from lakeproof.properties.invariants import DESIGN_STRATEGIES, WEIGHTED, CoalescingRules

QUALITY_MAX_GROUPS = 8
QUALITY_MAX_NODES = 4
"""The largest instances whose optimum `lpt_quality` brute-forces (at most 4**8 assignments)."""


def _ids(items: Sequence[int]) -> str:
    """``0-31, 40, 42-43``: ascending ids with runs of consecutive ones shortened."""
    runs: list[list[int]] = []
    for item in items:
        if runs and item == runs[-1][-1] + 1:
            runs[-1].append(item)
        else:
            runs.append([item])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs) or "none"


def _grouping_rule(plan: Distribution, rules: CoalescingRules) -> str:
    count = len(plan.split_sizes)
    if not rules.enabled:
        return "coalescing is off, so each split is its own group"
    if count <= rules.threshold:
        return f"{count} splits are at most the threshold {rules.threshold}, so each split is its own group"
    if any(size < 0 for size in plan.split_sizes.values()):
        chunk = unknown_size_chunk(count, rules)
        return (
            f"with an unknown size {count} splits are cut into contiguous chunks of "
            f"ceil({count}/{rules.unknown_size_chunks}) = {chunk}, the last one holding the rest"
        )
    return (
        f"best-fit decreasing into {rules.target_size}-byte bins (each split, largest first, into the "
        f"fitting bin with the least room, ties to the oldest; at most {rules.max_files} files a bin; "
        f"a split of {rules.target_size} bytes or more alone)"
    )


def exact_coalescing(plan: Distribution, rules: CoalescingRules | None = None) -> list[str]:
    """The plan's groups are exactly the documented grouping of its splits, numbered by smallest split id."""
    rules = rules or CoalescingRules()
    splits = [
        PlannedSplit(split, size, plan.split_files.get(split, ""), plan.split_sources.get(split, 0))
        for split, size in plan.split_sizes.items()
    ]
    expected = coalesced_groups(splits, rules)
    actual: dict[int, tuple[int, ...]] = {}
    for group in plan.groups:
        actual.setdefault(group.id, tuple(sorted(group.splits)))
    rule = _grouping_rule(plan, rules)
    for group_id, members in enumerate(expected):
        found = actual.get(group_id)
        if found != members:
            holds = f"the plan has no group {group_id}" if found is None else f"holds splits {_ids(found)}"
            return [f"{rule}: group {group_id} should hold splits {_ids(members)}, but {holds}"]
    if extra := sorted(set(actual) - set(range(len(expected)))):
        return [
            f"{rule}: that makes {len(expected)} groups, but the plan also has group {extra[0]} "
            f"(splits {_ids(actual[extra[0]])})"
        ]
    return []


def _label(plan: Distribution) -> str:
    if plan.requested in DESIGN_STRATEGIES:
        return plan.requested
    return f"adaptive (requested {plan.requested!r})"


def _name(plan: Distribution, node: NodeIndex) -> str:
    return "the coordinator" if node is None else plan.nodes[node]


def _unique_groups(plan: Distribution) -> list[Group]:
    """The plan's groups by id, each once (a group listed twice is exactly_once's finding)."""
    return sorted({group.id: group for group in reversed(plan.groups)}.values(), key=lambda g: g.id)


def exact_assignment(plan: Distribution) -> list[str]:
    """Every group is on the node the requested strategy's documented rule puts it on."""
    groups = _unique_groups(plan)
    sizes = [group.size for group in groups]
    expected = expected_assignment(sizes, len(plan.nodes), plan.requested, plan.shape, plan.offset)
    by_lpt = expected.used == WEIGHTED
    order = lpt_order(sizes) if by_lpt else range(len(groups))
    loads = dict.fromkeys(range(len(plan.nodes)), 0)
    for position in order:
        group, node = groups[position], expected.nodes[position]
        if group.node != (None if node is None else plan.nodes[node]):
            before = ""
            if by_lpt:
                listed = ", ".join(f"{plan.nodes[index]} = {load}" for index, load in loads.items())
                before = f"; loads before it: {listed}"
            where = group.node or "the coordinator"
            return [
                f"{_label(plan)}: group {group.id} ({group.size} bytes) is on {where}, but "
                f"{expected.rule} puts it on {_name(plan, node)}{before}"
            ]
        if node is not None:
            loads[node] += max(group.size, 0)
    return []


def lpt_quality(plan: Distribution) -> list[str]:
    """Where LPT is the rule, on small instances: makespan <= (4/3 - 1/(3n)) x the brute-forced optimum."""
    groups = _unique_groups(plan)
    sizes = [group.size for group in groups]
    node_count = len(plan.nodes)
    if len(groups) > QUALITY_MAX_GROUPS or not 0 < node_count <= QUALITY_MAX_NODES:
        return []
    if expected_assignment(sizes, node_count, plan.requested, plan.shape, plan.offset).used != WEIGHTED:
        return []
    index = {name: position for position, name in enumerate(plan.nodes)}
    placed = [index.get(group.node) if group.node is not None else None for group in groups]
    largest = makespan(sizes, placed, node_count)
    optimum = optimum_makespan(sizes, node_count)
    factor = lpt_quality_bound(node_count)
    if largest <= factor * optimum:
        return []
    return [
        f"{_label(plan)}: the busiest node reads {largest} bytes, above LPT's guarantee "
        f"(4/3 - 1/(3 x {node_count})) x optimum = {factor} x {optimum} = {float(factor * optimum):.1f} "
        f"(sizes {', '.join(map(str, sizes))} on {node_count} nodes)"
    ]
