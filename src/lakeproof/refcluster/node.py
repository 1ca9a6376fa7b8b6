"""What a data node (or the coordinator, for splits it keeps) does with its share of a query.

A ``NodeTask`` carries everything needed, so it runs the same inside a Dask worker process or
on the coordinator: fetch each split through the reader's own proxy listener (with the retry
policy) into a local file, several splits side by side; let DuckDB parse them (a Parquet split
is a sparse copy holding only its row groups and needed column chunks, a text split its aligned
records); run the node's SQL (a fragment: projection, filter, partial aggregation, TopN; or a
plain scan) over the rows, and send back the Arrow result plus per-split stats (Dask pickles
Arrow tables with out-of-band buffers: no serialisation step of our own).

DuckDB parses Parquet, not pyarrow, because the oracle is DuckDB: the same reader gives the
same types, and it decodes DECIMAL columns (all of TPC-H's prices) several times faster.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakeproof.duckdb_ext import duckdb_session
from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster.deadline import Cancelled, Deadline, interrupting, never_cancelled, throttled
from lakeproof.refcluster.defects import NO_DEFECTS, Defects
from lakeproof.refcluster.errors import BadRequestError, caller_errors
from lakeproof.refcluster.model import FileInfo, Format, RetryPolicy, Split, SplitStats
from lakeproof.refcluster.schema import SourceSchema
from lakeproof.refcluster.storage import ObjectReader, Predicate, copy_parquet_split, parquet_metadata
from lakeproof.refcluster.tables import (
    TableColumn,
    TableSnapshot,
    columns_read,
    equality_delete_columns,
    file_columns_sql,
    physical_columns,
    plan_table,
)
from lakeproof.scratch import task_scratch

SPLITS_TABLE = "__splits"
"""The relation name node SQL reads its splits' rows from."""
_SPLITS_ARROW = "__splits_arrow"  # the text splits' rows as Arrow carried them
_ROW = "__row"  # the stand-in column of a scan that needs no column
_FETCHERS = 4  # splits of one task fetched at a time: enough to keep a proxy listener busy


@functools.cache
def _fetchers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(_FETCHERS, thread_name_prefix="split-fetch")


# Node tasks executing in this process right now: what "a cancelled query leaves no work running"
# is checked against (a cancelled Dask future says nothing about a thread still reading).
_running = 0
_running_lock = threading.Lock()


def running_node_tasks() -> int:
    """How many node tasks this process (a Dask worker, or the coordinator) is executing now."""
    with _running_lock:
        return _running


def _count_running(change: int) -> None:
    global _running  # noqa: PLW0603 - one counter per process is the point
    with _running_lock:
        _running += change


@dataclass(frozen=True)
class ScanWork:
    """One source's splits for this node, how to parse them, and the SQL to run over them."""

    source: int
    format: Format
    function: str
    options_sql: str
    columns: tuple[str, ...] | None
    predicates: tuple[Predicate, ...]
    node_sql: str
    splits: tuple[Split, ...]
    footers: dict[str, bytes]  # Parquet footers the coordinator already read, by URI
    schema: SourceSchema | None = None  # the source's columns over all its files, when data-dependent
    table: TableSnapshot | None = None  # a table source: the planned snapshot's schema and files


@dataclass(frozen=True)
class NodeTask:
    """A node's whole share of one query."""

    node: str
    endpoint: S3Endpoint
    works: tuple[ScanWork, ...]
    policy: RetryPolicy
    deadline: Deadline
    defects: Defects = NO_DEFECTS  # deliberate defects of the reading, for honesty tests only


@dataclass(frozen=True)
class NodeTable:
    """A node SQL result: an Arrow table plus DuckDB's column types.

    Arrow has no 128-bit integer, so DuckDB's HUGEINT travels as DECIMAL(38,0); the types let
    the coordinator restore exactly what DuckDB computed before it merges.
    """

    table: pa.Table
    duckdb_types: tuple[str, ...]


