"""Storage reads: record alignment and Parquet reading in memory, retries and resume through the lab proxy."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lakeproof.errors import LakeproofError
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import free_port, wait_until
from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster import storage
from lakeproof.refcluster.deadline import Deadline
from lakeproof.refcluster.errors import BadRequestError, QueryTimeoutError
from lakeproof.refcluster.model import FileInfo, Format, RetryPolicy, Split, SplitStats
from lakeproof.refcluster.retry import StorageReadError
from lakeproof.refcluster.splits import RowGroupInfo
from lakeproof.refcluster.sql import analyse
from lakeproof.refcluster.storage import (
    SCAN_SIZE,
    ObjectReader,
    Predicate,
    RangeReader,
    copy_parquet_split,
    csv_record_starts,
    format_of,
    glob_match,
    parquet_metadata,
    parquet_row_groups,
    prune_row_groups,
    read_text_split,
)

from .memory_reader import MemoryReader

FAST = RetryPolicy(initial_backoff_s=0.01, read_timeout_s=5.0)
"""Real attempts with backoffs short enough for tests."""


def read_split(
    reader: RangeReader,
    split: Split,
    directory: Path,
    columns: Sequence[str] | None = None,
    predicates: Sequence[Predicate] = (),
) -> pa.Table:
    """The split as a node sees it: its local copy, read back by pyarrow (another reader than DuckDB)."""
    copy = directory / f"split-{split.id}.parquet"
    rows = copy_parquet_split(reader, split, copy, columns, predicates)
    table = pq.read_table(copy, columns=list(columns) if columns is not None else None)
    assert table.num_rows == rows
    return table


def byte_range_splits(uri: str, file_format: Format, data: bytes, cuts: Sequence[int]) -> list[Split]:
    """Splits covering ``data`` cut at ``cuts``, with the CSV header on those not at offset 0."""
    bounds = sorted({0, len(data), *(cut for cut in cuts if 0 < cut < len(data))})
    header = data.split(b"\n", 1)[0].decode() + "\n" if file_format == "csv" and data else None
    return [
        Split(
            id=index,
            uri=uri,
            format=file_format,
            offset=start,
            length=end - start,
            file_size=len(data),
            header=header if start > 0 else None,
        )
        for index, (start, end) in enumerate(itertools.pairwise(bounds))
    ] or [Split(id=0, uri=uri, format=file_format, offset=0, length=0, file_size=0)]


def reassemble(reader: RangeReader, splits: Sequence[Split]) -> list[bytes]:
    """Each split's bytes with the header it was given removed again."""
    pieces = []
    for split in splits:
        piece = read_text_split(reader, split)
        if split.header is not None:
            prefix = split.header.encode()
            assert piece.startswith(prefix)
            piece = piece[len(prefix) :]
        pieces.append(piece)
    return pieces


# -- CSV / NDJSON record alignment (in memory) -----------------------------------------------------

lines = st.lists(
    st.text(st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=40), max_size=12
)


@given(
    records=lines,
    final_newline=st.booleans(),
    file_format=st.sampled_from(["csv", "ndjson"]),
    cuts=st.lists(st.integers(0, 600), max_size=12),
)
@example(records=["x" * 100], final_newline=False, file_format="ndjson", cuts=list(range(7, 100, 7)))
@example(records=["a", "", "b"], final_newline=True, file_format="csv", cuts=[1, 2, 3, 4])
def test_splits_hold_every_record_once(
    records: list[str], final_newline: bool, file_format: Format, cuts: list[int]
) -> None:
    data = "\n".join(records).encode() + (b"\n" if final_newline and records else b"")
    uri = "s3://lake/t/file"
    reader = MemoryReader({uri: data})
    splits = byte_range_splits(uri, file_format, data, cuts)
    pieces = reassemble(reader, splits)
    assert b"".join(pieces) == data
    for piece in pieces[:-1]:
        # Whole records only: a piece ends at a newline unless it is empty or the file's end.
        assert piece == b"" or piece.endswith(b"\n") or data.endswith(piece)


def _quoted(value: str, quote: str, escape: str) -> str:
    if not quote:
        return value
    if escape != quote:
        value = value.replace(escape, escape + escape)
    return quote + value.replace(quote, escape + quote) + quote


values = st.text(st.sampled_from(["a", ",", "\n", "\r", '"', "'", "\\", "\u00e9"]), max_size=12)


