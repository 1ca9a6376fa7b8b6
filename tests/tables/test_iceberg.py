"""Iceberg histories: each step shows in the table's own metadata, and DuckDB reads every snapshot.

Expected counts come from DuckDB reading the snapshot before (rows deleted = rows that matched
there), never from the writer's manifest, whose row counts are checked against them too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyiceberg.manifest import DataFileContent, ManifestContent
from pyiceberg.table import Table

from lakeproof.objectstore import S3Endpoint
from lakeproof.oracle import Oracle
from lakeproof.tables import TableInfo, TableManifest
from lakeproof.tables.iceberg import NAMESPACE, lab_catalog

from .conftest import BUCKET


@pytest.fixture(scope="module")
def orders(write_table: Callable[..., TableManifest]) -> TableInfo:
    return write_table("orders").table("iceberg")


@pytest.fixture(scope="module")
def evolving(write_table: Callable[..., TableManifest]) -> TableInfo:
    return write_table("evolving").table("iceberg")


def _load(info: TableInfo, endpoint: S3Endpoint, tmp_path: Path) -> Table:
    """The table through a fresh catalog registered from its metadata: the writer's view is not reused."""
    catalog = lab_catalog(tmp_path / "reader.db", endpoint, f"s3://{BUCKET}/unused")
    hint = endpoint.client().get_object(
        Bucket=BUCKET, Key=f"{info.root.removeprefix(f's3://{BUCKET}/')}/metadata/version-hint.text"
    )
    stem = hint["Body"].read().decode()
    return catalog.register_table(
        (NAMESPACE, f"{info.name}_read"), f"{info.root}/metadata/{stem}.metadata.json"
    )


def _count(oracle: Oracle, sql: str) -> int:
    return int(oracle.query(sql).column(0)[0].as_py())


def _rows(oracle: Oracle, scan: str) -> list[tuple[object, ...]]:
    return sorted(tuple(row.values()) for row in oracle.query(f"SELECT * FROM {scan}").to_pylist())


def test_every_surviving_snapshot_reads_its_row_count(
    orders: TableInfo, evolving: TableInfo, oracle: Oracle
) -> None:
    checked = 0
    for table in (orders, evolving):
        for snapshot in table.snapshots:
            if snapshot.surviving:
                assert _count(oracle, f"SELECT count(*) FROM {table.scan(snapshot)}") == snapshot.rows, (
                    snapshot
                )
                checked += 1
    assert checked >= 8


def test_position_and_equality_deletes_remove_exactly_the_matching_rows(
    evolving: TableInfo, oracle: Oracle
) -> None:
    deletes = [s for s in evolving.snapshots if s.step_kind == "delete"]
    assert [s.operation for s in deletes] == ["delete", "delete"]
    for snapshot, where in zip(deletes, ["qty < 5", "qty > 95"], strict=True):
        before = evolving.snapshots[evolving.snapshots.index(snapshot) - 1]
        matching = _count(oracle, f"SELECT count(*) FROM {evolving.scan(before)} WHERE {where}")
        assert matching > 0
        total_before = _count(oracle, f"SELECT count(*) FROM {evolving.scan(before)}")
        assert _count(oracle, f"SELECT count(*) FROM {evolving.scan(snapshot)}") == total_before - matching
        assert _count(oracle, f"SELECT count(*) FROM {evolving.scan(snapshot)} WHERE {where}") == 0


def test_delete_files_are_in_delete_manifests_with_their_content(
    evolving: TableInfo, moto_endpoint: S3Endpoint, tmp_path: Path, oracle: Oracle
) -> None:
    table = _load(evolving, moto_endpoint, tmp_path)
    snapshot = table.current_snapshot()
    assert snapshot is not None
    manifests = snapshot.manifests(io=table.io)
    delete_manifests = [m for m in manifests if m.content == ManifestContent.DELETES]
    assert delete_manifests
    entries = [e.data_file for m in delete_manifests for e in m.fetch_manifest_entry(io=table.io)]
    kinds = {f.content for f in entries}
    assert kinds == {DataFileContent.POSITION_DELETES, DataFileContent.EQUALITY_DELETES}
    id_field = table.schema().find_field("id").field_id
    data_paths = {
        e.data_file.file_path
        for m in manifests
        if m.content == ManifestContent.DATA
        for e in m.fetch_manifest_entry(io=table.io)
    }
    for delete_file in entries:
        with table.io.new_input(delete_file.file_path).open() as stream:
            content = pq.read_table(stream)
        assert content.num_rows == delete_file.record_count > 0
        if delete_file.content == DataFileContent.EQUALITY_DELETES:
            assert delete_file.equality_ids == [id_field]
            assert content.column_names == ["id"]
        else:
            assert content.column_names == ["file_path", "pos"]
            assert set(content.column("file_path").to_pylist()) <= data_paths


