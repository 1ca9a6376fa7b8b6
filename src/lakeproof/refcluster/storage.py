"""Storage reads of the reference cluster: listing, range reads with resume, and reading splits.

Every request goes through a reader's fault-proxy listener with botocore's own retries off, so
``lakeproof.refcluster.retry`` alone decides what is retried. A body that breaks mid-way is
resumed at the byte reached, never re-read from the start.

Record alignment of CSV/NDJSON splits: a record belongs to the split that holds its first byte.
A split at ``offset > 0`` therefore skips everything up to and including the first newline at
or after ``offset - 1`` (the byte before its offset tells whether a record starts exactly at
``offset``), and reads past ``offset + length`` to the newline that ends its last record (or
to the end of the file: a last line without a newline still counts).

A CSV value in quotes may hold a newline, so in a CSV file cut into byte ranges the first newline
after a cut may be data. The coordinator reads such a file once from its start, following quotes
and escapes (`csv_record_starts`), and gives each split the exact bytes of its records
(``Split.records``): nodes read those and look for no newline. NDJSON needs no such read: JSON
writes a newline inside a value as ``\\n``.

A UTF-8 byte order mark at offset 0 of an NDJSON split is dropped: DuckDB skips it when it reads
a glob of files, but refuses it in a single newline-delimited file, which a split's copy is.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster.deadline import WATCH_INTERVAL_S, Cancelled, Deadline, never_cancelled
from lakeproof.refcluster.errors import BadRequestError, QueryCancelledError, QueryTimeoutError
from lakeproof.refcluster.model import FORMATS, FileInfo, Format, RetryPolicy, Split, SplitStats
from lakeproof.refcluster.parquet_footer import FOOTER_TAIL, PARQUET_MAGIC, footer_with_row_groups
from lakeproof.refcluster.retry import StorageReadError, TruncatedBodyError, run_with_retries
from lakeproof.refcluster.splits import RowGroupInfo

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef

T = TypeVar("T")

TIMEOUT_STEP_S = 0.5
"""Read timeouts cut to a query's time left are rounded up to this step (clients are cached by timeout)."""

CHUNK_SIZE = 64 * 1024
"""Body bytes taken from the socket at a time: what a dropped connection can cost to re-read."""

SCAN_SIZE = 8 * 1024
"""First read when looking for a record boundary; doubled while no newline is found."""

FOOTER_GUESS = 64 * 1024
"""Bytes read from a Parquet file's end in the hope that the whole footer is among them."""

_WILDCARDS = frozenset("*?[")
_WHOLE_OBJECT = 2**62  # a range end past any object: S3 answers up to the object's end
_EXTENSIONS: dict[str, Format] = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}

Predicate = tuple[str, str, Any]
"""``(column, op, literal)`` with op one of ``= != <> < <= > >=``; predicates are conjunctive."""

# Whether a row group with statistics (low, high) may hold a value satisfying the comparison.
_MAY_MATCH: dict[str, Callable[[Any, Any, Any], bool]] = {
    "=": lambda low, high, literal: low <= literal <= high,
    "!=": lambda low, high, literal: not low == high == literal,
    "<>": lambda low, high, literal: not low == high == literal,  # SQL's spelling, as the analyser emits it
    "<": lambda low, _high, literal: low < literal,
    "<=": lambda low, _high, literal: low <= literal,
    ">": lambda _low, high, literal: high > literal,
    ">=": lambda _low, high, literal: high >= literal,
}
# Comparisons NaN satisfies under DuckDB's ordering (NaN above every number), which Parquet
# float statistics cannot rule out because they leave NaN out of min/max.
_NAN_MATCHES = frozenset({">", ">=", "!=", "<>"})


def parse_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; a malformed URI is the caller's mistake."""
    scheme, _, rest = uri.partition("://")
    bucket, _, key = rest.partition("/")
    if scheme != "s3" or not bucket or not key:
        raise BadRequestError(
            f"invalid object URI {uri!r}; use s3://bucket/key, e.g. s3://lake/run-1/x.parquet"
        )
    return bucket, key