@given(
    rows=st.lists(st.tuples(st.integers(0, 99), values), min_size=1, max_size=15),
    dialect=st.sampled_from([('"', '"'), ("'", "\\"), ("", "")]),
    crlf=st.booleans(),
    cuts=st.lists(st.integers(1, 400), max_size=10),
)
@example(rows=[(1, "x\ny"), (2, "z")], dialect=('"', '"'), crlf=False, cuts=[9, 11])
def test_csv_cut_at_exact_record_starts_holds_every_record_once(
    rows: list[tuple[int, str]], dialect: tuple[str, str], crlf: bool, cuts: list[int]
) -> None:
    quote, escape = dialect
    if not quote:  # unquoted values hold no line break
        rows = [(number, value.replace("\n", " ")) for number, value in rows]
    eol = "\r\n" if crlf else "\n"
    records = [f"{_quoted('id', quote, escape)},{_quoted('v', quote, escape)}{eol}"]
    records += [f"{number},{_quoted(value, quote, escape)}{eol}" for number, value in rows]
    data = "".join(records).encode()
    starts = set(itertools.accumulate(len(record.encode()) for record in records))
    uri = "s3://lake/t/file.csv"
    reader = MemoryReader({uri: data})
    found = csv_record_starts(reader, FileInfo(uri, "csv", len(data)), cuts, quote, escape)
    for cut, start in found.items():
        # The first record start at or after the cut (the file's end when none is).
        assert start == min(at for at in starts | {len(data)} if at >= cut), cut
    splits = [
        dataclasses.replace(
            split,
            records=(
                found.get(split.offset, 0),
                found.get(split.offset + split.length, len(data)),
            ),
        )
        for split in byte_range_splits(uri, "csv", data, cuts)
    ]
    pieces = reassemble(reader, splits)
    assert b"".join(pieces) == data
    assert all(piece == b"" or piece.endswith(eol.encode()) for piece in pieces)


def test_an_ndjson_split_at_offset_0_drops_a_byte_order_mark() -> None:
    uri = "s3://lake/t/file.ndjson"
    data = b'\xef\xbb\xbf{"a": 1}\n{"a": 2}\n'
    reader = MemoryReader({uri: data})
    first, second = byte_range_splits(uri, "ndjson", data, [12])
    assert read_text_split(reader, first) == b'{"a": 1}\n'
    assert read_text_split(reader, second) == b'{"a": 2}\n'


def test_a_split_starting_exactly_at_a_record_keeps_it() -> None:
    data = b'{"a":1}\n{"a":2}\n{"a":3}'
    uri = "s3://lake/t/f.ndjson"
    reader = MemoryReader({uri: data})
    second = data.index(b'{"a":2}')
    split = Split(id=1, uri=uri, format="ndjson", offset=second, length=1, file_size=len(data))
    assert read_text_split(reader, split) == b'{"a":2}\n'
    last = Split(id=2, uri=uri, format="ndjson", offset=second + 1, length=len(data), file_size=len(data))
    assert read_text_split(reader, last) == b'{"a":3}'  # no trailing newline, still counted


def test_a_csv_split_without_records_still_has_its_header() -> None:
    data = b"a,b\n" + b"1," + b"x" * 50 + b"\n"
    uri = "s3://lake/t/f.csv"
    split = Split(id=1, uri=uri, format="csv", offset=10, length=5, file_size=len(data), header="a,b\n")
    assert read_text_split(MemoryReader({uri: data}), split) == b"a,b\n"


def test_a_csv_split_of_a_crlf_file_gets_the_header_with_crlf() -> None:
    data = b'a,b\r\n1,"x"\r\n2,"y"\r\n'
    uri = "s3://lake/t/f.csv"
    reader = MemoryReader({uri: data})
    header = "a,b\r\n"
    second = data.index(b"2,")
    split = Split(id=1, uri=uri, format="csv", offset=second, length=4, file_size=len(data), header=header)
    assert read_text_split(reader, split) == b'a,b\r\n2,"y"\r\n'


def test_a_split_of_unknown_size_reads_the_whole_file() -> None:
    data = b"x\ny\n"
    uri = "s3://lake/t/f.ndjson"
    split = Split(id=0, uri=uri, format="ndjson", offset=0, length=-1, file_size=-1)
    assert read_text_split(MemoryReader({uri: data}), split) == data


