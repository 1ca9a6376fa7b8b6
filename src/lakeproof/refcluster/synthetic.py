"""Synthetic plans for ``POST /plan``: split sizes + node count + strategy, no data at all.

Property suites send thousands of these per second to check the distribution bounds against
the engine's real planning code (coalescing, then strategy assignment), so validation is strict
(a malformed body is the caller's mistake, reported in one line naming the field and value)
and the path is kept allocation-light.

Body::

    {"split_sizes": [int, ...], "nodes": int, "strategy": str, "shape": {"aggregation": bool,
     "topn": bool, "limit": int | null, "filter": bool}, "coalesce": bool, "offset": int}

``split_sizes`` and ``nodes`` are required; ``strategy`` defaults to adaptive, ``shape`` to a
plain scan, ``coalesce`` to false (so each size is one group unless asked) and ``offset`` to 0.
A size of -1 means unknown. Unknown keys are rejected, so a typo never silently means default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from lakeproof.errors import ConfigError
from lakeproof.refcluster.defects import NO_DEFECTS, Defects
from lakeproof.refcluster.model import DEFAULT_STRATEGY, UNKNOWN_SIZE, QueryShape, Split
from lakeproof.refcluster.splits import SplitOptions
from lakeproof.refcluster.strategies import node_loads

MAX_NODES = 1024
MAX_SPLITS = 1_000_000
_BODY_KEYS = frozenset({"split_sizes", "nodes", "strategy", "shape", "coalesce", "offset"})
_SHAPE_FLAGS = ("aggregation", "topn", "filter")
_SHAPE_KEYS = frozenset({*_SHAPE_FLAGS, "limit"})


def plan_synthetic(body: Mapping[str, Any], defects: Defects = NO_DEFECTS) -> dict[str, Any]:
    """Validate ``body``, coalesce if asked, assign, and return the JSON-ready plan.

    ``defects`` (none by default) makes the plan deliberately wrong, for the honesty tests.
    """
    if not isinstance(body, Mapping):
        raise ConfigError(f"plan body must be a JSON object, got {_short(body)}")
    if unknown := sorted(set(body) - _BODY_KEYS):
        raise ConfigError(f"unknown plan field {unknown[0]!r}; expected one of {sorted(_BODY_KEYS)}")
    sizes = _split_sizes(body.get("split_sizes"))
    nodes = _nodes(body.get("nodes"))
    strategy = body.get("strategy", DEFAULT_STRATEGY)
    if not isinstance(strategy, str):
        raise ConfigError(f"strategy must be a string, got {_short(strategy)}")
    shape = _shape(body.get("shape", {}))
    do_coalesce = body.get("coalesce", False)
    if not isinstance(do_coalesce, bool):
        raise ConfigError(f"coalesce must be true or false, got {_short(do_coalesce)}")
    offset = body.get("offset", 0)
    if not _is_int(offset):
        raise ConfigError(f"offset must be an integer, got {_short(offset)}")

    if do_coalesce:
        splits = [
            Split(id=i, uri=f"synthetic://split-{i}", format="parquet", offset=0, length=size, file_size=size)
            for i, size in enumerate(sizes)
        ]
        groups = defects.coalesce(splits, SplitOptions())
        group_sizes = [group.size for group in groups]
        members = [[split.id for split in group.splits] for group in groups]
    else:
        # Without coalescing every split is its own group: skip building objects nobody reads.
        group_sizes = sizes
        members = [[i] for i in range(len(sizes))]

    assignment = defects.assign(group_sizes, nodes, strategy, shape, offset)
    placements = defects.placements(assignment)
    placed_sizes = [group_sizes[index] for index, _ in placements]
    placed_nodes = [node for _, node in placements]
    coordinator_load = sum(
        size for size, node in zip(placed_sizes, placed_nodes, strict=True) if node is None and size > 0
    )
    return {
        "strategy": {"requested": assignment.requested, "used": assignment.used, "reason": assignment.reason},
        "warnings": list(assignment.warnings),
        "groups": [
            {"id": index, "splits": members[index], "size": group_sizes[index], "node": node}
            for index, node in placements
        ],
        "node_loads": node_loads(placed_sizes, placed_nodes, nodes),
        "coordinator_load": coordinator_load,
    }


def _is_int(value: object) -> TypeGuard[int]:
    # JSON true/false arrive as bool, a subclass of int; they are never a count or a size.
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _split_sizes(value: object) -> list[int]:
    if value is None:
        raise ConfigError("split_sizes is required: a list of split sizes in bytes (-1 = unknown)")
    if not isinstance(value, list):
        raise ConfigError(f"split_sizes must be a list of integers, got {_short(value)}")
    if len(value) > MAX_SPLITS:
        raise ConfigError(f"split_sizes has {len(value)} entries; at most {MAX_SPLITS} are allowed")
    for index, size in enumerate(value):
        if not _is_int(size):
            raise ConfigError(f"split_sizes[{index}] must be an integer, got {_short(size)}")
        if size < UNKNOWN_SIZE:
            raise ConfigError(f"split_sizes[{index}] must be >= -1 (-1 = unknown), got {size}")
    return value


def _nodes(value: object) -> int:
    if value is None:
        raise ConfigError("nodes is required: the number of data nodes (0 = coordinator only)")
    if not _is_int(value):
        raise ConfigError(f"nodes must be an integer, got {_short(value)}")
    if value < 0:
        raise ConfigError(f"nodes must be >= 0, got {value}")
    if value > MAX_NODES:
        raise ConfigError(f"nodes must be <= {MAX_NODES}, got {value}")
    return value


def _shape(value: object) -> QueryShape:
    if not isinstance(value, Mapping):
        raise ConfigError(f"shape must be an object, got {_short(value)}")
    if unknown := sorted(set(value) - _SHAPE_KEYS):
        raise ConfigError(f"unknown shape field {unknown[0]!r}; expected one of {sorted(_SHAPE_KEYS)}")
    for flag in _SHAPE_FLAGS:
        if not isinstance(value.get(flag, False), bool):
            raise ConfigError(f"shape.{flag} must be true or false, got {_short(value[flag])}")
    limit = value.get("limit")
    if limit is not None and (not _is_int(limit) or limit < 0):
        raise ConfigError(f"shape.limit must be a non-negative integer or null, got {_short(limit)}")
    return QueryShape(
        aggregation=value.get("aggregation", False),
        topn=value.get("topn", False),
        limit=limit,
        filter=value.get("filter", False),
    )
