"""A plan or a profile seen the same way: groups of splits, each read by one node or the coordinator.

Synthetic ``/plan`` answers list groups (``{"id", "splits", "size", "node"}`` with node indices);
query profiles list splits (``{"id", "group", "uri", "size", "node", ...}`` with node names). Both
become a `Distribution`, so each invariant is written once and checks both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

UNKNOWN_SIZE = -1
"""The size the coordinator API gives a split or group whose size is not known."""

COORDINATOR = "coordinator"
"""How a profile names the coordinator when it reads a split itself."""


@dataclass(frozen=True)
class Shape:
    """What the adaptive strategy knows about a query (docs/architecture.md: Distribution strategies)."""

    aggregation: bool = False
    topn: bool = False
    limit: int | None = None
    filter: bool = False

    @classmethod
    def from_json(cls, shape: Mapping[str, Any] | None) -> Shape:
        """The shape of a ``/plan`` request or a profile (missing fields: a plain scan)."""
        shape = shape or {}
        return cls(
            bool(shape.get("aggregation", False)),
            bool(shape.get("topn", False)),
            shape.get("limit"),
            bool(shape.get("filter", False)),
        )

    @property
    def limit_only(self) -> bool:
        """A bare LIMIT: no filter, aggregation or TopN."""
        return self.limit is not None and not (self.filter or self.aggregation or self.topn)


@dataclass(frozen=True)
class Group:
    """Splits read together by one reader.

    ``node`` is a data node's name, or None when the coordinator reads the group itself.
    ``readers`` lists every reader the splits were seen on (one, unless the group was torn apart).
    """

    id: int
    splits: tuple[int, ...]
    size: int
    node: str | None
    files: frozenset[str]
    readers: tuple[str | None, ...] = ()

    @property
    def known_size(self) -> int:
        """Bytes that count as load: the size, or 0 if unknown."""
        return max(self.size, 0)


@dataclass(frozen=True)
class Distribution:
    """Where every group of one plan is read, and what the engine said about its choice.

    ``split_sizes`` holds every split the engine was given (id -> bytes, UNKNOWN_SIZE if not known):
    for a synthetic plan the request's list, for a profile the splits it lists.
    ``reported_loads`` are the per-node loads a synthetic plan reports (None for a profile).
    ``split_sources`` names the source (FROM item) of each split, 0 if not given: coalescing works
    per source. ``offset`` is where round robin starts (request field ``offset``, pragma
    ``round_robin_offset``). ``nodes`` are in the engine's node order: node index i is ``nodes[i]``.
    """

    requested: str
    used: str
    warnings: tuple[str, ...]
    nodes: tuple[str, ...]
    groups: tuple[Group, ...]
    split_sizes: Mapping[int, int]
    split_files: Mapping[int, str]
    shape: Shape = Shape()
    reported_loads: Mapping[str | None, int] | None = None
    split_sources: Mapping[int, int] = field(default_factory=dict)
    offset: int = 0

    def loads(self) -> dict[str, int]:
        """Known bytes each data node reads (every node listed, 0 if it reads nothing)."""
        loads = dict.fromkeys(self.nodes, 0)
        for group in self.groups:
            if group.node is not None:
                loads[group.node] = loads.get(group.node, 0) + group.known_size
        return loads

    def group_counts(self) -> dict[str, int]:
        """Groups each data node reads (every node listed, 0 if it reads nothing)."""
        counts = dict.fromkeys(self.nodes, 0)
        for group in self.groups:
            if group.node is not None:
                counts[group.node] = counts.get(group.node, 0) + 1
        return counts

    @property
    def all_sizes_known(self) -> bool:
        """Whether every group's size is known (weighted strategies need that)."""
        return all(group.size >= 0 for group in self.groups)


def synthetic_node_name(index: int) -> str:
    """How messages name node ``index`` of a synthetic plan."""
    return f"node {index}"


def from_synthetic_plan(request: Mapping[str, Any], plan: Mapping[str, Any]) -> Distribution:
    """The distribution a ``/plan`` answer describes for a synthetic ``request``.

    Each synthetic split is its own file (``split-<i>``), as the coordinator API documents.
    """
    sizes: Sequence[int] = request["split_sizes"]
    node_count: int = request["nodes"]
    names = tuple(synthetic_node_name(index) for index in range(node_count))
    groups = []
    for group in plan["groups"]:
        node = group["node"]
        name = synthetic_node_name(node) if node is not None else None
        members = tuple(group["splits"])
        groups.append(
            Group(
                id=group["id"],
                splits=members,
                size=group["size"],
                node=name,
                files=frozenset(f"split-{split}" for split in members),
                readers=(name,),
            )
        )
    reported: dict[str | None, int] = {
        synthetic_node_name(index): load for index, load in enumerate(plan["node_loads"])
    }
    reported[None] = plan["coordinator_load"]
    return Distribution(
        requested=plan["strategy"]["requested"],
        used=plan["strategy"]["used"],
        warnings=tuple(plan.get("warnings", ())),
        nodes=names,
        groups=tuple(groups),
        split_sizes=dict(enumerate(sizes)),
        split_files={index: f"split-{index}" for index in range(len(sizes))},
        shape=Shape.from_json(request.get("shape")),
        reported_loads=reported,
        offset=int(request.get("offset", 0)),
    )


def from_answer(answer: Mapping[str, Any], nodes: Sequence[str], offset: int = 0) -> Distribution:
    """The distribution in a query answer's profile; ``nodes`` are the data nodes it could use, in
    the engine's node order (``GET /nodes``), ``offset`` the query's ``round_robin_offset``.

    Splits are gathered into groups by their ``group`` id in order of appearance; a split listed
    twice stays listed twice, so the exactly-once check sees it.
    """
    profile = answer["profile"]
    members: dict[int, list[Mapping[str, Any]]] = {}
    for split in profile["splits"]:
        members.setdefault(int(split["group"]), []).append(split)
    groups = []
    for group_id, splits in members.items():
        readers = tuple(dict.fromkeys(_reader(split["node"]) for split in splits))
        sizes = [int(split["size"]) for split in splits]
        groups.append(
            Group(
                id=group_id,
                splits=tuple(int(split["id"]) for split in splits),
                size=UNKNOWN_SIZE if any(size < 0 for size in sizes) else sum(sizes),
                node=readers[0],
                files=frozenset(str(split["uri"]) for split in splits),
                readers=readers,
            )
        )
    strategy = profile.get("strategy", {})
    return Distribution(
        requested=str(strategy.get("requested", "")),
        used=str(strategy.get("used", "")),
        warnings=tuple(answer.get("warnings", ())),
        nodes=tuple(nodes),
        groups=tuple(groups),
        split_sizes={int(split["id"]): int(split["size"]) for split in profile["splits"]},
        split_files={int(split["id"]): str(split["uri"]) for split in profile["splits"]},
        shape=Shape.from_json(profile.get("shape")),
        split_sources={int(split["id"]): int(split.get("source", 0)) for split in profile["splits"]},
        offset=offset,
    )


def _reader(node: object) -> str | None:
    return None if node in (None, COORDINATOR) else str(node)