@dataclass
class NodeResult:
    """Per source, the node SQL's result; per split, what reading it took."""

    node: str
    tables: dict[int, NodeTable] = field(default_factory=dict)
    splits: list[SplitStats] = field(default_factory=list)


def register_node_tables(
    connection: duckdb.DuckDBPyConnection, name: str, tables: list[NodeTable], restore_types: bool = True
) -> None:
    """Make the union of ``tables`` queryable as view ``name``, with DuckDB's own column types
    (as Arrow carried them, if ``restore_types`` is off: the defect ``node_types_lost``)."""
    raw = concat_rows([table.table for table in tables])
    connection.register(f"{name}__arrow", raw)
    columns = ", ".join(
        f"CAST({_quoted(field.name)} AS {kind}) AS {_quoted(field.name)}"
        if restore_types
        else _quoted(field.name)
        for field, kind in zip(raw.schema, tables[0].duckdb_types, strict=True)
    )
    view, arrow = _quoted(name), _quoted(f"{name}__arrow")
    # TEMP: the view belongs to this connection, not to the database other sessions share.
    connection.execute(f"CREATE TEMP VIEW {view} AS SELECT {columns} FROM {arrow}")  # noqa: S608


def concat_rows(tables: list[pa.Table]) -> pa.Table:
    """The rows of ``tables`` as one table; splits whose column types disagree are the data's problem.

    They disagree only when the files of a glob do and the query leaves the reader to guess
    types: a one-line 400 naming the column, not an engine failure.
    """
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid) as error:
        first_line = next(iter(str(error).strip().splitlines()), type(error).__name__)
        raise BadRequestError(
            f"the files disagree on a column's type ({first_line}); declare the types "
            "(read_csv/read_json columns = {...}) or read Parquet with union_by_name = true"
        ) from None


def _quoted(identifier: str) -> str:
    """A DuckDB quoted identifier."""
    escaped = identifier.replace('"', '""')
    return f'"{escaped}"'


def _local_scan_sql(work: ScanWork, paths: list[Path], projection: str) -> str:
    """``projection`` over local split files, parsed by DuckDB with the query's own function and options."""
    files = ", ".join("'{}'".format(str(path).replace("'", "''")) for path in paths)
    options = f", {work.options_sql}" if work.options_sql else ""
    # Function and options come from the analysed query itself; the paths are our own temp files.
    return f"SELECT {projection} FROM {work.function}([{files}]{options})"  # noqa: S608


def _text_split_table(
    connection: duckdb.DuckDBPyConnection, work: ScanWork, split: Split, path: Path
) -> NodeTable:
    # The split's bytes are a self-contained file (header repeated, records aligned): DuckDB
    # parses it with the query's own options, exactly as it would parse the whole object.
    if work.columns == ():
        # No column needed (count(*)): the rows alone, as a table without columns.
        if path.stat().st_size == 0:
            return NodeTable(pa.table({}), ())
        rows = connection.sql(_local_scan_sql(work, [path], "*")).to_arrow_table()
        return NodeTable(rows.select([]), ())
    if work.schema is None:
        relation = connection.sql(_local_scan_sql(work, [path], "*"))
        if work.columns is not None:
            relation = relation.select(*_needed_columns(relation.columns, work))
    elif path.stat().st_size == 0:
        # Nothing to sniff a dialect in (DuckDB refuses to): no rows, of the source's columns.
        relation = connection.sql(work.schema.empty_sql(work.columns))
    else:
        relation = connection.sql(_conformed_sql(connection, work, work.schema, [(split, path)]))
    return NodeTable(relation.to_arrow_table(), tuple(str(kind) for kind in relation.types))