def test_a_long_record_is_finished_with_growing_reads() -> None:
    data = b"h\n" + b"r" * (SCAN_SIZE * 5) + b"\nlast\n"
    uri = "s3://lake/t/f.ndjson"
    reader = MemoryReader({uri: data})
    split = Split(id=0, uri=uri, format="ndjson", offset=0, length=4, file_size=len(data))
    assert read_text_split(reader, split) == data[: data.index(b"\nlast") + 1]
    scans = [end - start for _, start, end in reader.reads[1:]]
    # Doubling reads (the last one clipped at the end of the file), not 40 reads of SCAN_SIZE.
    assert scans[:-1] == [SCAN_SIZE, SCAN_SIZE * 2]
    assert scans[-1] == len(data) - 4 - SCAN_SIZE * 3


@pytest.mark.parametrize(
    ("data", "header"),
    [
        (b"id,name\n1,a\n", b"id,name\n"),
        (b"id,name\r\n1,a\r\n", b"id,name\r\n"),
        (b"only,a,header", b"only,a,header"),
        (b'id,"first\nname","a ""b""\r\nc"\r\n1,x,y\r\n', b'id,"first\nname","a ""b""\r\nc"\r\n'),
        (
            b",".join(b"c%d" % n for n in range(3000)) + b"\n1\n",
            b",".join(b"c%d" % n for n in range(3000)) + b"\n",
        ),
    ],
    ids=["lf", "crlf", "no-newline", "quoted-line-breaks", "longer-than-a-scan"],
)
def test_the_header_record_ends_where_the_first_record_after_byte_one_starts(
    data: bytes, header: bytes
) -> None:
    """The coordinator repeats a cut file's header: the bytes before the record start after byte 1."""
    uri = "s3://lake/t/f.csv"
    starts = csv_record_starts(MemoryReader({uri: data}), FileInfo(uri, "csv", len(data)), [1], '"', '"')
    assert data[: starts[1]] == header


# -- Parquet (in memory) -----------------------------------------------------------------------------


def parquet_bytes(table: pa.Table, row_group_size: int, **options: object) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=row_group_size, **options)
    return sink.getvalue()


@pytest.fixture(scope="module")
def sample() -> pa.Table:
    rows = 4000
    return pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "name": pa.array([f"name-{n:05d}" for n in range(rows)]),
            "score": pa.array([float(n % 97) for n in range(rows)]),
            # Incompressible, so a row group's payload chunk is a gap pyarrow does not read across.
            "payload": pa.array([hashlib.sha256(b"%d" % n).hexdigest() * 2 for n in range(rows)]),
        }
    )


def test_row_groups_come_from_the_footer_alone(sample: pa.Table) -> None:
    data = parquet_bytes(sample, 1000)
    uri = "s3://lake/t/f.parquet"
    reader = MemoryReader({uri: data})
    groups = parquet_row_groups(reader, FileInfo(uri, "parquet", len(data)))
    assert [(group.index, group.rows) for group in groups] == [(n, 1000) for n in range(4)]
    assert all(isinstance(group, RowGroupInfo) for group in groups)
    # Row groups are contiguous after the 4-byte magic and end where the footer starts.
    assert groups[0].offset == 4
    assert all(a.offset + a.length == b.offset for a, b in itertools.pairwise(groups))
    footer_length = int.from_bytes(data[-8:-4], "little")
    assert groups[-1].offset + groups[-1].length == len(data) - 8 - footer_length
    # One read of the file's last bytes holds the whole footer.
    assert reader.reads == [(uri, max(0, len(data) - storage.FOOTER_GUESS), len(data))]


def test_a_footer_longer_than_the_guess_costs_one_more_read(
    sample: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "FOOTER_GUESS", 16)
    data = parquet_bytes(sample, 1000)
    uri = "s3://lake/t/f.parquet"
    reader = MemoryReader({uri: data})
    groups = parquet_row_groups(reader, FileInfo(uri, "parquet", len(data)))
    assert [(group.index, group.rows) for group in groups] == [(n, 1000) for n in range(4)]
    footer_length = int.from_bytes(data[-8:-4], "little")
    assert reader.reads == [
        (uri, len(data) - 16, len(data)),
        (uri, len(data) - 8 - footer_length, len(data) - 16),
    ]


