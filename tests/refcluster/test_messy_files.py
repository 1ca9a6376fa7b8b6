"""Files real lakes hold, read by the engine as plain DuckDB reads them, under every strategy.

Each test writes its own small objects by hand (so the expected shape of each file is plain in
the test), asks the engine and plain DuckDB (the oracle) the same query, and compares both.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakeproof.jsonvalue import json_value
from lakeproof.lab import Lab
from lakeproof.objectstore.client import upload
from lakeproof.oracle import Oracle
from lakeproof.refcluster.client import CoordinatorClient
from lakeproof.refcluster.model import STRATEGIES

pytestmark = pytest.mark.component

# Coalesced (more than one split): a node reads a header-only file alone or with others.
PAST_COALESCING = {"coalesce_threshold": 1, "target_split_size": 1024}


def _put(lab: Lab, folder: str, files: dict[str, bytes]) -> str:
    """Upload ``files`` under ``folder`` of the lab's prefix; the glob of the folder's objects."""
    client = lab.s3.client()
    for name, data in files.items():
        upload(client, lab.bucket, f"{lab.prefix}/{folder}/{name}", data)
    return f"s3://{lab.bucket}/{lab.prefix}/{folder}"


def _oracle(lab: Lab, sql: str) -> tuple[list[dict[str, str]], list[tuple[Any, ...]]]:
    oracle = Oracle(lab.s3)
    try:
        relation = oracle.connection.sql(sql)
        columns = [{"name": n, "type": str(t)} for n, t in zip(relation.columns, relation.types, strict=True)]
        return columns, _sorted([[json_value(value) for value in row] for row in relation.fetchall()])
    finally:
        oracle.close()


def _sorted(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples in one order, NULLs included (JSON text orders any values)."""
    return sorted((tuple(row) for row in rows), key=json.dumps)


def _assert_equals_oracle(lab: Lab, client: CoordinatorClient, sql: str, pragma: dict[str, Any]) -> None:
    columns, rows = _oracle(lab, sql)
    for strategy in STRATEGIES:
        answer = client.query(sql, {**pragma, "external_distribution": strategy})
        assert (answer["columns"], _sorted(answer["values"])) == (columns, rows), strategy


def _csv(rows: list[str]) -> bytes:
    return "".join(f"{row}\n" for row in ["id,name,amount,day", *rows]).encode()


HEADER_ONLY_CSV = {
    "part-0.csv": _csv([]),  # header only, first in the glob
    "part-1.csv": _csv(["1,x,1.5,2024-01-02", "2,y,2.5,2024-01-03"]),
    "part-2.csv": b"",  # zero bytes: not even a header
    "part-3.csv": _csv([]),
    "part-4.csv": _csv(["3,z,3.25,2024-02-29"]),
}


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM {scan}",
        "SELECT name, sum(amount) AS total, max(day) AS last FROM {scan} GROUP BY name",
        "SELECT id, day FROM {scan} WHERE id > 1",
    ],
)
def test_sniffed_csv_types_span_header_only_and_empty_files(
    lab: Lab, client: CoordinatorClient, query: str
) -> None:
    glob = _put(lab, "header-only-csv", HEADER_ONLY_CSV)
    sql = query.format(scan=f"read_csv('{glob}/*.csv')")
    _assert_equals_oracle(lab, client, sql, PAST_COALESCING)
    # The oracle types the glob as DuckDB does, not as text: the test is about typed answers.
    assert _oracle(lab, f"DESCRIBE SELECT * FROM read_csv('{glob}/*.csv')")[1][0][:2] == ("amount", "DOUBLE")


def test_sniffed_ndjson_types_span_empty_files(lab: Lab, client: CoordinatorClient) -> None:
    glob = _put(
        lab,
        "empty-ndjson",
        {
            "part-0.ndjson": b"",
            "part-1.ndjson": b'{"id": 1, "ts": "2024-01-01 10:00:00", "v": 1.5}\n',
            "part-2.ndjson": b"",
            "part-3.ndjson": b'{"id": 2, "ts": "2024-01-02 10:00:00", "v": 2}\n{"id": 3, "v": null}\n',
        },
    )
    sql = f"SELECT id, ts, v FROM read_json('{glob}/*.ndjson')"
    _assert_equals_oracle(lab, client, sql, PAST_COALESCING)
    assert _oracle(lab, f"SELECT typeof(v) AS t FROM read_json('{glob}/*.ndjson') LIMIT 1")[1] == [
        ("DOUBLE",)
    ]


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