def test_schema_and_partition_evolution_show_in_the_metadata(
    evolving: TableInfo, moto_endpoint: S3Endpoint, tmp_path: Path, oracle: Oracle
) -> None:
    table = _load(evolving, moto_endpoint, tmp_path)
    schema_ids = [s.schema_id or 0 for s in evolving.snapshots]
    assert schema_ids == sorted(schema_ids)
    assert len(set(schema_ids)) >= 3
    # Unpartitioned again reuses spec 0, and the renamed column spec 1: Iceberg reuses a spec it has.
    assert [spec.spec_id for spec in table.specs().values()] == [0, 1]
    assert [s.spec_id for s in evolving.snapshots] == [1, 1, 0, 0, 1, 1]
    current = table.current_snapshot()
    assert current is not None
    live_specs = {
        e.data_file.spec_id for m in current.manifests(table.io) for e in m.fetch_manifest_entry(table.io)
    }
    assert live_specs == {0, 1}
    assert [f.name for f in table.schema().fields] == ["id", "area", "qty", "day", "price"]
    assert str(table.schema().find_field("qty").field_type) == "long"
    assert oracle.query(f"SELECT * FROM {evolving.scan()}").column_names == [
        "id",
        "area",
        "qty",
        "day",
        "price",
    ]
    first = evolving.snapshots[0]
    assert oracle.query(f"SELECT * FROM {evolving.scan(first)}").column_names == [
        "id",
        "region",
        "qty",
        "discount",
        "day",
    ]
    # Rows written before price was added read NULL there; rows written after carry it.
    assert _count(oracle, f"SELECT count(price) FROM {evolving.scan()} WHERE id < 600") == 0
    assert _count(oracle, f"SELECT count(price) FROM {evolving.scan()} WHERE id >= 600") > 0


def test_compaction_keeps_the_rows_in_fewer_files(orders: TableInfo, oracle: Oracle) -> None:
    compact = next(s for s in orders.snapshots if s.step_kind == "compact")
    before = orders.snapshots[orders.snapshots.index(compact) - 1]
    assert compact.operation == "replace"
    assert len(compact.data_files) == 1 < len(before.data_files)
    assert compact.delete_files == ()
    assert _rows(oracle, orders.scan(compact)) == _rows(oracle, orders.scan(before))


def test_expiry_removes_snapshots_and_keeps_the_rest_readable(
    orders: TableInfo, moto_endpoint: S3Endpoint, tmp_path: Path, oracle: Oracle
) -> None:
    table = _load(orders, moto_endpoint, tmp_path)
    alive = [s.snapshot_id for s in table.snapshots()]
    assert alive == [s.id for s in orders.snapshots if s.surviving]
    assert len(alive) == 3 < len(orders.snapshots)
    expired = next(s for s in orders.snapshots if not s.surviving)
    with pytest.raises(Exception, match=str(expired.id)):
        oracle.query(f"SELECT count(*) FROM {orders.scan(expired)}")


def test_time_travel_by_timestamp_reads_the_same_snapshot_as_by_id(
    evolving: TableInfo, oracle: Oracle
) -> None:
    for snapshot in evolving.snapshots:
        by_id = _count(oracle, f"SELECT count(*) FROM {evolving.scan(snapshot)}")
        assert _count(oracle, f"SELECT count(*) FROM {evolving.scan(snapshot, by='timestamp')}") == by_id


def test_same_spec_and_seed_give_the_same_contents(
    write_table: Callable[..., TableManifest], evolving: TableInfo, oracle: Oracle
) -> None:
    first_run = TableManifest(
        name="evolving", tables=(evolving, write_table("evolving", "a2").table("delta"))
    )
    again = write_table("evolving", "b")
    for fmt in ("iceberg", "delta"):
        first, second = first_run.table(fmt), again.table(fmt)
        assert second.root != first.root
        assert len(second.snapshots) == len(first.snapshots)
        for one, other in zip(first.snapshots, second.snapshots, strict=True):
            assert (other.operation, other.rows) == (one.operation, one.rows)
            assert _rows(oracle, second.scan(other)) == _rows(oracle, first.scan(one))
    # Iceberg snapshot ids are drawn at random: the contents repeat, the ids do not.
    assert [s.id for s in again.table("iceberg").snapshots] != [s.id for s in evolving.snapshots]