def test_a_split_reads_its_row_groups_and_columns_only(sample: pa.Table, tmp_path: Path) -> None:
    data = parquet_bytes(sample, 1000)
    uri = "s3://lake/t/f.parquet"
    reader = MemoryReader({uri: data})
    parquet_row_groups(reader, FileInfo(uri, "parquet", len(data)))
    footer_reads = len(reader.reads)
    split = Split(id=3, uri=uri, format="parquet", offset=0, length=0, file_size=len(data), row_groups=(1, 2))
    table = read_split(reader, split, tmp_path, ["id", "score"])
    assert table == sample.select(["id", "score"]).slice(1000, 2000)
    assert reader.stats.rows == 2000
    chunk_reads = reader.reads[footer_reads:]
    assert (uri, len(data) - 8, len(data)) not in chunk_reads  # the cached footer was reused
    assert sum(end - start for _, start, end in chunk_reads) < len(data) / 4


def test_a_whole_file_split_reads_every_row_group(sample: pa.Table, tmp_path: Path) -> None:
    data = parquet_bytes(sample, 1500)
    uri = "s3://lake/t/f.parquet"
    split = Split(id=0, uri=uri, format="parquet", offset=0, length=len(data), file_size=len(data))
    assert read_split(MemoryReader({uri: data}), split, tmp_path) == sample


def test_a_split_whose_row_groups_are_all_pruned_is_empty_with_the_schema(
    sample: pa.Table, tmp_path: Path
) -> None:
    data = parquet_bytes(sample, 1000)
    uri = "s3://lake/t/f.parquet"
    split = Split(id=0, uri=uri, format="parquet", offset=0, length=len(data), file_size=len(data))
    table = read_split(MemoryReader({uri: data}), split, tmp_path, ["name"], [("id", ">", 10**6)])
    assert table.num_rows == 0
    assert table.schema == sample.select(["name"]).schema


@pytest.mark.parametrize(
    ("predicates", "kept"),
    [
        ([("id", "=", 1500)], (1,)),
        ([("ID", "=", 1500)], (1,)),  # DuckDB binds names case-insensitively
        ([("id", "!=", 1500)], (0, 1, 2, 3)),
        ([("id", "<", 1000)], (0,)),
        ([("id", "<=", 1000)], (0, 1)),
        ([("id", ">", 2999)], (3,)),
        ([("id", ">=", 2999)], (2, 3)),
        ([("id", ">=", 1000), ("id", "<", 3000)], (1, 2)),
        ([("name", "<", "name-01000")], (0,)),
        ([("constant", "!=", 7)], ()),
        ([("constant", "<>", 7)], ()),
        ([("id", "<>", 1500)], (0, 1, 2, 3)),
        ([("constant", "=", 7)], (0, 1, 2, 3)),
        ([("id", "=", "not a number")], (0, 1, 2, 3)),
        ([("no_such_column", "=", 1)], (0, 1, 2, 3)),
        ([("no_stats", "=", -1)], (0, 1, 2, 3)),
        # NaN is left out of float statistics yet DuckDB orders it above every number.
        ([("ratio", ">", 100.0)], (0, 1, 2, 3)),
        ([("ratio", "<", -1.0)], ()),
        ([("ratio", "=", float("nan"))], (0, 1, 2, 3)),
    ],
)
def test_prune_row_groups(predicates: list[Predicate], kept: tuple[int, ...]) -> None:
    rows = 4000
    table = pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "name": pa.array([f"name-{n:05d}" for n in range(rows)]),
            "constant": pa.array([7] * rows),
            "ratio": pa.array([float("nan") if n % 10 == 0 else n / rows for n in range(rows)]),
            "no_stats": pa.array([n % 3 for n in range(rows)]),
        }
    )
    data = parquet_bytes(table, 1000, write_statistics=["id", "name", "constant", "ratio"])
    metadata = pq.read_metadata(pa.BufferReader(data))
    assert prune_row_groups(metadata, range(4), predicates) == kept


def test_pruning_uses_the_statistics_of_the_named_top_level_column() -> None:
    rows = 4000
    table = pa.table(
        {
            "a": pa.array([{"b": rows - 1 - n} for n in range(rows)]),  # leaf path "a.b" too
            "a.b": pa.array(range(rows), pa.int64()),
        }
    )
    metadata = pq.read_metadata(pa.BufferReader(parquet_bytes(table, 1000)))
    assert prune_row_groups(metadata, range(4), [("a.b", ">", 2999)]) == (3,)
    assert prune_row_groups(metadata, range(4), [("a", "=", 5)]) == (0, 1, 2, 3)  # a struct: no stats


