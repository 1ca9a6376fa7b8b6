"""Invariants of a real query's profile: the distribution rules, plus what only real data shows.

A profile lists every split with its object (``uri``), byte range or Parquet row groups, group,
node, attempts and rows. Besides the distribution invariants (`invariants`), a profile must show
that every object of the scan was read exactly once: byte ranges of a CSV/NDJSON object tile it
without gap or overlap, a Parquet object's row groups are read once each, every split was read
(at least one attempt, a row count), and the rows add up to what the objects hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lakeproof.properties.distribution import from_answer
from lakeproof.properties.exact import exact_assignment, exact_coalescing
from lakeproof.properties.invariants import CoalescingRules, coalescing, exactly_once, strategy_rules

Split = Mapping[str, Any]


@dataclass(frozen=True)
class ExpectedObject:
    """An object the query scans: its URI, size in bytes and format."""

    uri: str
    size: int
    format: str


def _splits(answer: Mapping[str, Any]) -> list[Split]:
    splits: list[Split] = answer["profile"]["splits"]
    return splits


def _missing(answer: Mapping[str, Any]) -> set[int]:
    return set(answer["profile"].get("missing_splits", ()))


def coverage(answer: Mapping[str, Any], objects: Sequence[ExpectedObject]) -> list[str]:
    """Every expected object is read once: byte ranges tile it, row groups appear once, nothing else read."""
    by_file: dict[str, list[Split]] = {}
    for split in _splits(answer):
        by_file.setdefault(str(split["uri"]), []).append(split)
    expected = {obj.uri: obj for obj in objects}
    found = []
    unread = [obj.uri for obj in objects if obj.uri not in by_file]
    if unread:
        found.append(f"{len(unread)} of {len(objects)} objects are read by no split, e.g. {unread[0]}")
    foreign = sorted(set(by_file) - set(expected))
    if foreign:
        found.append(f"splits read {len(foreign)} objects that are not part of the scan, e.g. {foreign[0]}")
    for uri, splits in by_file.items():
        obj = expected.get(uri)
        if obj is None:
            continue
        problem = _parquet_problem(obj, splits) if obj.format == "parquet" else _range_problem(obj, splits)
        if problem:
            found.append(problem)
    return found


def _range_problem(obj: ExpectedObject, splits: Sequence[Split]) -> str | None:
    """Byte ranges of a text object must cover 0..size exactly once."""
    position = 0
    for split in sorted(splits, key=lambda s: (int(s["offset"]), int(s["length"]))):
        start, length = int(split["offset"]), int(split["length"])
        if length < 0:  # unknown length: the split reads to the end of the object
            length = obj.size - start
        if start > position:
            return f"bytes {position}-{start} of {obj.uri} are in no split"
        if start < position:
            return f"bytes {start}-{min(position, start + length)} of {obj.uri} are in more than one split"
        position = start + length
    if position != obj.size:
        return f"the splits of {obj.uri} cover {position} of its {obj.size} bytes"
    return None


def _parquet_problem(obj: ExpectedObject, splits: Sequence[Split]) -> str | None:
    """A Parquet object is one whole-file split, or row-group splits naming each row group once."""
    whole = [split for split in splits if split.get("row_groups") is None]
    if whole and len(splits) > 1:
        return f"{obj.uri} is read whole by one split and again by {len(splits) - 1} other splits"
    seen: set[int] = set()
    for split in splits:
        for row_group in split.get("row_groups") or ():
            if row_group in seen:
                return f"row group {row_group} of {obj.uri} is in more than one split"
            seen.add(row_group)
    if seen and seen != set(range(len(seen))):
        gaps = sorted(set(range(max(seen) + 1)) - seen)
        return f"row groups {gaps[:5]} of {obj.uri} are in no split"
    return None


def reads(answer: Mapping[str, Any]) -> list[str]:
    """Every split not reported missing was read: a row count, and an attempt unless it holds no bytes."""
    missing = _missing(answer)
    unread = [
        split
        for split in _splits(answer)
        if split["id"] not in missing
        and (split.get("rows") is None or (int(split.get("attempts") or 0) < 1 and int(split["length"]) != 0))
    ]
    if not unread:
        return []
    first = unread[0]
    return [
        f"{len(unread)} splits were assigned but never read, e.g. split {first['id']} of {first['uri']} "
        f"on {first['node']} ({first.get('attempts', 0)} attempts, rows {first.get('rows')})"
    ]


def rows_conserved(answer: Mapping[str, Any], rows: int) -> list[str]:
    """The splits' rows add up to ``rows``, what the objects hold (for queries that prune nothing)."""
    produced = sum(int(split.get("rows") or 0) for split in _splits(answer))
    if produced == rows:
        return []
    return [f"the splits produced {produced:,} rows, but the objects hold {rows:,}"]


def profile_violations(
    answer: Mapping[str, Any],
    nodes: Sequence[str],
    objects: Sequence[ExpectedObject] | None = None,
    rows: int | None = None,
    rules: CoalescingRules | None = None,
    offset: int = 0,
) -> dict[str, list[str]]:
    """Every invariant of the profile of ``answer`` by name, with its violations ([] if it holds).

    ``nodes`` are the data nodes the query could use, in the engine's node order; ``objects`` the
    objects it scans (one source); ``rows`` what they hold; ``rules`` and ``offset`` the query's
    coalescing pragmas and ``round_robin_offset``. The groups must be exactly the documented
    coalescing of the profile's splits, and each group on exactly the node the documented
    strategy puts it on. Strategy rules are not checked when nodes were lost during the query
    (splits reassigned or missing): the plan was then changed on purpose.
    """
    plan = from_answer(answer, nodes, offset)
    profile = answer["profile"]
    disturbed = bool(profile.get("reassigned_from")) or bool(profile.get("missing_splits"))
    results: dict[str, list[str]] = {
        "exactly_once": exactly_once(plan),
        "every_split_read": reads(answer),
        "strategy_rules": [] if disturbed else strategy_rules(plan),
        "coalescing": coalescing(plan, rules),
        "exact_coalescing": exact_coalescing(plan, rules),
        "exact_assignment": [] if disturbed else exact_assignment(plan),
    }
    if objects is not None:
        results["objects_covered"] = coverage(answer, objects)
    if rows is not None:
        results["rows_conserved"] = rows_conserved(answer, rows)
    return results
