"""The distribution rules and provable bounds of docs/architecture.md, one checker per invariant.

Each checker takes a `Distribution` (a synthetic plan or a real query's profile) and returns the
violations it finds as sentences a tester can read; an empty list means the invariant holds.
Checkers of one strategy's rules return nothing for plans that requested another strategy, so
every checker can be run on every plan.

The rules (docs/architecture.md: Distribution strategies, Splits):

- exactly once: every split is in exactly one group, every group is read once, by one reader,
  and that reader is a data node of the plan or the coordinator;
- ``coordinator_only`` never distributes;
- ``round_robin``: no node reads more than ceil(groups/nodes) groups and counts differ by at
  most 1; no nodes or no groups -> everything local;
- ``weighted_round_robin``: max node load <= total/nodes + largest group; an unknown size ->
  round robin; no nodes or no groups -> everything local;
- adaptive (also ``""`` and any unknown value, which must warn): the decision table;
- coalescing: files and bytes conserved; nothing coalesced at or below the threshold; with an
  unknown size at most 8 contiguous chunks; otherwise groups of at most 32 files within the
  128 MiB target, and a split of 128 MiB or more alone;
- determinism: the same request gives the same plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lakeproof.properties.distribution import Distribution, Group, Shape

MIB = 1024 * 1024

COORDINATOR_ONLY = "coordinator_only"
ROUND_ROBIN = "round_robin"
WEIGHTED = "weighted_round_robin"
ADAPTIVE = "adaptive"
DESIGN_STRATEGIES = (COORDINATOR_ONLY, ROUND_ROBIN, WEIGHTED, ADAPTIVE)
"""The pragma values docs/architecture.md defines; ``""`` means adaptive too, anything else must warn."""

_SHOWN = 3  # examples named in one violation before "and N more"


def fallback_warning(value: str) -> str:
    """The warning an unknown ``external_distribution`` value must give (as ES|QL words it)."""
    return f"unknown external_distribution pragma value [{value}]; falling back to adaptive"


@dataclass(frozen=True)
class CoalescingRules:
    """When and how splits are coalesced into groups (docs/architecture.md: Splits), with the
    documented defaults."""

    enabled: bool = True
    threshold: int = 32
    target_size: int = 128 * MIB
    max_files: int = 32
    unknown_size_chunks: int = 8

    @classmethod
    def from_pragma(cls, pragma: Mapping[str, Any]) -> CoalescingRules:
        """The rules under a query's pragmas (``coalesce``, ``coalesce_threshold``,
        ``coalesce_target_size``); other pragmas are ignored."""
        defaults = cls()
        return cls(
            enabled=bool(pragma.get("coalesce", defaults.enabled)),
            threshold=int(pragma.get("coalesce_threshold", defaults.threshold)),
            target_size=int(pragma.get("coalesce_target_size", defaults.target_size)),
        )


Checker = Callable[[Distribution], list[str]]


def _some(items: Iterable[object]) -> str:
    """``a, b, c and 4 more``: a few examples of a long list."""
    listed = [str(item) for item in items]
    head = ", ".join(listed[:_SHOWN])
    return head if len(listed) <= _SHOWN else f"{head} and {len(listed) - _SHOWN} more"


def _where(node: str | None) -> str:
    return "the coordinator" if node is None else node


# -- exactly once ------------------------------------------------------------------------------


def exactly_once(plan: Distribution) -> list[str]:
    """Every split in exactly one group; each group placed once, on one valid reader."""
    found = []
    owners: dict[int, list[int]] = {}
    for group in plan.groups:
        for split in group.splits:
            owners.setdefault(split, []).append(group.id)
    missing = sorted(set(plan.split_sizes) - owners.keys())
    if missing:
        found.append(f"{len(missing)} splits are in no group, so nobody reads them: splits {_some(missing)}")
    repeated = sorted(split for split, groups in owners.items() if len(groups) > 1)
    if repeated:
        first = repeated[0]
        found.append(
            f"{len(repeated)} splits are assigned more than once, e.g. split {first} "
            f"{len(owners[first])} times (groups {_some(owners[first])})"
        )
    foreign = sorted(owners.keys() - set(plan.split_sizes))
    if foreign:
        found.append(f"groups hold splits that were never planned: splits {_some(foreign)}")
    placed: dict[int, int] = {}
    for group in plan.groups:
        placed[group.id] = placed.get(group.id, 0) + 1
    twice = sorted(group for group, count in placed.items() if count > 1)
    if twice:
        found.append(f"{len(twice)} groups are placed more than once: groups {_some(twice)}")
    valid = set(plan.nodes)
    strangers = [group for group in plan.groups if group.node is not None and group.node not in valid]
    if strangers:
        found.append(
            f"{len(strangers)} groups are on readers that are not nodes of this plan, e.g. group "
            f"{strangers[0].id} on {strangers[0].node} (nodes: {_some(plan.nodes) or 'none'})"
        )
    torn = [group for group in plan.groups if len(group.readers) > 1]
    if torn:
        found.append(
            f"{len(torn)} groups were read by several readers, e.g. group {torn[0].id} by "
            f"{_some(_where(reader) for reader in torn[0].readers)}; a group is read by one"
        )
    return found


# -- strategies --------------------------------------------------------------------------------


def _all_local(plan: Distribution, label: str, why: str) -> list[str]:
    distributed = [group for group in plan.groups if group.node is not None]
    found = []
    if distributed:
        found.append(
            f"{label}: {len(distributed)} of {len(plan.groups)} groups were sent to data nodes "
            f"(e.g. group {distributed[0].id} to {distributed[0].node}), but {why}"
        )
    if plan.used != COORDINATOR_ONLY:
        found.append(
            f"{label}: the plan says it used {plan.used!r}, but {why}, so it must be coordinator_only"
        )
    return found


def _nothing_to_distribute(plan: Distribution) -> str | None:
    # Judged on the splits: groups that went missing are exactly_once's finding, not this rule's.
    if not plan.nodes:
        return "there are no data nodes"
    if not plan.split_sizes:
        return "there are no splits"
    return None


def _none_local(plan: Distribution, label: str) -> list[str]:
    local = [group.id for group in plan.groups if group.node is None]
    if not local:
        return []
    return [
        f"{label}: {len(local)} groups stayed on the coordinator although {len(plan.nodes)} "
        f"nodes were available: groups {_some(local)}"
    ]


def _balanced(plan: Distribution, label: str) -> list[str]:
    """Round robin's bounds: counts differ by at most 1, none above ceil(groups/nodes)."""
    found = _none_local(plan, label)
    counts = plan.group_counts()
    busiest = max(counts, key=lambda node: counts[node])
    idlest = min(counts, key=lambda node: counts[node])
    if counts[busiest] - counts[idlest] > 1:
        found.append(
            f"{label}: {busiest} reads {counts[busiest]} groups but {idlest} reads {counts[idlest]}; "
            "round robin counts may differ by at most 1"
        )
    ceiling = math.ceil(len(plan.groups) / len(plan.nodes))
    if counts[busiest] > ceiling:
        found.append(
            f"{label}: {busiest} reads {counts[busiest]} groups, more than "
            f"ceil({len(plan.groups)} groups / {len(plan.nodes)} nodes) = {ceiling}"
        )
    return found


