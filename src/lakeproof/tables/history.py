"""Write a table history spec as Iceberg and Delta tables in S3, and describe what was written.

The rows come from the dataset spec (``generate_table``, seeded), so the same spec and seed give
the same contents at every snapshot. Snapshot ids, timestamps and file names differ between runs
(pyiceberg draws ids at random; file names carry UUIDs). Each step makes one snapshot (Iceberg)
or one version (Delta), except schema and partition changes (Iceberg: a new schema or spec, no
snapshot) and expiry (Iceberg: snapshots removed, no new one; Delta: vacuum's own log entries).

The writer also keeps the table's expected contents (plain Arrow and DuckDB, never read back from
the table), from which each snapshot's row count in the manifest comes: a test reading a snapshot
through a reader and finding another count has found a reader's or a writer's fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from pyiceberg.manifest import DataFileContent
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation

from lakeproof.datagen.generate import generate_table
from lakeproof.datagen.spec import DatasetSpec
from lakeproof.objectstore import S3Endpoint
from lakeproof.tables import delta, iceberg
from lakeproof.tables.manifest import DeleteFileInfo, SnapshotInfo, TableInfo, TableManifest
from lakeproof.tables.objects import objects_under, remove_objects_under
from lakeproof.tables.spec import (
    AddColumnStep,
    AppendStep,
    CompactStep,
    DeleteStep,
    DropColumnStep,
    ExpireStep,
    OverwriteStep,
    PartitionStep,
    RenameColumnStep,
    Step,
    TableFormat,
    TableSpec,
    WidenColumnStep,
    load_table_spec,
)

DEFAULT_DATASETS_DIR = Path(__file__).resolve().parents[3] / "data" / "datasets"
NARROW_TYPES = {"int": pa.int32(), "float": pa.float32()}
WIDE_TYPES = {"bigint": pa.int64(), "double": pa.float64()}


def table_root(bucket: str, fmt: TableFormat, name: str, prefix: str = "") -> str:
    """``s3://<bucket>/[<prefix>/]tables/<format>/<name>``: where a table lives."""
    return f"s3://{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}tables/{fmt}/{name}"


@dataclass
class ExpectedTable:
    """The table's contents as they should read now, kept beside the writes: the pool of dataset
    rows, how far the appends have taken it, and each current column's dataset column and type."""

    pool: pa.Table
    taken: int = 0
    sources: dict[str, str] = field(default_factory=dict)  # current name -> dataset column
    types: dict[str, pa.DataType] = field(default_factory=dict)  # current name -> Arrow type
    rows: pa.Table | None = None

    def next_rows(self, count: int) -> pa.Table:
        """The pool's next ``count`` rows with the current columns, names and types."""
        taken = self.pool.slice(self.taken, count)
        self.taken += count
        return pa.table(
            {name: taken.column(source).cast(self.types[name]) for name, source in self.sources.items()}
        )

    def current(self) -> pa.Table:
        """The live rows (empty before the first write)."""
        if self.rows is None:
            return pa.table({name: pa.array([], self.types[name]) for name in self.sources})
        return self.rows

    def apply(self, step: Step, written: pa.Table | None) -> None:
        """Follow ``step`` (``written``: the rows an append or overwrite wrote)."""
        rows = self.current()
        if isinstance(step, AppendStep):
            assert written is not None
            self.rows = pa.concat_tables([rows, written])
        elif isinstance(step, OverwriteStep):
            self.rows = written
        elif isinstance(step, DeleteStep):
            self.rows = rows_kept(rows, step.where)
        elif isinstance(step, AddColumnStep):
            self.sources[step.column] = step.column
            self.types[step.column] = self.pool.schema.field(step.column).type
            self.rows = rows.append_column(step.column, pa.nulls(rows.num_rows, self.types[step.column]))
        elif isinstance(step, RenameColumnStep):
            self.sources = {(step.to if k == step.column else k): v for k, v in self.sources.items()}
            self.types = {(step.to if k == step.column else k): v for k, v in self.types.items()}
            self.rows = rows.rename_columns([step.to if n == step.column else n for n in rows.column_names])
        elif isinstance(step, DropColumnStep):
            del self.sources[step.column], self.types[step.column]
            self.rows = rows.drop_columns([step.column])
        elif isinstance(step, WidenColumnStep):
            self.types[step.column] = WIDE_TYPES[step.to]
            index = rows.column_names.index(step.column)
            self.rows = rows.set_column(
                index, step.column, rows.column(step.column).cast(self.types[step.column])
            )


def rows_kept(rows: pa.Table, where: str) -> pa.Table:
    """The rows a delete ``where`` keeps: those where it is false or NULL, in their order."""
    with duckdb.connect() as connection:
        connection.register("live", rows)
        # The predicate is the spec's own SQL, run on a private in-memory database.
        kept = connection.execute(f"SELECT * FROM live WHERE ({where}) IS NOT TRUE").to_arrow_table()  # noqa: S608
    return kept.cast(rows.schema)


