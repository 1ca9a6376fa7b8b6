"""Coalescing: pack many small splits into fewer groups so per-task overhead does not dominate.

Rules (docs/architecture.md: Splits):

- Nothing happens at or below ``coalesce_threshold`` splits, or when coalescing is off: each
  split becomes its own group.
- If any split size is unknown, sizes cannot be packed: the splits are cut into contiguous
  chunks of ceil(n/8) splits (at most 8 groups), keeping file order.
- Otherwise best-fit decreasing into bins of ``coalesce_target_size``: splits by size
  descending (ties by id), each into the fitting bin with the least room left (ties to the
  oldest bin), a new bin when none fits. A split of the target size or more stays alone. A
  bin never touches more than ``max_files_per_group`` distinct files.

Groups come out ordered by their smallest split id, members by id, numbered 0..m-1, so the
result is deterministic and reads in file order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from lakeproof.refcluster.model import Split, SplitGroup
from lakeproof.refcluster.splits import SplitOptions

UNKNOWN_SIZE_CHUNKS = 8
"""How many contiguous chunks splits of unknown size are cut into."""


def coalesce(splits: Sequence[Split], options: SplitOptions | None = None) -> list[SplitGroup]:
    """Group ``splits`` per the module rules; every split lands in exactly one group."""
    opts = options or SplitOptions()
    if not opts.coalesce or len(splits) <= opts.coalesce_threshold:
        members = [[split] for split in splits]
    elif any(split.size < 0 for split in splits):
        chunk = -(-len(splits) // UNKNOWN_SIZE_CHUNKS)
        members = [list(splits[start : start + chunk]) for start in range(0, len(splits), chunk)]
    else:
        members = _best_fit_decreasing(splits, opts.coalesce_target_size, opts.max_files_per_group)
    return numbered(members)


def numbered(members: Iterable[Sequence[Split]]) -> list[SplitGroup]:
    """Groups of ``members`` ordered by their smallest split id, members by id, numbered 0..m-1."""
    ordered = sorted((sorted(group, key=lambda s: s.id) for group in members), key=lambda g: g[0].id)
    return [SplitGroup(id=index, splits=tuple(group)) for index, group in enumerate(ordered)]


class _Bin:
    """A group being filled: its splits, free bytes and distinct files."""

    __slots__ = ("files", "free", "index", "splits")

    def __init__(self, index: int, capacity: int) -> None:
        self.index = index
        self.free = capacity
        self.splits: list[Split] = []
        self.files: set[str] = set()

    def add(self, split: Split) -> None:
        self.splits.append(split)
        self.files.add(split.uri)
        self.free -= split.size


def _best_fit_decreasing(splits: Sequence[Split], target: int, max_files: int) -> list[list[Split]]:
    bins: list[_Bin] = []
    # Bins that may take a split of any file, as (free, index) sorted ascending: the first
    # entry with enough room is the best fit. A bin leaves this list once it holds max_files
    # files; from then on only splits of its own files may join it, found via ``full_by_file``.
    open_bins: list[tuple[int, int]] = []
    full_by_file: dict[str, list[_Bin]] = {}

    for split in sorted(splits, key=lambda s: (-s.size, s.id)):
        if split.size >= target:
            alone = _Bin(len(bins), split.size)
            alone.add(split)
            bins.append(alone)
            continue
        best: _Bin | None = None
        position = bisect.bisect_left(open_bins, (split.size, -1))
        if position < len(open_bins):
            best = bins[open_bins[position][1]]
        for candidate in full_by_file.get(split.uri, ()):
            if candidate.free >= split.size and (
                best is None or (candidate.free, candidate.index) < (best.free, best.index)
            ):
                best = candidate
        if best is None:
            best = _Bin(len(bins), target)
            bins.append(best)
        was_full = len(best.files) >= max_files
        if not was_full and best.splits:
            # Its key changes with its free space: take it out, re-insert below.
            del open_bins[bisect.bisect_left(open_bins, (best.free, best.index))]
        best.add(split)
        if len(best.files) < max_files:
            bisect.insort(open_bins, (best.free, best.index))
        elif not was_full:
            for uri in best.files:
                full_by_file.setdefault(uri, []).append(best)
    return [b.splits for b in bins]
