"""The reference cluster's shared vocabulary: files, splits, query shapes, retry settings.

Every module of the engine (split planning, strategies, storage reads, SQL rewriting, the
coordinator) speaks in these types; they are plain, immutable and JSON-friendly so they cross
process boundaries (Dask tasks, the HTTP API) unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Format = Literal["parquet", "csv", "ndjson"]
FORMATS: tuple[Format, ...] = get_args(Format)

Strategy = Literal["coordinator_only", "round_robin", "weighted_round_robin", "adaptive"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)
"""The one list of distribution strategies; suites and tests read it from here."""

DEFAULT_STRATEGY: Strategy = "adaptive"

COORDINATOR = "coordinator"
"""The executor name of the coordinator, which reads the splits it keeps itself."""

UNKNOWN_SIZE = -1
"""A split size that is not known (weighted strategies then fall back to round robin)."""


@dataclass(frozen=True)
class FileInfo:
    """One object a query reads: ``s3://bucket/key``, its format and size in bytes."""

    uri: str
    format: Format
    size: int


@dataclass(frozen=True)
class Split:
    """A unit of reading: a byte range of one file, or some row groups of one Parquet file.

    ``offset``/``length`` cover the bytes the split owns (for CSV/NDJSON the reader aligns them
    to record boundaries; for Parquet they span its row groups). ``row_groups`` lists Parquet
    row-group indices, None meaning the whole file. ``header`` is the CSV header line of the
    file (with its line ending) when the split does not start at offset 0, so every split can be
    parsed on its own; ``records`` the exact byte range of a CSV split's records. ``size`` is what
    strategies weigh: ``length``, or UNKNOWN_SIZE.
    """

    id: int
    uri: str
    format: Format
    offset: int
    length: int
    file_size: int
    row_groups: tuple[int, ...] | None = None
    rows: int | None = None  # known from Parquet metadata, else None
    header: str | None = None
    records: tuple[int, int] | None = None
    """The exact bytes [start, stop) of the split's records, when the coordinator found them
    (a CSV file cut into ranges: a quoted value may hold a newline); None: align by newlines."""

    @property
    def size(self) -> int:
        """Bytes this split accounts for, for balancing."""
        return self.length


@dataclass(frozen=True)
class SplitGroup:
    """Splits assigned together (after coalescing); ``size`` is their sum or UNKNOWN_SIZE."""

    id: int
    splits: tuple[Split, ...]

    @property
    def size(self) -> int:
        """Total bytes, UNKNOWN_SIZE if any member's size is unknown."""
        if any(split.size < 0 for split in self.splits):
            return UNKNOWN_SIZE
        return sum(split.size for split in self.splits)


@dataclass(frozen=True)
class QueryShape:
    """What the adaptive strategy needs to know about a query."""

    aggregation: bool = False
    topn: bool = False
    limit: int | None = None
    filter: bool = False

    @property
    def limit_only(self) -> bool:
        """A bare LIMIT: no filter, aggregation or TopN."""
        return self.limit is not None and not (self.filter or self.aggregation or self.topn)


@dataclass(frozen=True)
class RetryPolicy:
    """How a split read is retried (see docs/architecture.md: Storage reads and retries).

    ``max_attempts`` counts the first try. Backoff before attempt k (k >= 2) is
    ``min(initial_backoff_s * multiplier**(k-2), max_backoff_s)`` plus 0..jitter of it.
    A retry is never started if its backoff would end after the deadline.
    """

    max_attempts: int = 4
    initial_backoff_s: float = 0.2
    multiplier: float = 2.0
    max_backoff_s: float = 5.0
    jitter: float = 0.25
    read_timeout_s: float = 10.0
    # HTTP statuses retried besides the standard ones (retry.RETRYABLE_STATUSES); empty by default.
    extra_retryable_statuses: frozenset[int] = frozenset()


@dataclass
class SplitStats:
    """What reading one split took: requests, retries, rows produced, body bytes received.

    Reading a split is one logical read made of several requests (a Parquet split reads each
    run of column chunks with its own range request). ``attempts`` counts attempts of that one
    read: 1 when no request failed, plus one per retry; 0 when nothing was requested.
    """

    id: int
    requests: int = 0
    retries: int = 0
    rows: int = 0
    bytes: int = 0
    node: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """Attempts of the split's read: its first try plus every retry, 0 if never tried."""
        return 1 + self.retries if self.requests else 0