class RangeReader(ABC):
    """What split reading needs from storage: object size and byte ranges, plus counters.

    ``stats`` receives attempts and body bytes; ``footers`` caches Parquet footers by URI
    (the raw bytes, which travel to data nodes, and the parsed metadata) so a file's footer is
    read once per query, by the coordinator, however many splits of it are read. Readers of one
    task may share the caches.
    """

    def __init__(
        self,
        stats: SplitStats | None = None,
        footer_bytes: dict[str, bytes] | None = None,
        footers: dict[str, pq.FileMetaData] | None = None,
    ):
        self.stats = stats if stats is not None else SplitStats(id=-1)
        self.footer_bytes: dict[str, bytes] = footer_bytes if footer_bytes is not None else {}
        self.footers: dict[str, pq.FileMetaData] = footers if footers is not None else {}

    @abstractmethod
    def head(self, uri: str) -> int:
        """Size of the object in bytes."""

    @abstractmethod
    def read_range(self, uri: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the object (fewer only if the object ends before ``end``)."""


@functools.lru_cache(maxsize=64)
def _client(endpoint: S3Endpoint, read_timeout_s: float) -> S3Client:
    """One boto3 client per endpoint and timeout per process: clients are thread-safe and slow to make."""
    # max_attempts=0 means no botocore retries (one attempt): the retry policy is ours.
    return endpoint.client(max_attempts=0, timeout=read_timeout_s)


class ObjectReader(RangeReader):
    """Reads objects through one S3 endpoint (a proxy listener) with the project's retry policy.

    With a ``deadline``, no retry is started that would end after it, no request waits longer
    than the time left (rounded up to ``TIMEOUT_STEP_S``), and a body still arriving when it
    passes, or when ``cancelled`` turns true, is abandoned: the error names ``activity`` (what
    the query was doing: ``reading splits on node-1``) and the object. Clock, sleeper and rng
    are the retry loop's, injectable for tests.
    """

    def __init__(
        self,
        endpoint: S3Endpoint,
        policy: RetryPolicy | None = None,
        deadline: Deadline | None = None,
        stats: SplitStats | None = None,
        *,
        footer_bytes: dict[str, bytes] | None = None,
        footers: dict[str, pq.FileMetaData] | None = None,
        cancelled: Cancelled = never_cancelled,
        activity: str = "reading",
        clock: Callable[[], float] = time.time,
        sleeper: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ):
        super().__init__(stats, footer_bytes, footers)
        self.endpoint = endpoint
        self.policy = policy or RetryPolicy()
        self.deadline = deadline
        self.cancelled = cancelled
        self.activity = activity
        self._clock = clock
        self._sleeper = sleeper or self._backoff
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    @property
    def client(self) -> S3Client:
        """A client whose read timeout is the policy's, cut to the time the query has left."""
        timeout = self.policy.read_timeout_s
        left = self.deadline.remaining() if self.deadline is not None else math.inf
        if left < timeout:
            timeout = max(math.ceil(left / TIMEOUT_STEP_S) * TIMEOUT_STEP_S, TIMEOUT_STEP_S)
        return _client(self.endpoint, timeout)

    def _backoff(self, seconds: float) -> None:
        """Sleep before a retry, but wake at once on a cancel (the next attempt's check stops it)."""
        end = time.monotonic() + seconds
        while not self.cancelled() and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, WATCH_INTERVAL_S))

    def _check(self, uri: str) -> None:
        """Stop if the query was cancelled or its deadline passed."""
        if self.deadline is not None:
            self.deadline.check(f"{self.activity} ({uri})", self.cancelled)
        elif self.cancelled():
            raise QueryCancelledError(f"query cancelled by its caller while {self.activity} ({uri})")

    def _retrying(self, uri: str, operation: Callable[[], T]) -> T:
        try:
            return run_with_retries(
                operation,
                self.policy,
                uri,
                deadline=self.deadline.at if self.deadline is not None else None,
                stats=self.stats,
                check=lambda: self._check(uri),
                clock=self._clock,
                sleeper=self._sleeper,
                rng=self._rng,
            )
        except StorageReadError as error:
            if self.deadline is None or not error.deadline_reached:
                raise
            # The retries stopped because the query's time ran out: a timeout, named as such.
            raise QueryTimeoutError(f"{self.deadline.exceeded(self.activity)}: {error}") from None

    def head(self, uri: str) -> int:
        """Size of the object; a missing object is StorageReadError (404, not retried)."""
        bucket, key = parse_uri(uri)
        return self._retrying(uri, lambda: self.client.head_object(Bucket=bucket, Key=key)["ContentLength"])

    def read_range(self, uri: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``, resuming a broken body at the byte it reached."""
        if end <= start:
            return b""
        bucket, key = parse_uri(uri)
        received = bytearray()

        def attempt() -> None:
            first = start + len(received)
            response = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{end - 1}")
            expected = response["ContentLength"]  # less than asked only at the end of the object
            body = response["Body"]
            # StreamingBody.read(n) loses the bytes of a call that fails mid-way; urllib3's read1
            # hands over what one socket read returned, so a reset costs no received byte.
            stream = body._raw_stream  # type: ignore[attr-defined]
            got = 0
            try:
                while got < expected:
                    chunk = stream.read1(min(CHUNK_SIZE, expected - got))
                    if not chunk:
                        raise TruncatedBodyError(got, expected)
                    received.extend(chunk)
                    got += len(chunk)
                    self.stats.bytes += len(chunk)
                    self._check(uri)  # a slow body must not keep the query past its deadline
            finally:
                body.close()

        self._retrying(uri, attempt)
        return bytes(received)

    def read_object(self, uri: str) -> bytes:
        """The whole object with one GET (a range from 0 to its end), resumed like any range read."""
        return self.read_range(uri, 0, _WHOLE_OBJECT)

    def list_objects(self, glob_uri: str, format: Format | None = None) -> list[FileInfo]:
        """The objects ``glob_uri`` names, sorted by key; [] when a glob matches nothing.

        ``*`` and ``?`` match within one path segment and ``**`` any number of segments, as in
        DuckDB (the oracle reads the same globs). A URI without wildcards names one object,
        which must exist. ``format`` overrides the format taken from the file extension.
        """
        bucket, pattern = parse_uri(glob_uri)
        if not _WILDCARDS & set(pattern):
            return [FileInfo(glob_uri, format or format_of(glob_uri), self.head(glob_uri))]
        literal = pattern[: min(pattern.index(c) for c in _WILDCARDS if c in pattern)]
        files: list[FileInfo] = []
        token: str | None = None
        while True:
            page = self._retrying(glob_uri, functools.partial(self._list_page, bucket, literal, token))
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if glob_match(key, pattern):
                    uri = f"s3://{bucket}/{key}"
                    files.append(FileInfo(uri, format or format_of(uri), entry["Size"]))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or token is None:
                return sorted(files, key=lambda file: file.uri)

    def _list_page(self, bucket: str, prefix: str, token: str | None) -> ListObjectsV2OutputTypeDef:
        if token is None:
            return self.client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return self.client.list_objects_v2(Bucket=bucket, Prefix=prefix, ContinuationToken=token)


def glob_match(key: str, pattern: str) -> bool:
    """Whether ``key`` matches ``pattern`` segment by segment (``**`` spans segments)."""
    return _match_segments(key.split("/"), pattern.split("/"))


def _match_segments(parts: list[str], patterns: list[str]) -> bool:
    if not patterns:
        return not parts
    head, rest = patterns[0], patterns[1:]
    if head == "**":
        return any(_match_segments(parts[skip:], rest) for skip in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _match_segments(parts[1:], rest)


def format_of(uri: str) -> Format:
    """The format a file's extension says; BadRequestError for an extension that says none."""
    name = uri.rsplit("/", 1)[-1].lower()
    for extension, file_format in _EXTENSIONS.items():
        if name.endswith(extension):
            return file_format
    raise BadRequestError(
        f"cannot tell the format of {uri}: use one of the extensions {', '.join(_EXTENSIONS)} "
        f"or name the format ({', '.join(FORMATS)})"
    )


# -- Parquet ---------------------------------------------------------------------------------------


def parquet_metadata(reader: RangeReader, file: FileInfo) -> pq.FileMetaData:
    """The file's footer, cached on the reader: usually one range read of the file's last bytes.

    The read takes the last ``FOOTER_GUESS`` bytes, where footers almost always fit; a longer
    footer costs one more read for the rest.
    """
    cached = reader.footers.get(file.uri)
    if cached is not None:
        return cached
    raw = reader.footer_bytes.get(file.uri)
    if raw is None:
        raw = _read_footer(reader, file)
        reader.footer_bytes[file.uri] = raw
    # The reader looks for the footer from the end, so footer + tail is a complete "file" to it.
    metadata: pq.FileMetaData = pq.read_metadata(pa.BufferReader(raw))
    reader.footers[file.uri] = metadata
    return metadata


def _read_footer(reader: RangeReader, file: FileInfo) -> bytes:
    """The footer and the 8-byte tail (length + magic) of a Parquet file."""
    size = file.size if file.size >= 0 else reader.head(file.uri)
    if size < len(PARQUET_MAGIC) + FOOTER_TAIL:
        raise BadRequestError(f"{file.uri} is not a Parquet file: only {size} bytes")
    start = max(0, size - FOOTER_GUESS)
    end_bytes = reader.read_range(file.uri, start, size)
    tail = end_bytes[-FOOTER_TAIL:]
    footer_length = int.from_bytes(tail[:4], "little")
    if tail[4:] != PARQUET_MAGIC or footer_length > size - FOOTER_TAIL - len(PARQUET_MAGIC):
        raise BadRequestError(f"{file.uri} is not a Parquet file: no valid footer at its end")
    needed = footer_length + FOOTER_TAIL
    if needed > len(end_bytes):
        end_bytes = reader.read_range(file.uri, size - needed, start) + end_bytes
    return end_bytes[-needed:]


def parquet_row_groups(reader: RangeReader, file: FileInfo) -> list[RowGroupInfo]:
    """Byte range and rows of every row group, from the footer only (for split planning)."""
    metadata = parquet_metadata(reader, file)
    groups = []
    for index in range(metadata.num_row_groups):
        row_group = metadata.row_group(index)
        chunks = [row_group.column(column) for column in range(row_group.num_columns)]
        offset = min((_chunk_start(chunk) for chunk in chunks), default=0)
        length = sum(chunk.total_compressed_size for chunk in chunks)
        groups.append(RowGroupInfo(index, offset, length, row_group.num_rows))
    return groups


def prune_row_groups(
    metadata: pq.FileMetaData, row_groups: Iterable[int], predicates: Sequence[Predicate]
) -> tuple[int, ...]:
    """The row groups whose min/max statistics do not rule out every conjunctive predicate.

    Conservative: a row group without statistics for a column, a literal of another type, or a
    float comparison NaN could satisfy (DuckDB orders NaN above every number, and Parquet
    statistics leave NaN out) keeps the row group.
    """
    for _, op, _ in predicates:
        if op not in _MAY_MATCH:
            raise BadRequestError(f"unknown comparison {op!r}; use one of: {', '.join(_MAY_MATCH)}")
    owners = _leaf_owners(metadata)
    positions = {name: _primitive_position(metadata, owners, name) for name, _, _ in predicates}
    return tuple(
        index
        for index in row_groups
        if all(
            _may_match(metadata.row_group(index), positions[predicate[0]], predicate)
            for predicate in predicates
        )
    )


def _primitive_position(metadata: pq.FileMetaData, owners: list[str], name: str) -> int | None:
    """The leaf position of top-level column `name` when it is one primitive column, else None."""
    positions = [position for position, owner in enumerate(owners) if owner == name.lower()]
    if len(positions) != 1:
        return None
    # A struct with one field has one leaf too, but its path names the field as well.
    return positions[0] if metadata.schema.column(positions[0]).path.lower() == name.lower() else None


def _may_match(row_group: pq.RowGroupMetaData, position: int | None, predicate: Predicate) -> bool:
    _, op, literal = predicate
    chunk = row_group.column(position) if position is not None else None
    statistics = chunk.statistics if chunk is not None else None
    if chunk is None or statistics is None or not statistics.has_min_max:
        return True
    if chunk.physical_type in ("FLOAT", "DOUBLE") and (op in _NAN_MATCHES or _is_nan(literal)):
        return True
    try:
        return bool(_MAY_MATCH[op](statistics.min, statistics.max, literal))
    except TypeError:  # a literal of another type than the column: cannot tell, keep
        return True


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


PARQUET_HOLE_LIMIT = 8 * 1024
"""Column chunks at most this far apart are read with one range request (as pyarrow's pre-buffering)."""


def copy_parquet_split(
    reader: RangeReader,
    split: Split,
    destination: Path,
    columns: Sequence[str] | None = None,
    predicates: Sequence[Predicate] = (),
) -> int:
    """Write the split as a local Parquet file for DuckDB to read; returns the rows it holds.

    The copy is sparse: the split's row groups that ``predicates`` do not prune by statistics,
    of those only the chunks of ``columns`` (all when None), at their original offsets, and a
    footer listing just those row groups (see ``parquet_footer``). Only those chunks are read
    from storage, the footer is the one planning read. Read the copy's ``columns`` only, with
    no filter: a filter could make DuckDB look for page indexes or Bloom filters, which are not
    in the copy.
    """
    metadata = parquet_metadata(reader, FileInfo(split.uri, split.format, split.file_size))
    wanted = split.row_groups if split.row_groups is not None else range(metadata.num_row_groups)
    selected = prune_row_groups(metadata, wanted, predicates)
    rows = int(sum(metadata.row_group(index).num_rows for index in selected))
    footer = reader.footer_bytes[split.uri]
    size = split.file_size if split.file_size >= 0 else reader.head(split.uri)
    with destination.open("wb") as copy:
        copy.write(PARQUET_MAGIC)
        for start, end in _chunk_ranges(metadata, selected, columns):
            copy.seek(start)
            copy.write(reader.read_range(split.uri, start, end))
        copy.seek(size - len(footer))
        whole = selected == tuple(range(metadata.num_row_groups))
        copy.write(footer if whole else footer_with_row_groups(footer, selected, rows))
    reader.stats.rows += rows
    return rows


def _chunk_ranges(
    metadata: pq.FileMetaData, row_groups: Iterable[int], columns: Sequence[str] | None
) -> list[tuple[int, int]]:
    """Byte ranges of the column chunks of ``columns`` (top-level names) in ``row_groups``, merged."""
    owners = _leaf_owners(metadata)
    wanted = {column.lower() for column in columns} if columns is not None and owners else None
    ranges = []
    for index in row_groups:
        row_group = metadata.row_group(index)
        for position in range(row_group.num_columns):
            chunk = row_group.column(position)
            if wanted is None or owners[position] in wanted:
                start = _chunk_start(chunk)
                ranges.append((start, start + chunk.total_compressed_size))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start - merged[-1][1] <= PARQUET_HOLE_LIMIT:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _leaf_owners(metadata: pq.FileMetaData) -> list[str]:
    """The top-level column (lower case) of each leaf column, in leaf order; [] if unsure.

    From the schema's shape, not the dotted ``path_in_schema``: a top-level name may hold a dot.
    """

    def leaves(kind: pa.DataType) -> int:
        return sum(leaves(kind.field(i).type) for i in range(kind.num_fields)) if kind.num_fields else 1

    owners = [
        field.name.lower() for field in metadata.schema.to_arrow_schema() for _ in range(leaves(field.type))
    ]
    return owners if len(owners) == metadata.num_columns else []


def _chunk_start(chunk: pq.ColumnChunkMetaData) -> int:
    # A chunk starts at its dictionary page when it has one (some writers leave that offset 0
    # even so: then the data page is the start).
    if chunk.has_dictionary_page and chunk.dictionary_page_offset:
        return int(chunk.dictionary_page_offset)
    return int(chunk.data_page_offset)


def csv_header(reader: RangeReader, file: FileInfo) -> str | None:
    """The file's first line with its own line ending (LF or CRLF), None for an empty file.

    The ending is kept so that a split's header and records end their lines alike: DuckDB
    refuses a CSV whose header ends in LF and whose records end in CRLF.
    """
    size = file.size if file.size >= 0 else reader.head(file.uri)
    if size == 0:
        return None
    return _read_through_newline(reader, file.uri, 0, size).decode()


# -- CSV / NDJSON ----------------------------------------------------------------------------------


UTF8_BOM = b"\xef\xbb\xbf"


def read_text_split(reader: RangeReader, split: Split) -> bytes:
    """The whole records whose first byte lies in the split, parseable on their own.

    A CSV split not at offset 0 gets ``split.header`` (the file's first line, line ending
    included) in front, also when it holds no record, so its columns are still known. See the
    module docstring for alignment.
    """
    if split.records is not None:
        start, stop = split.records
        body = reader.read_range(split.uri, start, stop) if start < stop else b""
    else:
        body = _aligned_records(reader, split)
    if split.format == "csv" and split.offset > 0 and split.header is not None:
        return split.header.encode() + body
    if split.format == "ndjson" and split.offset == 0:
        return body.removeprefix(UTF8_BOM)
    return body


def _aligned_records(reader: RangeReader, split: Split) -> bytes:
    """The split's records, found by the newlines around its byte range."""
    size = split.file_size if split.file_size >= 0 else reader.head(split.uri)
    end = size if split.length < 0 else min(split.offset + split.length, size)
    start = 0
    if split.offset > 0:
        start = split.offset - 1 + len(_read_through_newline(reader, split.uri, split.offset - 1, size))
    body = b""
    if start < end:
        body = reader.read_range(split.uri, start, end)
        if not body.endswith(b"\n"):
            body += _read_through_newline(reader, split.uri, end, size)
    return body


RECORD_SCAN_SIZE = 1024 * 1024
"""Bytes read at a time when following a CSV file's quotes from its start."""


def csv_record_starts(
    reader: RangeReader, file: FileInfo, cuts: Sequence[int], quote: str, escape: str
) -> dict[int, int]:
    """For each cut (a byte offset), the first byte of the first record starting at or after it
    (the file's size when none does), following the file's quotes from its start.

    A record ends at a newline outside quotes. Inside quotes, ``escape`` makes the next byte
    data; when it is the quote itself (RFC 4180 doubling), each quote simply toggles the state.
    """
    size = file.size if file.size >= 0 else reader.head(file.uri)
    pending = sorted(cut for cut in set(cuts) if 0 < cut < size)
    found: dict[int, int] = dict.fromkeys(pending, size)
    q, e = quote.encode(), escape.encode()
    doubled = not e or e == q
    outside = re.compile(b"[" + re.escape(q) + b"\n]" if q else b"\n")
    # Without a quote character nothing is ever inside quotes.
    inside = re.compile(b"[" + re.escape(q) + (b"" if doubled else re.escape(e)) + b"]" if q else b"(?!)")
    in_quotes, skip, position, next_cut = False, False, 0, 0
    while position < size and next_cut < len(pending):
        data = reader.read_range(file.uri, position, min(position + RECORD_SCAN_SIZE, size))
        if not data:
            break
        index = 0
        if skip:
            index, skip = 1, False
        while index < len(data):
            match = (inside if in_quotes else outside).search(data, index)
            if match is None:
                break
            byte, index = match.group(), match.end()
            if byte == b"\n":
                start = position + index
                while next_cut < len(pending) and pending[next_cut] <= start:
                    found[pending[next_cut]] = start
                    next_cut += 1
            elif in_quotes and not doubled and byte == e:
                if index < len(data):
                    index += 1
                else:
                    skip = True
            else:
                in_quotes = not in_quotes
        position += len(data)
    return found


def _read_through_newline(reader: RangeReader, uri: str, position: int, size: int) -> bytes:
    """Bytes from ``position`` up to and including the next newline (or to the end of file)."""
    found = bytearray()
    step = SCAN_SIZE
    while position < size:
        data = reader.read_range(uri, position, min(position + step, size))
        if not data:
            break
        newline = data.find(b"\n")
        if newline >= 0:
            found += data[: newline + 1]
            break
        found += data
        position += len(data)
        step *= 2  # a record longer than the scan window: grow instead of many small reads
    return bytes(found)
