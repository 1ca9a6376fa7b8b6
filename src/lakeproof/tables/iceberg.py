"""Iceberg tables written with pyiceberg through a SQL catalog in SQLite, data and metadata in S3.

pyiceberg 0.12.0 cannot write what a reader's hardest cases need: its ``delete()`` falls back to
copy-on-write ("Merge on read is not yet supported") and it has no rewrite action. So the kit
writes v2 position and equality delete files itself and commits them, and a compaction, with
``_KitSnapshot``: a snapshot producer built on pyiceberg's private ``_SnapshotProducer`` whose
manifests may hold delete files (pyiceberg's ``ManifestWriterV2`` always says content DATA).
These internals are pinned knowingly (pyproject pins pyiceberg==0.12.0); a new pyiceberg must be
checked against ``tests/tables``, which read every delete kind back through DuckDB.

After every commit the writer writes ``metadata/version-hint.text`` (the metadata file's stem):
the SQLite catalog is the source of truth, and the hint mirrors it, as a Hadoop catalog's does,
so readers name a table by its root (``iceberg_scan('s3://.../tables/iceberg/t')``).
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.io.pyarrow import _dataframe_to_data_files
from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    FileFormat,
    ManifestContent,
    ManifestEntry,
    ManifestEntryStatus,
    ManifestFile,
    ManifestWriterV2,
)
from pyiceberg.table import Table, Transaction
from pyiceberg.table.snapshots import Operation, SnapshotSummaryCollector, Summary, update_snapshot_summaries
from pyiceberg.table.update.snapshot import _SnapshotProducer
from pyiceberg.types import DoubleType, LongType

from lakeproof.datagen.generate import split_rows
from lakeproof.datagen.sql import sql_identifier
from lakeproof.objectstore import S3Endpoint

NAMESPACE = "lab"
# Iceberg's reserved field ids of a position delete file's columns (spec: "Position Delete Files").
POSITION_FILE_PATH_ID = 2147483546
POSITION_POS_ID = 2147483545


def lab_catalog(catalog_path: str | Path, endpoint: S3Endpoint, warehouse: str) -> SqlCatalog:
    """A pyiceberg SQL catalog in the SQLite file ``catalog_path`` writing to ``endpoint`` (path style)."""
    properties: dict[str, str] = {
        "uri": f"sqlite:///{Path(catalog_path).resolve()}",
        "warehouse": warehouse,
        "s3.endpoint": endpoint.url,
        "s3.access-key-id": endpoint.access_key,
        "s3.secret-access-key": endpoint.secret_key,
        "s3.region": endpoint.region,
        "s3.force-virtual-addressing": "false",
    }
    catalog = SqlCatalog("lab", **properties)
    catalog.create_namespace_if_not_exists(NAMESPACE)
    return catalog


def write_version_hint(table: Table) -> None:
    """Point ``<root>/metadata/version-hint.text`` at the table's current metadata file."""
    stem = table.metadata_location.rsplit("/", 1)[-1].removesuffix(".metadata.json")
    with table.io.new_output(f"{table.location()}/metadata/version-hint.text").create(overwrite=True) as out:
        out.write(stem.encode())


class _DeleteManifestWriter(ManifestWriterV2):
    """A v2 manifest of delete files (pyiceberg 0.12's writer says DATA whatever it holds)."""

    def content(self) -> ManifestContent:
        return ManifestContent.DELETES

    @property
    def _meta(self) -> dict[str, str]:
        return {**super()._meta, "content": "deletes"}