def test_prune_row_groups_knows_every_comparison_the_analyser_pushes(sample: pa.Table) -> None:
    query = (
        "SELECT * FROM read_parquet('s3://lake/t/*.parquet') "
        "WHERE id = 1 AND id <> 2 AND id != 3 AND id < 4 AND id <= 5 AND id > 0 AND id >= 1"
    )
    predicates = analyse(query).sources[0].predicates
    assert len(predicates) == 7
    metadata = pq.read_metadata(pa.BufferReader(parquet_bytes(sample, 1000)))
    assert prune_row_groups(metadata, [0], predicates) == (0,)


def test_an_unknown_comparison_is_refused() -> None:
    metadata = pq.read_metadata(pa.BufferReader(parquet_bytes(pa.table({"a": [1]}), 10)))
    with pytest.raises(BadRequestError, match="unknown comparison '~'"):
        prune_row_groups(metadata, [0], [("a", "~", 1)])


def test_a_file_without_a_parquet_footer_is_refused() -> None:
    uri = "s3://lake/t/f.parquet"
    data = b"id,name\n" * 10
    with pytest.raises(BadRequestError, match="is not a Parquet file: no valid footer"):
        parquet_metadata(MemoryReader({uri: data}), FileInfo(uri, "parquet", len(data)))


# -- listing helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "pattern", "matches"),
    [
        ("p/a.parquet", "p/*.parquet", True),
        ("p/sub/a.parquet", "p/*.parquet", False),
        ("p/sub/a.parquet", "p/**/*.parquet", True),
        ("p/a.parquet", "p/**/*.parquet", True),
        ("p/part-1.csv", "p/part-?.csv", True),
        ("p/part-10.csv", "p/part-?.csv", False),
        ("p/a.parquet", "p/[ab].parquet", True),
    ],
)
def test_glob_match(key: str, pattern: str, matches: bool) -> None:
    assert glob_match(key, pattern) is matches


def test_format_of_extension() -> None:
    assert [format_of(f"s3://b/x{ext}") for ext in (".parquet", ".CSV", ".ndjson", ".jsonl")] == [
        "parquet",
        "csv",
        "ndjson",
        "ndjson",
    ]
    with pytest.raises(BadRequestError, match=r"cannot tell the format of s3://b/x\.txt"):
        format_of("s3://b/x.txt")


# -- through the lab's fault proxy ---------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    settings = LabSettings(output_dir=tmp_path_factory.mktemp("lab"), readers=("coordinator", "node-1"))
    with Lab(settings) as running:
        yield running


@pytest.fixture
def prefix(lab: Lab, request: pytest.FixtureRequest) -> Iterator[str]:
    """A key prefix of this test; its fault rules are removed afterwards."""
    yield f"{lab.prefix}/{request.node.name}/".replace("[", "-").replace("]", "")
    lab.control.clear_rules()


def put(lab: Lab, key: str, data: bytes) -> str:
    lab.s3.client().put_object(Bucket=lab.bucket, Key=key, Body=data)
    return f"s3://{lab.bucket}/{key}"


def node_reader(lab: Lab, policy: RetryPolicy = FAST, deadline: Deadline | None = None) -> ObjectReader:
    return ObjectReader(lab.reader_endpoint("node-1"), policy, deadline, SplitStats(id=1))


def proxy_stats(lab: Lab, prefix: str) -> dict[str, int]:
    totals: dict[str, int] = lab.control.stats(prefix)["totals"]
    return totals


def access_logged(lab: Lab, key: str, range_header: str) -> bool:
    line = f"key={key} range={range_header} "
    return line in Path(lab.proxy.log_path).read_text()


OBJECT = bytes(range(256)) * 800  # 204,800 bytes: several socket reads


@pytest.mark.component
def test_slowdown_twice_then_success(lab: Lab, prefix: str) -> None:
    uri = put(lab, f"{prefix}a.bin", OBJECT)
    lab.control.add_rule(action="slowdown_503", prefix=prefix, per_request=2)
    reader = node_reader(lab)
    assert reader.read_range(uri, 0, len(OBJECT)) == OBJECT
    assert reader.stats.attempts == 3
    assert reader.stats.bytes == len(OBJECT)
    assert proxy_stats(lab, prefix)["faults"] == 2


