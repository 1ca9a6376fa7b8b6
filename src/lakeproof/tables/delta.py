"""Delta tables written with the ``deltalake`` package (delta-rs 1.6.6) into the lab's S3.

What delta-rs 1.6.6 cannot write, so the spec refuses it for Delta (``spec.DELTA_CANNOT``):
deletion vectors (``DeltaTable.delete()`` rewrites files even with
``delta.enableDeletionVectors``), column mapping (so no rename or drop), type widening, and
partition evolution. Its data files are cut by size (``target_file_size``), not by count.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.schema import Field, PrimitiveType

from lakeproof.objectstore import S3Endpoint

# Arrow types of table columns as Delta primitive type names.
DELTA_TYPES = {
    pa.int32(): "integer",
    pa.int64(): "long",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.string(): "string",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp_ntz",
}


def storage_options(endpoint: S3Endpoint) -> dict[str, str]:
    """delta-rs's object store settings for ``endpoint``: path style, plain HTTP, and commits made
    safe by S3 conditional writes (``If-None-Match``), which the lab's moto server honours."""
    return {
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "AWS_REGION": endpoint.region,
        "AWS_ALLOW_HTTP": "true",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        "AWS_CONDITIONAL_PUT": "etag",
    }


class DeltaWriter:
    """One Delta table at ``root``: writes, deletes, schema changes and maintenance, each a version."""

    def __init__(
        self, root: str, endpoint: S3Endpoint, target_file_size: int, partition_by: Sequence[str] = ()
    ):
        self.root = root
        self.endpoint = endpoint
        self.options = storage_options(endpoint)
        self.target_file_size = target_file_size
        self.partition_by = list(partition_by) or None

    def table(self, version: int | None = None) -> DeltaTable:
        """The table (at ``version``, latest if None)."""
        return DeltaTable(self.root, version=version, storage_options=self.options)

    def version(self) -> int:
        """The latest version, -1 before the first commit."""
        return self.table().version() if DeltaTable.is_deltatable(self.root, self.options) else -1

    def write(self, rows: pa.Table, overwrite: bool) -> None:
        """Append ``rows``, or overwrite the table with them: one WRITE version."""
        if overwrite:
            write_deltalake(
                self.root,
                rows,
                mode="overwrite",
                partition_by=self.partition_by,
                storage_options=self.options,
                target_file_size=self.target_file_size,
            )
        else:
            write_deltalake(
                self.root,
                rows,
                mode="append",
                partition_by=self.partition_by,
                storage_options=self.options,
                target_file_size=self.target_file_size,
            )

    def delete(self, where: str) -> None:
        """Delete the rows where ``where`` (DataFusion SQL): files rewritten (copy on write)."""
        self.table().delete(where)

    def add_column(self, name: str, arrow_type: pa.DataType) -> None:
        """Add a nullable column: rows already written read NULL."""
        delta_type = DELTA_TYPES.get(arrow_type) or f"decimal({arrow_type.precision},{arrow_type.scale})"
        self.table().alter.add_columns([Field(name, PrimitiveType(delta_type), nullable=True)])

    def compact(self) -> None:
        """Rewrite small files into as few files as the size allows (OPTIMIZE)."""
        self.table().optimize.compact(target_size=256 * 1024 * 1024)

    def vacuum(self, keep_last: int) -> None:
        """Remove every file that none of the last ``keep_last`` versions needs (retention 0)."""
        latest = self.version()
        self.table().vacuum(
            retention_hours=0,
            dry_run=False,
            enforce_retention_duration=False,
            keep_versions=list(range(max(0, latest - keep_last + 1), latest + 1)),
        )

    def versions_after(self, version: int) -> list[tuple[int, str, int]]:
        """(version, operation, timestamp ms) of every version after ``version``, oldest first."""
        history = self.table().history()
        found = [
            (int(item["version"]), str(item.get("operation", "")), int(item["timestamp"])) for item in history
        ]
        return sorted(item for item in found if item[0] > version)

    def files(self, version: int) -> tuple[str, ...]:
        """The data files of ``version``, as full URIs."""
        return tuple(sorted(self.table(version).file_uris()))
