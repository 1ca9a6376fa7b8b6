"""Distribution strategies: which node reads each split group (pragma ``external_distribution``).

The rules follow ES|QL's external sources exactly (docs/architecture.md: Distribution strategies):

- ``coordinator_only``: every group is read on the coordinator.
- ``round_robin``: group i -> node (i + offset) mod n; no nodes or no groups -> local.
- ``weighted_round_robin``: longest processing time first: sizes descending (stable sort), each
  to the least-loaded node, ties to the lowest index. Any unknown (negative) size -> round
  robin. Size 0 is known, so all-zero sizes all go to node 0, as the tie rule says. No nodes
  or no groups -> local.
- ``adaptive`` (the default, also ``""``): <= 1 group -> local; LIMIT-only (no filter,
  aggregation or TopN) -> local; no nodes -> local; aggregation / TopN, or more groups than
  nodes -> weighted if all sizes are known, else round robin; otherwise local.

An unknown value gives the warning ``unknown external_distribution pragma value [x]; falling
back to adaptive`` and adaptive, as ES|QL does. Values are matched exactly, case included
(``ROUND_ROBIN`` is unknown): the pragma is documented in lower case, and normalising here
would let suites pass against this engine with spellings a real cluster rejects.

"Local" means read on the coordinator; its used strategy is reported as ``coordinator_only``.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from lakeproof.errors import ConfigError
from lakeproof.refcluster.model import STRATEGIES, QueryShape, Strategy


@dataclass(frozen=True)
class Assignment:
    """Where each group is read, and why.

    ``nodes[i]`` is the node index (0..n-1) reading group i, or None for the coordinator.
    ``requested`` is the pragma value as given; ``used`` the strategy actually applied
    (never ``adaptive``); ``reason`` a sentence explaining the choice.
    """

    nodes: tuple[int | None, ...]
    requested: str
    used: Strategy
    reason: str
    warnings: tuple[str, ...] = ()


_Decision = tuple[tuple[int | None, ...], Strategy, str]
"""Per-group nodes, the strategy used, and the reason."""


def assign(
    sizes: Sequence[int], node_count: int, strategy: str, shape: QueryShape, offset: int = 0
) -> Assignment:
    """Assign groups of the given ``sizes`` (bytes, negative = unknown) to ``node_count`` nodes."""
    if node_count < 0:
        raise ConfigError(f"node count must be >= 0, got {node_count}")
    warnings: tuple[str, ...] = ()
    chosen = strategy
    if strategy not in STRATEGIES and strategy != "":
        warnings = (f"unknown external_distribution pragma value [{strategy}]; falling back to adaptive",)
        chosen = "adaptive"
    what = f"{len(sizes)} splits and {node_count} nodes"
    if chosen == "coordinator_only":
        decision: _Decision = (_local(sizes), "coordinator_only", f"coordinator_only: {what} -> all local")
    elif chosen == "round_robin":
        decision = _round_robin(sizes, node_count, offset, f"round_robin: {what}")
    elif chosen == "weighted_round_robin":
        decision = _weighted(sizes, node_count, offset, f"weighted_round_robin: {what}")
    else:
        decision = _adaptive(sizes, node_count, shape, offset, what)
    nodes, used, reason = decision
    return Assignment(nodes, strategy, used, reason, warnings)


def node_loads(sizes: Sequence[int], nodes: Sequence[int | None], node_count: int) -> list[int]:
    """Known bytes per node when group i of ``sizes`` is read by ``nodes[i]``; unknown sizes count
    0, local groups (None) are skipped."""
    loads = [0] * node_count
    for size, node in zip(sizes, nodes, strict=True):
        if node is not None and size > 0:
            loads[node] += size
    return loads


def _local(sizes: Sequence[int]) -> tuple[int | None, ...]:
    return (None,) * len(sizes)


def _round_robin(sizes: Sequence[int], node_count: int, offset: int, context: str) -> _Decision:
    if node_count == 0 or not sizes:
        return _local(sizes), "coordinator_only", f"{context} -> coordinator_only (nothing to distribute)"
    nodes = tuple((i + offset) % node_count for i in range(len(sizes)))
    return nodes, "round_robin", f"{context} -> round_robin from offset {offset}"


def _weighted(sizes: Sequence[int], node_count: int, offset: int, context: str) -> _Decision:
    if node_count == 0 or not sizes:
        return _local(sizes), "coordinator_only", f"{context} -> coordinator_only (nothing to distribute)"
    unknown = sum(1 for size in sizes if size < 0)
    if unknown:
        nodes, used, _ = _round_robin(sizes, node_count, offset, context)
        return nodes, used, f"{context} -> round_robin ({unknown} sizes unknown)"
    # Longest processing time first: the heap of (load, node) pops the least-loaded node, the
    # lowest index among equals; sorted() is stable, so equal sizes keep their order.
    heap = [(0, node) for node in range(node_count)]
    assigned: list[int | None] = [None] * len(sizes)
    for group in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        load, node = heapq.heappop(heap)
        assigned[group] = node
        heapq.heappush(heap, (load + sizes[group], node))
    return tuple(assigned), "weighted_round_robin", f"{context} -> weighted_round_robin (all sizes known)"


def _adaptive(sizes: Sequence[int], node_count: int, shape: QueryShape, offset: int, what: str) -> _Decision:
    count = len(sizes)
    if count <= 1:
        why = f"at most one split ({what})"
    elif shape.limit_only:
        why = f"LIMIT {shape.limit} without filter, aggregation or TopN over {what}"
    elif node_count == 0:
        why = f"no eligible nodes ({what})"
    elif shape.aggregation or shape.topn or count > node_count:
        label = "aggregation" if shape.aggregation else "TopN" if shape.topn else "more splits than nodes"
        # Weighted falls back to round robin by itself when a size is unknown.
        return _weighted(sizes, node_count, offset, f"adaptive: {label} over {what}")
    else:
        why = f"no aggregation or TopN and no more splits than nodes ({what})"
    return _local(sizes), "coordinator_only", f"adaptive: {why} -> coordinator_only"
