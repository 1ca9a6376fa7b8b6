"""Delta histories: versions as delta-rs wrote them, read back by DuckDB's delta extension."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

from lakeproof.datagen import generate_table, load_spec
from lakeproof.objectstore import S3Endpoint
from lakeproof.oracle import Oracle
from lakeproof.tables import DEFAULT_DATASETS_DIR, TableInfo, TableManifest
from lakeproof.tables.delta import storage_options
from lakeproof.tables.objects import objects_under


@pytest.fixture(scope="module")
def readings(write_table: Callable[..., TableManifest]) -> TableInfo:
    return write_table("readings").table("delta")


def _count(oracle: Oracle, sql: str) -> int:
    return int(oracle.query(sql).column(0)[0].as_py())


def test_each_step_is_a_version_delta_rs_reports(readings: TableInfo, moto_endpoint: S3Endpoint) -> None:
    history = DeltaTable(readings.root, storage_options=storage_options(moto_endpoint)).history()
    operations = {int(item["version"]): item["operation"] for item in history}
    assert [operations[s.id] for s in readings.snapshots] == [s.operation for s in readings.snapshots]
    assert [s.operation for s in readings.snapshots[:6]] == [
        "WRITE",
        "WRITE",
        "WRITE",
        "DELETE",
        "WRITE",
        "OPTIMIZE",
    ]


def test_every_surviving_version_reads_its_row_count(readings: TableInfo, oracle: Oracle) -> None:
    surviving = [s for s in readings.snapshots if s.surviving]
    assert len(surviving) < len(readings.snapshots)
    for snapshot in surviving:
        assert _count(oracle, f"SELECT count(*) FROM {readings.scan(snapshot)}") == snapshot.rows


def test_delete_rewrites_files_and_removes_exactly_the_matching_rows(
    readings: TableInfo, oracle: Oracle
) -> None:
    delete = next(s for s in readings.snapshots if s.step_kind == "delete")
    before = readings.snapshots[readings.snapshots.index(delete) - 1]
    # Before the delete the table holds the overwrite's and the next append's rows of the smoke
    # dataset (ids 500..1599); the vacuum removed that version's files, so count in the dataset.
    smoke = generate_table(load_spec(DEFAULT_DATASETS_DIR / "smoke.yaml"))
    held = smoke.filter(pc.and_(pc.greater_equal(smoke["id"], 500), pc.less(smoke["id"], 1600)))
    matching = pc.sum(pc.less(held["score"], 0.1)).as_py()
    assert matching > 0
    assert _count(oracle, f"SELECT count(*) FROM {readings.scan(delete)}") == held.num_rows - matching
    assert _count(oracle, f"SELECT count(*) FROM {readings.scan(delete)} WHERE score < 0.1") == 0
    # Copy on write: no deletion vectors, the files holding deleted rows are replaced.
    assert set(delete.data_files) != set(before.data_files)


def test_compaction_lowers_the_file_count_and_keeps_the_rows(readings: TableInfo, oracle: Oracle) -> None:
    compact = next(s for s in readings.snapshots if s.step_kind == "compact")
    before = readings.snapshots[readings.snapshots.index(compact) - 1]
    assert len(compact.data_files) < len(before.data_files)
    rows = "SELECT * FROM {} ORDER BY id"
    assert oracle.query(rows.format(readings.scan(compact))) == oracle.query(
        rows.format(readings.scan(before))
    )


def test_vacuum_removes_the_files_only_old_versions_need(
    readings: TableInfo, moto_endpoint: S3Endpoint
) -> None:
    existing = objects_under(moto_endpoint, readings.root)
    for snapshot in readings.snapshots:
        assert snapshot.surviving == (set(snapshot.data_files) <= existing)
    assert set(readings.current.data_files) <= existing
    assert not set(readings.snapshots[0].data_files) & existing
