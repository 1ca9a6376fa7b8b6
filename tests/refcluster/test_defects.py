"""The deliberate engine defects do what their names say, and only when named."""

from __future__ import annotations

import duckdb
import pytest

from lakeproof.errors import ConfigError
from lakeproof.refcluster.defects import DEFECTS, NO_DEFECTS, Defects, Glob, Memory
from lakeproof.refcluster.model import FileInfo, QueryShape, RetryPolicy, Split, SplitGroup
from lakeproof.refcluster.splits import SplitOptions
from lakeproof.refcluster.strategies import assign
from lakeproof.refcluster.synthetic import plan_synthetic

from .memory_reader import MemoryReader

SCAN = QueryShape(aggregation=False, topn=False, limit=None, filter=False)


def test_unknown_defect_is_named_with_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown engine defect 'drop_splits'; known defects: drop_split, "
    ):
        Defects.parse(["drop_splits"])


def test_every_documented_defect_parses() -> None:
    assert Defects.parse([" drop_split ", ""]).names == {"drop_split"}
    assert Defects.parse(DEFECTS).names == set(DEFECTS)


def test_no_defects_place_every_group_once() -> None:
    assignment = assign([10, 20, 30], 2, "round_robin", SCAN)
    assert NO_DEFECTS.placements(assignment) == [(0, 0), (1, 1), (2, 0)]
    assert NO_DEFECTS.skew(assignment) == assignment


def test_drop_split_loses_a_group_and_duplicate_split_repeats_one() -> None:
    assignment = assign([10, 20, 30], 2, "round_robin", SCAN)
    assert Defects.parse(["drop_split"]).placements(assignment) == [(0, 0), (1, 1)]
    assert Defects.parse(["duplicate_split"]).placements(assignment) == [(0, 0), (1, 1), (2, 0), (0, 0)]


def test_unbalanced_round_robin_only_skews_round_robin() -> None:
    defects = Defects.parse(["unbalanced_round_robin"])
    assert defects.skew(assign([1, 2, 3, 4], 2, "round_robin", SCAN)).nodes == (0, 0, 0, 0)
    weighted = assign([1, 2, 3, 4], 2, "weighted_round_robin", SCAN)
    assert defects.skew(weighted) == weighted


def test_retry_defects_weaken_the_policy() -> None:
    policy = RetryPolicy()
    assert NO_DEFECTS.retry_policy(policy) == policy
    assert Defects.parse(["single_attempt"]).retry_policy(policy).max_attempts == 1
    assert Defects.parse(["retry_client_errors"]).retry_policy(policy).extra_retryable_statuses == {403, 404}


def test_average_of_averages_gives_the_wrong_average() -> None:
    # Two nodes' partials for one group: (sum 10, count 1) and (sum 20, count 4).
    partials = "(VALUES (10, 1), (20, 4)) AS t(__lp_p0, __lp_p1)"
    correct = f"SELECT SUM(__lp_p0) / SUM(__lp_p1) AS a FROM {partials}"
    defective = Defects.parse(["average_of_averages"]).merge_sql(correct)
    assert NO_DEFECTS.merge_sql(correct) == correct
    assert duckdb.sql(correct).fetchone() == (6.0,)
    assert duckdb.sql(defective).fetchone() == (7.5,)


def test_no_pushdown_drops_projection_and_predicates() -> None:
    defects = Defects.parse(["no_pushdown"])
    assert defects.scan_columns(["a"]) is None
    assert defects.scan_predicates(["a > 1"]) == ()
    assert NO_DEFECTS.scan_columns(["a"]) == ("a",)
    assert NO_DEFECTS.scan_predicates(["a > 1"]) == ("a > 1",)


def test_synthetic_plans_show_the_distribution_defects() -> None:
    body = {"split_sizes": [5, 6, 7], "nodes": 2, "strategy": "round_robin"}
    correct = plan_synthetic(body)
    dropped = plan_synthetic(body, Defects.parse(["drop_split"]))
    duplicated = plan_synthetic(body, Defects.parse(["duplicate_split"]))
    assert [group["id"] for group in correct["groups"]] == [0, 1, 2]
    assert [group["id"] for group in dropped["groups"]] == [0, 1]
    assert sum(dropped["node_loads"]) == 5 + 6
    assert [group["id"] for group in duplicated["groups"]] == [0, 1, 2, 0]
    assert sum(duplicated["node_loads"]) == 5 + 6 + 7 + 5


def test_stale_listing_keeps_the_first_listing_of_a_glob() -> None:
    listings = iter([[FileInfo("s3://lake/t/a.csv", "csv", 5)], []])
    memory = Memory()
    stale = Defects.parse(["stale_listing"])
    glob: Glob = ("s3://lake/t/*.csv", "csv")
    first = stale.listing(memory, glob, lambda: next(listings))
    assert stale.listing(memory, glob, lambda: next(listings)) == first
    assert NO_DEFECTS.listing(Memory(), glob, lambda: next(listings)) == []


def test_stale_parquet_footer_shares_the_footers_across_queries() -> None:
    memory = Memory()
    assert NO_DEFECTS.footer_cache(memory) is None
    assert Defects.parse(["stale_parquet_footer"]).footer_cache(memory) is memory.footers


TEXT = b'{"a":1}\n{"a":2}\n{"a":3}'
URI = "s3://lake/t/f.ndjson"