def expected_start(spec: TableSpec, dataset: DatasetSpec) -> ExpectedTable:
    """The expected table before the first step: the dataset's rows and the table's first columns."""
    pool = generate_table(dataset)
    names = list(spec.columns or pool.column_names)
    types = {
        name: NARROW_TYPES[spec.narrow[name]] if name in spec.narrow else pool.schema.field(name).type
        for name in names
    }
    return ExpectedTable(pool, sources={name: name for name in names}, types=types)


def write_history(
    spec: str | Path,
    endpoint: S3Endpoint,
    bucket: str,
    catalog_path: str | Path,
    *,
    datasets_dir: str | Path = DEFAULT_DATASETS_DIR,
    prefix: str = "",
) -> TableManifest:
    """Write the table history spec file ``spec`` (its rows from ``<datasets_dir>/<dataset>.yaml``)
    into ``bucket`` at ``endpoint``: Iceberg through the SQLite catalog ``catalog_path`` at
    ``s3://bucket/[prefix/]tables/iceberg/<name>``, Delta at ``.../tables/delta/<name>``.
    A table already at that root, or of that name in the catalog, is replaced (one catalog per
    lab prefix: names are unique in a catalog). Returns the manifest of every snapshot and version."""
    table_spec, dataset = load_table_spec(spec, datasets_dir)
    return write_loaded_history(table_spec, dataset, endpoint, bucket, catalog_path, prefix=prefix)


def write_loaded_history(
    spec: TableSpec,
    dataset: DatasetSpec,
    endpoint: S3Endpoint,
    bucket: str,
    catalog_path: str | Path,
    *,
    prefix: str = "",
) -> TableManifest:
    """``write_history`` for a spec already loaded (``load_table_spec``)."""
    tables = []
    for fmt in spec.formats:
        root = table_root(bucket, fmt, spec.name, prefix)
        if fmt == "iceberg":
            tables.append(_write_iceberg(spec, dataset, endpoint, catalog_path, root))
        else:
            tables.append(_write_delta(spec, dataset, endpoint, root))
    return TableManifest(name=spec.name, tables=tuple(tables))


