"""Two writers committing to one table at once: optimistic concurrency, as a lakehouse sees it.

Iceberg: each writer has its own catalog connection and loads the table before a barrier, so both
commit on the same base metadata; the SQLite catalog swaps the metadata pointer only if it is
still the one the writer read, so exactly one wins and the other gets ``CommitFailedException``.
The loser refreshes the table and commits again (up to ``retries`` times) or gives up cleanly.
Delta: both ``write_deltalake`` appends start at the barrier; delta-rs writes the next log entry
with a conditional put, and the loser rebases on the winner's version (appends never conflict).
A reader may count the table's rows meanwhile: each count must be one a snapshot has.
Every wait is bounded: the barrier and the threads time out with an error naming what hung.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table.snapshots import Operation

from lakeproof.errors import LakeproofError
from lakeproof.objectstore import S3Endpoint
from lakeproof.tables import delta, iceberg
from lakeproof.tables.manifest import TableInfo


def new_batches(
    connection: duckdb.DuckDBPyConnection, table: TableInfo, rows: int
) -> tuple[pa.Table, pa.Table]:
    """Two batches of ``rows`` new rows each, shaped like the table's current ones (its first rows)
    with ids no row has: what two writers append at once. ``connection`` reads the table."""
    scan = table.scan()
    current = connection.sql(f"SELECT * FROM {scan} ORDER BY id LIMIT {2 * rows}").to_arrow_table()  # noqa: S608
    if current.num_rows < 2 * rows:
        raise LakeproofError(
            f"table {table.name} holds {current.num_rows} rows; two batches of {rows} need more"
        )
    top = int(connection.sql(f"SELECT max(id) FROM {scan}").fetchall()[0][0])  # noqa: S608
    ids = current.schema.get_field_index("id")
    first = current.slice(0, rows).set_column(ids, "id", pa.array(range(top + 1, top + rows + 1), pa.int64()))
    second = current.slice(rows, rows).set_column(
        ids, "id", pa.array(range(top + rows + 1, top + 2 * rows + 1), pa.int64())
    )
    return first, second


@dataclass(frozen=True)
class CommitOutcome:
    """How one writer's commit ended."""

    writer: int  # 0 or 1
    rows: int  # rows it tried to append
    committed: bool
    conflicts: int  # commits refused because the other writer committed first
    error: str  # the last refusal, or '' if none

    @property
    def attempts(self) -> int:
        """Commits tried: the refused ones and the one that went through, if any."""
        return self.conflicts + int(self.committed)


@dataclass(frozen=True)
class AppendRun:
    """Both writers' outcomes, and the row counts a reader saw while they committed."""

    outcomes: tuple[CommitOutcome, ...]
    reads: tuple[int, ...] = ()

    def consistent_counts(self, before: int) -> set[int]:
        """The row counts a reader may see: the table before, after either commit, after both
        (of the commits that landed); anything else is a read of no snapshot."""
        landed = [o.rows for o in self.outcomes if o.committed]
        return {before + sum(subset) for subset in ([], *[[rows] for rows in landed], landed)}


def append_concurrently(
    table: TableInfo,
    batches: tuple[pa.Table, pa.Table],
    endpoint: S3Endpoint,
    catalog_path: str | Path,
    retries: int = 3,
    timeout_s: float = 60.0,
    read_count: Callable[[], int] | None = None,
) -> AppendRun:
    """Two writers append ``batches[0]`` and ``batches[1]`` to ``table`` at the same moment.

    ``retries``: how many times an Iceberg writer refused by a conflict refreshes and commits
    again (0: it gives up at once). ``read_count`` (a query of the table's current row count),
    if given, runs over and over from the same barrier until both writers are done, and once
    more after. Returns both outcomes, writer 0 first, and the counts read.
    """
    barrier = threading.Barrier(2 if read_count is None else 3, timeout=timeout_s)
    writers_done = threading.Event()
    outcomes: list[CommitOutcome | None] = [None, None]
    reads: list[int] = []
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            if table.format == "iceberg":
                outcomes[writer] = _iceberg_writer(
                    writer, table, batches[writer], endpoint, catalog_path, retries, barrier
                )
            else:
                outcomes[writer] = _delta_writer(writer, table, batches[writer], endpoint, barrier)
        except BaseException as error:  # reported below; a thread must not swallow it
            failures.append(error)
            barrier.abort()

    def read() -> None:
        assert read_count is not None
        try:
            barrier.wait()
            while not writers_done.is_set():
                reads.append(read_count())
            reads.append(read_count())
        except BaseException as error:  # reported below
            failures.append(error)
            barrier.abort()

    writers = [
        threading.Thread(target=write, args=(writer,), name=f"table-writer-{writer}") for writer in (0, 1)
    ]
    reader = [threading.Thread(target=read, name="table-reader")] if read_count is not None else []
    for thread in writers + reader:
        thread.start()
    for thread in writers:
        _join(thread, table, timeout_s)
    writers_done.set()
    for thread in reader:
        _join(thread, table, timeout_s)
    if failures:
        raise failures[0]
    return AppendRun(tuple(outcome for outcome in outcomes if outcome is not None), tuple(reads))


def _join(thread: threading.Thread, table: TableInfo, timeout_s: float) -> None:
    thread.join(timeout_s)
    if thread.is_alive():
        raise LakeproofError(f"{thread.name} of table {table.name} did not finish in {timeout_s} s")


def _iceberg_writer(
    writer: int,
    table: TableInfo,
    rows: pa.Table,
    endpoint: S3Endpoint,
    catalog_path: str | Path,
    retries: int,
    barrier: threading.Barrier,
) -> CommitOutcome:
    catalog = iceberg.lab_catalog(catalog_path, endpoint, table.root.rsplit("/", 1)[0])
    loaded = catalog.load_table((iceberg.NAMESPACE, table.name))
    files = iceberg.data_files_of(loaded, rows, 1)
    conflicts, error = 0, ""
    barrier.wait()
    while True:
        try:
            iceberg.commit(loaded, Operation.APPEND, files)
            return CommitOutcome(writer, rows.num_rows, True, conflicts, error)
        except CommitFailedException as refused:
            conflicts, error = conflicts + 1, " ".join(str(refused).split())
            if conflicts > retries:
                return CommitOutcome(writer, rows.num_rows, False, conflicts, error)
            loaded.refresh()


def _delta_writer(
    writer: int, table: TableInfo, rows: pa.Table, endpoint: S3Endpoint, barrier: threading.Barrier
) -> CommitOutcome:
    # delta-rs retries a conflicting commit itself; a conflict it cannot resolve raises.
    delta_writer = delta.DeltaWriter(table.root, endpoint, target_file_size=1 << 30)
    barrier.wait()
    delta_writer.write(rows, overwrite=False)
    return CommitOutcome(writer, rows.num_rows, True, 0, "")