@pytest.mark.component
@pytest.mark.parametrize(
    ("action", "status"),
    [("internal_error_500", "500 InternalError"), ("reset_before_response", "connection reset")],
)
def test_a_retryable_failure_is_retried(lab: Lab, prefix: str, action: str, status: str) -> None:
    uri = put(lab, f"{prefix}a.bin", OBJECT)
    lab.control.add_rule(action=action, prefix=prefix, per_request=1)
    reader = node_reader(lab)
    assert reader.read_range(uri, 100, 200) == OBJECT[100:200]
    assert reader.stats.attempts == 2
    assert reader.stats.errors == [f"{uri}: attempt 1: {status}"]
    assert proxy_stats(lab, prefix)["faults"] == 1


@pytest.mark.component
@pytest.mark.parametrize("action", ["reset_after_bytes", "truncated_body"])
def test_a_broken_body_resumes_at_the_byte_reached(lab: Lab, prefix: str, action: str) -> None:
    key = f"{prefix}a.bin"
    uri = put(lab, key, OBJECT)
    start, end, cut = 1000, len(OBJECT) - 7, 100_003
    # times=1, not per_request: the resumed request has another range, which must get through.
    lab.control.add_rule(action=action, prefix=prefix, bytes=cut, times=1)
    reader = node_reader(lab)
    assert reader.read_range(uri, start, end) == OBJECT[start:end]
    assert reader.stats.attempts == 2
    # Not one byte fetched twice: the proxy sent exactly the range, in two pieces.
    assert reader.stats.bytes == end - start
    assert proxy_stats(lab, prefix) | {"faults_by_action": None} == {
        "requests": 2,
        "bytes": end - start,
        "faults": 1,
        "faults_by_action": None,
    }
    wait_until(
        lambda: access_logged(lab, key, f"bytes={start + cut}-{end - 1}"),
        10,
        "the resumed range in the proxy's access log",
    )


@pytest.mark.component
@pytest.mark.parametrize(
    ("action", "status"), [("not_found_404", "404 NoSuchKey"), ("forbidden_403", "403 AccessDenied")]
)
def test_client_errors_are_not_retried(lab: Lab, prefix: str, action: str, status: str) -> None:
    uri = put(lab, f"{prefix}a.bin", OBJECT)
    lab.control.add_rule(action=action, prefix=prefix)
    reader = node_reader(lab)
    with pytest.raises(StorageReadError) as caught:
        reader.read_range(uri, 0, 10)
    assert str(caught.value) == f"failed to read {uri} after 1 attempt: {status} (not retried)"
    assert reader.stats.attempts == 1
    assert proxy_stats(lab, prefix)["requests"] == 1


@pytest.mark.component
def test_persistent_slowdown_exhausts_the_attempts(lab: Lab, prefix: str) -> None:
    uri = put(lab, f"{prefix}part-0001.parquet", OBJECT)
    lab.control.add_rule(action="slowdown_503", prefix=prefix)
    reader = node_reader(lab, RetryPolicy(max_attempts=3, initial_backoff_s=0.01))
    with pytest.raises(StorageReadError) as caught:
        reader.read_range(uri, 0, 10)
    assert str(caught.value) == f"failed to read {uri} after 3 attempts: last status 503 SlowDown"
    assert (caught.value.uri, caught.value.status, caught.value.attempts) == (uri, "503 SlowDown", 3)
    assert proxy_stats(lab, prefix)["faults"] == 3


@pytest.mark.component
def test_a_hanging_store_is_abandoned_by_the_deadline(lab: Lab, prefix: str) -> None:
    uri = put(lab, f"{prefix}a.bin", OBJECT)
    lab.control.add_rule(action="hang", prefix=prefix, hang_seconds=10)
    policy = RetryPolicy(max_attempts=50, initial_backoff_s=0.05, max_backoff_s=0.05, read_timeout_s=0.3)
    began = time.time()
    reader = node_reader(lab, policy, deadline=Deadline(began + 1.0, 1.0))
    with pytest.raises(QueryTimeoutError) as caught:
        reader.read_range(uri, 0, 10)
    took = time.time() - began
    assert str(caught.value).startswith(
        f"query exceeded its deadline of 1 s (pragma query_timeout_s) while reading: failed to read {uri}, "
        "deadline reached after "
    )
    assert str(caught.value).endswith(" attempts: last status read timeout")
    assert 2 <= reader.stats.requests < 50
    # No retry started that could end after the deadline; the last attempt ends by its timeout.
    assert took < 1.0 + policy.read_timeout_s + 0.2


