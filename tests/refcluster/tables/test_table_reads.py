"""The engine reads Iceberg and Delta tables as plain DuckDB with its iceberg and delta extensions
does, under every strategy: current snapshot, time travel, schema evolution, partitions."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from pyiceberg.table import Table
from pyiceberg.types import LongType, StringType

from lakeproof.jsonvalue import json_value
from lakeproof.lab import Lab
from lakeproof.oracle import Oracle
from lakeproof.refcluster.client import CoordinatorClient
from lakeproof.refcluster.model import STRATEGIES
from lakeproof.tables.delta import storage_options
from lakeproof.tables.iceberg import NAMESPACE, lab_catalog, row_delta, write_version_hint

pytestmark = pytest.mark.component

UTC = datetime.UTC
ROW_GROUP_ROWS = 10
SMALL_SPLITS = {"parquet_target_size": 1024}  # a split per row group or two: deletes cross splits


@dataclass(frozen=True)
class Tables:
    """The module's tables: their roots and the snapshots worth asking for."""

    iceberg: str
    iceberg_snapshots: list[int]  # oldest first
    delta: str
    delta_versions: int
    empty_iceberg: str  # created, never appended to: no snapshot
    iceberg_commit_times: list[datetime.datetime]  # of iceberg_snapshots, UTC without a zone


INT32 = pa.int32()


