"""Iceberg and Delta tables: which data files (and delete files) one snapshot of a table holds.

Planning runs on the coordinator, once per query, and reads every metadata object through the
engine's own ``ObjectReader`` (retry policy, deadline, cancel, counts): Iceberg's version hint,
metadata JSON, manifest lists, manifests; Delta's ``_delta_log`` commits and checkpoints. The
result, a ``TableSnapshot``, is all a data node needs: nodes never resolve a table themselves,
so every split of a query comes from the one snapshot planned (architecture: Tables).

Iceberg planning follows pyiceberg's rules (``plan_files``: the data files of the snapshot and
the position delete files that apply to each, by sequence number and partition) over a FileIO
backed by the engine's reader. pyiceberg does not plan equality deletes, so those are matched
here by the spec's rule: an equality delete applies to data files of a smaller data sequence
number, in the same partition unless the delete's spec is unpartitioned.

Delta planning replays the log (``_last_checkpoint``, the checkpoint's Parquet, then the JSON
commits up to the version asked) itself: the deltalake package reads with its own IO, which
would bypass the engine's retries.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.noop import NoopCatalog
from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile
from pyiceberg.manifest import DataFile, DataFileContent, ManifestEntry
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import StaticTable
from pyiceberg.table.metadata import TableMetadata, TableMetadataUtil
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

from lakeproof.refcluster.errors import BadRequestError
from lakeproof.refcluster.retry import StorageReadError
from lakeproof.refcluster.storage import ObjectReader

TableKind = Literal["iceberg", "delta"]
ICEBERG_FORMAT_VERSIONS = (1, 2)
DELTA_READER_FEATURES = frozenset({"timestampNtz", "deletionVectors", "v2Checkpoint"})
"""Reader features a table may declare; deletion vectors are refused where a file has one."""
_DELTA_READER_VERSION = 3
_COMMIT = re.compile(r"(\d{20})\.json$")


class TableError(BadRequestError):
    """A table read the caller asked for that cannot be served: one line naming table and ask."""


@dataclass(frozen=True)
class TableRef:
    """A table a query reads and the snapshot it asks for (none: the current one at planning)."""

    kind: TableKind
    root: str
    snapshot_id: int | None = None
    timestamp: datetime.datetime | None = None
    version: int | None = None

    @property
    def function(self) -> str:
        return f"{self.kind}_scan"

    def asked(self) -> str:
        """What the query asked for, in an error's words."""
        if self.snapshot_id is not None:
            return f"snapshot {self.snapshot_id}"
        if self.timestamp is not None:
            return f"the snapshot as of {self.timestamp.isoformat(sep=' ')}"
        if self.version is not None:
            return f"version {self.version}"
        return "the current snapshot"

    def current(self) -> TableRef:
        """The same table, asking for its current snapshot."""
        return TableRef(self.kind, self.root)


@dataclass(frozen=True)
class TableColumn:
    """A column of the snapshot's schema: name, DuckDB type, and Iceberg field id (Delta: None,
    its files are matched by name)."""

    name: str
    type: str
    field_id: int | None = None


@dataclass(frozen=True)
class DeleteFile:
    """An Iceberg delete file: positions (``file_path``, ``pos``) or rows equal on ``equality_ids``."""

    uri: str
    size: int
    equality_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TableFile:
    """A data file of the snapshot, the delete files that apply to it, and the values of columns
    the file does not store (identity partitions, Delta partition columns) as SQL literals."""

    uri: str
    size: int
    deletes: tuple[DeleteFile, ...] = ()
    constants: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TableSnapshot:
    """One snapshot of a table as planned: its schema and its data files."""

    ref: TableRef
    snapshot: str
    columns: tuple[TableColumn, ...]
    files: tuple[TableFile, ...]
    files_by_uri: dict[str, TableFile] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "files_by_uri", {file.uri: file for file in self.files})

    def restricted(self, uris: Iterable[str]) -> TableSnapshot:
        """The same snapshot with only the data files ``uris`` (a node's share)."""
        wanted = set(uris)
        return TableSnapshot(
            self.ref, self.snapshot, self.columns, tuple(f for f in self.files if f.uri in wanted)
        )


