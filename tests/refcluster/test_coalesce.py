"""Coalescing: threshold, best-fit decreasing, file cap, unknown sizes, conservation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lakeproof.properties.distribution import Distribution, Group
from lakeproof.properties.invariants import CoalescingRules, coalescing, exactly_once
from lakeproof.refcluster.coalesce import coalesce
from lakeproof.refcluster.model import UNKNOWN_SIZE, Split, SplitGroup
from lakeproof.refcluster.splits import SplitOptions

TARGET = 100
OPTIONS = SplitOptions(coalesce_threshold=4, coalesce_target_size=TARGET, max_files_per_group=3)


def _splits(sizes: list[int], files: list[int] | None = None) -> list[Split]:
    """One split per size; split i belongs to file ``files[i]`` (default: its own file)."""
    owners = files if files is not None else list(range(len(sizes)))
    return [
        Split(
            id=i,
            uri=f"s3://lake/f{owners[i]}",
            format="parquet",
            offset=i,
            length=size,
            file_size=size,
            rows=i,
        )
        for i, size in enumerate(sizes)
    ]


def test_at_or_below_threshold_each_split_is_its_own_group() -> None:
    splits = _splits([1, 2, 3, 4])
    groups = coalesce(splits, OPTIONS)
    assert [g.splits for g in groups] == [(s,) for s in splits]
    assert [g.id for g in groups] == [0, 1, 2, 3]


def test_coalescing_off_keeps_every_split_alone() -> None:
    splits = _splits([1] * 50)
    options = SplitOptions(coalesce=False, coalesce_target_size=TARGET)
    assert len(coalesce(splits, options)) == 50


def test_default_threshold_is_32_splits() -> None:
    assert len(coalesce(_splits([1] * 32))) == 32
    assert len(coalesce(_splits([1] * 33))) == 2  # 32 distinct files per group at most


def test_best_fit_decreasing_packs_tightly() -> None:
    splits = _splits([60, 50, 40, 30, 20], files=[0, 0, 0, 0, 0])
    groups = coalesce(splits, OPTIONS)
    # Decreasing: 60 opens a bin, 50 opens a bin, 40 best-fits 60 (100), 30 fits 50, 20 fits 50+30.
    assert [[s.length for s in g.splits] for g in groups] == [[60, 40], [50, 30, 20]]


def test_split_of_target_size_or_more_stays_alone() -> None:
    splits = _splits([100, 150, 1, 1, 1], files=[0, 0, 0, 0, 0])
    groups = coalesce(splits, OPTIONS)
    assert [[s.id for s in g.splits] for g in groups] == [[0], [1], [2, 3, 4]]


def test_at_most_max_files_per_group() -> None:
    groups = coalesce(_splits([1] * 10), OPTIONS)
    assert [len(g.splits) for g in groups] == [3, 3, 3, 1]


def test_full_group_still_takes_splits_of_its_own_files() -> None:
    # Files 0, 1, 2 fill a group's file cap; further splits of file 0 may still join it.
    splits = _splits([10, 10, 10, 5, 5, 5], files=[0, 1, 2, 0, 0, 0])
    groups = coalesce(splits, OPTIONS)
    assert [[s.id for s in g.splits] for g in groups] == [[0, 1, 2, 3, 4, 5]]


def test_unknown_size_gives_contiguous_chunks_of_an_eighth() -> None:
    sizes = [10] * 20
    sizes[7] = UNKNOWN_SIZE
    groups = coalesce(_splits(sizes), OPTIONS)
    assert [[s.id for s in g.splits] for g in groups] == [
        list(range(i, min(i + 3, 20))) for i in range(0, 20, 3)
    ]
    assert groups[2].size == UNKNOWN_SIZE


@settings(max_examples=200)
@given(
    sizes=st.lists(st.integers(0, 250), min_size=0, max_size=80),
    file_count=st.integers(1, 10),
    unknown_at=st.one_of(st.none(), st.integers(0, 79)),
    threshold=st.integers(0, 10),
    max_files=st.integers(1, 5),
)
def test_files_rows_and_bytes_are_conserved(
    sizes: list[int], file_count: int, unknown_at: int | None, threshold: int, max_files: int
) -> None:
    if unknown_at is not None and unknown_at < len(sizes):
        sizes[unknown_at] = UNKNOWN_SIZE
    splits = _splits(sizes, files=[i % file_count for i in range(len(sizes))])
    options = SplitOptions(
        coalesce_threshold=threshold, coalesce_target_size=TARGET, max_files_per_group=max_files
    )
    groups = coalesce(splits, options)

    assert [g.id for g in groups] == list(range(len(groups)))
    # Membership, files, bytes and the grouping rules are the invariants of lakeproof.properties,
    # defined once for these tests and the property suites; rows are this engine's own detail.
    rules = CoalescingRules(threshold=threshold, target_size=TARGET, max_files=max_files)
    assert exactly_once(_distribution(splits, groups)) == []
    assert coalescing(_distribution(splits, groups), rules) == []
    members = [s for g in groups for s in g.splits]
    assert sum(s.rows or 0 for s in members) == sum(s.rows or 0 for s in splits)
    assert all(g.splits for g in groups)
    assert coalesce(splits, options) == groups  # deterministic


def _distribution(splits: list[Split], groups: list[SplitGroup]) -> Distribution:
    """Coalesced groups as the property checkers read them (all read locally)."""
    return Distribution(
        requested="coordinator_only",
        used="coordinator_only",
        warnings=(),
        nodes=(),
        groups=tuple(
            Group(
                g.id, tuple(s.id for s in g.splits), g.size, None, frozenset(s.uri for s in g.splits), (None,)
            )
            for g in groups
        ),
        split_sizes={s.id: s.size for s in splits},
        split_files={s.id: s.uri for s in splits},
    )


def test_ten_thousand_small_splits_coalesce_quickly() -> None:
    groups = coalesce(_splits([1] * 10_000), SplitOptions())
    assert len(groups) == 10_000 // 32 + 1


def _naive_best_fit_decreasing(splits: list[Split], target: int, max_files: int) -> list[list[int]]:
    """The textbook algorithm, scanning every bin: the reference the indexed version must match."""
    bins: list[list[Split]] = []
    for split in sorted(splits, key=lambda s: (-s.size, s.id)):
        if split.size >= target:
            bins.append([split])
            continue
        best = None
        for index, members in enumerate(bins):
            free = target - sum(s.size for s in members)
            files = {s.uri for s in members}
            fits = members[0].size < target and free >= split.size
            if fits and (split.uri in files or len(files) < max_files):
                key = (free, index)
                best = key if best is None or key < best else best
        if best is None:
            bins.append([split])
        else:
            bins[best[1]].append(split)
    return sorted(sorted(s.id for s in members) for members in bins)


@settings(max_examples=300)
@given(
    sizes=st.lists(st.integers(0, 120), min_size=5, max_size=60),
    file_count=st.integers(1, 12),
    max_files=st.integers(1, 4),
)
def test_indexed_best_fit_matches_the_textbook_algorithm(
    sizes: list[int], file_count: int, max_files: int
) -> None:
    splits = _splits(sizes, files=[(i * 7) % file_count for i in range(len(sizes))])
    options = SplitOptions(coalesce_threshold=0, coalesce_target_size=TARGET, max_files_per_group=max_files)
    groups = coalesce(splits, options)
    assert [[s.id for s in g.splits] for g in groups] == _naive_best_fit_decreasing(splits, TARGET, max_files)