def _weighted_bounded(plan: Distribution, label: str) -> list[str]:
    """Longest-processing-time's bound: max load <= total/nodes + largest group."""
    found = _none_local(plan, label)
    loads = plan.loads()
    total = sum(group.known_size for group in plan.groups)
    largest = max((group.known_size for group in plan.groups), default=0)
    bound = total / len(plan.nodes) + largest
    busiest = max(loads, key=lambda node: loads[node])
    if loads[busiest] > bound:
        found.append(
            f"{label}: {busiest} reads {loads[busiest]} bytes, above the bound total/nodes + "
            f"largest group = {total}/{len(plan.nodes)} + {largest} = {bound:.0f}"
        )
    return found


def _used(plan: Distribution, label: str, expected: str, why: str) -> list[str]:
    if plan.used == expected:
        return []
    return [f"{label}: the plan used {plan.used!r} where {why} requires {expected!r}"]


def coordinator_only(plan: Distribution) -> list[str]:
    """``coordinator_only`` reads every group on the coordinator."""
    if plan.requested != COORDINATOR_ONLY:
        return []
    return _all_local(plan, COORDINATOR_ONLY, "coordinator_only never distributes")


def round_robin_balance(plan: Distribution) -> list[str]:
    """``round_robin`` spreads group counts evenly (or stays local with nothing to distribute)."""
    if plan.requested != ROUND_ROBIN:
        return []
    if why := _nothing_to_distribute(plan):
        return _all_local(plan, ROUND_ROBIN, why)
    return _used(plan, ROUND_ROBIN, ROUND_ROBIN, "round_robin with nodes and splits") + _balanced(
        plan, ROUND_ROBIN
    )