def plan_table(ref: TableRef, reader: ObjectReader) -> TableSnapshot:
    """The snapshot ``ref`` asks for, planned through ``reader``; TableError for a bad ask."""
    if ref.kind == "iceberg":
        return _plan_iceberg(ref, reader)
    return _plan_delta(ref, reader)


def _read_text(reader: ObjectReader, uri: str) -> str | None:
    """The object as text; None when it does not exist (any other failure propagates)."""
    try:
        return reader.read_object(uri).decode()
    except StorageReadError as error:
        if error.status.startswith("404"):
            return None
        raise


# -- Iceberg ---------------------------------------------------------------------------------------


class ReaderFileIO(FileIO):
    """pyiceberg's FileIO over the engine's reader: read only, every read retried and counted."""

    def __init__(self, reader: ObjectReader):
        super().__init__({})
        self.reader = reader

    def new_input(self, location: str) -> InputFile:
        return _ObjectInput(location, self.reader)

    def new_output(self, location: str) -> OutputFile:
        raise NotImplementedError(f"the engine reads tables, it never writes {location}")

    def delete(self, location: str | InputFile | OutputFile) -> None:
        raise NotImplementedError("the engine reads tables, it never deletes their files")


class _ObjectInput(InputFile):
    """One object, read whole on first use (manifests and manifest lists are small)."""

    def __init__(self, location: str, reader: ObjectReader):
        super().__init__(location)
        self._reader = reader
        self._data: bytes | None = None

    def _bytes(self) -> bytes:
        if self._data is None:
            self._data = self._reader.read_object(self.location)
        return self._data

    def __len__(self) -> int:
        return len(self._bytes())

    def exists(self) -> bool:
        return True

    def open(self, seekable: bool = True) -> InputStream:
        return io.BytesIO(self._bytes())


def _iceberg_metadata_uri(ref: TableRef, reader: ObjectReader) -> str:
    """The metadata JSON the query reads: named by the query, or by ``metadata/version-hint.text``."""
    root = ref.root.rstrip("/")
    if root.endswith(".metadata.json"):
        return root
    hint_uri = f"{root}/metadata/version-hint.text"
    hint = _read_text(reader, hint_uri)
    if hint is None:
        raise TableError(f"iceberg_scan: {ref.root} is not an Iceberg table: no {hint_uri}")
    stem = hint.strip()
    # A bare number is the v<N>.metadata.json naming of file-system catalogs.
    name = f"v{stem}" if stem.isdigit() else stem
    return f"{root}/metadata/{name}.metadata.json"


