"""The coordinator's engine: analyse, list, plan splits, assign, dispatch to Dask nodes, merge.

One query, step by step:

1. validate the pragma and analyse the SQL (sqlglot): sources, shape, fragment or coordinator mode;
2. list each source's objects and read the metadata splits need (Parquet footers, CSV headers)
   through the coordinator's own proxy listener;
3. plan splits, coalesce them into groups, assign the groups with the requested strategy;
4. send each node its groups as one pinned Dask task (the coordinator reads its own groups);
   a node that disappears has its work reassigned to live nodes, or, with
   ``allow_partial_results``, its splits are reported missing and the answer flagged partial;
5. merge: the fragment's merge SQL, or the original query over the distributed scans.

Every query has a deadline and may be cancelled by its caller; every step (listing, footer
reads, split reads on nodes and on the coordinator, retries, DuckDB work) stops at either with
one error naming what the query was doing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_threads
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import distributed
import duckdb

from lakeproof.duckdb_ext import duckdb_session
from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.jsonvalue import json_value
from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster.deadline import Cancelled, Deadline, interrupting, never_cancelled
from lakeproof.refcluster.defects import NO_DEFECTS, Defects, Memory, Placement
from lakeproof.refcluster.errors import BadRequestError, EngineError, NodeFailureError, caller_errors
from lakeproof.refcluster.model import (
    COORDINATOR,
    FileInfo,
    Format,
    RetryPolicy,
    Split,
    SplitGroup,
    SplitStats,
)
from lakeproof.refcluster.node import (
    SPLITS_TABLE,
    NodeResult,
    NodeTask,
    ScanWork,
    empty_table_result,
    register_node_tables,
    run_node_task,
    run_on_worker,
    running_node_tasks,
)
from lakeproof.refcluster.pragma import Pragma
from lakeproof.refcluster.request import PLAN_FIELDS, QUERY_FIELDS, Field, QueryRequest, parse_query_request
from lakeproof.refcluster.schema import (
    CsvDialect,
    SchemaReader,
    SourceSchema,
    check_first_file_columns,
    is_partitioned,
    needs_schema,
    partition_pruned,
)
from lakeproof.refcluster.splits import RowGroupInfo, compression_suffix, plan_splits
from lakeproof.refcluster.sql import Analysis, QueryError, Source, analyse
from lakeproof.refcluster.storage import (
    TIMEOUT_STEP_S,
    ObjectReader,
    csv_header,
    csv_record_starts,
    parquet_row_groups,
)
from lakeproof.refcluster.strategies import Assignment
from lakeproof.refcluster.synthetic import plan_synthetic
from lakeproof.refcluster.tables import TableSnapshot, plan_table

_log = logging.getLogger(__name__)
# How often the dispatcher checks node liveness, deadline and cancel; a finished node task wakes
# it at once. Each liveness check is a scheduler round trip, so not too often.
_POLL_S = 0.25
_METADATA_READERS = 8  # footers of many files are read side by side: each read is mostly waiting
_LOCAL_TASKS = 4  # coordinator shares of queries running at once (as many as the API's query threads)


@dataclass(frozen=True)
class EngineConfig:
    """Start-up settings of the coordinator (written by the lab, see ``processes``)."""

    scheduler: str | None
    port: int
    readers: Mapping[str, S3Endpoint]
    defects: Defects = NO_DEFECTS

    @classmethod
    def load(cls, path: Path) -> EngineConfig:
        """Read the JSON config file; ConfigError with one line if it is unusable."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            readers = {name: S3Endpoint(**fields) for name, fields in raw["readers"].items()}
            defects = Defects.parse(raw.get("defects", []))
            config = cls(raw.get("scheduler"), int(raw.get("port", 0)), readers, defects)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"unusable coordinator config {path}: {exc}") from None
        if COORDINATOR not in config.readers:
            raise ConfigError(f"coordinator config {path} has no '{COORDINATOR}' reader endpoint")
        return config