def weighted_bound(plan: Distribution) -> list[str]:
    """``weighted_round_robin`` keeps the max load within its bound (round robin if a size is unknown)."""
    if plan.requested != WEIGHTED:
        return []
    if why := _nothing_to_distribute(plan):
        return _all_local(plan, WEIGHTED, why)
    if not plan.all_sizes_known:
        return _used(plan, WEIGHTED, ROUND_ROBIN, "an unknown split size") + _balanced(plan, WEIGHTED)
    return _used(plan, WEIGHTED, WEIGHTED, "all sizes known") + _weighted_bounded(plan, WEIGHTED)


def adaptive_choice(groups: int, nodes: int, shape: Shape, sizes_known: bool) -> tuple[str, str]:
    """The strategy the adaptive decision table picks, and the table row that picks it."""
    if groups <= 1:
        return COORDINATOR_ONLY, "at most one split"
    if shape.limit_only:
        return COORDINATOR_ONLY, "a LIMIT without filter, aggregation or TopN"
    if nodes == 0:
        return COORDINATOR_ONLY, "no eligible nodes"
    if shape.aggregation or shape.topn or groups > nodes:
        row = "an aggregation" if shape.aggregation else "a TopN" if shape.topn else "more splits than nodes"
        if sizes_known:
            return WEIGHTED, f"{row} with all sizes known"
        return ROUND_ROBIN, f"{row} with an unknown size"
    return COORDINATOR_ONLY, "no aggregation or TopN and no more splits than nodes"


def adaptive_decision(plan: Distribution) -> list[str]:
    """Adaptive (``adaptive``, ``""``, or an unknown value with its warning) follows the decision table."""
    unknown = plan.requested not in DESIGN_STRATEGIES and plan.requested != ""
    warned = fallback_warning(plan.requested) in plan.warnings
    found = []
    if unknown and not warned:
        found.append(
            f"the unknown strategy {plan.requested!r} gave no warning "
            f"{fallback_warning(plan.requested)!r}; warnings: {list(plan.warnings)}"
        )
    if not unknown and any("falling back to adaptive" in warning for warning in plan.warnings):
        found.append(
            f"the known strategy {plan.requested!r} was warned about as unknown: {list(plan.warnings)}"
        )
    if plan.requested not in (ADAPTIVE, "") and not unknown:
        return found
    label = f"adaptive (requested {plan.requested!r})"
    expected, row = adaptive_choice(len(plan.groups), len(plan.nodes), plan.shape, plan.all_sizes_known)
    why = f"{row} ({len(plan.groups)} groups, {len(plan.nodes)} nodes, {plan.shape})"
    found += _used(plan, label, expected, why)
    if expected == COORDINATOR_ONLY:
        return found + _all_local(plan, label, why)
    if expected == ROUND_ROBIN:
        return found + _balanced(plan, label)
    return found + _weighted_bounded(plan, label)


def strategy_rules(plan: Distribution) -> list[str]:
    """The rules of whichever strategy the plan requested."""
    return coordinator_only(plan) + round_robin_balance(plan) + weighted_bound(plan) + adaptive_decision(plan)


# -- coalescing --------------------------------------------------------------------------------


def _member_size(plan: Distribution, group: Group) -> int:
    sizes = [plan.split_sizes[split] for split in group.splits if split in plan.split_sizes]
    return -1 if any(size < 0 for size in sizes) else sum(sizes)


def _conserved(plan: Distribution) -> list[str]:
    """Files and bytes of the splits are exactly those of the groups; reported loads add up."""
    found = []
    wrong = [group for group in plan.groups if group.size != _member_size(plan, group)]
    if wrong:
        group = wrong[0]
        found.append(
            f"{len(wrong)} groups report a size other than their splits' total, e.g. group {group.id}: "
            f"{group.size} bytes for splits holding {_member_size(plan, group)}"
        )
    planned_files = set(plan.split_files.values())
    grouped_files = {
        plan.split_files[split]
        for group in plan.groups
        for split in group.splits
        if split in plan.split_files
    }
    if lost := sorted(planned_files - grouped_files):
        found.append(f"{len(lost)} files are in no group, so none of their data is read: {_some(lost)}")
    split_bytes = sum(size for size in plan.split_sizes.values() if size > 0)
    grouped_bytes = sum(
        max(plan.split_sizes.get(split, 0), 0) for group in plan.groups for split in group.splits
    )
    if grouped_bytes != split_bytes:
        found.append(f"the groups hold {grouped_bytes} bytes of splits, but the splits hold {split_bytes}")
    if plan.reported_loads is not None:
        actual: dict[str | None, int] = {None: 0}
        actual.update(plan.loads())
        for group in plan.groups:
            if group.node is None:
                actual[None] += group.known_size
        differ = [node for node in actual if plan.reported_loads.get(node) != actual[node]]
        if differ:
            node = differ[0]
            found.append(
                f"the plan reports {plan.reported_loads.get(node)} bytes for {_where(node)}, "
                f"but the groups it reads hold {actual[node]}"
            )
    return found