def _plan_iceberg(ref: TableRef, reader: ObjectReader) -> TableSnapshot:
    metadata_uri = _iceberg_metadata_uri(ref, reader)
    text = _read_text(reader, metadata_uri)
    if text is None:
        raise TableError(f"iceberg_scan: {ref.root} is not an Iceberg table: no {metadata_uri}")
    try:
        version = json.loads(text).get("format-version")
    except (ValueError, AttributeError):
        raise TableError(
            f"iceberg_scan: {metadata_uri} is not Iceberg table metadata (not a JSON object)"
        ) from None
    if version not in ICEBERG_FORMAT_VERSIONS:
        raise TableError(
            f"iceberg_scan: table {ref.root} has format version {version}; this reader supports "
            f"{' and '.join(map(str, ICEBERG_FORMAT_VERSIONS))}"
        )
    metadata = TableMetadataUtil.parse_raw(text)
    file_io = ReaderFileIO(reader)
    table = StaticTable(
        ("lakeproof", metadata_uri), metadata, metadata_uri, file_io, NoopCatalog("lakeproof")
    )
    snapshot = _iceberg_snapshot(ref, table)
    if snapshot is None:
        return TableSnapshot(ref, "no snapshot", _iceberg_columns(metadata.schema()), ())
    schema = metadata.schema_by_id(snapshot.schema_id) if snapshot.schema_id is not None else None
    schema = schema or metadata.schema()
    sequence_numbers: dict[str, int] = {}
    equality_deletes: list[ManifestEntry] = []

    def keep(entry: ManifestEntry) -> bool:
        # pyiceberg refuses equality deletes: they are set aside here and matched below.
        if entry.data_file.content == DataFileContent.EQUALITY_DELETES:
            equality_deletes.append(entry)
            return False
        sequence_numbers[entry.data_file.file_path] = entry.sequence_number or 0
        return True

    scan = table.scan(snapshot_id=snapshot.snapshot_id)
    # The planner pyiceberg's own plan_files uses, given the filter that sets equality deletes aside.
    tasks = scan._manifest_planner.plan_files(snapshot.manifests(file_io), keep)
    files = []
    for task in tasks:
        data = task.file
        deletes = [_delete_file(delete) for delete in sorted(task.delete_files, key=lambda d: d.file_path)]
        deletes += [
            _delete_file(entry.data_file)
            for entry in equality_deletes
            if _equality_delete_applies(entry, data, sequence_numbers[data.file_path], metadata)
        ]
        files.append(
            TableFile(
                data.file_path,
                data.file_size_in_bytes,
                tuple(deletes),
                _identity_constants(data, metadata, schema),
            )
        )
    return TableSnapshot(
        ref,
        f"snapshot {snapshot.snapshot_id}",
        _iceberg_columns(schema),
        tuple(sorted(files, key=lambda f: f.uri)),
    )


def _iceberg_snapshot(ref: TableRef, table: StaticTable) -> Snapshot | None:
    """The snapshot asked for: by id, the latest at or before a timestamp, else the current one."""
    snapshots = table.metadata.snapshots
    if (asked := ref.snapshot_id) is not None:
        snapshot = table.snapshot_by_id(asked)
        if snapshot is None:
            nearest = min(snapshots, key=lambda s: abs(s.snapshot_id - asked), default=None)
            hint = f"nearest id {nearest.snapshot_id}" if nearest is not None else "none"
            raise TableError(
                f"iceberg_scan: table {ref.root} has no snapshot {ref.snapshot_id}; it has "
                f"{len(snapshots)} snapshots ({hint})"
            )
        return snapshot
    if ref.timestamp is not None:
        # A timestamp without a zone is UTC, as DuckDB's iceberg_scan reads it.
        moment = ref.timestamp if ref.timestamp.tzinfo else ref.timestamp.replace(tzinfo=datetime.UTC)
        millis = int(moment.timestamp() * 1000)
        before = [s for s in snapshots if s.timestamp_ms <= millis]
        if not before:
            first = min((s.timestamp_ms for s in snapshots), default=None)
            since = f"the first is at {_utc(first)}" if first is not None else "it has no snapshots"
            raise TableError(
                f"iceberg_scan: table {ref.root} has no snapshot at or before "
                f"{ref.timestamp.isoformat(sep=' ')}; {since}"
            )
        return max(before, key=lambda s: (s.timestamp_ms, s.sequence_number or 0))
    return table.current_snapshot()


def _utc(millis: int) -> str:
    return datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _delete_file(data_file: DataFile) -> DeleteFile:
    ids = data_file.equality_ids if data_file.content == DataFileContent.EQUALITY_DELETES else None
    return DeleteFile(data_file.file_path, data_file.file_size_in_bytes, tuple(ids or ()))


def _equality_delete_applies(
    entry: ManifestEntry, data: DataFile, data_sequence: int, metadata: TableMetadata
) -> bool:
    """The spec's rule: a later sequence number, and the same partition unless the delete's spec is
    unpartitioned (then it is global)."""
    delete = entry.data_file
    if (entry.sequence_number or 0) <= data_sequence:
        return False
    spec = metadata.specs()[delete.spec_id]
    if spec.is_unpartitioned():
        return True
    return delete.spec_id == data.spec_id and delete.partition == data.partition