def _conformed_sql(
    connection: duckdb.DuckDBPyConnection,
    work: ScanWork,
    schema: SourceSchema,
    copies: list[tuple[Split, Path]],
) -> str:
    """SQL of the needed columns of the local copies, typed as the source's ``schema`` says;
    Hive partition columns hold the values of each copy's object key."""
    if schema.partitions:
        # The literals are quoted by the schema; the scans are our own local copies.
        scan = " UNION ALL BY NAME ".join(
            f"SELECT *, {schema.partition_literals(split.uri)} FROM ({_local_scan_sql(work, [path], '*')})"  # noqa: S608
            for split, path in copies
        )
    else:
        scan = _local_scan_sql(work, [path for _, path in copies], "*")
    return schema.conformed_sql(scan, connection.sql(scan).columns, work.columns)


def _needed_columns(names: list[str], work: ScanWork) -> list[str]:
    """The columns the query needs, found as DuckDB binds names (ignoring case) and quoted; a
    column the data does not have is the caller's mistake, named as DuckDB would."""
    actual = {name.lower(): name for name in names}
    needed = work.columns or ()
    if missing := [column for column in needed if column.lower() not in actual]:
        raise BadRequestError(
            f'Binder Error: Referenced column "{missing[0]}" not found in {work.function}; '
            f"its columns are: {', '.join(names)}"
        )
    return [_quoted(actual[column.lower()]) for column in needed]


def _load_parquet_copies(connection: duckdb.DuckDBPyConnection, work: ScanWork, paths: list[Path]) -> None:
    """Table ``SPLITS_TABLE``: the needed columns of the splits' local copies (``copy_parquet_split``).

    A temporary table, not a view: the node SQL's filters must not reach the copies, which hold
    no Bloom filters or page indexes for DuckDB to consult. Kept in DuckDB's own format, the
    rows also skip two conversions through Arrow (slow for DECIMAL).
    """
    if work.columns is None:
        projection = "*"
    elif work.columns:
        projection = ", ".join(_quoted(column) for column in work.columns)
    else:
        projection = f"NULL::BOOLEAN AS {_ROW}"  # as _union does for text splits
    if work.schema is not None and work.columns != ():
        rows = _conformed_sql(connection, work, work.schema, list(zip(work.splits, paths, strict=True)))
    else:
        rows = _local_scan_sql(work, paths, projection)
    connection.execute(f"CREATE TEMP TABLE {SPLITS_TABLE} AS {rows}")


def _register_splits(
    connection: duckdb.DuckDBPyConnection, tables: list[NodeTable], restore_types: bool = True
) -> None:
    """The text splits' rows as view ``SPLITS_TABLE``, with the DuckDB types the splits were
    parsed to: Arrow carries HUGEINT as DECIMAL(38,0), so a column whose splits agree on a type
    Arrow changed is cast back to it (as Arrow typed them if ``restore_types`` is off: the defect
    ``split_types_lost``)."""
    raw = _union([table.table for table in tables])
    connection.register(_SPLITS_ARROW, raw)
    arrow_types = [str(kind) for kind in connection.sql(f"SELECT * FROM {_SPLITS_ARROW} LIMIT 0").types]  # noqa: S608
    parsed = [set(kinds) for kinds in zip(*(table.duckdb_types for table in tables), strict=True)]
    if len(parsed) != len(arrow_types) or not restore_types:
        parsed = [set() for _ in arrow_types]  # the stand-in column of a count(*)
    columns = ", ".join(
        f"CAST({_quoted(name)} AS {next(iter(kinds))}) AS {_quoted(name)}"
        if len(kinds) == 1 and next(iter(kinds)) != arrow
        else _quoted(name)
        for name, arrow, kinds in zip(raw.column_names, arrow_types, parsed, strict=True)
    )
    # TEMP: the view belongs to this connection; names and types are DuckDB's own.
    connection.execute(f"CREATE TEMP VIEW {SPLITS_TABLE} AS SELECT {columns} FROM {_SPLITS_ARROW}")  # noqa: S608