def coalescing(plan: Distribution, rules: CoalescingRules | None = None) -> list[str]:
    """Coalescing conserves files and bytes and follows the grouping rules of ``rules``."""
    rules = rules or CoalescingRules()
    found = _conserved(plan)
    count = len(plan.split_sizes)
    if not rules.enabled or count <= rules.threshold:
        merged = [group for group in plan.groups if len(group.splits) > 1]
        why = "coalescing is off" if not rules.enabled else f"{count} splits are at most the threshold"
        if merged:
            found.append(
                f"{why} ({rules.threshold}), yet {len(merged)} groups hold several splits, e.g. "
                f"group {merged[0].id} with {len(merged[0].splits)}"
            )
        return found
    if any(size < 0 for size in plan.split_sizes.values()):
        if len(plan.groups) > rules.unknown_size_chunks:
            found.append(
                f"with an unknown split size splits are cut into at most {rules.unknown_size_chunks} "
                f"contiguous chunks, but there are {len(plan.groups)} groups"
            )
        gaps = [group for group in plan.groups if list(group.splits) != _run(group.splits)]
        if gaps:
            found.append(
                f"with an unknown split size chunks are contiguous, but group {gaps[0].id} holds "
                f"splits {_some(gaps[0].splits)}"
            )
        return found
    crowded = [group for group in plan.groups if len(group.files) > rules.max_files]
    if crowded:
        found.append(
            f"{len(crowded)} groups touch more than {rules.max_files} files, e.g. group "
            f"{crowded[0].id} with {len(crowded[0].files)}"
        )
    overfull = [group for group in plan.groups if len(group.splits) > 1 and group.size > rules.target_size]
    if overfull:
        found.append(
            f"{len(overfull)} coalesced groups exceed the {rules.target_size}-byte target, e.g. group "
            f"{overfull[0].id} with {overfull[0].size} bytes in {len(overfull[0].splits)} splits"
        )
    big_not_alone = [
        group
        for group in plan.groups
        if len(group.splits) > 1
        and any(plan.split_sizes.get(split, 0) >= rules.target_size for split in group.splits)
    ]
    if big_not_alone:
        found.append(
            f"splits of {rules.target_size} bytes or more stay alone, but group {big_not_alone[0].id} "
            f"puts one together with {len(big_not_alone[0].splits) - 1} other splits"
        )
    return found


def _run(splits: tuple[int, ...]) -> list[int]:
    return list(range(splits[0], splits[0] + len(splits))) if splits else []


# -- determinism -------------------------------------------------------------------------------


def deterministic(first: Any, second: Any) -> list[str]:
    """The same request planned twice gives the same plan (compared as JSON)."""
    if first == second:  # the usual case, and far cheaper than the walk that names a difference
        return []
    difference = _first_difference(first, second, "plan")
    return [f"the same request gave two different plans: {difference}"] if difference else []


def _first_difference(first: Any, second: Any, path: str) -> str | None:
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        pairs = [
            (f"{path}.{key}", first.get(key), second.get(key)) for key in sorted(set(first) | set(second))
        ]
        if missing := [f"{path}.{key}" for key in sorted(set(first) ^ set(second))]:
            return f"{missing[0]} is in only one of them"
    elif isinstance(first, list) and isinstance(second, list):
        if len(first) != len(second):
            return f"{path} has {len(first)} entries, then {len(second)}"
        pairs = [
            (f"{path}[{i}]", one, other) for i, (one, other) in enumerate(zip(first, second, strict=True))
        ]
    else:
        return None if first == second else f"{path} is {first!r}, then {second!r}"
    return next(
        (found for where, one, other in pairs if (found := _first_difference(one, other, where))), None
    )
