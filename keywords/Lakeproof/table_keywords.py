"""Keywords that write Iceberg and Delta table histories into the lab and check what readers see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robot.api import logger
from robotlibcore import keyword

from Lakeproof.cluster_keywords import ClusterKeywords
from lakeproof.compare import answer_from_duckdb
from lakeproof.compare.answer import Answer as ResultTable
from Lakeproof.context import LabContext
from lakeproof.engines.base import Answer, Capability, QueryOptions
from Lakeproof.html_log import html_table, log_table
from lakeproof.tables import DEFAULT_DATASETS_DIR, SnapshotInfo, TableFormat, TableInfo, write_history
from lakeproof.tables.concurrent import CommitOutcome, append_concurrently, new_batches

TABLES_DIR = Path(__file__).resolve().parents[2] / "data" / "tables"


@dataclass(frozen=True)
class ConcurrentAppend:
    """What `Append Concurrently To Table` did: both outcomes and the ids the table should hold."""

    table: str
    format: TableFormat
    outcomes: tuple[CommitOutcome, ...]
    expected_ids: tuple[int, ...]
    reads: tuple[int, ...]  # row counts the engine read while the writers committed
    consistent_counts: set[int]  # the counts a snapshot has


class TableKeywords:
    """Write table histories (``data/tables/``) and read their snapshots and versions."""

    def __init__(self, context: LabContext):
        self.context = context

    def _catalog(self) -> Path:
        return self.context.require_lab().log_dir / "iceberg-catalog.db"

    def _table(self, name: str, format: TableFormat) -> TableInfo:
        manifest = self.context.tables.get(name)
        if manifest is None:
            known = ", ".join(sorted(self.context.tables)) or "none yet"
            raise AssertionError(
                f"table {name!r} was not created in this lab (created: {known}); "
                "call 'Create Table History' first"
            )
        try:
            return manifest.table(format)
        except KeyError as missing:
            raise AssertionError(str(missing.args[0])) from None

    def _snapshot(self, table: TableInfo, snapshot: Any) -> SnapshotInfo:
        wanted = int(snapshot["id"] if isinstance(snapshot, dict) else snapshot)
        for found in table.snapshots:
            if found.id == wanted:
                return found
        raise AssertionError(f"table {table.name} ({table.format}) has no snapshot or version {wanted}")

    @keyword
    def create_table_history(self, name: str) -> list[str]:
        """Writes the table history ``name`` (``data/tables/<name>.yaml``) into the lab, in each format.

        Each step of the history is a snapshot (Iceberg) or a version (Delta): appends,
        overwrites, deletes (Iceberg position and equality delete files, or copy on write),
        schema and partition changes, compaction and expiry. The tables live under this run's
        prefix at ``tables/iceberg/<name>`` and ``tables/delta/<name>``. Logs every snapshot
        (id, time, operation, step, files, rows) and returns the formats written.

        Example:
        | `Create Table History`    orders
        """
        # An engine that cannot read tables skips the suite before any table is written.
        self.context.engine(Capability.TABLE_FORMATS)
        lab = self.context.require_lab()
        manifest = write_history(
            TABLES_DIR / f"{name}.yaml",
            lab.s3,
            lab.bucket,
            self._catalog(),
            datasets_dir=DEFAULT_DATASETS_DIR,
            prefix=lab.prefix,
        )
        self.context.tables[name] = manifest
        for table in manifest.tables:
            log_table(
                f"Table {name} ({table.format}) at {table.root}",
                ["id", "timestamp", "operation", "step", "data files", "delete files", "rows", "surviving"],
                [
                    [
                        s.id,
                        s.timestamp,
                        s.operation,
                        f"{s.step} {s.step_kind}",
                        len(s.data_files),
                        len(s.delete_files),
                        s.rows,
                        s.surviving,
                    ]
                    for s in table.snapshots
                ],
            )
        return [table.format for table in manifest.tables]

    @keyword
    def get_table_snapshots(
        self, name: str, format: TableFormat, surviving_only: bool = True
    ) -> list[dict[str, Any]]:
        """Returns the snapshots (Iceberg) or versions (Delta) of table ``name``, oldest first.

        Each is a dictionary: ``id`` (the snapshot id, or the Delta version), ``timestamp``,
        ``operation``, ``step_kind``, ``rows``, ``columns``, ``data_files``, ``delete_files``.
        With ``surviving_only`` (default) snapshots removed by expiry or vacuum are left out.

        Example:
        | ${snapshots}=    `Get Table Snapshots`    orders    iceberg
        """
        table = self._table(name, format)
        return [s.model_dump(mode="json") for s in table.snapshots if s.surviving or not surviving_only]

    @keyword
    def get_snapshot_made_by(self, name: str, format: TableFormat, step: str) -> dict[str, Any]:
        """Returns the last snapshot or version of table ``name`` that a ``step`` kind made
        (``append``, ``delete``, ``compact``, ...), as `Get Table Snapshots` gives it.

        Example:
        | ${compacted}=    `Get Snapshot Made By`    orders    iceberg    compact
        """
        table = self._table(name, format)
        made = [s for s in table.snapshots if s.step_kind == step]
        if not made:
            raise AssertionError(f"no {step} step made a snapshot of table {name} ({format})")
        return made[-1].model_dump(mode="json")

    @keyword
    def get_snapshot_before(self, name: str, format: TableFormat, snapshot: Any) -> dict[str, Any]:
        """Returns the snapshot or version committed just before ``snapshot`` (a dictionary or an id).

        Example:
        | ${before}=    `Get Snapshot Before`    orders    iceberg    ${compacted}
        """
        table = self._table(name, format)
        index = table.snapshots.index(self._snapshot(table, snapshot))
        if index == 0:
            raise AssertionError(f"snapshot {table.snapshots[0].id} is the first of table {name} ({format})")
        return table.snapshots[index - 1].model_dump(mode="json")

    @keyword
    def get_table_scan(
        self,
        name: str,
        format: TableFormat,
        snapshot: Any = None,
        by: Literal["id", "timestamp", "version"] = "id",
    ) -> str:
        """Returns the SQL table function that reads table ``name``, for a query's ``FROM``.

        Without ``snapshot`` it reads the current snapshot: ``iceberg_scan('s3://.../tables/iceberg/orders')``
        or ``delta_scan('...')``. ``snapshot`` (a dictionary of `Get Table Snapshots`, or an id or
        version) reads that one, by id (Iceberg ``snapshot_from_id``, Delta ``version``) or with
        ``by=timestamp`` by its commit time (``snapshot_from_timestamp``).

        Example:
        | ${scan}=    `Get Table Scan`    orders    iceberg    ${snapshot}    by=timestamp
        | `Query Should Match Oracle`    SELECT count(*) FROM ${scan}
        """
        self.context.engine(Capability.TABLE_FORMATS)
        table = self._table(name, format)
        return table.scan(None if snapshot is None else self._snapshot(table, snapshot), by)

    @keyword
    def get_oracle_answer(self, query: str) -> Answer:
        """Returns plain DuckDB's answer to ``query`` (the oracle, straight from the object store).

        Record it before a change and compare later answers with it (`Results Should Be Equal`).

        Example:
        | ${before}=    `Get Oracle Answer`    SELECT count(*) FROM ${scan}
        """
        answer = Answer(table=answer_from_duckdb(self.context.oracle().connection.sql(query)))
        logger.info(f"<b>Oracle</b>{html_table([c.name for c in answer.columns], answer.rows)}", html=True)
        return answer

    @keyword
    def append_concurrently_to_table(
        self, name: str, format: TableFormat, rows: int = 20, retries: int = 3, engine_reads: bool = True
    ) -> ConcurrentAppend:
        """Two writers append ``rows`` new rows each to table ``name`` at the same moment.

        Both read the table, meet at a barrier and commit. Iceberg: the catalog accepts one
        commit and refuses the other, which reads the table again and retries up to ``retries``
        times (0: it gives up). Delta: delta-rs puts the second append on top of the first.
        With ``engine_reads`` (default) the engine counts the table's rows over and over from the
        same barrier until both writers are done, and once more after. Returns what happened,
        for `Table Should Hold Every Committed Row Once` and `Every Read During The Commits
        Should See One Snapshot`; logs each writer's outcome and the counts read.

        Example:
        | ${append}=    `Append Concurrently To Table`    readings    iceberg    retries=0
        """
        table = self._table(name, format)
        connection = self.context.oracle().connection
        before = [row[0] for row in connection.sql(f"SELECT id FROM {table.scan()}").fetchall()]  # noqa: S608
        batches = new_batches(connection, table, rows)
        run = append_concurrently(
            table,
            batches,
            self.context.require_lab().s3,
            self._catalog(),
            retries,
            read_count=self._engine_count(table) if engine_reads else None,
        )
        log_table(
            f"Concurrent appends to {name} ({format})",
            ["writer", "rows", "committed", "refused commits", "last refusal"],
            [[o.writer, o.rows, o.committed, o.conflicts, o.error] for o in run.outcomes],
        )
        if engine_reads:
            logger.info(f"row counts the engine read meanwhile: {list(run.reads)}")
        added = [i for o in run.outcomes if o.committed for i in batches[o.writer].column("id").to_pylist()]
        return ConcurrentAppend(
            name,
            format,
            run.outcomes,
            tuple(sorted(before + added)),
            run.reads,
            run.consistent_counts(len(before)),
        )

    def _engine_count(self, table: TableInfo) -> Callable[[], int]:
        """A count of the table's rows on the engine under test (its default variant), for a thread:
        it calls the driver directly, as Robot Framework's log takes no messages from threads."""
        driver = self.context.engine()
        variant = driver.default_variant()
        query = f"SELECT count(*) FROM {table.scan()}"  # noqa: S608

        def count() -> int:
            return int(driver.query(query, variant, QueryOptions()).rows[0][0])

        return count

    @keyword
    def every_read_during_the_commits_should_see_one_snapshot(self, append: ConcurrentAppend) -> None:
        """Fails unless every row count the engine read while the writers committed is the count
        of a snapshot (the table before, after one append, after both), and the last read, made
        after both, counts every committed row.

        Example:
        | `Every Read During The Commits Should See One Snapshot`    ${append}
        """
        if not append.reads:
            raise AssertionError("the engine read nothing during the commits: use engine_reads=${True}")
        torn = sorted(set(append.reads) - set(append.consistent_counts))
        if torn:
            raise AssertionError(
                f"the engine counted {torn} rows during the commits; a snapshot holds one of "
                f"{sorted(append.consistent_counts)}"
            )
        if append.reads[-1] != len(append.expected_ids):
            raise AssertionError(
                f"after both commits the engine counted {append.reads[-1]} rows; the table holds "
                f"{len(append.expected_ids)}"
            )

    @keyword
    def writers_should_have_committed(self, append: ConcurrentAppend, committed: int, refused: int) -> None:
        """Fails unless ``committed`` writers committed and the catalog refused ``refused`` commits in all.

        Example:
        | `Writers Should Have Committed`    ${append}    committed=1    refused=1
        """
        done = sum(o.committed for o in append.outcomes)
        conflicts = sum(o.conflicts for o in append.outcomes)
        if (done, conflicts) != (committed, refused):
            raise AssertionError(
                f"{done} writers committed with {conflicts} refused commits; "
                f"expected {committed} and {refused}"
            )

    @keyword
    def table_should_hold_every_committed_row_once(self, append: ConcurrentAppend) -> None:
        """Fails unless the table holds exactly its rows from before and those of the writers that
        committed: no row lost, none doubled (read by the oracle; the log shows any difference).

        Example:
        | `Table Should Hold Every Committed Row Once`    ${append}
        """
        table = self._table(append.table, append.format)
        actual = answer_from_duckdb(self.context.oracle().connection.sql(f"SELECT id FROM {table.scan()}"))  # noqa: S608
        expected = ResultTable(columns=actual.columns, rows=tuple((i,) for i in append.expected_ids))
        ClusterKeywords(self.context).results_should_be_equal(Answer(table=actual), Answer(table=expected))