@pytest.mark.component
def test_head_and_listing(lab: Lab, prefix: str) -> None:
    for name, size in [("a.parquet", 3), ("b.parquet", 5), ("c.csv", 7), ("sub/d.parquet", 11)]:
        put(lab, f"{prefix}t/{name}", b"x" * size)
    reader = node_reader(lab)
    base = f"s3://{lab.bucket}/{prefix}t"
    assert reader.head(f"{base}/c.csv") == 7
    assert reader.list_objects(f"{base}/*.parquet") == [
        FileInfo(f"{base}/a.parquet", "parquet", 3),
        FileInfo(f"{base}/b.parquet", "parquet", 5),
    ]
    assert [file.uri for file in reader.list_objects(f"{base}/**/*.parquet")] == [
        f"{base}/a.parquet",
        f"{base}/b.parquet",
        f"{base}/sub/d.parquet",
    ]
    assert reader.list_objects(f"{base}/c.csv") == [FileInfo(f"{base}/c.csv", "csv", 7)]
    assert reader.list_objects(f"{base}/c.*", format="ndjson") == [FileInfo(f"{base}/c.csv", "ndjson", 7)]
    assert reader.list_objects(f"{base}/*.ndjson") == []


@pytest.mark.component
def test_listing_is_retried_and_a_missing_object_is_not(lab: Lab, prefix: str) -> None:
    put(lab, f"{prefix}a.csv", b"x")
    lab.control.add_rule(action="slowdown_503", operation="LIST", prefix=prefix, per_request=1)
    reader = node_reader(lab)
    base = f"s3://{lab.bucket}/{prefix}"
    assert [file.uri for file in reader.list_objects(f"{base}*.csv")] == [f"{base}a.csv"]
    assert reader.stats.attempts == 2
    with pytest.raises(StorageReadError) as caught:
        reader.list_objects(f"{base}missing.csv")
    assert (
        str(caught.value) == f"failed to read {base}missing.csv after 1 attempt: 404 Not Found (not retried)"
    )


@pytest.mark.component
def test_parquet_split_through_the_proxy_reads_fewer_bytes(
    lab: Lab, prefix: str, sample: pa.Table, tmp_path: Path
) -> None:
    data = parquet_bytes(sample, 1000)
    key = f"{prefix}f.parquet"
    uri = put(lab, key, data)
    reader = node_reader(lab)
    file = reader.list_objects(uri)[0]
    groups = parquet_row_groups(reader, file)
    split = Split(
        id=1,
        uri=uri,
        format="parquet",
        offset=groups[3].offset,
        length=groups[3].length,
        file_size=file.size,
        row_groups=(3,),
    )
    assert read_split(reader, split, tmp_path, ["id"]) == sample.select(["id"]).slice(3000)
    assert proxy_stats(lab, prefix)["bytes"] == reader.stats.bytes < len(data) / 4


@pytest.mark.component
def test_text_splits_through_a_faulty_proxy_hold_every_record(lab: Lab, prefix: str) -> None:
    data = b"".join(b'{"id":%d,"pad":"%s"}\n' % (n, b"z" * (n % 50)) for n in range(2000))
    uri = put(lab, f"{prefix}f.ndjson", data)
    lab.control.add_rule(action="reset_after_bytes", prefix=prefix, bytes=5000, times=3)
    reader = node_reader(lab)
    splits = byte_range_splits(uri, "ndjson", data, range(0, len(data), 9000))
    assert b"".join(reassemble(reader, splits)) == data
    assert proxy_stats(lab, prefix)["faults"] == 3


def test_an_unknown_host_is_not_retried() -> None:
    reader = ObjectReader(S3Endpoint("http://no-such-host.invalid:9000"), FAST)
    with pytest.raises(StorageReadError) as caught:
        reader.head("s3://lake/x.csv")
    assert str(caught.value) == "failed to read s3://lake/x.csv after 1 attempt: unknown host (not retried)"


def test_a_refused_connection_is_retried() -> None:
    reader = ObjectReader(S3Endpoint(f"http://127.0.0.1:{free_port()}"), FAST)
    with pytest.raises(LakeproofError, match="after 4 attempts: last status connection refused"):
        reader.read_range("s3://lake/x.csv", 0, 10)
    assert reader.stats.attempts == 4