@dataclass
class _Plan:
    """A query planned for execution: settings, analysis, groups and where each group is read."""

    pragma: Pragma
    analysis: Analysis
    deadline: Deadline
    planned: list[_Planned]
    groups: list[tuple[_Planned, SplitGroup]]
    live: list[str]
    assignment: Assignment
    placements: list[Placement]

    def work(self) -> dict[str, list[tuple[_Planned, SplitGroup]]]:
        """Each executor (a node name or the coordinator) with the groups it reads."""
        shares: dict[str, list[tuple[_Planned, SplitGroup]]] = {}
        for index, node in self.placements:
            shares.setdefault(_executor(node, self.live), []).append(self.groups[index])
        return shares

    def placed_splits(self) -> list[_PlacedSplit]:
        """Every split as placed, in group order."""
        placed: list[_PlacedSplit] = []
        for index, node in self.placements:
            planned, group = self.groups[index]
            source, executor = planned.source.index, _executor(node, self.live)
            placed += [_PlacedSplit(split, group.id, source, executor) for split in group.splits]
        return placed


class _PlacedSplit(NamedTuple):
    """A split, its group id, the index of its source (FROM item) and the executor reading it."""

    split: Split
    group: int
    source: int
    executor: str


@dataclass
class _Planned:
    """A source's splits and the groups they were coalesced into."""

    source: Source
    files: list[FileInfo]
    groups: list[SplitGroup]
    footers: dict[str, bytes]
    # Column names (lower case) when the source is Parquet and every file's footer was read.
    schema: frozenset[str] | None
    # The source's columns and types over all its files, when they depend on the data.
    column_types: SourceSchema | None = None
    # A CSV source's dialect: declared by the query, else sniffed by DuckDB over the glob.
    dialect: CsvDialect | None = None
    # A table source's snapshot as planned: every split of the query reads this one.
    table: TableSnapshot | None = None