def _people(first: int, count: int, id_type: pa.DataType = INT32) -> pa.Table:
    ids = list(range(first, first + count))
    return pa.table(
        {
            "id": pa.array(ids, id_type),
            "name": pa.array([f"n{i % 7}" if i % 5 else None for i in ids], pa.string()),
            "city": [["oslo", "lima", "pune"][i % 3] for i in ids],
            "score": pa.array([i * 0.5 for i in ids], pa.float32()),
            "seen": pa.array(
                [datetime.datetime(2026, 1, 1, tzinfo=UTC) + datetime.timedelta(hours=i) for i in ids],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )


def _current_id(table: Table) -> int:
    snapshot = table.current_snapshot()
    assert snapshot is not None
    return snapshot.snapshot_id


@pytest.fixture(scope="module")
def tables(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """An Iceberg table (three appends of files of four row groups; position deletes in two files;
    an equality delete; then a rename, a widening and an added column, an append and a position
    delete in the new file) and a partitioned Delta table (an append, then a column merged in)."""
    root = f"s3://{lab.bucket}/{lab.prefix}/tables"
    folder = tmp_path_factory.mktemp("catalog")
    catalog = lab_catalog(folder / "catalog.db", lab.s3, f"file://{folder}")
    table = catalog.create_table(
        f"{NAMESPACE}.people",
        schema=_people(0, 1).schema,
        location=f"{root}/iceberg/people",
        properties={"write.parquet.row-group-limit": str(ROW_GROUP_ROWS)},
    )
    snapshots = []
    for first in (0, 40, 80):
        table.append(_people(first, 40))
        snapshots.append(_current_id(table))
    # Each append is one file of ids in order: rows at row-group edges and in later row groups,
    # in two files (positions count from each file's start).
    row_delta(table, "id IN (0, 9, 10, 39, 65)", "position", None)
    snapshots.append(_current_id(table))
    # A column without NULLs: DuckDB's iceberg_scan (the oracle) drops rows whose equality column
    # is NULL when it applies an equality delete of other values, which the spec does not.
    row_delta(table, "city = 'pune'", "equality", "city")
    snapshots.append(_current_id(table))
    with table.update_schema() as update:
        update.rename_column("name", "label")
        update.update_column("id", LongType())
        update.add_column("note", StringType())
    grown = _people(120, 30, pa.int64()).rename_columns(["id", "label", "city", "score", "seen"])
    table.append(grown.append_column("note", pa.array([f"x{i}" for i in range(30)])))
    snapshots.append(_current_id(table))
    # Its rows in pune stay: the equality delete came before them (a smaller sequence number).
    row_delta(table, "id = 122", "position", None)
    snapshots.append(_current_id(table))
    empty = catalog.create_table(
        f"{NAMESPACE}.empty", schema=_people(0, 1).schema, location=f"{root}/iceberg/empty"
    )
    write_version_hint(empty)

    delta = f"{root}/delta/people"
    write_deltalake(delta, _people(0, 60), partition_by=["city"], storage_options=storage_options(lab.s3))
    merged = _people(60, 20).append_column("extra", pa.array([i * 2 for i in range(20)], pa.int64()))
    write_deltalake(
        delta,
        merged,
        mode="append",
        schema_mode="merge",
        partition_by=["city"],
        storage_options=storage_options(lab.s3),
    )
    times = {s.snapshot_id: s.timestamp_ms for s in table.snapshots()}
    commit_times = [
        datetime.datetime.fromtimestamp(times[snapshot] / 1000, UTC).replace(tzinfo=None)
        for snapshot in snapshots
    ]
    return Tables(f"{root}/iceberg/people", snapshots, delta, 2, f"{root}/iceberg/empty", commit_times)


@pytest.fixture(scope="module")
def oracle(lab: Lab) -> Iterator[Any]:
    """Plain DuckDB with its iceberg and delta extensions, reading the store directly."""
    with Oracle(lab.s3) as reference:
        yield reference.connection


def _oracle_answer(oracle: Any, sql: str) -> tuple[list[dict[str, str]], list[tuple[Any, ...]]]:
    relation = oracle.sql(sql)
    columns = [{"name": n, "type": str(t)} for n, t in zip(relation.columns, relation.types, strict=True)]
    return columns, sorted(tuple(json_value(value) for value in row) for row in relation.fetchall())


def _assert_same(client: CoordinatorClient, oracle: Any, sql: str, strategy: str) -> dict[str, Any]:
    answer = client.query(sql, {"external_distribution": strategy, **SMALL_SPLITS})
    columns, rows = _oracle_answer(oracle, sql)
    assert answer["columns"] == columns
    assert sorted(tuple(row) for row in answer["values"]) == rows
    return answer


QUERIES = [
    "SELECT * FROM {scan}",
    "SELECT city, count(*) AS n, sum(score) AS total, max(seen) AS last FROM {scan} GROUP BY city",
    "SELECT id FROM {scan} WHERE id % 3 = 0 ORDER BY id DESC LIMIT 5",
]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_iceberg_every_snapshot_equals_the_oracle(
    tables: Tables, client: CoordinatorClient, oracle: Any, strategy: str
) -> None:
    scans = [f"iceberg_scan('{tables.iceberg}')"] + [
        f"iceberg_scan('{tables.iceberg}', snapshot_from_id => {snapshot})"
        for snapshot in tables.iceberg_snapshots
    ]
    for scan in scans:
        for query in QUERIES:
            _assert_same(client, oracle, query.format(scan=scan), strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_delta_every_version_equals_the_oracle(
    tables: Tables, client: CoordinatorClient, oracle: Any, strategy: str
) -> None:
    scans = [f"delta_scan('{tables.delta}')"] + [
        f"delta_scan('{tables.delta}', version => {version})" for version in range(tables.delta_versions)
    ]
    for scan in scans:
        for query in QUERIES:
            _assert_same(client, oracle, query.format(scan=scan), strategy)


def test_renamed_and_widened_columns_come_out_under_each_snapshots_schema(
    tables: Tables, client: CoordinatorClient
) -> None:
    first = f"iceberg_scan('{tables.iceberg}', snapshot_from_id => {tables.iceberg_snapshots[0]})"
    old = client.query(f"SELECT * FROM {first} LIMIT 0")
    assert [(c["name"], c["type"]) for c in old["columns"]][:2] == [("id", "INTEGER"), ("name", "VARCHAR")]
    new = client.query(
        f"SELECT id, label, note FROM iceberg_scan('{tables.iceberg}') WHERE id IN (1, 15, 121)"
    )
    # Rows 1 and 15 were written before the rename (names n1 and NULL), 121 after it.
    assert sorted(new["values"]) == [[1, "n1", None], [15, None, None], [121, "n2", "x1"]]
    assert [c["type"] for c in new["columns"]] == ["BIGINT", "VARCHAR", "VARCHAR"]


def test_data_files_are_split_and_spread_over_the_nodes(
    tables: Tables, client: CoordinatorClient, oracle: Any
) -> None:
    sql = f"SELECT count(*) FROM iceberg_scan('{tables.iceberg}')"
    answer = client.query(sql, {"external_distribution": "round_robin", **SMALL_SPLITS})
    splits = answer["profile"]["splits"]
    (expected,) = oracle.sql(sql).fetchone()
    assert answer["values"] == [[expected]]
    assert expected < 150  # the deletes took rows away
    assert len({split["uri"] for split in splits}) == 4  # one data file per append
    assert len(splits) > 4  # files of several row groups are cut
    assert {split["node"] for split in splits} == {"node-1", "node-2", "node-3"}
    assert sum(split["rows"] for split in splits) == 150  # rows read: deletes drop them after


@pytest.mark.parametrize("strategy", ["coordinator_only", "round_robin"])
def test_a_table_without_snapshots_answers_like_an_empty_one(
    tables: Tables, client: CoordinatorClient, oracle: Any, strategy: str
) -> None:
    scan = f"iceberg_scan('{tables.empty_iceberg}')"
    for query in [*QUERIES, "SELECT count(*) AS n, max(id) AS top FROM {scan}"]:
        _assert_same(client, oracle, query.format(scan=scan), strategy)


def test_time_travel_by_timestamp_equals_the_oracle(
    tables: Tables, client: CoordinatorClient, oracle: Any
) -> None:
    # At each commit's own time, and a millisecond before the next one: the same snapshot.
    moments = [
        *tables.iceberg_commit_times,
        *(t - datetime.timedelta(milliseconds=1) for t in tables.iceberg_commit_times[1:]),
    ]
    for moment in moments:
        at = f"TIMESTAMP '{moment.isoformat(sep=' ')}'"
        scan = f"iceberg_scan('{tables.iceberg}', snapshot_from_timestamp => {at})"
        _assert_same(client, oracle, QUERIES[1].format(scan=scan), "round_robin")


def test_a_query_of_one_column_reads_fewer_bytes_than_one_of_every_column(
    tables: Tables, client: CoordinatorClient
) -> None:
    def bytes_read(sql: str) -> int:
        answer = client.query(sql, {"external_distribution": "round_robin"})
        return sum(split["bytes"] for split in answer["profile"]["splits"])

    # The renamed column is read by its field id: its chunks, not the file's others.
    narrow = bytes_read(f"SELECT max(label) FROM iceberg_scan('{tables.iceberg}')")
    wide = bytes_read(f"SELECT * FROM iceberg_scan('{tables.iceberg}')")
    assert narrow < wide