def _identity_constants(
    data: DataFile, metadata: TableMetadata, schema: Schema
) -> tuple[tuple[str, str], ...]:
    """SQL literals of the file's identity partition values, by column name of ``schema``; used for a
    column the file itself does not store."""
    spec: PartitionSpec = metadata.specs()[data.spec_id]
    constants = []
    for position, partition_field in enumerate(spec.fields):
        if not isinstance(partition_field.transform, IdentityTransform):
            continue
        try:
            column = schema.find_field(partition_field.source_id)
        except ValueError:
            continue  # a partition on a column the snapshot's schema dropped
        value = data.partition[position]
        constants.append((column.name, _sql_literal(value, column.field_type)))
    return tuple(constants)


def _sql_literal(value: Any, kind: IcebergType) -> str:
    """An Iceberg partition value (dates as days, times and timestamps as microseconds) as DuckDB SQL."""
    target = duckdb_type(kind)
    if value is None:
        return f"CAST(NULL AS {target})"
    if isinstance(kind, DateType) and isinstance(value, int):
        value = datetime.date(1970, 1, 1) + datetime.timedelta(days=value)
    elif isinstance(kind, TimestampType | TimestamptzType) and isinstance(value, int):
        value = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(microseconds=value)
    elif isinstance(kind, BinaryType | FixedType):
        return f"from_hex('{bytes(value).hex()}')"
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return f"CAST('{text.replace(chr(39), chr(39) * 2)}' AS {target})"


_ICEBERG_PRIMITIVES: dict[type[IcebergType], str] = {
    BooleanType: "BOOLEAN",
    IntegerType: "INTEGER",
    LongType: "BIGINT",
    FloatType: "FLOAT",
    DoubleType: "DOUBLE",
    DateType: "DATE",
    TimeType: "TIME",
    TimestampType: "TIMESTAMP",
    TimestamptzType: "TIMESTAMP WITH TIME ZONE",
    StringType: "VARCHAR",
    UUIDType: "UUID",
    BinaryType: "BLOB",
    FixedType: "BLOB",
}


def duckdb_type(kind: IcebergType) -> str:
    """The DuckDB type DuckDB's own iceberg_scan gives an Iceberg type."""
    if isinstance(kind, DecimalType):
        return f"DECIMAL({kind.precision},{kind.scale})"
    if isinstance(kind, StructType):
        fields = ", ".join(f"{_quoted(f.name)} {duckdb_type(f.field_type)}" for f in kind.fields)
        return f"STRUCT({fields})"
    if isinstance(kind, ListType):
        return f"{duckdb_type(kind.element_type)}[]"
    if isinstance(kind, MapType):
        return f"MAP({duckdb_type(kind.key_type)}, {duckdb_type(kind.value_type)})"
    return _ICEBERG_PRIMITIVES[type(kind)]


def _iceberg_columns(schema: Schema) -> tuple[TableColumn, ...]:
    return tuple(TableColumn(f.name, duckdb_type(f.field_type), f.field_id) for f in schema.fields)


# -- Delta -----------------------------------------------------------------------------------------


@dataclass
class _DeltaState:
    """The log replayed up to a version: protocol, metadata, and live files by path."""

    protocol: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, action: Mapping[str, Any]) -> None:
        if (protocol := action.get("protocol")) is not None:
            self.protocol = dict(protocol)
        if (metadata := action.get("metaData")) is not None:
            self.metadata = dict(metadata)
        if (add := action.get("add")) is not None:
            self.files[add["path"]] = dict(add)
        if (remove := action.get("remove")) is not None:
            self.files.pop(remove["path"], None)