class _KitSnapshot(_SnapshotProducer["_KitSnapshot"]):
    """One snapshot: ``added`` files (data files, or delete files with ``deletes``) on top of the
    parent's manifests, or with ``replace_all`` instead of them (every live file removed).

    Removed files are counted in the summary but not written as DELETED manifest entries, which
    readers do not need (they matter to orphan-file cleanup, which the kit does not run).
    """

    def __init__(
        self,
        operation: Operation,
        transaction: Transaction,
        added: Sequence[DataFile],
        *,
        deletes: bool = False,
        replace_all: bool = False,
    ) -> None:
        super().__init__(operation, transaction, transaction._table.io)
        self._added_data_files = list(added)
        self._deletes = deletes
        self._replace_all = replace_all
        self._removed = live_files(transaction._table) if replace_all else []

    def _deleted_entries(self) -> list[ManifestEntry]:
        return []

    def _validate_concurrency(self) -> None:
        """Nothing to validate: every kit commit is built on the table it just read, and the
        catalog refuses it if another commit came first (the table allows no silent retry)."""

    def _existing_manifests(self) -> list[ManifestFile]:
        if self._replace_all or self._parent_snapshot_id is None:
            return []
        parent = self._transaction.table_metadata.snapshot_by_id(self._parent_snapshot_id)
        assert parent is not None
        return list(parent.manifests(io=self._io))

    def _manifests(self) -> list[ManifestFile]:
        # One manifest per partition spec: delete files follow the spec of the data files they delete from.
        by_spec: dict[int, list[DataFile]] = defaultdict(list)
        for data_file in self._added_data_files:
            by_spec[data_file.spec_id].append(data_file)
        writer_class = _DeleteManifestWriter if self._deletes else ManifestWriterV2
        written = []
        for spec_id, files in sorted(by_spec.items()):
            writer = writer_class(
                self.spec(spec_id),
                self.schema(),
                self.new_manifest_output(),
                self._snapshot_id,
                self._compression,
            )
            with writer:
                for data_file in files:
                    writer.add(
                        ManifestEntry.from_args(
                            status=ManifestEntryStatus.ADDED,
                            snapshot_id=self._snapshot_id,
                            sequence_number=None,
                            file_sequence_number=None,
                            data_file=data_file,
                        )
                    )
            written.append(writer.to_manifest_file())
        return written + self._existing_manifests()

    def _summary(self, snapshot_properties: dict[str, str] | None = None) -> Summary:
        metadata = self._transaction.table_metadata
        specs, schema = metadata.specs(), metadata.schema()
        collector = SnapshotSummaryCollector()
        for data_file in self._added_data_files:
            collector.add_file(data_file, schema=schema, partition_spec=specs[data_file.spec_id])
        for data_file in self._removed:
            collector.remove_file(data_file, schema=schema, partition_spec=specs[data_file.spec_id])
        parent = (
            metadata.snapshot_by_id(self._parent_snapshot_id)
            if self._parent_snapshot_id is not None
            else None
        )
        # pyiceberg 0.12 totals no REPLACE summary; a replace's totals are an overwrite's.
        totals = update_snapshot_summaries(
            summary=Summary(
                operation=Operation.OVERWRITE if self._operation == Operation.REPLACE else self._operation,
                **collector.build(),
            ),
            previous_summary=parent.summary if parent is not None else None,
        )
        return Summary(operation=self._operation, **totals.additional_properties)


def live_files(table: Table) -> list[DataFile]:
    """Every data and delete file of the table's current snapshot."""
    snapshot = table.current_snapshot()
    if snapshot is None:
        return []
    return [
        entry.data_file
        for manifest in snapshot.manifests(io=table.io)
        for entry in manifest.fetch_manifest_entry(io=table.io, discard_deleted=True)
    ]


def data_files_of(table: Table, rows: pa.Table, files: int) -> list[DataFile]:
    """``rows`` written as ``files`` Parquet data files (more when partitioned: one per partition)."""
    counter = itertools.count(0)
    write_uuid = uuid.uuid4()
    written: list[DataFile] = []
    offsets = itertools.accumulate(split_rows(rows.num_rows, [1.0] * files), initial=0)
    for start, end in itertools.pairwise(offsets):
        if end > start:
            written.extend(
                _dataframe_to_data_files(
                    table.metadata, rows.slice(start, end - start), table.io, write_uuid, counter
                )
            )
    for data_file in written:
        data_file.spec_id = table.spec().spec_id  # pyiceberg leaves it unset on new files
    return written


def commit(
    table: Table,
    operation: Operation,
    added: Sequence[DataFile],
    *,
    deletes: bool = False,
    replace_all: bool = False,
) -> None:
    """Commit one snapshot of ``added`` files (see ``_KitSnapshot``) and refresh the version hint."""
    with table.transaction() as transaction:
        _KitSnapshot(operation, transaction, added, deletes=deletes, replace_all=replace_all).commit()
    write_version_hint(table)


def append(table: Table, rows: pa.Table, files: int) -> None:
    """Append ``rows`` in ``files`` data files: one ``append`` snapshot."""
    commit(table, Operation.APPEND, data_files_of(table, rows, files))


def replace(table: Table, rows: pa.Table, files: int, operation: Operation) -> None:
    """Replace every live file with ``rows`` in ``files`` data files: an ``overwrite``, or a
    ``replace`` (compaction: the same rows in fewer files, delete files applied and gone)."""
    commit(table, operation, data_files_of(table, rows, files), replace_all=True)


def _current_columns(table: Table, data_file: DataFile) -> pa.Table:
    """A data file's rows under the current schema's names (matched by field id), in file order."""
    with table.io.new_input(data_file.file_path).open() as stream:
        raw = pq.read_table(io.BytesIO(stream.read()))
    schema = table.schema()
    columns: dict[str, pa.Array] = {}
    for field in raw.schema:
        field_id = int((field.metadata or {}).get(b"PARQUET:field_id", b"-1"))
        current = schema.find_field(field_id).name if field_id in schema._lazy_id_to_field else None
        if current is not None:
            columns[current] = raw.column(field.name)
    return pa.table(columns) if columns else pa.table({"__empty": pa.nulls(raw.num_rows)})


