"""Reading profiles and plans: which node read an object, and with how many attempts."""

from __future__ import annotations

import re

import pytest

from lakeproof.compare.profile import attempts_of, node_of, split_ids_by_node, splits_of

SPLITS = [
    {"id": 0, "uri": "s3://lake/run-1/smoke/csv/part-0000.csv", "node": "node-1", "attempts": 1},
    {"id": 1, "uri": "s3://lake/run-1/smoke/csv/part-0001.csv", "node": "node-2", "attempts": 3},
    {"id": 2, "uri": "s3://lake/run-1/smoke/csv/part-0001.csv", "node": "node-2", "attempts": 2},
    {"id": 3, "uri": "s3://lake/run-1/smoke/csv/part-0002.csv", "node": "node-1", "attempts": 1},
]


def test_objects_are_found_by_key_or_by_uri() -> None:
    by_key = splits_of(SPLITS, "run-1/smoke/csv/part-0001.csv")
    assert [split["id"] for split in by_key] == [1, 2]
    assert splits_of(SPLITS, "s3://lake/run-1/smoke/csv/part-0001.csv") == by_key


def test_a_key_matches_whole_path_segments_only() -> None:
    # "art-0001.csv" is the end of a key but not a key of its own.
    with pytest.raises(AssertionError, match=re.escape("no split reads art-0001.csv")):
        splits_of(SPLITS, "art-0001.csv")


def test_attempts_are_summed_over_an_objects_splits() -> None:
    assert attempts_of(SPLITS, "run-1/smoke/csv/part-0001.csv") == 5
    assert attempts_of(SPLITS, "run-1/smoke/csv/part-0000.csv") == 1


def test_the_node_of_an_object() -> None:
    assert node_of(SPLITS, "run-1/smoke/csv/part-0002.csv") == "node-1"


def test_an_object_spread_over_nodes_has_no_single_node() -> None:
    spread = [*SPLITS[:2], {**SPLITS[2], "node": "node-3"}]
    with pytest.raises(AssertionError, match=r"read by several nodes \(node-2, node-3\)"):
        node_of(spread, "run-1/smoke/csv/part-0001.csv")


def test_an_unknown_object_lists_what_was_read() -> None:
    with pytest.raises(
        AssertionError,
        match=re.escape("no split reads x.csv; the splits read: s3://lake/run-1/smoke/csv/part-0000.csv"),
    ):
        splits_of(SPLITS, "x.csv")


def test_split_ids_by_node() -> None:
    assert split_ids_by_node(SPLITS) == {"node-1": [0, 3], "node-2": [1, 2]}