class Engine:
    """Runs queries; thread-safe (the API calls it from a thread pool)."""

    def __init__(self, config: EngineConfig, defaults: Pragma | None = None):
        self.config = config
        self.defaults = defaults or Pragma()
        self._client: Any = None
        if config.scheduler is not None:
            try:
                # Results straight from the workers: through the scheduler, every scanned row
                # would cross a second connection and the scheduler's event loop.
                self._client = distributed.Client(config.scheduler, timeout=30, direct_to_workers=True)  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise ConfigError(f"cannot reach the Dask scheduler at {config.scheduler}: {exc}") from None
        self._metadata_pool = ThreadPoolExecutor(_METADATA_READERS, thread_name_prefix="metadata")
        self._schemas = SchemaReader(config.readers[COORDINATOR])
        # The coordinator reads its own splits here, so the dispatcher keeps watching deadline,
        # cancel and nodes meanwhile.
        self.local_pool = ThreadPoolExecutor(_LOCAL_TASKS, thread_name_prefix="coordinator-splits")
        self._memory = Memory()  # filled only by defects that keep metadata across queries
        if config.defects:
            _log.warning(
                "DELIBERATE ENGINE DEFECTS ACTIVE (answers will be wrong): %s", sorted(config.defects.names)
            )

    def close(self) -> None:
        """Disconnect from the scheduler."""
        self._metadata_pool.shutdown(wait=False, cancel_futures=True)
        self.local_pool.shutdown(wait=False, cancel_futures=True)
        self._schemas.close()
        if self._client is not None:
            self._client.close()

    # -- cluster view ------------------------------------------------------------------------

    def _live_nodes(self) -> dict[str, str]:
        """Live data nodes: name -> worker address, sorted by name (node-1, node-2, ...)."""
        if self._client is None:
            return {}
        # Ask the scheduler directly: scheduler_info() returns a cache that the client's periodic
        # refresh overwrites with a worker-less summary, which would look like every node lost.
        workers = self._client.sync(self._client.scheduler.identity, n_workers=-1)["workers"]
        nodes = {str(info["name"]): address for address, info in workers.items()}
        return dict(sorted(nodes.items(), key=lambda item: _node_order(item[0])))

    def nodes(self) -> dict[str, Any]:
        """The data nodes and the reader endpoint each reads through."""
        live = self._live_nodes()
        return {
            "nodes": [
                {
                    "name": name,
                    "address": address,
                    "reader": self._reader(name).url,
                }
                for name, address in live.items()
            ]
        }

    def health(self) -> dict[str, Any]:
        """Status and node count."""
        return {"status": "green", "nodes": len(self._live_nodes()), "scheduler": self.config.scheduler}

    def running_tasks(self) -> dict[str, int]:
        """Node tasks executing right now, per executor: the coordinator and each live data node.

        Asked of the worker processes themselves: after a cancel, Dask forgets a future at once,
        but a thread already reading keeps going until it checks the cancel flag.
        """
        running = {COORDINATOR: running_node_tasks()}
        if self._client is not None:
            names = {address: name for name, address in self._live_nodes().items()}
            # A worker lost meanwhile runs nothing: leave it out rather than fail the question.
            counts = self._client.run(running_node_tasks, on_error="ignore")
            running.update({names.get(address, address): int(count) for address, count in counts.items()})
        return running

    def _reader(self, name: str) -> S3Endpoint:
        # A node without a listener of its own (more workers than listeners) reads via the coordinator's.
        return self.config.readers.get(name, self.config.readers[COORDINATOR])

    # -- planning ----------------------------------------------------------------------------

    def plan(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Dry run: a synthetic plan (``split_sizes``) or the plan of ``query`` without reading data."""
        if "split_sizes" in body:
            return plan_synthetic(body, self.config.defects)
        plan = self._make_plan(self._checked(body, PLAN_FIELDS))
        return {
            "strategy": _strategy_json(plan.assignment),
            "warnings": list(plan.assignment.warnings),
            "mode": plan.analysis.mode,
            "splits": [_split_json(placed) for placed in plan.placed_splits()],
        }

    def _make_plan(self, request: QueryRequest, cancelled: Cancelled = never_cancelled) -> _Plan:
        """Analyse, list and plan splits, and assign them to the live nodes."""
        pragma = request.pragma
        try:
            analysis = analyse(request.query)
        except QueryError as exc:
            raise BadRequestError(str(exc)) from None
        deadline = Deadline.after(pragma.query_timeout_s)
        planned = self._plan_sources(analysis, pragma, deadline, cancelled)
        if schemas := {p.source.index: p.schema for p in planned if p.schema is not None}:
            analysis = analysis.with_schemas(schemas)
            for planned_source in planned:
                planned_source.source = analysis.sources[planned_source.source.index]
        for planned_source in planned:
            _check_table_columns(planned_source)
        groups = [(planned_source, group) for planned_source in planned for group in planned_source.groups]
        live = list(self._live_nodes())
        defects = self.config.defects
        assignment = defects.assign(
            [group.size for _, group in groups],
            len(live),
            pragma.external_distribution,
            analysis.shape,
            pragma.round_robin_offset,
        )
        return _Plan(
            pragma, analysis, deadline, planned, groups, live, assignment, defects.placements(assignment)
        )

    def retry_policy(self, pragma: Pragma) -> RetryPolicy:
        """The retry policy of a query: its pragmas (and the engine's defects, if any)."""
        return self.config.defects.retry_policy(pragma.retry_policy)

    def _plan_sources(
        self, analysis: Analysis, pragma: Pragma, deadline: Deadline, cancelled: Cancelled
    ) -> list[_Planned]:
        """List every source's objects, read the metadata splits need, plan and coalesce splits.

        Listings, footers and headers of all sources are read side by side (each read is mostly
        waiting), and once per query: a self-join lists its glob and reads its footers once.
        """
        endpoint, policy, stats = self.config.readers[COORDINATOR], self.retry_policy(pragma), SplitStats(-1)
        defects = self.config.defects
        listing = "listing objects on the coordinator"
        lister = ObjectReader(endpoint, policy, deadline, stats, cancelled=cancelled, activity=listing)
        reader = ObjectReader(
            endpoint,
            policy,
            deadline,
            stats,
            cancelled=cancelled,
            activity="reading file footers and headers on the coordinator",
            footer_bytes=defects.footer_cache(self._memory),
        )
        table_reader = ObjectReader(
            endpoint,
            policy,
            deadline,
            stats,
            cancelled=cancelled,
            activity="reading table metadata on the coordinator",
        )
        table_sources = [source for source in analysis.sources if source.table is not None]
        snapshots: dict[int, TableSnapshot] = dict(
            zip(
                (source.index for source in table_sources),
                self._metadata_pool.map(lambda source: plan_table(source.table, table_reader), table_sources),
                strict=True,
            )
        )
        globs = list(
            dict.fromkeys(
                (uri, source.format)
                for source in analysis.sources
                if source.table is None
                for uri in source.uris
            )
        )

        def list_glob(glob: tuple[str, Format]) -> list[FileInfo]:
            return defects.listing(self._memory, glob, lambda: lister.list_objects(*glob))

        listed = dict(zip(globs, self._metadata_pool.map(list_glob, globs), strict=True))
        files_of = {
            source.index: [file for uri in source.uris for file in listed[uri, source.format]]
            if source.index not in snapshots
            else [FileInfo(file.uri, "parquet", file.size) for file in snapshots[source.index].files]
            for source in analysis.sources
        }
        for source in analysis.sources:
            if not files_of[source.index] and source.index not in snapshots:
                raise BadRequestError(f"no objects match {', '.join(source.uris)}; check the path or glob")
        # Partition columns are typed by DuckDB first: a filter on them drops whole files before
        # any footer or header of theirs is read.
        partitioned = {
            source.index: self._schemas.describe(source, files_of[source.index], deadline, cancelled)
            for source in analysis.sources
            # A table's data files may sit under Hive-like keys: their values come from its metadata.
            if source.table is None and is_partitioned(source, files_of[source.index])
        }
        for index, schema in partitioned.items():
            kept = partition_pruned(analysis.sources[index], schema, files_of[index])
            files_of[index] = self.config.defects.pruned(kept, files_of[index])
        every_file = list({file.uri: file for files in files_of.values() for file in files}.values())
        # A table's data file no larger than the Parquet target is one whole-file split anyway: its
        # footer is left to the node that reads it, so planning a snapshot reads metadata only.
        whole_table_files = {
            file.uri
            for index in snapshots
            for file in files_of[index]
            if file.size <= pragma.split_options.parquet_target_size
        }
        parquet = [
            file
            for file in every_file
            if file.format == "parquet" and file.size > 0 and file.uri not in whole_table_files
        ]
        row_groups: dict[str, Sequence[RowGroupInfo]] = dict(
            zip(
                (file.uri for file in parquet),
                self._metadata_pool.map(lambda file: parquet_row_groups(reader, file), parquet),
                strict=True,
            )
        )
        csv = (
            list(
                {
                    file.uri: file
                    for source in analysis.sources
                    if source.format == "csv" and not source.compressed
                    for file in files_of[source.index]
                    if file.size > 0 and not compression_suffix(file.uri)
                }.values()
            )
            if pragma.split_csv
            else []
        )
        headers = {
            file.uri: header
            for file, header in zip(
                csv, self._metadata_pool.map(lambda file: csv_header(reader, file), csv), strict=True
            )
            if header is not None
        }
        dialects = {
            source.index: self._schemas.dialect(source, files_of[source.index], deadline, cancelled)
            for source in analysis.sources
            if source.format == "csv"
        }
        dialect_of = {
            file.uri: dialects[source.index]
            for source in reversed(analysis.sources)
            if source.index in dialects
            for file in files_of[source.index]
        }
        target = pragma.split_options.target_split_size
        cut_files = [file for file in csv if file.size > target]

        def record_starts(file: FileInfo) -> dict[int, int]:
            dialect = dialect_of[file.uri]
            cuts = range(target, file.size, target)
            return csv_record_starts(reader, file, cuts, dialect.quote, dialect.escape)

        records = dict(
            zip(
                (file.uri for file in cut_files),
                self._metadata_pool.map(record_starts, cut_files),
                strict=True,
            )
        )
        planned: list[_Planned] = []
        next_split, next_group = 0, 0
        for source in analysis.sources:
            files = files_of[source.index]
            splits = [
                dataclasses.replace(split, id=next_split + index)
                for index, split in enumerate(
                    plan_splits(files, row_groups, headers, pragma.split_options, source.compressed, records)
                )
            ]
            next_split += len(splits)
            groups = [
                SplitGroup(next_group + index, group.splits)
                for index, group in enumerate(self.config.defects.coalesce(splits, pragma.split_options))
            ]
            next_group += len(groups)
            footers = {f.uri: reader.footer_bytes[f.uri] for f in files if f.uri in reader.footer_bytes}
            if (snapshot := snapshots.get(source.index)) is not None:
                names = frozenset(column.name.lower() for column in snapshot.columns)
                planned.append(_Planned(source, files, groups, footers, names, table=snapshot))
                continue
            planned.append(
                _Planned(
                    source,
                    files,
                    groups,
                    footers,
                    _parquet_schema(source, files, reader),
                    partitioned.get(source.index)
                    or self._source_schema(source, files, reader, deadline, cancelled),
                    dialects.get(source.index),
                )
            )
        return planned

    def _source_schema(
        self,
        source: Source,
        files: list[FileInfo],
        reader: ObjectReader,
        deadline: Deadline,
        cancelled: Cancelled,
    ) -> SourceSchema | None:
        """The source's columns over all its files when they depend on the data (see ``schema``)."""
        file_columns = [
            frozenset(name.lower() for name in reader.footers[file.uri].schema.to_arrow_schema().names)
            for file in files
            if source.format == "parquet" and file.uri in reader.footers
        ]
        if not needs_schema(source, files, file_columns):
            return None
        schema = self._schemas.describe(source, files, deadline, cancelled)
        if len(file_columns) == len(files) and source.format == "parquet":
            check_first_file_columns(source, schema, files, file_columns)
        return schema

    # -- execution ---------------------------------------------------------------------------

    def query(self, body: Mapping[str, Any], cancel: threading.Event | None = None) -> dict[str, Any]:
        """Run a query (body: ``query``, ``pragma``, ``profile``; see ``request``) until done,
        cancelled through ``cancel``, or past its deadline.

        The answer has ``columns``, ``values``, ``is_partial``, maybe ``warnings`` and, when
        asked, ``profile``.
        """
        return self.run(self.parse_request(body), cancel)

    def parse_request(self, body: Mapping[str, Any]) -> QueryRequest:
        """Check a query's body (fields, types, pragmas) over the engine's defaults: BadRequestError."""
        return self._checked(body, QUERY_FIELDS)

    def _checked(self, body: Mapping[str, Any], fields: tuple[Field, ...]) -> QueryRequest:
        return parse_query_request(self.config.defects.request_fields(body, fields), self.defaults, fields)

    def run(self, request: QueryRequest, cancel: threading.Event | None = None) -> dict[str, Any]:
        """Run a checked query (see ``query``)."""
        return self._query(request, (cancel or threading.Event()).is_set)

    def _query(self, request: QueryRequest, cancelled: Cancelled) -> dict[str, Any]:
        started = time.monotonic()
        plan = self._make_plan(request, cancelled)
        planned_at = time.monotonic()

        work = plan.work()
        dispatch = _Dispatch(self, plan.analysis, plan.pragma, plan.deadline, cancelled)
        results, missing, reassigned = dispatch.run(work)
        executed_at = time.monotonic()

        answer = self._merge(plan.analysis, plan.planned, results, plan.deadline, cancelled)
        merged_at = time.monotonic()
        response: dict[str, Any] = {
            **answer,
            "is_partial": bool(missing),
        }
        warnings = list(plan.assignment.warnings)
        if missing:
            warnings.append(
                f"partial results: {len(missing)} splits were not read because their nodes were lost"
            )
        if warnings:
            response["warnings"] = warnings
        if request.profile:
            stats = {stats.id: stats for result in results for stats in result.splits}
            response["profile"] = {
                "strategy": _strategy_json(plan.assignment),
                "mode": plan.analysis.mode,
                "shape": dataclasses.asdict(plan.analysis.shape),
                "splits": [
                    _split_json(placed, stats.get(placed.split.id)) for placed in plan.placed_splits()
                ],
                "nodes": _node_totals(results),
                "missing_splits": sorted(missing),
                "reassigned_from": reassigned,
                "timings_ms": {
                    "plan": round((planned_at - started) * 1000, 3),
                    "execute": round((executed_at - planned_at) * 1000, 3),
                    "merge": round((merged_at - executed_at) * 1000, 3),
                    "total": round((merged_at - started) * 1000, 3),
                },
            }
        return response

    def _merge(
        self,
        analysis: Analysis,
        planned: Sequence[_Planned],
        results: Sequence[NodeResult],
        deadline: Deadline,
        cancelled: Cancelled,
    ) -> dict[str, Any]:
        """The answer: the fragment's merge SQL, or the query itself, over the nodes' tables."""
        doing = "merging the nodes' results on the coordinator"
        with (
            duckdb_session() as connection,
            interrupting(connection, deadline, doing, cancelled),
            caller_errors(),
        ):
            names: dict[int, str] = {}
            for planned_source in planned:
                index = planned_source.source.index
                names[index] = f"__source_{index}"
                tables = [result.tables[index] for result in results if index in result.tables]
                if not tables and planned_source.table is not None:
                    columns = self.config.defects.scan_columns(planned_source.source.columns)
                    node_sql = _node_sql(analysis, planned_source.source)
                    tables = [empty_table_result(planned_source.table, columns, node_sql)]
                register_node_tables(
                    connection, names[index], tables, self.config.defects.restores_node_types
                )
            sql = (
                self.config.defects.merge_sql(analysis.merge_sql(names[0]))
                if analysis.mode == "fragment"
                else analysis.final_sql(names)
            )
            return _answer_json(connection.sql(sql))

    def node_task(
        self,
        node: str,
        items: Sequence[tuple[_Planned, SplitGroup]],
        analysis: Analysis,
        pragma: Pragma,
        deadline: Deadline,
    ) -> NodeTask:
        """The task telling ``node`` which splits to read and what to run over them."""
        works = []
        defects = self.config.defects
        for planned_source in {id(p): p for p, _ in items}.values():
            source = planned_source.source
            splits = tuple(split for p, group in items if p is planned_source for split in group.splits)
            node_sql = _node_sql(analysis, source)
            footers = {
                split.uri: planned_source.footers[split.uri]
                for split in splits
                if split.uri in planned_source.footers
            }
            if planned_source.table is not None:
                # The splits' data files are read as the planned snapshot says: its schema, its deletes.
                works.append(
                    ScanWork(
                        source.index,
                        "parquet",
                        "read_parquet",
                        "",
                        defects.scan_columns(source.columns),
                        (),
                        node_sql,
                        splits,
                        footers,
                        table=planned_source.table.restricted({split.uri for split in splits}),
                    )
                )
                continue
            schema = self.config.defects.source_schema(planned_source.column_types)
            if schema is None:
                options_sql = source.options_sql
            elif source.format == "parquet":
                options_sql = ", ".join(sql for _, sql in schema.node_options(source.options))
            else:
                options_sql = schema.text_options(source.format, source.options)
            if planned_source.dialect is not None:
                pinned = self.config.defects.dialect_options(planned_source.dialect)
                options_sql = ", ".join(option for option in (options_sql, *pinned) if option)
            works.append(
                ScanWork(
                    source.index,
                    source.format,
                    source.function,
                    self.config.defects.scan_options(source.format, options_sql),
                    self.config.defects.scan_columns(source.columns),
                    self.config.defects.scan_predicates(source.predicates),
                    node_sql,
                    splits,
                    footers,
                    schema,
                )
            )
        return NodeTask(
            node, self._reader(node), tuple(works), self.retry_policy(pragma), deadline, self.config.defects
        )

    @property
    def client(self) -> Any:
        """The Dask client (None without a scheduler)."""
        return self._client


class _Dispatch:
    """Sends node tasks, watches them, reassigns work of lost nodes, honours deadline and cancel."""

    def __init__(
        self, engine: Engine, analysis: Analysis, pragma: Pragma, deadline: Deadline, cancelled: Cancelled
    ):
        self.engine = engine
        self.analysis = analysis
        self.pragma = pragma
        self.deadline = deadline
        self.cancelled = cancelled
        # Set when the query ends early (error, timeout, cancel): the coordinator's own share stops.
        self._abandoned = threading.Event()
        self._cancel_event: Any = None
        self._assigned_nodes = 0
        self._pending: dict[Any, tuple[str, list[tuple[_Planned, SplitGroup]]]] = {}
        self._results: list[NodeResult] = []
        self._missing: list[int] = []
        self._reassigned: dict[str, list[int]] = {}

    def run(
        self, work: Mapping[str, list[tuple[_Planned, SplitGroup]]]
    ) -> tuple[list[NodeResult], list[int], dict[str, list[int]]]:
        """Run every executor's share; return results, missing split ids, reassigned split ids by node."""
        self._assigned_nodes = len([name for name in work if name != COORDINATOR])
        live = self.engine._live_nodes()
        gone_before_dispatch = []
        for node, items in work.items():
            if node in live:
                self._pending[self._submit(node, live[node], items)] = (node, items)
            elif node != COORDINATOR:
                gone_before_dispatch.append((node, items))
        finished = False
        try:
            for node, items in gone_before_dispatch:
                self._recover(node, items, live)
            local = None
            if COORDINATOR in work and self.engine.config.defects.coordinator_reads_first:
                self._results.append(self._run_local_unwatched(work[COORDINATOR]))
            elif COORDINATOR in work:
                local = self.engine.local_pool.submit(self._run_local, work[COORDINATOR])
            self._watch(local)
            if self._missing and not self._results:
                # Partial results were allowed, but every reader was lost: there is nothing to serve.
                raise self._all_nodes_failed()
            finished = True
        finally:
            if not finished:
                self._abandoned.set()
            if (
                not finished
                and self._cancel_event is not None
                and "ignore_cancel" not in self.engine.config.defects
            ):
                self._cancel_event.set()  # running node tasks stop at their next split
            for future in self._pending:
                future.cancel()
        return self._results, self._missing, self._reassigned

    def _watch(self, local: Future[NodeResult] | None) -> None:
        """Wait for the coordinator's own share and the node tasks, checking deadline, cancel and
        node liveness at least every poll interval, and reassigning the work of lost nodes."""
        while self._pending or local is not None:
            if local is not None and local.done():
                # Its own error first: it names the object it was reading.
                self._results.insert(0, local.result())
                local = None
            self._check_deadline_and_cancel(local)
            if not self._pending:
                if local is not None:
                    wait_for_threads([local], timeout=_POLL_S)
                continue
            self._collect(_first_completed(list(self._pending)))
            live = self.engine._live_nodes()
            for future in [future for future, (node, _) in self._pending.items() if node not in live]:
                node, items = self._pending.pop(future)
                future.cancel()
                self._recover(node, items, live)

    def _collect(self, done: set[Any]) -> None:
        """Keep finished node results; a node task that failed fails the query with its reason."""
        for future in done:
            node, _ = self._pending.pop(future)
            if future.status == "error":
                error = future.exception()
                if isinstance(error, LakeproofError):
                    raise error
                # The node is alive (a lost one never reports back): its task failed, not the node.
                raise EngineError(f"data node {node} failed its task: {type(error).__name__}: {error}")
            self._results.append(future.result())

    def _recover(self, node: str, items: list[tuple[_Planned, SplitGroup]], live: Mapping[str, str]) -> None:
        """A node was lost: report its splits missing (partial results) or give them to live nodes."""
        split_ids = [split.id for _, group in items for split in group.splits]
        if "no_reassignment" in self.engine.config.defects:
            return
        if self.pragma.allow_partial_results:
            self._missing.extend(split_ids)
            return
        if not live:
            raise self._all_nodes_failed()
        self._reassigned.setdefault(node, []).extend(split_ids)
        for target, share in _spread(items, list(live)).items():
            self._pending[self._submit(target, live[target], share)] = (target, share)

    def _all_nodes_failed(self) -> NodeFailureError:
        return NodeFailureError(
            f"all [{self._assigned_nodes}] nodes assigned external splits failed; "
            "cannot serve partial results"
        )

    def _submit(self, node: str, address: str, items: list[tuple[_Planned, SplitGroup]]) -> Any:
        task = self.engine.node_task(node, items, self.analysis, self.pragma, self.deadline)
        if self._cancel_event is None:
            self._cancel_event = distributed.Event(f"lakeproof-cancel-{uuid.uuid4().hex}")  # type: ignore[no-untyped-call]
        return self.engine.client.submit(
            run_on_worker,
            task,
            self._cancel_event.name,
            workers=[address],
            allow_other_workers=False,
            pure=False,
        )

    def _run_local(self, items: list[tuple[_Planned, SplitGroup]]) -> NodeResult:
        task = self.engine.node_task(COORDINATOR, items, self.analysis, self.pragma, self.deadline)
        return run_node_task(task, lambda: self.cancelled() or self._abandoned.is_set())

    def _run_local_unwatched(self, items: list[tuple[_Planned, SplitGroup]]) -> NodeResult:
        """The coordinator's share as the defect ``coordinator_reads_first`` reads it: to the end."""
        endless = Deadline(math.inf, self.deadline.timeout_s)
        return run_node_task(self.engine.node_task(COORDINATOR, items, self.analysis, self.pragma, endless))

    def _check_deadline_and_cancel(self, local: Future[NodeResult] | None) -> None:
        readers = sorted({node for node, _ in self._pending.values()}, key=_node_order)
        if local is not None:
            readers.insert(0, COORDINATOR)
        error = self.deadline.stopped(f"reading splits on {', '.join(readers)}", self.cancelled)
        if error is None:
            return
        if local is not None:
            # The coordinator's own share stops by itself within a read-timeout step (it checks
            # the same deadline and cancel), and its error names the object it was reading.
            wait_for_threads([local], timeout=TIMEOUT_STEP_S)
            if local.done() and isinstance(own := local.exception(), EngineError):
                raise own
        raise error


def _parquet_schema(source: Source, files: Sequence[FileInfo], reader: ObjectReader) -> frozenset[str] | None:
    """Column names (lower case) of a Parquet source from the footers planning already parsed."""
    if source.format != "parquet" or not all(file.uri in reader.footers for file in files):
        return None
    return frozenset(
        name.lower() for file in files for name in reader.footers[file.uri].schema.to_arrow_schema().names
    )


def _check_table_columns(planned: _Planned) -> None:
    """A column the query reads from a table that its snapshot lacks: the caller's mistake, named
    as DuckDB names it (nodes would only meet it inside SQL of the engine's own)."""
    if planned.table is None:
        return
    names = [column.name for column in planned.table.columns]
    known = {name.lower() for name in names}
    missing = [column for column in planned.source.columns or () if column.lower() not in known]
    if missing:
        raise BadRequestError(
            f'Binder Error: Referenced column "{missing[0]}" not found in {planned.source.function} '
            f"({planned.table.snapshot}); its columns are: {', '.join(names)}"
        )


def _node_sql(analysis: Analysis, source: Source) -> str:
    """What a node runs over ``source``'s rows: the fragment, or the source's scan."""
    if analysis.mode == "fragment":
        return analysis.fragment_sql(SPLITS_TABLE)
    return analysis.scan_sql(source, SPLITS_TABLE)


def _first_completed(futures: list[Any]) -> set[Any]:
    """Futures among ``futures`` that are done, waiting at most one poll interval for the first."""
    try:
        done, _ = distributed.wait(futures, timeout=_POLL_S, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
    except TimeoutError:
        return set()
    return set(done)


def _spread(
    items: list[tuple[_Planned, SplitGroup]], nodes: list[str]
) -> dict[str, list[tuple[_Planned, SplitGroup]]]:
    """Round-robin a lost node's groups over the live nodes."""
    shares: dict[str, list[tuple[_Planned, SplitGroup]]] = {}
    for index, item in enumerate(items):
        shares.setdefault(nodes[index % len(nodes)], []).append(item)
    return shares


def _node_order(name: str) -> tuple[int, str]:
    prefix, _, number = name.rpartition("-")
    return (int(number), prefix) if number.isdigit() else (10**9, name)


def _executor(node_index: int | None, live: Sequence[str]) -> str:
    return COORDINATOR if node_index is None else live[node_index]


def _strategy_json(assignment: Assignment) -> dict[str, str]:
    return {"requested": assignment.requested, "used": assignment.used, "reason": assignment.reason}


def _split_json(placed: _PlacedSplit, stats: SplitStats | None = None) -> dict[str, Any]:
    """A split in a plan or profile; read by the node its stats name (a reassigned split moved)."""
    split = placed.split
    return {
        "id": split.id,
        "group": placed.group,
        "source": placed.source,
        "uri": split.uri,
        "format": split.format,
        "offset": split.offset,
        "length": split.length,
        "size": split.size,
        "row_groups": list(split.row_groups) if split.row_groups is not None else None,
        "node": (stats.node if stats else None) or placed.executor,
        "attempts": stats.attempts if stats else 0,
        "requests": stats.requests if stats else 0,
        "rows": stats.rows if stats else None,
        "bytes": stats.bytes if stats else 0,
    }


def _node_totals(results: Sequence[NodeResult]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for result in results:
        for stats in result.splits:
            line = totals.setdefault(result.node, {"splits": 0, "rows": 0, "bytes": 0, "attempts": 0})
            line["splits"] += 1
            line["rows"] += stats.rows
            line["bytes"] += stats.bytes
            line["attempts"] += stats.attempts
    return totals


def _answer_json(relation: duckdb.DuckDBPyRelation) -> dict[str, Any]:
    columns = [
        {"name": name, "type": str(kind)} for name, kind in zip(relation.columns, relation.types, strict=True)
    ]
    rows = relation.fetchall()
    return {"columns": columns, "values": [[json_value(value) for value in row] for row in rows]}
