"""The documented distribution algorithms, computed here from their written rules, not by any engine.

A bound such as "max load <= total/nodes + largest group" is met by many wrong engines (every
greedy assignment meets it, whatever order it takes the groups in). To pin the exact behaviour,
this module computes the plan the documented rules give, so a check can compare the engine's
plan with it group by group. It imports nothing of the reference engine: it is the second,
independent computation a test needs.

The rules (README, the reference cluster's pragmas and distribution table):

- ``coordinator_only``: every group on the coordinator.
- ``round_robin``: group i on node (i + offset) mod n; no nodes or no groups -> local.
- ``weighted_round_robin``: longest processing time first (LPT): groups by size descending,
  equal sizes in group order (a stable sort), each to the node with the least load so far, equal
  loads to the lowest node index. Any unknown (negative) size -> round robin with the offset;
  size 0 is known. No nodes or no groups -> local.
- adaptive (also ``""`` and unknown values): the decision table of `invariants.adaptive_choice`,
  then the chosen strategy's rule above.
- coalescing, per source: at or below the threshold (or with coalescing off) each split is its
  own group; with any unknown size, contiguous chunks of ceil(n/8) splits in split order; else
  best-fit decreasing into bins of the target size, a split of the target size or more alone, at
  most 32 files a bin. Groups are numbered 0..m-1 in order of their smallest split id.

Where the written rules leave room, this module pins one reading (and the reference engine
agrees with each):

- Groups are numbered in plan order (their ids); nodes in the engine's node order (``GET /nodes``:
  ``node-1``, ``node-2``, ... by number), so "node i" is the i-th live node. An offset larger than
  the node count wraps (it is taken mod n).
- LPT's load of a node is the bytes of the groups given to it so far; a size-0 group still takes
  a turn (it goes to the least-loaded node like any other).
- Best fit: the bins a split fits are the bins of coalesced groups (never a split that stays
  alone) with at least its size free and either fewer than the file cap of distinct files or
  already holding a split of its file. Of those, the one with the least free bytes; equal free
  bytes go to the bin opened first. Splits are taken by size descending, equal sizes by split id.
  A split of size 0 fits a full bin.
- Unknown sizes: every chunk holds ceil(n/8) splits except the last, which holds the rest, so
  there are ceil(n / ceil(n/8)) groups: at most 8, and fewer for some n (33 splits give six
  chunks of 5 and a last one of 3).
- Sources are coalesced one by one, in the order of their split ids; a source's groups are
  numbered after the previous source's.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from lakeproof.properties.distribution import Shape
from lakeproof.properties.invariants import (
    COORDINATOR_ONLY,
    DESIGN_STRATEGIES,
    ROUND_ROBIN,
    WEIGHTED,
    CoalescingRules,
    adaptive_choice,
)

NodeIndex = int | None
"""A node's index in the engine's node order, or None for the coordinator."""


# -- coalescing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSplit:
    """A split as coalescing sees it: its id, size (negative: unknown), file and source."""

    id: int
    size: int
    file: str
    source: int = 0


def coalesced_groups(splits: Sequence[PlannedSplit], rules: CoalescingRules) -> list[tuple[int, ...]]:
    """The groups (split ids, ascending) coalescing makes of ``splits``, in group-id order."""
    by_source: dict[int, list[PlannedSplit]] = {}
    for split in sorted(splits, key=lambda s: s.id):
        by_source.setdefault(split.source, []).append(split)
    groups: list[tuple[int, ...]] = []
    for source_splits in by_source.values():  # insertion order: sources by their first split id
        groups += _coalesce_source(source_splits, rules)
    return groups


def _coalesce_source(splits: list[PlannedSplit], rules: CoalescingRules) -> list[tuple[int, ...]]:
    ids = [split.id for split in splits]
    if not rules.enabled or len(splits) <= rules.threshold:
        return [(split_id,) for split_id in ids]
    if any(split.size < 0 for split in splits):
        chunk = unknown_size_chunk(len(splits), rules)
        return [tuple(ids[start : start + chunk]) for start in range(0, len(ids), chunk)]
    bins = best_fit_decreasing(splits, rules)
    # Disjoint tuples of ascending ids sort by their first (smallest) id.
    return sorted(tuple(sorted(members)) for members in bins)


def unknown_size_chunk(count: int, rules: CoalescingRules) -> int:
    """Splits per contiguous chunk when a size is unknown: ceil(count / chunks)."""
    return math.ceil(count / rules.unknown_size_chunks)


@dataclass
class _Bin:
    """A bin being filled by best fit: the order it was opened in, free bytes, files, members."""

    opened: int
    free: int
    files: set[str] = field(default_factory=set)
    members: list[int] = field(default_factory=list)


def best_fit_decreasing(splits: Sequence[PlannedSplit], rules: CoalescingRules) -> list[list[int]]:
    """Bins of split ids by best-fit decreasing (all sizes known), in the order they were opened."""
    bins: list[_Bin] = []
    # Bins that still take a split of any file, keyed (free bytes, opened): the first key with
    # enough free bytes is the best fit, the earliest opened among equals.
    any_file: list[tuple[int, int]] = []
    # Bins at the file cap take only splits of files they hold: per file, the capped bins holding it.
    capped: dict[str, list[_Bin]] = {}
    for split in sorted(splits, key=lambda s: (-s.size, s.id)):
        if split.size >= rules.target_size:
            bins.append(_Bin(len(bins), 0, {split.file}, [split.id]))
            continue
        candidates = [b for b in capped.get(split.file, ()) if b.free >= split.size]
        at = bisect.bisect_left(any_file, (split.size, -1))
        if at < len(any_file):
            candidates.append(bins[any_file[at][1]])
        if candidates:
            chosen = min(candidates, key=lambda b: (b.free, b.opened))
        else:
            chosen = _Bin(len(bins), rules.target_size)
            bins.append(chosen)
        taking_any = len(chosen.files) < rules.max_files
        if taking_any and chosen.members:
            any_file.remove((chosen.free, chosen.opened))
        chosen.free -= split.size
        chosen.files.add(split.file)
        chosen.members.append(split.id)
        if len(chosen.files) < rules.max_files:
            bisect.insort(any_file, (chosen.free, chosen.opened))
        elif taking_any:  # it has just reached the cap
            for file in chosen.files:
                capped.setdefault(file, []).append(chosen)
    return [b.members for b in bins]


# -- assignment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedAssignment:
    """Where the documented rules put each group, with the strategy they use and why."""

    nodes: tuple[NodeIndex, ...]
    used: str
    rule: str


def round_robin(count: int, node_count: int, offset: int) -> tuple[NodeIndex, ...]:
    """Group i on node (i + offset) mod n."""
    return tuple((index + offset) % node_count for index in range(count))


def longest_processing_time(sizes: Sequence[int], node_count: int) -> tuple[NodeIndex, ...]:
    """LPT: largest first (equal sizes in group order), each to the least-loaded node (ties: lowest index)."""
    loads = [0] * node_count
    nodes: list[NodeIndex] = [None] * len(sizes)
    for group in lpt_order(sizes):
        node = min(range(node_count), key=lambda index: (loads[index], index))
        nodes[group] = node
        loads[node] += sizes[group]
    return tuple(nodes)


def lpt_order(sizes: Sequence[int]) -> list[int]:
    """Group indices in the order LPT takes them: size descending, equal sizes in group order."""
    return sorted(range(len(sizes)), key=lambda group: (-sizes[group], group))


def expected_assignment(
    sizes: Sequence[int], node_count: int, requested: str, shape: Shape, offset: int
) -> ExpectedAssignment:
    """The documented assignment of groups of ``sizes`` (negative: unknown) to ``node_count`` nodes."""
    count = len(sizes)
    local: tuple[NodeIndex, ...] = (None,) * count
    strategy = requested
    rule = ""
    if requested not in DESIGN_STRATEGIES or requested == "adaptive":
        strategy, rule = adaptive_choice(count, node_count, shape, all(size >= 0 for size in sizes))
        rule = f"adaptive picks {strategy} for {rule}; "
    if strategy == COORDINATOR_ONLY:
        return ExpectedAssignment(local, COORDINATOR_ONLY, rule + "every group on the coordinator")
    if node_count == 0 or count == 0:
        return ExpectedAssignment(local, COORDINATOR_ONLY, rule + "nothing to distribute: all local")
    if strategy == WEIGHTED and all(size >= 0 for size in sizes):
        return ExpectedAssignment(
            longest_processing_time(sizes, node_count),
            WEIGHTED,
            rule + "longest processing time first (groups by size descending, equal sizes in group "
            "order, each to the least-loaded node, equal loads to the lowest index)",
        )
    fallback = "an unknown size makes weighted round robin; " if strategy == WEIGHTED else ""
    return ExpectedAssignment(
        round_robin(count, node_count, offset),
        ROUND_ROBIN,
        f"{rule}{fallback}round robin from offset {offset} (group i on node (i + {offset}) mod {node_count})",
    )


# -- LPT quality -------------------------------------------------------------------------------


def makespan(sizes: Sequence[int], nodes: Sequence[NodeIndex], node_count: int) -> int:
    """The largest load of any node when group i of ``sizes`` is on ``nodes[i]``."""
    loads = [0] * node_count
    for size, node in zip(sizes, nodes, strict=True):
        if node is not None:
            loads[node] += size
    return max(loads, default=0)


def optimum_makespan(sizes: Sequence[int], node_count: int) -> int:
    """The smallest makespan any assignment of ``sizes`` to ``node_count`` nodes reaches (brute force).

    A depth-first search, largest sizes first, that never tries two empty nodes for one group
    (they are interchangeable) and abandons a branch once it cannot beat the best found. Meant for
    small instances (a dozen groups at most): its cost grows as node_count ** len(sizes).
    """
    if node_count < 1:
        raise ValueError(f"the optimum needs at least one node, got {node_count}")
    ordered = sorted(sizes, reverse=True)
    best = sum(ordered)  # everything on one node
    loads = [0] * node_count

    def place(index: int, current: int) -> None:
        nonlocal best
        if current >= best:
            return
        if index == len(ordered):
            best = current
            return
        tried_empty = False
        for node in range(node_count):
            if loads[node] == 0:
                if tried_empty:
                    continue
                tried_empty = True
            loads[node] += ordered[index]
            place(index + 1, max(current, loads[node]))
            loads[node] -= ordered[index]

    place(0, 0)
    return best


def lpt_quality_bound(node_count: int) -> Fraction:
    """Graham's bound on LPT: makespan <= (4/3 - 1/(3n)) * optimum, exactly, as a fraction."""
    return Fraction(4, 3) - Fraction(1, 3 * node_count)