def _plan_delta(ref: TableRef, reader: ObjectReader) -> TableSnapshot:
    root = ref.root.rstrip("/")
    log = f"{root}/_delta_log"
    commits = {
        int(match.group(1)): file.uri
        for file in reader.list_objects(f"{log}/*", "ndjson")
        if (match := _COMMIT.search(file.uri))
    }
    checkpoint_text = _read_text(reader, f"{log}/_last_checkpoint")
    checkpoint = json.loads(checkpoint_text) if checkpoint_text else None
    if not commits and checkpoint is None:
        raise TableError(f"delta_scan: {ref.root} is not a Delta table: no commits in {log}/")
    latest = max([*commits, checkpoint["version"] if checkpoint else -1])
    target = latest if ref.version is None else ref.version
    if target > latest or target < 0:
        raise TableError(f"delta_scan: table {ref.root} has no version {ref.version}; the latest is {latest}")
    state = _DeltaState()
    start = 0
    if checkpoint is not None and checkpoint["version"] <= target:
        for actions in _checkpoint_actions(reader, log, checkpoint):
            state.apply(actions)
        start = checkpoint["version"] + 1
    missing = [version for version in range(start, target + 1) if version not in commits]
    if missing:
        raise TableError(
            f"delta_scan: table {ref.root} cannot be read at version {target}: commit {missing[0]} is gone "
            "and no checkpoint covers it"
        )
    for version in range(start, target + 1):
        for line in reader.read_object(commits[version]).decode().splitlines():
            if line.strip():
                state.apply(json.loads(line))
    return _delta_snapshot(ref, target, state)


def _checkpoint_actions(
    reader: ObjectReader, log: str, checkpoint: Mapping[str, Any]
) -> Iterable[dict[str, Any]]:
    """The actions of a checkpoint (one Parquet file, or ``parts`` of them)."""
    version = int(checkpoint["version"])
    parts = int(checkpoint.get("parts") or 0)
    names = (
        [f"{version:020d}.checkpoint.{part:010d}.{parts:010d}.parquet" for part in range(1, parts + 1)]
        if parts
        else [f"{version:020d}.checkpoint.parquet"]
    )
    for name in names:
        rows = pq.read_table(pa.BufferReader(reader.read_object(f"{log}/{name}"))).to_pylist()
        for row in rows:
            action = {key: value for key, value in row.items() if value is not None}
            if "add" in action and isinstance(action["add"].get("partitionValues"), list):
                action["add"]["partitionValues"] = dict(action["add"]["partitionValues"])
            yield action


def _delta_snapshot(ref: TableRef, version: int, state: _DeltaState) -> TableSnapshot:
    protocol = state.protocol
    reader_version = int(protocol.get("minReaderVersion", 1))
    features = set(protocol.get("readerFeatures") or ())
    unsupported = sorted(features - DELTA_READER_FEATURES)
    if reader_version > _DELTA_READER_VERSION or unsupported:
        what = (
            f"reader features {', '.join(unsupported)}" if unsupported else f"reader version {reader_version}"
        )
        raise TableError(
            f"delta_scan: table {ref.root} at version {version} needs {what}; this reader does not support it"
        )
    configuration = state.metadata.get("configuration") or {}
    if configuration.get("delta.columnMapping.mode", "none") != "none":
        raise TableError(
            f"delta_scan: table {ref.root} at version {version} uses column mapping; "
            "this reader does not support it"
        )
    schema = json.loads(state.metadata.get("schemaString") or '{"fields": []}')
    columns = tuple(TableColumn(f["name"], _delta_type(f["type"])) for f in schema["fields"])
    types = {column.name: column.type for column in columns}
    partition_columns = state.metadata.get("partitionColumns") or []
    files = []
    for path, add in sorted(state.files.items()):
        if add.get("deletionVector"):
            raise TableError(
                f"delta_scan: table {ref.root} at version {version} has deletion vectors ({path}); "
                "this reader does not support them"
            )
        values = add.get("partitionValues") or {}
        constants = tuple(
            (name, _delta_partition_literal(values.get(name), types[name])) for name in partition_columns
        )
        # A log path is URL-encoded (``p=a%20b``); the object key is not.
        uri = path if "://" in path else f"{ref.root.rstrip('/')}/{unquote(path)}"
        files.append(TableFile(uri, int(add.get("size", -1)), (), constants))
    return TableSnapshot(ref, f"version {version}", columns, tuple(files))


