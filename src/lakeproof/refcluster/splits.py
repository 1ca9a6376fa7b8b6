"""Split planning: turn listed files into the units of reading that strategies distribute.

Rules (docs/architecture.md: Splits):

- Parquet: one split per row group; adjacent row groups are merged toward
  ``parquet_target_size`` as long as the file keeps at least two splits, so a large file is
  still read in parallel. A file no larger than the target is one whole-file split
  (``row_groups=None``) carrying the summed row count; a file with no row groups is one split
  of its size with 0 rows. A Parquet file whose footer was not supplied is one whole-file
  split with unknown rows: without row-group offsets there is nothing safe to cut at.
- NDJSON: byte ranges of ``target_split_size``; the last range takes the remainder. Readers
  align ranges to record boundaries (skip the partial first line unless at offset 0, read
  past the end to finish the last line), so any byte offset is a valid cut.
- CSV: **one split per file by default.** RFC 4180 lets a quoted field contain newlines, so a
  reader starting mid-file cannot tell whether it starts inside quotes and could silently
  split one record into two. Byte-range splitting is opt-in (``split_csv=True``): the
  coordinator then follows the quotes of each cut file once from its start and gives every
  range the exact bytes of its records (``csv_records``: for each cut, the first record start
  at or after it); each range not at offset 0 carries the file's header record so it can be
  parsed on its own.
- A compressed CSV or NDJSON file (``.gz``, ``.zst``, or any file when the query names a
  ``compression``) is one whole-file split: a byte range of a compressed stream cannot be
  decompressed on its own, and its offsets are not the records' offsets.
- A file of unknown size (negative ``FileInfo.size``) is one split of unknown size; weighted
  strategies then fall back to round robin.

Split ids are 0..n-1 in file order, then offset order; the plan is a pure function of its
inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from lakeproof.errors import ConfigError
from lakeproof.refcluster.model import UNKNOWN_SIZE, FileInfo, Split

MIB = 1024 * 1024
COMPRESSION_SUFFIXES: dict[str, str] = {".gz": "gzip", ".zst": "zstd"}
"""File name endings DuckDB takes as a compressed text file, and the codec each names."""


def compression_suffix(uri: str) -> str:
    """The compression ending of ``uri`` (``.gz``, ``.zst``), or '' for an uncompressed name."""
    return next((suffix for suffix in COMPRESSION_SUFFIXES if uri.lower().endswith(suffix)), "")


@dataclass(frozen=True)
class SplitOptions:
    """Knobs of split planning and coalescing; every size is in bytes and must be positive."""

    target_split_size: int = 64 * MIB
    """Byte-range size for NDJSON (and CSV when ``split_csv``)."""
    parquet_target_size: int = 32 * MIB
    """Size adjacent Parquet row groups are merged toward."""
    split_csv: bool = False
    """Cut CSV files into byte ranges (only safe without quoted newlines)."""
    coalesce_threshold: int = 32
    """Coalesce only when there are more splits than this."""
    coalesce_target_size: int = 128 * MIB
    """Bin size for coalescing; splits this large or larger stay alone."""
    max_files_per_group: int = 32
    """Distinct files one coalesced group may touch."""
    coalesce: bool = True
    """Whether coalescing happens at all."""

    def __post_init__(self) -> None:
        for name in ("split_csv", "coalesce"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ConfigError(f"split option {name} must be true or false, got {value!r}")
        sizes = ("target_split_size", "parquet_target_size", "coalesce_target_size", "max_files_per_group")
        for name in sizes:
            value = getattr(self, name)
            if not _is_int(value) or value <= 0:
                raise ConfigError(f"split option {name} must be a positive integer, got {value!r}")
        # 0 is meaningful for the threshold: coalesce any non-empty plan.
        if not _is_int(self.coalesce_threshold) or self.coalesce_threshold < 0:
            raise ConfigError(
                f"split option coalesce_threshold must be an integer >= 0, got {self.coalesce_threshold!r}"
            )


@dataclass(frozen=True)
class RowGroupInfo:
    """One Parquet row group: byte range of its column chunks within the file, and its rows."""

    index: int
    offset: int
    length: int
    rows: int


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, but True is never a meaningful size.
    return isinstance(value, int) and not isinstance(value, bool)


def plan_splits(
    files: Sequence[FileInfo],
    parquet_row_groups: Mapping[str, Sequence[RowGroupInfo]],
    csv_headers: Mapping[str, str],
    options: SplitOptions | None = None,
    compressed: bool = False,
    csv_records: Mapping[str, Mapping[int, int]] | None = None,
) -> list[Split]:
    """Plan the splits of ``files`` in order; see the module docstring for the rules.

    ``compressed`` says the query reads every text file as compressed (its ``compression``
    option), whatever the files' names.

    ``parquet_row_groups`` maps a Parquet file's URI to its row groups (from the footer);
    ``csv_headers`` maps a CSV file's URI to its header record with its line ending (absent: the file
    has no header). ``csv_records`` maps a CSV file's URI to the first record start at or after
    each of its cuts (absent: the ranges are aligned by newlines when read).
    """
    opts = options or SplitOptions()
    splits: list[Split] = []
    for file in files:
        if file.format == "parquet":
            pieces = _parquet_pieces(file, parquet_row_groups.get(file.uri), opts.parquet_target_size)
        elif compressed or compression_suffix(file.uri):
            pieces = [_Piece(0, file.size if file.size >= 0 else UNKNOWN_SIZE)]
        elif file.format == "ndjson" or (file.format == "csv" and opts.split_csv):
            pieces = _byte_range_pieces(file, opts.target_split_size)
        elif file.format == "csv":
            pieces = [_Piece(0, file.size)]
        else:
            raise ConfigError(f"unsupported format {file.format!r} for {file.uri}")
        header = csv_headers.get(file.uri) if file.format == "csv" else None
        starts = (csv_records or {}).get(file.uri) if file.format == "csv" and len(pieces) > 1 else None
        for piece in pieces:
            records = None
            if starts is not None:
                end = piece.offset + piece.length
                stop = starts.get(end, file.size) if end < file.size else file.size
                records = (starts.get(piece.offset, 0), stop)
            splits.append(
                Split(
                    id=len(splits),
                    uri=file.uri,
                    format=file.format,
                    offset=piece.offset,
                    length=piece.length,
                    file_size=file.size,
                    row_groups=piece.row_groups,
                    rows=piece.rows,
                    # Only a split starting mid-file lacks the header in its own bytes.
                    header=header if piece.offset > 0 else None,
                    records=records,
                )
            )
    return splits


@dataclass(frozen=True)
class _Piece:
    """A split before it is numbered."""

    offset: int
    length: int
    row_groups: tuple[int, ...] | None = None
    rows: int | None = None


def _byte_range_pieces(file: FileInfo, target: int) -> list[_Piece]:
    if file.size < 0:
        return [_Piece(0, UNKNOWN_SIZE)]
    if file.size == 0:
        return [_Piece(0, 0)]
    return [_Piece(start, min(target, file.size - start)) for start in range(0, file.size, target)]


def _parquet_pieces(file: FileInfo, row_groups: Sequence[RowGroupInfo] | None, target: int) -> list[_Piece]:
    if row_groups is None:
        return [_Piece(0, file.size if file.size >= 0 else UNKNOWN_SIZE)]
    total_rows = sum(rg.rows for rg in row_groups)
    if not row_groups or 0 <= file.size <= target:
        return [_Piece(0, file.size if file.size >= 0 else UNKNOWN_SIZE, None, total_rows)]

    runs: list[list[RowGroupInfo]] = [[row_groups[0]]]
    for position, rg in enumerate(row_groups[1:], start=1):
        current = runs[-1]
        span = rg.offset + rg.length - current[0].offset
        # Merging the last row group into the only run would leave one split: the file is
        # larger than the target, so it must stay readable by at least two nodes.
        keeps_two = len(runs) > 1 or position < len(row_groups) - 1
        if span <= target and keeps_two:
            current.append(rg)
        else:
            runs.append([rg])
    return [
        _Piece(
            offset=run[0].offset,
            length=run[-1].offset + run[-1].length - run[0].offset,
            row_groups=tuple(rg.index for rg in run),
            rows=sum(rg.rows for rg in run),
        )
        for run in runs
    ]