def _union(tables: list[pa.Table]) -> pa.Table:
    """The splits' rows as one table; a query that needs no column (``count(*)``) still counts rows."""
    if tables and tables[0].num_columns == 0:
        # DuckDB cannot scan a table without columns: stand in one all-NULL column per row.
        return pa.table({_ROW: pa.nulls(sum(table.num_rows for table in tables), pa.bool_())})
    return concat_rows(tables)


@dataclass
class _SplitDeletes:
    """The delete files of one split's data file, as the node applies them: the positions deleted
    in that file, and each equality delete file's rows (columns named as the snapshot names them)."""

    positions: pa.Table | None = None
    equality: list[pa.Table] = field(default_factory=list)


@dataclass(frozen=True)
class _Fetch:
    """What fetching one split of a work needs; ``cancelled`` is checked before it starts."""

    task: NodeTask
    work: ScanWork
    scratch: Path
    footer_bytes: dict[str, bytes]
    footers: dict[str, pq.FileMetaData]
    cancelled: Cancelled
    deletes: dict[int, _SplitDeletes] = field(default_factory=dict)  # by split id, for table splits

    def __call__(self, split_and_stats: tuple[Split, SplitStats]) -> Path:
        """The split as a local file: a Parquet copy, or a text split's aligned records."""
        split, stats = split_and_stats
        activity = f"reading splits on {self.task.node}"
        self.task.deadline.check(f"{activity} ({split.uri})", self.cancelled)  # before any work
        reader = ObjectReader(
            self.task.endpoint,
            self.task.policy,
            self.task.deadline,
            stats,
            footer_bytes=self.footer_bytes,
            footers=self.footers,
            cancelled=self.cancelled,
            activity=activity,
        )
        # The object's compression ending stays: it is what tells DuckDB to decompress the copy.
        path = self.scratch / f"split-{split.id}.{self.work.format}{self.task.defects.copy_suffix(split.uri)}"
        if (table := self.work.table) is not None:
            deletes = self._read_deletes(reader, split, table)
            self.deletes[split.id] = deletes
            # The needed columns under the names this file gives them (its own, by field id).
            metadata = parquet_metadata(reader, FileInfo(split.uri, "parquet", split.file_size))
            read = _table_columns_read(self.work, table, deletes)
            stored = physical_columns(read, metadata.schema.to_arrow_schema())
            chunks = None if self.work.columns is None else list(stored.values())
            stats.rows = copy_parquet_split(reader, split, path, chunks)
        elif self.work.format == "parquet":
            stats.rows = copy_parquet_split(reader, split, path, self.work.columns, self.work.predicates)
        else:
            path.write_bytes(self.task.defects.read_text_split(reader, split))
        return path

    def _read_deletes(self, reader: ObjectReader, split: Split, table: TableSnapshot) -> _SplitDeletes:
        """The delete files of the split's data file, read through the node's own reader."""
        deletes = _SplitDeletes()
        positions = []
        for delete in self.task.defects.table_deletes(self.task.node, table.files_by_uri[split.uri].deletes):
            rows = pq.read_table(pa.BufferReader(reader.read_object(delete.uri)))
            if delete.equality_ids:
                deletes.equality.append(equality_delete_columns(rows, table.columns, delete.equality_ids))
            else:
                mine = rows.filter(pc.equal(rows["file_path"], split.uri))
                positions.append(mine.select(["pos"]))
        if positions:
            deletes.positions = pa.concat_tables(positions)
        return deletes


def _fetch_all(
    fetch: Callable[[tuple[Split, SplitStats]], Path], items: list[tuple[Split, SplitStats]]
) -> list[Path]:
    """Every split fetched, in order; the first failure is raised once no fetch is running."""
    futures = [_fetchers().submit(fetch, item) for item in items]
    wait(futures, return_when=FIRST_EXCEPTION)
    for future in futures:
        future.cancel()  # those not started yet, after a failure
    wait(futures)  # those started finish their split: nothing reads on after the task
    for future in futures:
        if not future.cancelled() and (error := future.exception()) is not None:
            raise error
    return [future.result() for future in futures]