def _delta_partition_literal(value: str | None, kind: str) -> str:
    if value is None:
        return f"CAST(NULL AS {kind})"
    return f"CAST('{value.replace(chr(39), chr(39) * 2)}' AS {kind})"


_DELTA_PRIMITIVES = {
    "string": "VARCHAR",
    "long": "BIGINT",
    "integer": "INTEGER",
    "short": "SMALLINT",
    "byte": "TINYINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "binary": "BLOB",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
}


def _delta_type(kind: str | Mapping[str, Any]) -> str:
    """The DuckDB type DuckDB's delta_scan gives a Delta schema type."""
    if isinstance(kind, str):
        if decimal := re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", kind):
            return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
        return _DELTA_PRIMITIVES[kind]
    if kind["type"] == "struct":
        fields = ", ".join(f"{_quoted(f['name'])} {_delta_type(f['type'])}" for f in kind["fields"])
        return f"STRUCT({fields})"
    if kind["type"] == "array":
        return f"{_delta_type(kind['elementType'])}[]"
    return f"MAP({_delta_type(kind['keyType'])}, {_delta_type(kind['valueType'])})"


# -- reading a data file on a node -----------------------------------------------------------------


def _quoted(identifier: str) -> str:
    escaped = identifier.replace('"', '""')
    return f'"{escaped}"'


def _field_ids(schema: pa.Schema) -> dict[int, str]:
    """A Parquet file's top-level column names by Iceberg field id."""
    by_id: dict[int, str] = {}
    for arrow_field in schema:
        raw = (arrow_field.metadata or {}).get(b"PARQUET:field_id")
        if raw is not None:
            by_id[int(raw)] = arrow_field.name
    return by_id


def physical_columns(columns: Sequence[TableColumn], file_schema: pa.Schema) -> dict[str, str]:
    """Each of ``columns`` the data file stores: snapshot name -> the file's column of that field id
    (Iceberg) or name (Delta)."""
    by_id, names = _field_ids(file_schema), set(file_schema.names)
    found = {}
    for column in columns:
        physical = by_id.get(column.field_id) if column.field_id is not None else None
        if column.field_id is None and column.name in names:
            physical = column.name
        if physical is not None:
            found[column.name] = physical
    return found


def file_columns_sql(columns: Sequence[TableColumn], file: TableFile, file_schema: pa.Schema) -> list[str]:
    """The snapshot's ``columns`` over one data file: each the file's column of that field id (Iceberg)
    or name (Delta) cast to the snapshot's type, else the file's constant, else NULL."""
    stored = physical_columns(columns, file_schema)
    constants = dict(file.constants)
    projection = []
    for column in columns:
        if (physical := stored.get(column.name)) is not None:
            value = f"CAST({_quoted(physical)} AS {column.type})"
        else:
            value = constants.get(column.name, f"CAST(NULL AS {column.type})")
        projection.append(f"{value} AS {_quoted(column.name)}")
    return projection


def columns_read(
    columns: Sequence[TableColumn], needed: Sequence[str] | None, also: Iterable[str] = ()
) -> list[TableColumn]:
    """The snapshot's columns a node reads from a data file: those the query needs (all when
    ``needed`` is None) and ``also`` (the columns equality deletes compare)."""
    if needed is None:
        return list(columns)
    wanted = {name.lower() for name in (*needed, *also)}
    return [column for column in columns if column.name.lower() in wanted]


def equality_delete_columns(
    table: pa.Table, columns: Sequence[TableColumn], equality_ids: Sequence[int]
) -> pa.Table:
    """An equality delete file's rows with its equality columns named as the snapshot names them."""
    by_id = _field_ids(table.schema)
    names = {column.field_id: column.name for column in columns}
    selected = [by_id[field_id] for field_id in equality_ids]
    return table.select(selected).rename_columns(
        [names.get(field_id, f"__field_{field_id}") for field_id in equality_ids]
    )
