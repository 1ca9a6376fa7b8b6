"""Table planning on the coordinator: which snapshot a query reads, what its data files are, and
the one-line errors for asks that cannot be served. Tables are written to a real S3 server by
pyiceberg and deltalake; the planner reads them through the engine's ObjectReader."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from pyiceberg.table import Table

from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster.model import RetryPolicy
from lakeproof.refcluster.storage import ObjectReader
from lakeproof.refcluster.tables import TableError, TableRef, plan_table
from lakeproof.tables.delta import storage_options
from lakeproof.tables.iceberg import NAMESPACE, lab_catalog, write_version_hint

pytestmark = pytest.mark.component

BUCKET = "lake"  # created by the session fixture in tests/conftest.py
ROWS = pa.schema([("id", pa.int64()), ("tag", pa.string())])


def _rows(first: int, count: int) -> pa.Table:
    return pa.table({"id": range(first, first + count), "tag": [f"t{i % 3}" for i in range(count)]}, ROWS)


def _reader(endpoint: S3Endpoint) -> ObjectReader:
    return ObjectReader(endpoint, RetryPolicy(max_attempts=2, initial_backoff_s=0.01))


def _iceberg(endpoint: S3Endpoint, folder: Path, root: str, appends: int) -> Table:
    catalog = lab_catalog(folder / "catalog.db", endpoint, f"file://{folder}")
    table = catalog.create_table(f"{NAMESPACE}.t", schema=ROWS, location=root)
    for number in range(appends):
        table.append(_rows(number * 10, 10))
        write_version_hint(table)
    return table


def _upload(endpoint: S3Endpoint, uri: str, body: bytes) -> None:
    key = uri.removeprefix(f"s3://{BUCKET}/")
    endpoint.client().put_object(Bucket=BUCKET, Key=key, Body=body)


def test_iceberg_snapshot_by_current_id_and_timestamp(
    moto_endpoint: S3Endpoint, tmp_path: Path, test_prefix: str
) -> None:
    root = f"s3://{BUCKET}/{test_prefix}/iceberg/t"
    table = _iceberg(moto_endpoint, tmp_path, root, appends=3)
    snapshots = table.snapshots()
    reader = _reader(moto_endpoint)
    current = plan_table(TableRef("iceberg", root), reader)
    assert current.snapshot == f"snapshot {snapshots[-1].snapshot_id}"
    assert len(current.files) == 3  # one data file per append
    first = plan_table(TableRef("iceberg", root, snapshot_id=snapshots[0].snapshot_id), reader)
    assert [file.uri for file in first.files] == [
        task.file.file_path for task in table.scan(snapshot_id=snapshots[0].snapshot_id).plan_files()
    ]
    # At a snapshot's own commit time, that snapshot; a millisecond earlier, the one before it.
    at_second = datetime.datetime.fromtimestamp(snapshots[1].timestamp_ms / 1000, datetime.UTC).replace(
        tzinfo=None
    )
    assert (
        plan_table(TableRef("iceberg", root, timestamp=at_second), reader).snapshot
        == f"snapshot {snapshots[1].snapshot_id}"
    )
    assert snapshots[0].timestamp_ms < snapshots[1].timestamp_ms  # commits a millisecond apart at least
    just_before = at_second - datetime.timedelta(milliseconds=1)
    planned = plan_table(TableRef("iceberg", root, timestamp=just_before), reader)
    assert planned.snapshot == f"snapshot {snapshots[0].snapshot_id}"
    # The metadata file itself may be named instead of the table's root, as DuckDB allows.
    assert plan_table(TableRef("iceberg", table.metadata_location), reader).snapshot == current.snapshot


def test_iceberg_errors_name_the_table_and_the_ask(
    moto_endpoint: S3Endpoint, tmp_path: Path, test_prefix: str
) -> None:
    root = f"s3://{BUCKET}/{test_prefix}/iceberg/t"
    table = _iceberg(moto_endpoint, tmp_path, root, appends=2)
    ids = sorted(snapshot.snapshot_id for snapshot in table.snapshots())
    reader = _reader(moto_endpoint)
    nowhere = f"s3://{BUCKET}/{test_prefix}/iceberg/none"
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("iceberg", nowhere), reader)
    assert str(raised.value) == (
        f"iceberg_scan: {nowhere} is not an Iceberg table: no {nowhere}/metadata/version-hint.text"
    )
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("iceberg", root, snapshot_id=ids[-1] + 1), reader)
    assert str(raised.value) == (
        f"iceberg_scan: table {root} has no snapshot {ids[-1] + 1}; it has 2 snapshots (nearest id {ids[-1]})"
    )
    first_ms = min(snapshot.timestamp_ms for snapshot in table.snapshots())
    first = datetime.datetime.fromtimestamp(first_ms / 1000, datetime.UTC)
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("iceberg", root, timestamp=datetime.datetime(2000, 1, 1)), reader)
    assert str(raised.value) == (
        f"iceberg_scan: table {root} has no snapshot at or before 2000-01-01 00:00:00; "
        f"the first is at {first:%Y-%m-%d %H:%M:%S}.{first_ms % 1000:03d}"
    )
    metadata = json.loads(
        moto_endpoint.client()
        .get_object(Bucket=BUCKET, Key=table.metadata_location.removeprefix(f"s3://{BUCKET}/"))["Body"]
        .read()
    )
    metadata["format-version"] = 3
    _upload(moto_endpoint, f"{root}/metadata/99999-v3.metadata.json", json.dumps(metadata).encode())
    _upload(moto_endpoint, f"{root}/metadata/version-hint.text", b"99999-v3")
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("iceberg", root), reader)
    assert (
        str(raised.value) == f"iceberg_scan: table {root} has format version 3; this reader supports 1 and 2"
    )


def test_delta_versions_and_errors(moto_endpoint: S3Endpoint, test_prefix: str) -> None:
    root = f"s3://{BUCKET}/{test_prefix}/delta/t"
    write_deltalake(root, _rows(0, 10), partition_by=["tag"], storage_options=storage_options(moto_endpoint))
    write_deltalake(
        root,
        _rows(10, 5),
        mode="append",
        partition_by=["tag"],
        storage_options=storage_options(moto_endpoint),
    )
    write_deltalake(
        root,
        _rows(100, 4),
        mode="overwrite",
        partition_by=["tag"],
        storage_options=storage_options(moto_endpoint),
    )
    reader = _reader(moto_endpoint)
    assert [len(plan_table(TableRef("delta", root, version=v), reader).files) for v in range(3)] == [3, 6, 3]
    current = plan_table(TableRef("delta", root), reader)
    assert current.snapshot == "version 2"
    assert {dict(file.constants)["tag"] for file in current.files} == {
        "CAST('t0' AS VARCHAR)",
        "CAST('t1' AS VARCHAR)",
        "CAST('t2' AS VARCHAR)",
    }
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("delta", root, version=7), reader)
    assert str(raised.value) == f"delta_scan: table {root} has no version 7; the latest is 2"
    nowhere = f"s3://{BUCKET}/{test_prefix}/delta/none"
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("delta", nowhere), reader)
    assert (
        str(raised.value)
        == f"delta_scan: {nowhere} is not a Delta table: no commits in {nowhere}/_delta_log/"
    )
    protocol = {
        "protocol": {
            "minReaderVersion": 3,
            "minWriterVersion": 7,
            "readerFeatures": ["columnMapping"],
            "writerFeatures": ["columnMapping"],
        }
    }
    _upload(moto_endpoint, f"{root}/_delta_log/{3:020d}.json", json.dumps(protocol).encode() + b"\n")
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("delta", root), reader)
    assert str(raised.value) == (
        f"delta_scan: table {root} at version 3 needs reader features columnMapping; "
        "this reader does not support it"
    )
    assert plan_table(TableRef("delta", root, version=2), reader).snapshot == "version 2"


def test_delta_deletion_vectors_are_refused(moto_endpoint: S3Endpoint, test_prefix: str) -> None:
    root = f"s3://{BUCKET}/{test_prefix}/delta/dv"
    write_deltalake(root, _rows(0, 10), storage_options=storage_options(moto_endpoint))
    version = plan_table(TableRef("delta", root), _reader(moto_endpoint))
    path = version.files[0].uri.removeprefix(f"{root}/")
    vector = {
        "storageType": "u",
        "pathOrInlineDv": "ab^-aqEH.-t@S}K{vb[*k^",
        "offset": 4,
        "sizeInBytes": 40,
        "cardinality": 2,
    }
    actions = [
        {
            "protocol": {
                "minReaderVersion": 3,
                "minWriterVersion": 7,
                "readerFeatures": ["deletionVectors"],
                "writerFeatures": ["deletionVectors"],
            }
        },
        {"remove": {"path": path, "deletionTimestamp": 1, "dataChange": True}},
        {
            "add": {
                "path": path,
                "partitionValues": {},
                "size": version.files[0].size,
                "modificationTime": 1,
                "dataChange": True,
                "deletionVector": vector,
            }
        },
    ]
    _upload(
        moto_endpoint, f"{root}/_delta_log/{1:020d}.json", b"\n".join(json.dumps(a).encode() for a in actions)
    )
    with pytest.raises(TableError) as raised:
        plan_table(TableRef("delta", root), _reader(moto_endpoint))
    assert str(raised.value) == (
        f"delta_scan: table {root} at version 1 has deletion vectors ({path}); "
        "this reader does not support them"
    )


def test_delta_checkpoint_is_replayed_with_later_commits(moto_endpoint: S3Endpoint, test_prefix: str) -> None:
    root = f"s3://{BUCKET}/{test_prefix}/delta/cp"
    for number in range(3):
        write_deltalake(
            root, _rows(number * 10, 10), mode="append", storage_options=storage_options(moto_endpoint)
        )
    DeltaTable(root, storage_options=storage_options(moto_endpoint)).create_checkpoint()
    write_deltalake(root, _rows(50, 5), mode="append", storage_options=storage_options(moto_endpoint))
    planned = plan_table(TableRef("delta", root), _reader(moto_endpoint))
    expected = DeltaTable(root, storage_options=storage_options(moto_endpoint)).file_uris()
    assert planned.snapshot == "version 3"
    assert sorted(file.uri for file in planned.files) == sorted(expected)
