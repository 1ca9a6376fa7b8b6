"""Profile invariants: hand-made profiles of correct and broken queries."""

from __future__ import annotations

from typing import Any

from lakeproof.properties.invariants import CoalescingRules
from lakeproof.properties.profile import ExpectedObject, coverage, profile_violations, reads, rows_conserved

A, B = "s3://lake/r/a.ndjson", "s3://lake/r/b.parquet"
OBJECTS = [ExpectedObject(A, 100, "ndjson"), ExpectedObject(B, 500, "parquet")]
NODES = ["node-1", "node-2"]


def split(
    id: int, group: int, uri: str, offset: int, length: int, node: str, rows: int | None = 10, **extra: Any
) -> dict[str, Any]:
    return {
        "id": id,
        "group": group,
        "uri": uri,
        "format": "parquet" if uri.endswith("parquet") else "ndjson",
        "offset": offset,
        "length": length,
        "size": length,
        "row_groups": extra.get("row_groups"),
        "node": node,
        "attempts": extra.get("attempts", 1),
        "rows": rows,
        "bytes": length,
    }


def answer(
    splits: list[dict[str, Any]], requested: str = "round_robin", used: str = "round_robin"
) -> dict[str, Any]:
    return {
        "columns": [],
        "values": [],
        "profile": {
            "strategy": {"requested": requested, "used": used, "reason": "by hand"},
            "shape": {"aggregation": True, "topn": False, "limit": None, "filter": False},
            "splits": splits,
            "missing_splits": [],
            "reassigned_from": {},
        },
    }


def good_splits() -> list[dict[str, Any]]:
    return [
        split(0, 0, A, 0, 60, "node-1"),
        split(1, 1, A, 60, 40, "node-2"),
        split(2, 2, B, 4, 200, "node-1", row_groups=[0]),
        split(3, 3, B, 204, 200, "node-2", row_groups=[1]),
    ]


def test_a_correct_profile_satisfies_every_invariant() -> None:
    violations = profile_violations(answer(good_splits()), NODES, OBJECTS, rows=40)
    assert violations == {
        "exactly_once": [],
        "every_split_read": [],
        "strategy_rules": [],
        "coalescing": [],
        "exact_coalescing": [],
        "exact_assignment": [],
        "objects_covered": [],
        "rows_conserved": [],
    }


def test_a_lost_group_shows_as_an_unread_object_or_missing_rows() -> None:
    without_a = answer(good_splits()[2:])
    assert coverage(without_a, OBJECTS) == ["1 of 2 objects are read by no split, e.g. s3://lake/r/a.ndjson"]
    assert rows_conserved(without_a, 40) == ["the splits produced 20 rows, but the objects hold 40"]
    # A Parquet file's last row groups lost: the profile alone cannot know how many row groups
    # the file has, but the rows the objects hold can.
    without_last_row_group = answer(good_splits()[:3])
    assert coverage(without_last_row_group, OBJECTS) == []
    assert rows_conserved(without_last_row_group, 40) == [
        "the splits produced 30 rows, but the objects hold 40"
    ]


def test_a_gap_or_overlap_in_byte_ranges_is_caught() -> None:
    gap = good_splits()
    gap[1] = split(1, 1, A, 70, 30, "node-2")
    assert coverage(answer(gap), OBJECTS) == ["bytes 60-70 of s3://lake/r/a.ndjson are in no split"]
    overlap = good_splits()
    overlap[1] = split(1, 1, A, 50, 50, "node-2")
    assert coverage(answer(overlap), OBJECTS) == [
        "bytes 50-60 of s3://lake/r/a.ndjson are in more than one split"
    ]
    short = good_splits()
    short[1] = split(1, 1, A, 60, 30, "node-2")
    assert coverage(answer(short), OBJECTS) == [
        "the splits of s3://lake/r/a.ndjson cover 90 of its 100 bytes"
    ]