DRIFTING_PARQUET = {
    "part-0.parquet": _parquet(
        pa.table({"id": pa.array([1], pa.int32()), "v": pa.array([1.5], pa.float32())})
    ),
    "part-1.parquet": _parquet(
        pa.table({"id": pa.array([2], pa.int64()), "v": pa.array([2.5], pa.float64()), "extra": ["x"]})
    ),
    "part-2.parquet": _parquet(pa.table({"extra": ["y"], "id": pa.array([3], pa.int64())})),
}


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM {scan}",
        "SELECT extra, sum(v) AS v, max(id) AS id FROM {scan} GROUP BY extra",
        "SELECT id FROM {scan} WHERE extra = 'y'",
    ],
)
def test_parquet_schema_drift_with_union_by_name(lab: Lab, client: CoordinatorClient, query: str) -> None:
    glob = _put(lab, "drift-parquet", DRIFTING_PARQUET)
    sql = query.format(scan=f"read_parquet('{glob}/*.parquet', union_by_name = true)")
    _assert_equals_oracle(lab, client, sql, PAST_COALESCING)


def test_timestamp_with_time_zone_answers(lab: Lab, client: CoordinatorClient) -> None:
    glob = _put(lab, "tz-csv", {"part-0.csv": _csv(["1,x,1.5,2024-01-02"])})
    sql = (
        "SELECT CAST(day AS TIMESTAMPTZ) + INTERVAL 90 MINUTE AS at, [CAST(day AS TIMESTAMPTZ)] AS ats "
        f"FROM read_csv('{glob}/*.csv')"
    )
    _assert_equals_oracle(lab, client, sql, {})
    answer = client.query(sql, {})
    assert answer["values"] == [["2024-01-02T01:30:00+00:00", ["2024-01-02T00:00:00+00:00"]]]


def _ndjson_lines(first: int, count: int) -> bytes:
    return "".join(
        f'{{"id": {i}, "name": "n{i % 7}", "v": {i / 4}}}\n' for i in range(first, first + count)
    ).encode()


def _csv_lines(first: int, count: int) -> bytes:
    return _csv([f"{i},n{i % 7},{i / 4},2024-01-{1 + i % 28:02d}" for i in range(first, first + count)])


COMPRESSED = {
    # Each file far larger than a split of 1024 bytes once decompressed.
    "part-0.csv.gz": gzip.compress(_csv_lines(0, 400), mtime=0),
    "part-1.csv.zst": pa.compress(_csv_lines(400, 300), "zstd", asbytes=True),
    "part-2.csv": _csv_lines(700, 300),
    "part-0.ndjson.gz": gzip.compress(_ndjson_lines(0, 400), mtime=0),
    "part-1.ndjson.zst": pa.compress(_ndjson_lines(400, 300), "zstd", asbytes=True),
    "part-2.ndjson": _ndjson_lines(700, 300),
}


@pytest.mark.parametrize(("function", "pattern"), [("read_csv", "*.csv*"), ("read_json", "*.ndjson*")])
def test_compressed_text_files_are_one_split_each(
    lab: Lab, client: CoordinatorClient, function: str, pattern: str
) -> None:
    glob = _put(lab, "compressed", COMPRESSED)
    scan = f"{function}('{glob}/{pattern}')"
    sql = f"SELECT name, count(*) AS n, sum(id) AS ids, max(id) AS last FROM {scan} GROUP BY name"
    pragma = {"target_split_size": 1024, "split_csv": True}
    _assert_equals_oracle(lab, client, sql, pragma)
    splits = client.query(sql, pragma)["profile"]["splits"]
    compressed = [split for split in splits if split["uri"].endswith((".gz", ".zst"))]
    assert [(split["offset"], split["length"]) for split in compressed] == [
        (0, split["size"]) for split in compressed
    ]
    assert len(compressed) == 2
    assert len(splits) > 3  # the plain file is cut into ranges