def _iso(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _write_iceberg(
    spec: TableSpec, dataset: DatasetSpec, endpoint: S3Endpoint, catalog_path: str | Path, root: str
) -> TableInfo:
    catalog = iceberg.lab_catalog(catalog_path, endpoint, root.rsplit("/", 1)[0])
    identifier = (iceberg.NAMESPACE, spec.name)
    if catalog.table_exists(identifier):
        # Only the catalog entry: purging would delete the files of wherever the old table lived.
        catalog.drop_table(identifier)
    remove_objects_under(endpoint, root)
    expected = expected_start(spec, dataset)
    table = catalog.create_table(
        identifier,
        schema=expected.current().schema,
        location=root,
        # No retries inside pyiceberg: a commit on a stale base is refused (CommitFailedException)
        # and the kit's writer decides what to do (concurrent.py), so every conflict is seen.
        properties={"format-version": "2", "commit.retry.num-retries": "0"},
    )
    if spec.partition_by:
        iceberg.set_partitioning(table, spec.partition_by)
    iceberg.write_version_hint(table)
    snapshots: list[SnapshotInfo] = []
    for index, step in enumerate(spec.steps):
        if "iceberg" not in step.formats:
            continue
        known = {snapshot.snapshot_id for snapshot in table.snapshots()}
        written = _iceberg_step(table, step, expected, spec.key)
        expected.apply(step, written)
        for snapshot in table.snapshots():
            if snapshot.snapshot_id not in known:
                snapshots.append(_iceberg_snapshot(table, snapshot.snapshot_id, index, step.step, expected))
    alive = {snapshot.snapshot_id for snapshot in table.snapshots()}
    return TableInfo(
        name=spec.name,
        format="iceberg",
        root=root,
        dataset=dataset.name,
        seed=dataset.seed,
        snapshots=tuple(s.model_copy(update={"surviving": s.id in alive}) for s in snapshots),
    )


def _iceberg_step(table: Table, step: Step, expected: ExpectedTable, key: str | None) -> pa.Table | None:
    if isinstance(step, AppendStep):
        rows = expected.next_rows(step.rows)
        iceberg.append(table, rows, step.files)
        return rows
    if isinstance(step, OverwriteStep):
        rows = expected.next_rows(step.rows)
        iceberg.replace(table, rows, step.files, Operation.OVERWRITE)
        return rows
    if isinstance(step, DeleteStep):
        mode = step.mode or "position"
        if mode == "copy_on_write":
            # The kit rewrites every live data file: pyiceberg 0.12's own delete() cannot plan a
            # table that has equality delete files.
            data = [f for f in iceberg.live_files(table) if f.content == DataFileContent.DATA]
            partitions = {(f.spec_id, str(f.partition)) for f in data}
            files = max(1, len(data) // max(1, len(partitions)))
            iceberg.replace(table, rows_kept(expected.current(), step.where), files, Operation.DELETE)
        else:
            iceberg.row_delta(table, step.where, mode, key)
    elif isinstance(step, CompactStep):
        iceberg.replace(table, expected.current(), step.files, Operation.REPLACE)
    elif isinstance(step, ExpireStep):
        ids = [snapshot.snapshot_id for snapshot in table.snapshots()][: -step.keep_last]
        if ids:
            table.maintenance.expire_snapshots().by_ids(ids).commit()
            iceberg.write_version_hint(table)
    else:
        _evolve_iceberg(table, step, expected)
    return None


def _evolve_iceberg(table: Table, step: Step, expected: ExpectedTable) -> None:
    if isinstance(step, PartitionStep):
        iceberg.set_partitioning(table, step.partition_by)
        return
    if isinstance(step, WidenColumnStep):
        iceberg.widen(table, step.column, step.to)
        return
    with table.update_schema() as update:
        if isinstance(step, AddColumnStep):
            arrow = expected.pool.schema.field(step.column)
            update.union_by_name(pa.schema([arrow]))
        elif isinstance(step, RenameColumnStep):
            update.rename_column(step.column, step.to)
        elif isinstance(step, DropColumnStep):
            update.delete_column(step.column)
    iceberg.write_version_hint(table)


def _iceberg_snapshot(
    table: Table, snapshot_id: int, step: int, kind: str, expected: ExpectedTable
) -> SnapshotInfo:
    snapshot = table.snapshot_by_id(snapshot_id)
    assert snapshot is not None
    files = [
        entry.data_file
        for manifest in snapshot.manifests(io=table.io)
        for entry in manifest.fetch_manifest_entry(io=table.io, discard_deleted=True)
    ]
    data = tuple(f.file_path for f in files if f.content == DataFileContent.DATA)
    deletes = tuple(
        DeleteFileInfo(
            path=f.file_path,
            content="position" if f.content == DataFileContent.POSITION_DELETES else "equality",
            rows=f.record_count,
            equality_ids=tuple(f.equality_ids or ()),
        )
        for f in files
        if f.content != DataFileContent.DATA
    )
    return SnapshotInfo(
        id=snapshot.snapshot_id,
        sequence=snapshot.sequence_number or 0,
        timestamp_ms=snapshot.timestamp_ms,
        timestamp=_iso(snapshot.timestamp_ms),
        operation=str(snapshot.summary.operation.value) if snapshot.summary else "",
        step=step,
        step_kind=kind,
        data_files=data,
        delete_files=deletes,
        rows=expected.current().num_rows,
        columns=tuple(expected.current().column_names),
        schema_id=snapshot.schema_id,
        spec_id=table.spec().spec_id,
    )


def _write_delta(spec: TableSpec, dataset: DatasetSpec, endpoint: S3Endpoint, root: str) -> TableInfo:
    writer = delta.DeltaWriter(root, endpoint, spec.target_file_size, spec.partition_by)
    remove_objects_under(endpoint, root)
    expected = expected_start(spec, dataset)
    snapshots: list[SnapshotInfo] = []
    for index, step in enumerate(spec.steps):
        if "delta" not in step.formats:
            continue
        before = writer.version()
        written = _delta_step(writer, step, expected)
        expected.apply(step, written)
        for version, operation, timestamp_ms in writer.versions_after(before):
            snapshots.append(
                SnapshotInfo(
                    id=version,
                    sequence=version,
                    timestamp_ms=timestamp_ms,
                    timestamp=_iso(timestamp_ms),
                    operation=operation,
                    step=index,
                    step_kind=step.step,
                    data_files=writer.files(version),
                    rows=expected.current().num_rows,
                    columns=tuple(expected.current().column_names),
                )
            )
    existing = objects_under(endpoint, root)
    return TableInfo(
        name=spec.name,
        format="delta",
        root=root,
        dataset=dataset.name,
        seed=dataset.seed,
        snapshots=tuple(s.model_copy(update={"surviving": set(s.data_files) <= existing}) for s in snapshots),
    )


def _delta_step(writer: delta.DeltaWriter, step: Step, expected: ExpectedTable) -> pa.Table | None:
    if isinstance(step, AppendStep | OverwriteStep):
        rows = expected.next_rows(step.rows)
        writer.write(rows, overwrite=isinstance(step, OverwriteStep))
        return rows
    if isinstance(step, DeleteStep):
        writer.delete(step.where)
    elif isinstance(step, AddColumnStep):
        writer.add_column(step.column, expected.pool.schema.field(step.column).type)
    elif isinstance(step, CompactStep):
        writer.compact()
    elif isinstance(step, ExpireStep):
        writer.vacuum(step.keep_last)
    return None