def _as_read(task: NodeTask, work: ScanWork, cancelled: Cancelled) -> ScanWork:
    """The work as this node reads it: as planned (the defect ``table_split_newer_snapshot`` has the
    node re-resolve its table and read the newest snapshot's schema and deletes instead)."""
    if work.table is None or not task.defects.re_resolves_tables(task.node):
        return work
    reader = ObjectReader(
        task.endpoint, task.policy, task.deadline, cancelled=cancelled, activity="re-reading a table"
    )
    newest = plan_table(work.table.ref.current(), reader)
    return dataclasses.replace(work, table=task.defects.newer_snapshot(work.table, newest))


def _load_table_copies(
    connection: duckdb.DuckDBPyConnection, work: ScanWork, paths: list[Path], fetch: _Fetch
) -> None:
    """Table ``SPLITS_TABLE``: the splits' rows under the snapshot's schema, their deletes applied.

    A row's position in its data file is its row number in the copy plus the rows of the file's
    row groups before the split's first (a split's row groups are contiguous and none is pruned).
    """
    table = work.table
    assert table is not None
    projection = _table_projection(table, work.columns)
    selects, registered = [], []
    for split, path in zip(work.splits, paths, strict=True):
        metadata = fetch.footers[split.uri]
        first = split.row_groups[0] if split.row_groups else 0
        offset = sum(metadata.row_group(index).num_rows for index in range(first))
        read = _table_columns_read(work, table, fetch.deletes[split.id])
        columns = file_columns_sql(read, table.files_by_uri[split.uri], metadata.schema.to_arrow_schema())
        local = "'{}'".format(str(path).replace("'", "''"))
        rows = (
            f"SELECT {', '.join([*columns, f'file_row_number + {offset} AS __position'])} "  # noqa: S608
            f"FROM read_parquet({local}, file_row_number = true)"
        )
        conditions = []
        deletes = fetch.deletes[split.id]
        if deletes.positions is not None:
            name = f"__positions_{split.id}"
            connection.register(name, deletes.positions)
            registered.append(name)
            conditions.append(f"__position NOT IN (SELECT pos FROM {name})")  # noqa: S608
        for number, equality in enumerate(deletes.equality):
            name = f"__equality_{split.id}_{number}"
            connection.register(name, equality)
            registered.append(name)
            matches = " AND ".join(
                f"e.{_quoted(c)} IS NOT DISTINCT FROM d.{_quoted(c)}" for c in equality.column_names
            )
            conditions.append(f"NOT EXISTS (SELECT 1 FROM {name} AS e WHERE {matches})")  # noqa: S608
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        selects.append(f"SELECT {projection} FROM ({rows}) AS d{where}")  # noqa: S608
    connection.execute(f"CREATE TEMP TABLE {SPLITS_TABLE} AS {' UNION ALL '.join(selects)}")
    for name in registered:
        connection.unregister(name)


def _table_columns_read(work: ScanWork, table: TableSnapshot, deletes: _SplitDeletes) -> list[TableColumn]:
    """The snapshot's columns a split's copy holds: the needed ones and those its equality deletes compare."""
    compared = [name for equality in deletes.equality for name in equality.column_names]
    return columns_read(table.columns, work.columns, compared)


def _table_projection(table: TableSnapshot, columns: tuple[str, ...] | None) -> str:
    """The columns of a table's rows a node's SQL reads (all, the needed ones, or a stand-in)."""
    if columns is None:
        return ", ".join(_quoted(column.name) for column in table.columns)
    if columns:
        return ", ".join(_quoted(column) for column in columns)
    return f"NULL::BOOLEAN AS {_ROW}"  # as _union does for text splits


