"""Small Iceberg and Delta tables for the engine's tests and the metadata-fault suite, written
with pyiceberg and deltalake straight into the object store: appends, schema changes, and Iceberg
position and equality delete files (a row delta, which pyiceberg itself does not commit)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import write_deltalake
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    FileFormat,
    ManifestContent,
    ManifestWriter,
    ManifestWriterV2,
)
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.table import Table
from pyiceberg.table.refs import MAIN_BRANCH
from pyiceberg.table.snapshots import Operation
from pyiceberg.table.update.snapshot import _FastAppendFiles
from pyiceberg.typedef import Record

from lakeproof.objectstore import S3Endpoint


def iceberg_catalog(endpoint: S3Endpoint, folder: Path) -> SqlCatalog:
    """A SQLite catalog whose tables keep data and metadata in ``endpoint``'s store."""
    return SqlCatalog(
        "tests",
        uri=f"sqlite:///{folder / 'catalog.db'}",
        warehouse=f"file://{folder}",
        **{
            "s3.endpoint": endpoint.url,
            "s3.access-key-id": endpoint.access_key,
            "s3.secret-access-key": endpoint.secret_key,
            "s3.region": endpoint.region,
            "s3.force-virtual-addressing": "false",
        },
    )


def write_version_hint(table: Table, endpoint: S3Endpoint) -> None:
    """``metadata/version-hint.text`` naming the table's current metadata file, as the writer does."""
    stem = table.metadata_location.rsplit("/", 1)[-1].removesuffix(".metadata.json")
    bucket, _, key = table.location().removeprefix("s3://").partition("/")
    endpoint.client().put_object(Bucket=bucket, Key=f"{key}/metadata/version-hint.text", Body=stem.encode())


def delta_storage(endpoint: S3Endpoint) -> dict[str, Any]:
    """deltalake's storage options for ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "AWS_REGION": endpoint.region,
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


def write_delta(uri: str, endpoint: S3Endpoint, data: pa.Table, **options: Any) -> None:
    """One Delta commit of ``data`` (``mode``, ``partition_by``, ``schema_mode`` as deltalake takes them)."""
    write_deltalake(uri, data, storage_options=delta_storage(endpoint), **options)


class _DeleteManifestWriter(ManifestWriterV2):
    """A v2 manifest of delete files (pyiceberg writes data manifests only)."""

    def content(self) -> ManifestContent:
        return ManifestContent.DELETES

    @property
    def _meta(self) -> dict[str, str]:
        return {**super()._meta, "content": "deletes"}


class _RowDelta(_FastAppendFiles):
    """A commit adding delete files, as a writer's row delta does: every added file is a delete file."""

    def new_manifest_writer(self, spec: PartitionSpec) -> ManifestWriter:
        return _DeleteManifestWriter(
            spec, self.schema(), self.new_manifest_output(), self._snapshot_id, self._compression
        )


_POSITION_SCHEMA = pa.schema(
    [
        pa.field("file_path", pa.string(), nullable=False, metadata={b"PARQUET:field_id": b"2147483546"}),
        pa.field("pos", pa.int64(), nullable=False, metadata={b"PARQUET:field_id": b"2147483545"}),
    ]
)


def _commit_delete_file(
    table: Table, endpoint: S3Endpoint, rows: pa.Table, equality_ids: list[int] | None
) -> None:
    uri = f"{table.location()}/data/delete-{uuid.uuid4().hex}.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(rows, sink)
    body = sink.getvalue().to_pybytes()
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    endpoint.client().put_object(Bucket=bucket, Key=key, Body=body)
    content = DataFileContent.EQUALITY_DELETES if equality_ids else DataFileContent.POSITION_DELETES
    delete_file = DataFile.from_args(
        content=content,
        file_path=uri,
        file_format=FileFormat.PARQUET,
        partition=Record(),
        record_count=rows.num_rows,
        file_size_in_bytes=len(body),
        equality_ids=equality_ids,
        spec_id=table.spec().spec_id,
    )
    with table.transaction() as transaction:
        producer = _RowDelta(Operation.DELETE, transaction, table.io, branch=MAIN_BRANCH)
        producer.append_data_file(delete_file)
        producer.commit()
    write_version_hint(table, endpoint)


def delete_positions(table: Table, endpoint: S3Endpoint, positions: Mapping[str, Sequence[int]]) -> None:
    """Commits one position delete file deleting ``positions`` (row numbers) of each data file."""
    paths = [path for path, rows in positions.items() for _ in rows]
    numbers = [number for rows in positions.values() for number in rows]
    _commit_delete_file(table, endpoint, pa.table([paths, numbers], schema=_POSITION_SCHEMA), None)


def delete_equal(table: Table, endpoint: S3Endpoint, column: str, values: pa.Array) -> None:
    """Commits one equality delete file deleting every row whose ``column`` is one of ``values``."""
    field = table.schema().find_field(column)
    schema = pa.schema(
        [pa.field(column, values.type, metadata={b"PARQUET:field_id": str(field.field_id).encode()})]
    )
    _commit_delete_file(table, endpoint, pa.table([values], schema=schema), [field.field_id])