def test_a_row_group_read_twice_or_skipped_is_caught() -> None:
    twice = good_splits()
    twice[3] = split(3, 3, B, 4, 200, "node-2", row_groups=[0])
    assert coverage(answer(twice), OBJECTS) == [
        "row group 0 of s3://lake/r/b.parquet is in more than one split"
    ]
    skipped = good_splits()
    skipped[3] = split(3, 3, B, 404, 90, "node-2", row_groups=[2])
    assert coverage(answer(skipped), OBJECTS) == ["row groups [1] of s3://lake/r/b.parquet are in no split"]
    whole_and_part = good_splits()
    whole_and_part[3] = split(3, 3, B, 0, 500, "node-2")
    assert coverage(answer(whole_and_part), OBJECTS) == [
        "s3://lake/r/b.parquet is read whole by one split and again by 1 other splits"
    ]


def test_an_object_outside_the_scan_is_caught() -> None:
    extra = [*good_splits(), split(4, 4, "s3://lake/other/c.ndjson", 0, 5, "node-1")]
    assert coverage(answer(extra), OBJECTS) == [
        "splits read 1 objects that are not part of the scan, e.g. s3://lake/other/c.ndjson"
    ]


def test_a_duplicated_split_breaks_exactly_once() -> None:
    doubled = [*good_splits(), good_splits()[0]]
    violations = profile_violations(answer(doubled), NODES, OBJECTS, rows=40)
    assert violations["exactly_once"] == [
        "1 splits are assigned more than once, e.g. split 0 2 times (groups 0, 0)"
    ]
    assert violations["rows_conserved"] == ["the splits produced 50 rows, but the objects hold 40"]


def test_a_split_never_read_is_caught_but_an_empty_one_needs_no_attempt() -> None:
    unread = good_splits()
    unread[1] = split(1, 1, A, 60, 40, "node-2", rows=None, attempts=0)
    assert reads(answer(unread)) == [
        "1 splits were assigned but never read, e.g. split 1 of s3://lake/r/a.ndjson on node-2 "
        "(0 attempts, rows None)"
    ]
    empty = [split(0, 0, A, 0, 0, "node-1", rows=0, attempts=0)]
    assert reads(answer(empty)) == []


def test_a_group_torn_over_two_nodes_is_caught() -> None:
    torn = good_splits()
    torn[1] = split(1, 0, A, 60, 40, "node-2")
    violations = profile_violations(answer(torn), NODES)
    assert violations["exactly_once"] == [
        "1 groups were read by several readers, e.g. group 0 by node-1, node-2; a group is read by one"
    ]


def test_strategy_bounds_use_the_live_nodes() -> None:
    all_on_one = [{**s, "node": "node-1"} for s in good_splits()]
    violations = profile_violations(answer(all_on_one), NODES)
    assert violations["strategy_rules"] == [
        "round_robin: node-1 reads 4 groups but node-2 reads 0; round robin counts may differ by at most 1",
        "round_robin: node-1 reads 4 groups, more than ceil(4 groups / 2 nodes) = 2",
    ]


def test_strategy_bounds_are_not_checked_after_a_node_was_lost() -> None:
    all_on_one = answer([{**s, "node": "node-1"} for s in good_splits()])
    all_on_one["profile"]["reassigned_from"] = {"node-2": [1, 3]}
    violations = profile_violations(all_on_one, NODES)
    assert (violations["strategy_rules"], violations["exact_assignment"]) == ([], [])
    all_on_one["profile"]["reassigned_from"] = {}
    assert profile_violations(all_on_one, NODES)["exact_assignment"] == [
        "round_robin: group 1 (40 bytes) is on node-1, but round robin from offset 0 (group i on node "
        "(i + 0) mod 2) puts it on node-2"
    ]


def test_coalescing_rules_follow_the_query_pragmas() -> None:
    merged = [{**s, "group": 0, "node": "node-1"} for s in good_splits()]
    rules = CoalescingRules.from_pragma(
        {"coalesce_threshold": 2, "coalesce_target_size": 1000, "max_attempts": 2}
    )
    assert (
        profile_violations(answer(merged, "coordinator_only", "coordinator_only"), NODES, rules=rules)[
            "coalescing"
        ]
        == []
    )
    assert profile_violations(answer(merged, "coordinator_only", "coordinator_only"), NODES)[
        "coalescing"
    ] == ["4 splits are at most the threshold (32), yet 1 groups hold several splits, e.g. group 0 with 4"]
