"""The engine reads Iceberg and Delta tables as plain DuckDB with its iceberg and delta extensions
does, under every strategy: current snapshot, time travel, schema evolution, partitions."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.table import Table
from pyiceberg.types import LongType, StringType

from lakeproof.jsonvalue import json_value
from lakeproof.lab import Lab
from lakeproof.refcluster.client import CoordinatorClient
from lakeproof.refcluster.model import STRATEGIES

from .builders import iceberg_catalog, table_oracle, write_delta, write_version_hint

pytestmark = pytest.mark.component

UTC = datetime.UTC


@dataclass(frozen=True)
class Tables:
    """The module's tables: their roots and the snapshots worth asking for."""

    iceberg: str
    iceberg_snapshots: list[int]  # oldest first
    delta: str
    delta_versions: int
    empty_iceberg: str  # created, never appended to: no snapshot


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
    """An Iceberg table (three appends, then a rename, a widening and an added column, then an
    append) and a partitioned Delta table (an append, then a column merged in)."""
    root = f"s3://{lab.bucket}/{lab.prefix}/tables"
    catalog = iceberg_catalog(lab.s3, tmp_path_factory.mktemp("catalog"))
    catalog.create_namespace("db")
    table = catalog.create_table("db.people", schema=_people(0, 1).schema, location=f"{root}/iceberg/people")
    snapshots = []
    for first in (0, 40, 80):
        table.append(_people(first, 40))
        snapshots.append(_current_id(table))
    with table.update_schema() as update:
        update.rename_column("name", "label")
        update.update_column("id", LongType())
        update.add_column("note", StringType())
    grown = _people(120, 30, pa.int64()).rename_columns(["id", "label", "city", "score", "seen"])
    table.append(grown.append_column("note", pa.array([f"x{i}" for i in range(30)])))
    snapshots.append(_current_id(table))
    write_version_hint(table, lab.s3)
    empty = catalog.create_table("db.empty", schema=_people(0, 1).schema, location=f"{root}/iceberg/empty")
    write_version_hint(empty, lab.s3)

    delta = f"{root}/delta/people"
    write_delta(delta, lab.s3, _people(0, 60), partition_by=["city"])
    merged = _people(60, 20).append_column("extra", pa.array([i * 2 for i in range(20)], pa.int64()))
    write_delta(delta, lab.s3, merged, mode="append", schema_mode="merge", partition_by=["city"])
    return Tables(f"{root}/iceberg/people", snapshots, delta, 2, f"{root}/iceberg/empty")


@pytest.fixture(scope="module")
def oracle(lab: Lab) -> Iterator[Any]:
    connection = table_oracle(lab.s3)
    yield connection
    connection.close()


def _oracle_answer(oracle: Any, sql: str) -> tuple[list[dict[str, str]], list[tuple[Any, ...]]]:
    relation = oracle.sql(sql)
    columns = [{"name": n, "type": str(t)} for n, t in zip(relation.columns, relation.types, strict=True)]
    return columns, sorted(tuple(json_value(value) for value in row) for row in relation.fetchall())


def _assert_same(client: CoordinatorClient, oracle: Any, sql: str, strategy: str) -> dict[str, Any]:
    answer = client.query(sql, {"external_distribution": strategy})
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
        f"SELECT id, label, note FROM iceberg_scan('{tables.iceberg}') WHERE id IN (1, 5, 121)"
    )
    # Row 1 was written before the rename (name n1), row 5 with a NULL name, 121 after it.
    assert sorted(new["values"]) == [[1, "n1", None], [5, None, None], [121, "n2", "x1"]]
    assert [c["type"] for c in new["columns"]] == ["BIGINT", "VARCHAR", "VARCHAR"]


def test_data_files_are_split_and_spread_over_the_nodes(tables: Tables, client: CoordinatorClient) -> None:
    answer = client.query(
        f"SELECT count(*) FROM iceberg_scan('{tables.iceberg}')", {"external_distribution": "round_robin"}
    )
    splits = answer["profile"]["splits"]
    assert answer["values"] == [[150]]
    assert len({split["uri"] for split in splits}) == len(
        tables.iceberg_snapshots
    )  # one data file per append
    assert {split["node"] for split in splits} == {"node-1", "node-2", "node-3"}
    assert sum(split["rows"] for split in splits) == 150


@pytest.mark.parametrize("strategy", ["coordinator_only", "round_robin"])
def test_a_table_without_snapshots_answers_like_an_empty_one(
    tables: Tables, client: CoordinatorClient, oracle: Any, strategy: str
) -> None:
    scan = f"iceberg_scan('{tables.empty_iceberg}')"
    for query in [*QUERIES, "SELECT count(*) AS n, max(id) AS top FROM {scan}"]:
        _assert_same(client, oracle, query.format(scan=scan), strategy)