def _matching(rows: pa.Table, where: str, select: str) -> pa.Table:
    with duckdb.connect() as connection:
        connection.register("rows", rows)
        # The predicate is the spec's own SQL, run on a private in-memory database.
        sql = f"SELECT {select} FROM rows WHERE ({where}) ORDER BY 1"  # noqa: S608
        return connection.execute(sql).to_arrow_table()


def _write_parquet(table: Table, rows: pa.Table, kind: str) -> tuple[str, int]:
    path = f"{table.location()}/data/{kind}-{uuid.uuid4()}.parquet"
    buffer = io.BytesIO()
    pq.write_table(rows, buffer)
    with table.io.new_output(path).create(overwrite=True) as out:
        out.write(buffer.getvalue())
    return path, buffer.tell()


def delete_files_for(table: Table, where: str, mode: str, key: str | None) -> list[DataFile]:
    """The delete files that delete the rows where ``where`` is true: one position delete file per
    data file with such rows, or one equality delete file (on ``key``) per partition."""
    position_schema = pa.schema(
        [
            pa.field(
                "file_path",
                pa.string(),
                nullable=False,
                metadata={"PARQUET:field_id": str(POSITION_FILE_PATH_ID)},
            ),
            pa.field("pos", pa.int64(), nullable=False, metadata={"PARQUET:field_id": str(POSITION_POS_ID)}),
        ]
    )
    equality: dict[tuple[int, tuple[object, ...]], tuple[DataFile, list[pa.Table]]] = {}
    written: list[DataFile] = []
    for data_file in live_files(table):
        if data_file.content != DataFileContent.DATA:
            continue
        rows = _current_columns(table, data_file)
        if mode == "position":
            rows = rows.append_column("__pos", pa.array(range(rows.num_rows), pa.int64()))
            positions = _matching(rows, where, "__pos").column(0)
            if len(positions) == 0:
                continue
            content = pa.table(
                [pa.array([data_file.file_path] * len(positions), pa.string()), positions],
                schema=position_schema,
            )
            written.append(_delete_file(table, content, data_file, DataFileContent.POSITION_DELETES, None))
        else:
            assert key is not None
            keys = _matching(rows, where, sql_identifier(key))
            if keys.num_rows:
                group = equality.setdefault(
                    (
                        data_file.spec_id,
                        tuple(data_file.partition[i] for i in range(len(data_file.partition))),
                    ),
                    (data_file, []),
                )
                group[1].append(keys)
    for template, parts in equality.values():
        field = table.schema().find_field(key or "")
        keys = pa.concat_tables(parts)
        content = pa.table(
            [keys.column(0)],
            schema=pa.schema(
                [
                    pa.field(
                        field.name,
                        keys.schema.field(0).type,
                        metadata={"PARQUET:field_id": str(field.field_id)},
                    )
                ]
            ),
        )
        written.append(
            _delete_file(table, content, template, DataFileContent.EQUALITY_DELETES, [field.field_id])
        )
    return written


def _delete_file(
    table: Table,
    content: pa.Table,
    data_file: DataFile,
    kind: DataFileContent,
    equality_ids: list[int] | None,
) -> DataFile:
    path, size = _write_parquet(
        table, content, "position-deletes" if equality_ids is None else "equality-deletes"
    )
    delete_file = DataFile.from_args(
        content=kind,
        file_path=path,
        file_format=FileFormat.PARQUET,
        partition=data_file.partition,
        record_count=content.num_rows,
        file_size_in_bytes=size,
        equality_ids=equality_ids,
    )
    delete_file.spec_id = data_file.spec_id
    return delete_file


def row_delta(table: Table, where: str, mode: str, key: str | None) -> int:
    """Delete the rows where ``where`` with ``position`` or ``equality`` delete files in one
    ``delete`` snapshot; returns how many delete files it added (0: nothing matched, no snapshot)."""
    delete_files = delete_files_for(table, where, mode, key)
    if delete_files:
        commit(table, Operation.DELETE, delete_files, deletes=True)
    return len(delete_files)


def widen(table: Table, column: str, to: str) -> None:
    """Widen ``column`` (int to bigint, float to double): a new schema, no snapshot."""
    with table.update_schema() as update:
        update.update_column(column, field_type=LongType() if to == "bigint" else DoubleType())
    write_version_hint(table)


def set_partitioning(table: Table, fields: Iterable[str]) -> None:
    """Make ``fields`` the table's partition spec (a new spec id; files already written keep theirs)."""
    with table.update_spec() as update:
        for old in table.spec().fields:
            update.remove_field(old.name)
        for field in fields:
            update.add_identity(field)
    write_version_hint(table)
