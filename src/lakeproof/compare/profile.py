"""Reading an answer's profile (or a dry-run plan): which node read an object, with how many attempts.

Profiles and plans list splits as ``{"uri", "node", "attempts", ...}`` (docs/architecture.md,
"Coordinator API"). Objects are named by their full key or their ``s3://`` URI, as the dataset keywords give
them.

>>> splits = [{"uri": "s3://lake/r/a.csv", "node": "node-2", "attempts": 3}]
>>> node_of(splits, "r/a.csv"), attempts_of(splits, "r/a.csv")
('node-2', 3)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Split = Mapping[str, Any]


def _is_object(split: Split, name: str) -> bool:
    uri = str(split["uri"])
    return uri == name or uri.endswith(f"/{name}")


def splits_of(splits: Sequence[Split], name: str) -> list[Split]:
    """The splits of object ``name`` (a full key or an ``s3://`` URI); AssertionError if none."""
    found = [split for split in splits if _is_object(split, name)]
    if not found:
        raise AssertionError(f"no split reads {name}; the splits read: {_objects(splits)}")
    return found


def _objects(splits: Sequence[Split]) -> str:
    return ", ".join(sorted({str(split["uri"]) for split in splits})) or "nothing"


def node_of(splits: Sequence[Split], name: str) -> str:
    """The node that reads object ``name``; AssertionError if its splits are spread over several."""
    nodes = sorted({str(split["node"]) for split in splits_of(splits, name)})
    if len(nodes) != 1:
        raise AssertionError(f"{name} is read by several nodes ({', '.join(nodes)}), not by one")
    return nodes[0]


def attempts_of(splits: Sequence[Split], name: str) -> int:
    """Storage read attempts made for object ``name``, over all its splits."""
    return sum(int(split["attempts"]) for split in splits_of(splits, name))


def split_ids_by_node(splits: Sequence[Split]) -> dict[str, list[int]]:
    """Split ids per node that read them, nodes in order of first appearance."""
    by_node: dict[str, list[int]] = {}
    for split in splits:
        by_node.setdefault(str(split["node"]), []).append(int(split["id"]))
    return by_node
