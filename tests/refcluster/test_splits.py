"""Split planning: Parquet row-group merging, NDJSON/CSV byte ranges, ids, validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeproof.errors import ConfigError
from lakeproof.refcluster.model import UNKNOWN_SIZE, FileInfo
from lakeproof.refcluster.splits import RowGroupInfo, SplitOptions, plan_splits

MIB = 1024 * 1024


def _row_groups(lengths: list[int], rows: int = 10, start: int = 4) -> list[RowGroupInfo]:
    """Contiguous row groups after the 4-byte Parquet magic."""
    groups = []
    offset = start
    for index, length in enumerate(lengths):
        groups.append(RowGroupInfo(index, offset, length, rows))
        offset += length
    return groups


def test_small_parquet_file_is_one_whole_file_split_with_summed_rows() -> None:
    file = FileInfo("s3://lake/a.parquet", "parquet", 1000)
    [split] = plan_splits([file], {file.uri: _row_groups([300, 300, 300])}, {})
    assert (split.offset, split.length, split.row_groups, split.rows) == (0, 1000, None, 30)


def test_empty_parquet_file_is_one_split_with_zero_rows() -> None:
    file = FileInfo("s3://lake/empty.parquet", "parquet", 300)
    [split] = plan_splits([file], {file.uri: []}, {})
    assert (split.offset, split.length, split.row_groups, split.rows) == (0, 300, None, 0)


def test_parquet_without_footer_is_one_split_of_unknown_rows() -> None:
    file = FileInfo("s3://lake/a.parquet", "parquet", 100 * MIB)
    [split] = plan_splits([file], {}, {})
    assert (split.length, split.row_groups, split.rows) == (100 * MIB, None, None)


def test_parquet_row_groups_merge_toward_target() -> None:
    file = FileInfo("s3://lake/big.parquet", "parquet", 100 * MIB)
    groups = _row_groups([10 * MIB] * 9)
    splits = plan_splits([file], {file.uri: groups}, {})
    assert [s.row_groups for s in splits] == [(0, 1, 2), (3, 4, 5), (6, 7, 8)]
    assert [s.rows for s in splits] == [30, 30, 30]
    assert splits[1].offset == groups[3].offset
    assert splits[1].length == 30 * MIB


def test_parquet_keeps_two_splits_when_all_row_groups_would_fit_the_target() -> None:
    # The footer makes the file larger than the target though its row groups are not.
    file = FileInfo("s3://lake/big.parquet", "parquet", 33 * MIB)
    splits = plan_splits([file], {file.uri: _row_groups([10 * MIB, 10 * MIB, 10 * MIB])}, {})
    assert [s.row_groups for s in splits] == [(0, 1), (2,)]


def test_parquet_row_group_larger_than_target_stays_alone() -> None:
    file = FileInfo("s3://lake/big.parquet", "parquet", 200 * MIB)
    splits = plan_splits([file], {file.uri: _row_groups([5 * MIB, 100 * MIB, 5 * MIB, 5 * MIB])}, {})
    assert [s.row_groups for s in splits] == [(0,), (1,), (2, 3)]


@given(
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=30),
    target=st.integers(1, 100),
)
def test_parquet_splits_cover_every_row_group_once_in_order(lengths: list[int], target: int) -> None:
    groups = _row_groups(lengths, rows=3)
    file = FileInfo("s3://lake/p.parquet", "parquet", sum(lengths) + 8)
    splits = plan_splits([file], {file.uri: groups}, {}, SplitOptions(parquet_target_size=target))
    assert sum(s.rows or 0 for s in splits) == 3 * len(lengths)
    if file.size <= target:
        assert len(splits) == 1
        return
    covered = [index for s in splits for index in s.row_groups or ()]
    assert covered == list(range(len(lengths)))
    if len(lengths) >= 2:
        assert len(splits) >= 2
    for split in splits:
        assert split.length <= target or len(split.row_groups or ()) == 1


@given(size=st.integers(0, 1000), target=st.integers(1, 300))
def test_ndjson_byte_ranges_tile_the_file(size: int, target: int) -> None:
    file = FileInfo("s3://lake/a.ndjson", "ndjson", size)
    splits = plan_splits([file], {}, {}, SplitOptions(target_split_size=target))
    assert [s.offset for s in splits] == list(range(0, max(size, 1), target))
    assert sum(s.length for s in splits) == size
    assert all(s.length > 0 for s in splits) or (size == 0 and len(splits) == 1)
    assert all(s.length == target for s in splits[:-1])
    assert all(s.header is None and s.file_size == size for s in splits)


def test_ndjson_last_range_takes_the_remainder() -> None:
    file = FileInfo("s3://lake/a.ndjson", "ndjson", 100)
    splits = plan_splits([file], {}, {}, SplitOptions(target_split_size=64))
    assert [(s.offset, s.length) for s in splits] == [(0, 64), (64, 36)]


def test_empty_ndjson_file_is_one_zero_length_split() -> None:
    [split] = plan_splits([FileInfo("s3://lake/e.ndjson", "ndjson", 0)], {}, {})
    assert (split.offset, split.length) == (0, 0)


def test_file_of_unknown_size_is_one_split_of_unknown_size() -> None:
    [split] = plan_splits([FileInfo("s3://lake/u.ndjson", "ndjson", UNKNOWN_SIZE)], {}, {})
    assert split.size == UNKNOWN_SIZE


def test_csv_is_one_split_per_file_by_default() -> None:
    file = FileInfo("s3://lake/a.csv", "csv", 1000)
    [split] = plan_splits([file], {}, {file.uri: "a,b"}, SplitOptions(target_split_size=100))
    assert (split.offset, split.length, split.header) == (0, 1000, None)


def test_split_csv_ranges_after_the_first_carry_the_header() -> None:
    file = FileInfo("s3://lake/a.csv", "csv", 250)
    options = SplitOptions(target_split_size=100, split_csv=True)
    splits = plan_splits([file], {}, {file.uri: "a,b"}, options)
    assert [(s.offset, s.length, s.header) for s in splits] == [
        (0, 100, None),
        (100, 100, "a,b"),
        (200, 50, "a,b"),
    ]


def test_split_csv_without_a_known_header_carries_none() -> None:
    file = FileInfo("s3://lake/a.csv", "csv", 250)
    splits = plan_splits([file], {}, {}, SplitOptions(target_split_size=100, split_csv=True))
    assert [s.header for s in splits] == [None, None, None]


def test_ids_follow_file_order_then_offset_order_and_plans_are_deterministic() -> None:
    files = [
        FileInfo("s3://lake/b.ndjson", "ndjson", 250),
        FileInfo("s3://lake/a.csv", "csv", 500),
        FileInfo("s3://lake/c.parquet", "parquet", 50),
    ]
    options = SplitOptions(target_split_size=100)
    splits = plan_splits(files, {"s3://lake/c.parquet": _row_groups([20])}, {}, options)
    assert [s.id for s in splits] == list(range(5))
    assert [(s.uri, s.offset) for s in splits] == [
        ("s3://lake/b.ndjson", 0),
        ("s3://lake/b.ndjson", 100),
        ("s3://lake/b.ndjson", 200),
        ("s3://lake/a.csv", 0),
        ("s3://lake/c.parquet", 0),
    ]
    assert plan_splits(files, {"s3://lake/c.parquet": _row_groups([20])}, {}, options) == splits


def test_no_files_means_no_splits() -> None:
    assert plan_splits([], {}, {}) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target_split_size", 0, "split option target_split_size must be a positive integer, got 0"),
        ("parquet_target_size", -5, "split option parquet_target_size must be a positive integer, got -5"),
        (
            "coalesce_target_size",
            1.5,
            "split option coalesce_target_size must be a positive integer, got 1.5",
        ),
        (
            "max_files_per_group",
            True,
            "split option max_files_per_group must be a positive integer, got True",
        ),
        ("coalesce_threshold", -1, "split option coalesce_threshold must be an integer >= 0, got -1"),
        ("split_csv", "yes", "split option split_csv must be true or false, got 'yes'"),
    ],
)
def test_bad_options_raise_one_line_config_errors(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        SplitOptions(**{field: value})  # type: ignore[arg-type]
    assert str(info.value) == message