def test_the_compression_option_makes_every_file_one_split(lab: Lab, client: CoordinatorClient) -> None:
    glob = _put(
        lab,
        "named-compression",
        {f"part-{i}.csv": gzip.compress(_csv_lines(i * 300, 300), mtime=0) for i in range(3)},
    )
    sql = f"SELECT count(*) AS n, sum(id) AS ids FROM read_csv('{glob}/*.csv', compression = 'gzip')"
    pragma = {"target_split_size": 1024, "split_csv": True}
    _assert_equals_oracle(lab, client, sql, pragma)
    answer = client.query(sql, pragma)
    assert answer["values"] == [[900, 900 * 899 // 2]]
    assert len(answer["profile"]["splits"]) == 3


def _partitioned(lab: Lab) -> str:
    """Parquet and CSV objects under Hive-style keys: year=YYYY/month=MM, ten rows per file."""
    files: dict[str, bytes] = {}
    for year, month in [(2023, "11"), (2023, "12"), (2024, "01"), (2024, "02")]:
        ids = list(range(year * 100 + int(month), year * 100 + int(month) + 10))
        table = pa.table({"id": ids, "v": [float(i) / 3 for i in ids]})
        files[f"year={year}/month={month}/part-0.parquet"] = _parquet(table)
        files[f"year={year}/month={month}/part-0.csv"] = "".join(
            f"{row}\n" for row in ["id,v", *(f"{i},{i / 3}" for i in ids)]
        ).encode()
    return _put(lab, "hive", files)


@pytest.mark.parametrize("function", ["read_parquet", "read_csv"])
@pytest.mark.parametrize("option", ["", ", hive_partitioning = true"])
def test_hive_partition_values_come_from_the_key(
    lab: Lab, client: CoordinatorClient, function: str, option: str
) -> None:
    glob = _partitioned(lab)
    extension = "parquet" if function == "read_parquet" else "csv"
    scan = f"{function}('{glob}/*/*/*.{extension}'{option})"
    for sql in (
        f"SELECT * FROM {scan}",
        f"SELECT year, month, count(*) AS n, sum(v) AS v FROM {scan} GROUP BY year, month",
        f"SELECT id, month FROM {scan} WHERE year = 2024 AND id % 2 = 0",
    ):
        _assert_equals_oracle(lab, client, sql, {})


@pytest.mark.parametrize(
    ("condition", "matches"),
    [
        ("year = 2024 AND month <> '01'", lambda year, month: year == 2024 and month != "01"),
        ("year >= 2024", lambda year, month: year >= 2024),
        ("month < '02' AND year > 2023", lambda year, month: month < "02" and year > 2023),
        ("year BETWEEN 2023 AND 2023 AND month >= '12'", lambda year, month: year == 2023 and month >= "12"),
    ],
)
def test_a_filter_on_partition_columns_reads_only_matching_files(
    lab: Lab, client: CoordinatorClient, condition: str, matches: Callable[[int, str], bool]
) -> None:
    glob = _partitioned(lab)
    scan = f"read_parquet('{glob}/*/*/*.parquet')"
    everything = client.query(f"SELECT sum(v) AS v FROM {scan}", {})["profile"]["splits"]
    # Integer sums: a sum of doubles may differ in its last bit with the order rows arrive in.
    query = f"SELECT count(*) AS n, sum(id) AS ids FROM {scan} WHERE {condition}"
    pruned = client.query(query, {})["profile"]["splits"]
    keys = [split["uri"].rsplit("/", 3)[1:3] for split in everything]
    wanted = [
        key for key in keys if matches(int(key[0].removeprefix("year=")), key[1].removeprefix("month="))
    ]
    assert len(everything) == 4
    assert 0 < len(wanted) < len(keys)
    assert sorted(split["uri"].rsplit("/", 3)[1:3] for split in pruned) == sorted(wanted)
    read = sum(split["bytes"] for split in pruned)
    assert 0 < read < sum(split["bytes"] for split in everything) * (len(wanted) + 0.5) / len(keys)
    _assert_equals_oracle(lab, client, query, {})


@pytest.mark.parametrize("function", ["read_csv", "read_json"])
def test_text_columns_parsed_to_hugeint_keep_their_type(
    lab: Lab, client: CoordinatorClient, function: str
) -> None:
    # Arrow has no 128-bit integer: a node that hands its parsed splits on through Arrow would
    # answer DECIMAL(38,0) (DuckDB types many-column NDJSON integers HUGEINT when it sniffs).
    rows = [(index, 10**30 + index) for index in range(6)]
    if function == "read_csv":
        name, body = "part-0.csv", "id,big\n" + "".join(f"{i},{big}\n" for i, big in rows)
    else:
        name, body = "part-0.ndjson", "".join(f'{{"id": {i}, "big": {big}}}\n' for i, big in rows)
    glob = _put(lab, f"hugeint-{function}", {name: body.encode()})
    scan = f"{function}('{glob}/{name}', columns = {{'id': 'BIGINT', 'big': 'HUGEINT'}})"
    for sql, first in (
        (f"SELECT id, big FROM {scan}", "BIGINT"),
        (f"SELECT big, count(*) AS n FROM {scan} GROUP BY big", "HUGEINT"),
    ):
        _assert_equals_oracle(lab, client, sql, {"target_split_size": 1024, "split_csv": True})
        assert client.query(sql, {})["columns"][0]["type"] == first


@pytest.mark.parametrize("function", ["read_csv", "read_json"])
def test_count_star_alone_over_sniffed_text_files(lab: Lab, client: CoordinatorClient, function: str) -> None:
    # No column needed and the types sniffed over the glob: each split still counts its rows.
    files = (
        {"part-0.csv": _csv_lines(0, 30), "part-1.csv": _csv([]), "part-2.csv": _csv_lines(30, 20)}
        if function == "read_csv"
        else {
            "part-0.ndjson": _ndjson_lines(0, 30),
            "part-1.ndjson": b"",
            "part-2.ndjson": _ndjson_lines(30, 20),
        }
    )
    glob = _put(lab, f"count-star-{function}", files)
    sql = f"SELECT count(*) AS n FROM {function}('{glob}/*')"
    _assert_equals_oracle(lab, client, sql, {"target_split_size": 1024, "split_csv": True})


MULTILINE_HEADER_CSV = {
    f"part-{index}.csv": "".join(
        f"{row}\n"
        for row in [
            'id,"first\nname","total, net"',
            *(f'{i},"n{i}\nx",{i * 1.5}' for i in range(start, start + 150)),
        ]
    ).encode()
    for index, start in enumerate((0, 150, 300))
}


@pytest.mark.parametrize("pragma", [{}, {"split_csv": True, **PAST_COALESCING}])
def test_header_names_with_line_breaks(lab: Lab, client: CoordinatorClient, pragma: dict[str, Any]) -> None:
    glob = _put(lab, "multiline-header-csv", MULTILINE_HEADER_CSV)
    scan = f"read_csv('{glob}/*.csv')"
    for sql in (
        f"SELECT * FROM {scan}",
        f'SELECT count(*) AS n, sum("total, net") AS t, max("first\nname") AS m FROM {scan}',
    ):
        _assert_equals_oracle(lab, client, sql, pragma)
    splits = client.query(f"SELECT count(*) AS n FROM {scan}", pragma)["profile"]["splits"]
    # With split_csv every file (about 3 kB) is cut into ranges, so ranges start inside quoted values.
    assert len(splits) == (3 if not pragma else 9), splits


def test_cut_csv_files_without_a_header(lab: Lab, client: CoordinatorClient) -> None:
    files = {
        f"part-{index}.csv": "".join(f"{i},n{i},{i * 1.5}\n" for i in range(start, start + 200)).encode()
        for index, start in enumerate((0, 200))
    }
    glob = _put(lab, "headerless-csv", files)
    scan = f"read_csv('{glob}/*.csv', header = false)"
    # Every range would start with the first record again if the coordinator repeated "the header".
    sql = f"SELECT count(*) AS n, sum(column0) AS ids, count(DISTINCT column1) AS names FROM {scan}"
    _assert_equals_oracle(lab, client, sql, {"split_csv": True, **PAST_COALESCING})