def empty_table_result(table: TableSnapshot, columns: tuple[str, ...] | None, node_sql: str) -> NodeTable:
    """The node SQL over no rows: what a snapshot without data files gives the merge."""
    typed = ", ".join(f"CAST(NULL AS {column.type}) AS {_quoted(column.name)}" for column in table.columns)
    with duckdb_session() as connection:
        connection.execute(f"CREATE TEMP TABLE __empty AS SELECT {typed} WHERE false")
        connection.execute(
            f"CREATE TEMP TABLE {SPLITS_TABLE} AS SELECT {_table_projection(table, columns)} FROM __empty"  # noqa: S608
        )
        relation = connection.sql(node_sql)
        return NodeTable(relation.to_arrow_table(), tuple(str(kind) for kind in relation.types))


def run_node_task(task: NodeTask, cancelled: Cancelled = never_cancelled) -> NodeResult:
    """Read every split of ``task`` and run its SQL, until the task's deadline or ``cancelled``.

    Splits are fetched side by side (each fetch is mostly waiting on storage), then parsed by
    DuckDB. A cancel or the deadline stops every fetch at its next request or body chunk and
    interrupts DuckDB; the error names what the node was doing. A DuckDB error the query's own
    text causes (``id + 'abc'``) is the caller's mistake: BadRequestError with DuckDB's first line.
    """
    result = NodeResult(task.node)
    connection = duckdb_session()
    _count_running(+1)
    try:
        with task_scratch() as scratch:
            for planned_work in task.works:
                work = _as_read(task, planned_work, cancelled)
                stats = [SplitStats(split.id, node=task.node) for split in work.splits]
                result.splits.extend(stats)
                # Shared by this work's readers: each footer is parsed once, not once per split.
                fetch = _Fetch(task, work, Path(scratch), dict(work.footers), {}, cancelled)
                paths = _fetch_all(fetch, list(zip(work.splits, stats, strict=True)))
                doing = f"running the query over its splits on {task.node}"
                copies = {str(path): split.uri for split, path in zip(work.splits, paths, strict=True)}
                with interrupting(connection, task.deadline, doing, cancelled), caller_errors(copies):
                    result.tables[work.source] = _run_work(
                        connection, work, paths, stats, fetch, task.defects.restores_split_types
                    )
    finally:
        connection.close()
        _count_running(-1)
    return result


def _run_work(
    connection: duckdb.DuckDBPyConnection,
    work: ScanWork,
    paths: list[Path],
    stats: list[SplitStats],
    fetch: _Fetch,
    restore_types: bool = True,
) -> NodeTable:
    """Parse the fetched splits and run the node SQL over them."""
    if work.table is not None:
        _load_table_copies(connection, work, paths, fetch)
    elif work.format == "parquet":
        _load_parquet_copies(connection, work, paths)
    else:
        tables = [
            _text_split_table(connection, work, split, path)
            for split, path in zip(work.splits, paths, strict=True)
        ]
        for split_stats, table in zip(stats, tables, strict=True):
            split_stats.rows = table.table.num_rows
        _register_splits(connection, tables, restore_types)
    relation = connection.sql(work.node_sql)
    types = tuple(str(kind) for kind in relation.types)
    table = NodeTable(relation.to_arrow_table(), types)
    if work.format == "parquet":
        connection.execute(f"DROP TABLE {SPLITS_TABLE}")
    else:
        connection.execute(f"DROP VIEW {SPLITS_TABLE}")
        connection.unregister(_SPLITS_ARROW)
    return table


def run_on_worker(task: NodeTask, cancel_event: str) -> NodeResult:
    """``run_node_task`` inside a Dask worker, stopping when the coordinator sets ``cancel_event``."""
    import distributed  # noqa: PLC0415 - only worker processes need it here

    # The worker's client, fetched here in the task's thread: split fetch threads ask the flag too,
    # and an Event finds a client by itself only in a thread Dask runs the task in.
    client = distributed.get_client()
    event = distributed.Event(cancel_event, client=client)  # type: ignore[no-untyped-call]
    return run_node_task(task, throttled(event.is_set))
