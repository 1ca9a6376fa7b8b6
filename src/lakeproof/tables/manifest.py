"""The manifest of written table histories: per table and format, every snapshot or version with
its files and row count, so tests and suites name snapshots without reading table metadata."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from lakeproof.datagen.sql import sql_string
from lakeproof.tables.spec import TableFormat


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeleteFileInfo(_Record):
    """An Iceberg delete file: ``position`` or ``equality`` (with the equality column's field ids)."""

    path: str
    content: Literal["position", "equality"]
    rows: int
    equality_ids: tuple[int, ...] = ()


class SnapshotInfo(_Record):
    """One Iceberg snapshot or Delta version, as written."""

    id: int  # Iceberg snapshot id; Delta: the version
    sequence: int  # Iceberg sequence number; Delta: the version
    timestamp_ms: int  # commit time, milliseconds since the epoch (UTC)
    timestamp: str  # the same as ISO text (UTC, milliseconds), for snapshot_from_timestamp
    operation: str  # append, overwrite, delete, replace (Iceberg); WRITE, DELETE, OPTIMIZE, ... (Delta)
    step: int  # index of the spec step that made it
    step_kind: str  # append, delete, compact, ...
    data_files: tuple[str, ...]
    delete_files: tuple[DeleteFileInfo, ...] = ()
    rows: int  # live rows: data rows minus deleted ones
    columns: tuple[str, ...]  # the table's columns at this snapshot, in order
    schema_id: int | None = None  # Iceberg
    spec_id: int | None = None  # Iceberg: the default partition spec when committed
    surviving: bool = True  # still readable: not expired (Iceberg), its files not vacuumed (Delta)


class TableInfo(_Record):
    """One table history in one format."""

    name: str
    format: TableFormat
    root: str  # s3://bucket/[prefix/]tables/{format}/{name}
    dataset: str
    seed: int
    snapshots: tuple[SnapshotInfo, ...]

    @property
    def current(self) -> SnapshotInfo:
        """The last snapshot or version written."""
        return self.snapshots[-1]

    def scan(
        self, snapshot: SnapshotInfo | None = None, by: Literal["id", "timestamp", "version"] = "id"
    ) -> str:
        """The DuckDB table function that reads this table (at ``snapshot``, current if None):
        ``iceberg_scan(root[, snapshot_from_id => id | snapshot_from_timestamp => TIMESTAMP ...])``
        or ``delta_scan(root[, version => n])``; the oracle and the engine take it as is."""
        root = sql_string(self.root)
        if self.format == "delta":
            return (
                f"delta_scan({root})" if snapshot is None else f"delta_scan({root}, version => {snapshot.id})"
            )
        if snapshot is None:
            return f"iceberg_scan({root})"
        if by == "timestamp":
            return (
                f"iceberg_scan({root}, snapshot_from_timestamp => TIMESTAMP {sql_string(snapshot.timestamp)})"
            )
        return f"iceberg_scan({root}, snapshot_from_id => {snapshot.id})"


class TableManifest(_Record):
    """What ``write_history`` wrote: one ``TableInfo`` per format of the spec."""

    name: str
    tables: tuple[TableInfo, ...]

    def table(self, fmt: TableFormat) -> TableInfo:
        """The history written as ``fmt``."""
        for table in self.tables:
            if table.format == fmt:
                return table
        raise KeyError(
            f"table {self.name!r} was not written as {fmt}; formats: {[t.format for t in self.tables]}"
        )

    def to_json(self) -> str:
        """The manifest as indented JSON (``from_json`` reads it back)."""
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> TableManifest:
        """A manifest from ``to_json`` output."""
        return cls.model_validate_json(text)