def split_at(offset: int) -> Split:
    return Split(
        id=1, uri=URI, format="ndjson", offset=offset, length=len(TEXT) - offset, file_size=len(TEXT)
    )


def test_drop_unterminated_last_record_loses_the_last_record_only() -> None:
    defective = Defects.parse(["drop_unterminated_last_record"])
    assert NO_DEFECTS.read_text_split(MemoryReader({URI: TEXT}), split_at(0)) == TEXT
    assert defective.read_text_split(MemoryReader({URI: TEXT}), split_at(0)) == b'{"a":1}\n{"a":2}\n'
    terminated = TEXT + b"\n"
    whole = Split(id=0, uri=URI, format="ndjson", offset=0, length=len(terminated), file_size=len(terminated))
    assert defective.read_text_split(MemoryReader({URI: terminated}), whole) == terminated


def test_skip_record_at_cut_loses_a_record_starting_on_the_cut() -> None:
    defective = Defects.parse(["skip_record_at_cut"])
    second = TEXT.index(b'{"a":2}')
    assert NO_DEFECTS.read_text_split(MemoryReader({URI: TEXT}), split_at(second)) == TEXT[second:]
    assert defective.read_text_split(MemoryReader({URI: TEXT}), split_at(second)) == b'{"a":3}'
    # A cut anywhere else is read as a correct reader reads it.
    assert defective.read_text_split(MemoryReader({URI: TEXT}), split_at(second + 2)) == b'{"a":3}'


def test_csv_lf_line_ends_only_pins_the_line_end_of_csv_scans() -> None:
    defective = Defects.parse(["csv_lf_line_ends_only"])
    assert defective.scan_options("csv", "header=true") == "header=true, new_line='\\n'"
    assert defective.scan_options("ndjson", "format='newline_delimited'") == "format='newline_delimited'"
    assert NO_DEFECTS.scan_options("csv", "header=true") == "header=true"


def test_weighted_in_file_order_skips_the_largest_first_sort() -> None:
    # Correct LPT on 2 nodes: 7 -> node 0, 5 -> node 1, 3 -> node 1 (loads 7, 5).
    assert assign([3, 5, 7], 2, "weighted_round_robin", SCAN).nodes == (1, 1, 0)
    # In file order: 3 -> node 0, 5 -> node 1, 7 -> node 0 (loads 3, 5).
    defects = Defects.parse(["weighted_in_file_order"])
    defective = defects.assign([3, 5, 7], 2, "weighted_round_robin", SCAN, 0)
    assert defective.nodes == (0, 1, 0)
    assert defective.used == "weighted_round_robin"


def test_weighted_ties_to_highest_node_only_changes_ties() -> None:
    defects = Defects.parse(["weighted_ties_to_highest_node"])
    # 4 -> node 2 (all loads 0: the highest), 1 -> node 1 (0, 0 left: the highest).
    assert defects.assign([4, 1], 3, "weighted_round_robin", SCAN, 0).nodes == (2, 1)
    # Round robin is untouched.
    assert defects.assign([4, 1], 3, "round_robin", SCAN, 0).nodes == (0, 1)


def test_round_robin_ignores_offset_starts_at_node_zero() -> None:
    assert NO_DEFECTS.assign([1, 1, 1], 2, "round_robin", SCAN, 1).nodes == (1, 0, 1)
    defects = Defects.parse(["round_robin_ignores_offset"])
    assert defects.assign([1, 1, 1], 2, "round_robin", SCAN, 1).nodes == (0, 1, 0)


def _ids(groups: list[SplitGroup]) -> list[list[int]]:
    return [[split.id for split in group.splits] for group in groups]


def _splits(sizes: list[int]) -> list[Split]:
    return [Split(i, f"s3://lake/{i}", "parquet", 0, size, max(size, 0)) for i, size in enumerate(sizes)]


def test_coalesce_first_fit_takes_the_first_bin_with_room() -> None:
    # Bins of 10: 7 -> A (3 free), 4 -> B (6 free), 4 -> B (2 free); 1 fits A and B: best fit B,
    # first fit A.
    options = SplitOptions(coalesce_threshold=1, coalesce_target_size=10)
    assert _ids(NO_DEFECTS.coalesce(_splits([7, 4, 4, 1]), options)) == [[0], [1, 2, 3]]
    first_fit = Defects.parse(["coalesce_first_fit"]).coalesce(_splits([7, 4, 4, 1]), options)
    assert _ids(first_fit) == [[0, 3], [1, 2]]


def test_unknown_size_remainder_in_last_chunk_makes_eight_chunks_of_the_floor() -> None:
    sizes = [1] * 33
    sizes[0] = -1
    # Correct: ceil(33/8) = 5 a chunk, the last holding 3. Defective: 33 // 8 = 4, the last 4 + 1.
    correct = _ids(NO_DEFECTS.coalesce(_splits(sizes), SplitOptions()))
    assert [len(group) for group in correct] == [5] * 6 + [3]
    defects = Defects.parse(["unknown_size_remainder_in_last_chunk"])
    defective = _ids(defects.coalesce(_splits(sizes), SplitOptions()))
    assert [len(group) for group in defective] == [4] * 7 + [5]
    assert [split for group in defective for split in group] == list(range(33))
