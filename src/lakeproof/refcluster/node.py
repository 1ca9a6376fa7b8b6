"""What a data node (or the coordinator, for splits it keeps) does with its share of a query.

A ``NodeTask`` carries everything needed, so it runs the same inside a Dask worker process or
on the coordinator: read each split through the reader's own proxy listener (with the retry
policy), run the node's SQL (a fragment: projection, filter, partial aggregation, TopN; or a
plain scan) over the splits' rows with DuckDB, and send back the Arrow result plus per-split stats
(Dask pickles Arrow tables with out-of-band buffers: no serialisation step of our own).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lakeproof.duckdb_ext import duckdb_session
from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster.errors import QueryCancelledError
from lakeproof.refcluster.model import Format, RetryPolicy, Split, SplitStats
from lakeproof.refcluster.storage import ObjectReader, Predicate, read_parquet_split, read_text_split

SPLITS_TABLE = "__splits"
"""The relation name node SQL reads its splits' rows from."""

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


@dataclass(frozen=True)
class NodeTask:
    """A node's whole share of one query."""

    node: str
    endpoint: S3Endpoint
    works: tuple[ScanWork, ...]
    policy: RetryPolicy
    deadline: float


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


def register_node_tables(connection: duckdb.DuckDBPyConnection, name: str, tables: list[NodeTable]) -> None:
    """Make the union of ``tables`` queryable as view ``name``, with DuckDB's own column types."""
    raw = pa.concat_tables([table.table for table in tables], promote_options="permissive")
    connection.register(f"{name}__arrow", raw)
    columns = ", ".join(
        f"CAST({_quoted(field.name)} AS {kind}) AS {_quoted(field.name)}"
        for field, kind in zip(raw.schema, tables[0].duckdb_types, strict=True)
    )
    view, arrow = _quoted(name), _quoted(f"{name}__arrow")
    # TEMP: the view belongs to this connection, not to the database other sessions share.
    connection.execute(f"CREATE TEMP VIEW {view} AS SELECT {columns} FROM {arrow}")  # noqa: S608


def _quoted(identifier: str) -> str:
    """A DuckDB quoted identifier."""
    escaped = identifier.replace('"', '""')
    return f'"{escaped}"'


def _text_split_table(
    connection: duckdb.DuckDBPyConnection, work: ScanWork, data: bytes, scratch: Path, split: Split
) -> pa.Table:
    # The split's bytes are a self-contained file (header repeated, records aligned): DuckDB
    # parses it with the query's own options, exactly as it would parse the whole object.
    path = scratch / f"split-{split.id}.{work.format}"
    path.write_bytes(data)
    options = f", {work.options_sql}" if work.options_sql else ""
    # Function and options come from the analysed query itself; the path is our own temp file.
    relation = connection.sql(f"SELECT * FROM {work.function}('{path}'{options})")  # noqa: S608
    table = relation.to_arrow_table()
    if work.columns is not None:
        table = table.select(list(work.columns))
    path.unlink()
    return table


def _union(tables: list[pa.Table]) -> pa.Table:
    """The splits' rows as one table; a query that needs no column (``count(*)``) still counts rows."""
    if tables and tables[0].num_columns == 0:
        # DuckDB cannot scan a table without columns: stand in one all-NULL column per row.
        return pa.table({"__row": pa.nulls(sum(table.num_rows for table in tables), pa.bool_())})
    return pa.concat_tables(tables, promote_options="permissive")


def run_node_task(task: NodeTask, cancelled: Callable[[], bool] = lambda: False) -> NodeResult:
    """Read every split of ``task`` and run its SQL; checks ``cancelled`` between splits."""
    result = NodeResult(task.node)
    connection = duckdb_session()
    _count_running(+1)
    try:
        with tempfile.TemporaryDirectory(prefix="lakeproof-node-") as scratch:
            for work in task.works:
                tables = []
                # Shared by this work's readers: each footer is parsed once, not once per split.
                footer_bytes: dict[str, bytes] = dict(work.footers)
                footers: dict[str, pq.FileMetaData] = {}
                for split in work.splits:
                    if cancelled():
                        raise QueryCancelledError(f"query cancelled while {task.node} was reading its splits")
                    stats = SplitStats(split.id, node=task.node)
                    result.splits.append(stats)
                    reader = ObjectReader(
                        task.endpoint,
                        task.policy,
                        task.deadline,
                        stats,
                        footer_bytes=footer_bytes,
                        footers=footers,
                    )
                    if work.format == "parquet":
                        table = read_parquet_split(reader, split, work.columns, work.predicates)
                    else:
                        table = _text_split_table(
                            connection, work, read_text_split(reader, split), Path(scratch), split
                        )
                    stats.rows = table.num_rows
                    tables.append(table)
                combined = _union(tables)
                connection.register(SPLITS_TABLE, combined)
                relation = connection.sql(work.node_sql)
                types = tuple(str(kind) for kind in relation.types)
                result.tables[work.source] = NodeTable(relation.to_arrow_table(), types)
                connection.unregister(SPLITS_TABLE)
    finally:
        connection.close()
        _count_running(-1)
    return result


def run_on_worker(task: NodeTask, cancel_event: str) -> NodeResult:
    """``run_node_task`` inside a Dask worker, stopping when the coordinator sets ``cancel_event``."""
    import distributed  # noqa: PLC0415 - only worker processes need it here

    event = distributed.Event(cancel_event)  # type: ignore[no-untyped-call]
    return run_node_task(task, event.is_set)
