"""Deliberate engine defects: the reference engine made wrong on purpose, by name.

A suite is only worth running if it fails when the engine is wrong. The honesty tests
(``tests/honesty/``) start the lab with one of these defects and check that the suite meant to
catch it fails with the expected reason. Each defect re-creates a bug class listed in docs/architecture.md
("Bug classes the kit must catch"); none is ever active unless named in the coordinator config
(``Start Lab    defects=...``, Robot variable ``${ENGINE_DEFECTS}``, ``lakeproof lab up
--engine-defects``), and the coordinator logs a warning at start when one is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlglot
from sqlglot import exp

from lakeproof.errors import ConfigError
from lakeproof.refcluster.coalesce import UNKNOWN_SIZE_CHUNKS, coalesce, numbered
from lakeproof.refcluster.model import (
    COORDINATOR,
    FileInfo,
    Format,
    QueryShape,
    RetryPolicy,
    Split,
    SplitGroup,
)
from lakeproof.refcluster.schema import CsvDialect, SourceSchema
from lakeproof.refcluster.splits import SplitOptions, compression_suffix
from lakeproof.refcluster.storage import RangeReader, read_text_split
from lakeproof.refcluster.strategies import Assignment, assign
from lakeproof.refcluster.tables import DeleteFile, TableSnapshot

DEFECTS: dict[str, str] = {
    "drop_split": "distribution loses the last split group (in /plan and in queries)",
    "duplicate_split": "distribution assigns the first split group twice",
    "unbalanced_round_robin": "round_robin puts every split group on the first node",
    "single_attempt": "the retry policy makes one attempt only, whatever the pragma says",
    "retry_client_errors": "403 and 404 answers are retried like 503",
    "average_of_averages": "AVG merges by averaging the per-node averages",
    "no_reassignment": "a lost node's splits are dropped silently: fewer rows, not flagged partial",
    "no_pushdown": "nodes read every column and every row group, ignoring projection and filter",
    "ignore_cancel": "cancelling a query does not stop the work already on the nodes",
    "coordinator_reads_first": "the coordinator reads its own splits to the end, past deadline and cancel, "
    "before it watches the query",
    "ignore_unknown_fields": "unknown request fields are ignored: a misspelt field silently means default",
    "stale_listing": "a glob's listing is kept across queries: later changes under it go unseen",
    "stale_parquet_footer": "Parquet footers are kept by object across queries: overwritten ones go unseen",
    "drop_unterminated_last_record": "a text split drops a last record that has no newline",
    "skip_record_at_cut": "a text split whose cut lands exactly on a record start skips that record",
    "csv_lf_line_ends_only": "nodes parse CSV splits with LF line ends only: the rows of CRLF files are lost",
    "weighted_in_file_order": "weighted_round_robin takes split groups in file order, not largest first",
    "weighted_ties_to_highest_node": "weighted_round_robin gives a tie between equally loaded nodes to the "
    "highest index",
    "round_robin_ignores_offset": "round robin starts at node 0 whatever round_robin_offset says",
    "coalesce_first_fit": "coalescing puts each split into the first bin it fits, not the fullest one",
    "unknown_size_remainder_in_last_chunk": "splits of unknown size are cut into 8 chunks of n // 8, the "
    "remainder added to the last chunk",
    "per_split_sniffing": "nodes sniff each split's columns and types on their own, not over the whole "
    "glob: a header-only CSV file reads as text columns, an empty NDJSON file as one JSON column, "
    "and a union_by_name Parquet split lacks the columns its file lacks",
    "node_types_lost": "the coordinator merges node results as Arrow typed them: HUGEINT arrives as "
    "DECIMAL(38,0), and other types Arrow lacks are not restored",
    "compression_suffix_lost": "a node's copy of a compressed text split drops the .gz or .zst ending "
    "that tells DuckDB to decompress it",
    "hive_keys_ignored": "nodes read splits of Hive-partitioned keys as plain files: the partition "
    "columns the keys give are missing",
    "partitions_not_pruned": "a filter on Hive partition columns skips no object: every object of the "
    "glob is read, and the filter drops its rows",
    "csv_cut_at_newlines": "nodes align the byte ranges of a cut CSV file at the first newline after "
    "each cut, as if no quoted value held one",
    "per_split_dialect": "nodes sniff each CSV split's delimiter, quote and escape on their own, not "
    "as DuckDB sniffed them for the glob",
    "split_types_lost": "nodes gather their text splits as Arrow typed them: a HUGEINT column of the "
    "files arrives as DECIMAL(38,0)",
    "table_deletes_local_only": "delete files of an Iceberg table are applied on the coordinator but "
    "ignored on the data nodes: the rows they delete come back from remote splits",
    "table_split_newer_snapshot": "a data node re-resolves the table it reads and takes the newest "
    "snapshot's schema and delete files for its splits, not the snapshot the query planned",
}

Glob = tuple[str, Format]
"""A listed source: its URI (or glob) and format."""

Placement = tuple[int, int | None]
"""A split group's index and the node reading it (None: the coordinator)."""

_CLIENT_ERROR_STATUSES = frozenset({403, 404})
T = TypeVar("T")


@dataclass
class Memory:
    """What a defective engine keeps from one query to the next; a correct engine keeps nothing."""

    listings: dict[Glob, list[FileInfo]] = field(default_factory=dict)
    footers: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Defects:
    """The set of active defects; empty (a correct engine) by default."""

    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, names: Iterable[str]) -> Defects:
        """Validate defect names; ConfigError naming the unknown one and listing the known ones."""
        wanted = frozenset(name.strip() for name in names if name.strip())
        if unknown := sorted(wanted - DEFECTS.keys()):
            raise ConfigError(f"unknown engine defect {unknown[0]!r}; known defects: {', '.join(DEFECTS)}")
        return cls(wanted)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __bool__(self) -> bool:
        return bool(self.names)

    def skew(self, assignment: Assignment) -> Assignment:
        """The assignment as the defective strategy would make it."""
        if "unbalanced_round_robin" in self and assignment.used == "round_robin":
            return dataclasses.replace(assignment, nodes=tuple(0 for _ in assignment.nodes))
        return assignment

    def placements(self, assignment: Assignment) -> list[Placement]:
        """Which node reads which group: one placement per group, unless a defect loses or repeats one."""
        placements: list[Placement] = list(enumerate(assignment.nodes))
        if "drop_split" in self and placements:
            placements.pop()
        if "duplicate_split" in self and placements:
            index, node = placements[0]
            placements.append((index, node))
        return placements

    def retry_policy(self, policy: RetryPolicy) -> RetryPolicy:
        """The retry policy with the retry defects applied."""
        if "single_attempt" in self:
            policy = dataclasses.replace(policy, max_attempts=1)
        if "retry_client_errors" in self:
            policy = dataclasses.replace(policy, extra_retryable_statuses=_CLIENT_ERROR_STATUSES)
        return policy

    def merge_sql(self, sql: str) -> str:
        """The fragment merge with AVG as an average of per-node averages, if that defect is on.

        The correct merge of AVG is ``SUM(partial sums) / SUM(partial counts)``; the defect
        rewrites each such division into ``AVG(partial sum / partial count)``.
        """
        if "average_of_averages" not in self:
            return sql

        def averaged(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Div) and isinstance(node.this, exp.Sum):
                denominator = node.expression
                if isinstance(denominator, exp.Sum):
                    return exp.Avg(
                        this=exp.Div(this=node.this.this.copy(), expression=denominator.this.copy())
                    )
            return node

        return sqlglot.parse_one(sql, dialect="duckdb").transform(averaged).sql(dialect="duckdb")

    def scan_columns(self, columns: Sequence[str] | None) -> tuple[str, ...] | None:
        """Columns a node reads: all of them (None) if pushdown is off."""
        if "no_pushdown" in self or columns is None:
            return None
        return tuple(columns)

    def scan_predicates(self, predicates: Sequence[T]) -> tuple[T, ...]:
        """Predicates a node prunes row groups with: none if pushdown is off."""
        return () if "no_pushdown" in self else tuple(predicates)

    @property
    def coordinator_reads_first(self) -> bool:
        """Whether the coordinator reads its own share unwatched before it watches the query."""
        return "coordinator_reads_first" in self

    def request_fields(self, body: Mapping[str, Any], known: Collection[str]) -> Mapping[str, Any]:
        """The request body as the engine reads it: without unknown fields, if that defect is on."""
        if "ignore_unknown_fields" not in self:
            return body
        return {name: value for name, value in body.items() if name in known}

    def listing(self, memory: Memory, glob: Glob, list_now: Callable[[], list[FileInfo]]) -> list[FileInfo]:
        """The objects of ``glob``: listed now, or as first listed if listings go stale."""
        if "stale_listing" not in self:
            return list_now()
        if glob not in memory.listings:
            memory.listings[glob] = list_now()
        return memory.listings[glob]

    def footer_cache(self, memory: Memory) -> dict[str, bytes] | None:
        """The footer bytes a query's reader starts from: none, or every footer read before."""
        return memory.footers if "stale_parquet_footer" in self else None

    def read_text_split(self, reader: RangeReader, split: Split) -> bytes:
        """A text split's records as the defective reader would return them."""
        if "skip_record_at_cut" in self and split.offset > 0:
            # Looking for the newline from the offset itself, not the byte before it, is looking
            # one byte further on: a record starting exactly at the offset is skipped.
            split = dataclasses.replace(
                split, offset=split.offset + 1, length=max(0, split.length - 1), records=None
            )
        if "csv_cut_at_newlines" in self:
            split = dataclasses.replace(split, records=None)
        body = read_text_split(reader, split)
        ends_file = split.length < 0 or split.offset + split.length >= split.file_size
        if "drop_unterminated_last_record" in self and ends_file and not body.endswith(b"\n"):
            body = body[: body.rfind(b"\n") + 1]
        return body

    def dialect_options(self, dialect: CsvDialect) -> list[str]:
        """The sniffed CSV dialect options nodes parse with: none if each split is sniffed alone."""
        return [] if "per_split_dialect" in self else dialect.node_options()

    def scan_options(self, format: Format, options_sql: str) -> str:
        """The table function options nodes parse their splits with."""
        if "csv_lf_line_ends_only" not in self or format != "csv":
            return options_sql
        return ", ".join(option for option in (options_sql, "new_line='\\n'") if option)

    def assign(
        self, sizes: Sequence[int], node_count: int, strategy: str, shape: QueryShape, offset: int
    ) -> Assignment:
        """The strategy's assignment of groups of ``sizes`` as the defective engine makes it."""
        if "round_robin_ignores_offset" in self:
            offset = 0
        assignment = self.skew(assign(sizes, node_count, strategy, shape, offset))
        file_order = "weighted_in_file_order" in self
        ties_high = "weighted_ties_to_highest_node" in self
        if assignment.used == "weighted_round_robin" and (file_order or ties_high):
            nodes = _least_loaded_first(sizes, node_count, file_order, ties_high)
            return dataclasses.replace(assignment, nodes=nodes)
        return assignment

    def coalesce(self, splits: Sequence[Split], options: SplitOptions) -> list[SplitGroup]:
        """The groups the defective coalescing makes of ``splits``."""
        if not options.coalesce or len(splits) <= options.coalesce_threshold:
            return coalesce(splits, options)
        if any(split.size < 0 for split in splits):
            if "unknown_size_remainder_in_last_chunk" not in self:
                return coalesce(splits, options)
            chunk = max(len(splits) // UNKNOWN_SIZE_CHUNKS, 1)
            members = [list(splits[start : start + chunk]) for start in range(0, len(splits), chunk)]
            while len(members) > UNKNOWN_SIZE_CHUNKS:
                remainder = members.pop()
                members[-1] += remainder
            return numbered(members)
        if "coalesce_first_fit" in self:
            return numbered(_first_fit_decreasing(splits, options))
        return coalesce(splits, options)

    def copy_suffix(self, uri: str) -> str:
        """The compression ending a node's local copy of ``uri`` keeps: none if that defect is on."""
        return "" if "compression_suffix_lost" in self else compression_suffix(uri)

    @property
    def restores_node_types(self) -> bool:
        """Whether the coordinator restores DuckDB's types of node results before it merges them."""
        return "node_types_lost" not in self

    def pruned(self, kept: list[FileInfo], files: Sequence[FileInfo]) -> list[FileInfo]:
        """The objects left to read after partition pruning: every one of ``files`` if pruning is off."""
        return list(files) if "partitions_not_pruned" in self else kept

    @property
    def restores_split_types(self) -> bool:
        """Whether nodes restore the DuckDB types of their text splits when they gather them."""
        return "split_types_lost" not in self

    def source_schema(self, schema: SourceSchema | None) -> SourceSchema | None:
        """The whole glob's schema nodes parse splits to: none with ``per_split_sniffing`` (each
        split typed alone), without partition columns with ``hive_keys_ignored``."""
        if "per_split_sniffing" in self or schema is None:
            return None
        if "hive_keys_ignored" in self:
            return dataclasses.replace(schema, partitions=())
        return schema

    def table_deletes(self, node: str, deletes: Sequence[DeleteFile]) -> Sequence[DeleteFile]:
        """The delete files ``node`` applies to a data file: none on a data node with
        ``table_deletes_local_only``."""
        return () if "table_deletes_local_only" in self and node != COORDINATOR else deletes

    def re_resolves_tables(self, node: str) -> bool:
        """Whether ``node`` re-resolves the tables it reads (``table_split_newer_snapshot``)."""
        return "table_split_newer_snapshot" in self and node != COORDINATOR

    @staticmethod
    def newer_snapshot(planned: TableSnapshot, newest: TableSnapshot) -> TableSnapshot:
        """The planned data files read with the newest snapshot's schema and deletes (a file the
        newest snapshot no longer has keeps what was planned for it)."""
        files = tuple(newest.files_by_uri.get(file.uri, file) for file in planned.files)
        return TableSnapshot(planned.ref, planned.snapshot, newest.columns, files)


def _least_loaded_first(
    sizes: Sequence[int], node_count: int, file_order: bool, ties_high: bool
) -> tuple[int | None, ...]:
    """Each group to the least-loaded node, with the weighted defects' mistakes."""
    order = range(len(sizes)) if file_order else sorted(range(len(sizes)), key=lambda i: -sizes[i])
    loads = [0] * node_count
    nodes: list[int | None] = [None] * len(sizes)
    for group in order:
        node = min(range(node_count), key=lambda n: (loads[n], -n if ties_high else n))
        nodes[group] = node
        loads[node] += sizes[group]
    return tuple(nodes)


def _first_fit_decreasing(splits: Sequence[Split], options: SplitOptions) -> list[list[Split]]:
    """Splits by size descending, each into the first opened bin with room and files to spare."""
    target, max_files = options.coalesce_target_size, options.max_files_per_group
    bins: list[tuple[list[Split], set[str]]] = []
    free: list[int] = []
    for split in sorted(splits, key=lambda s: (-s.size, s.id)):
        fits = (
            index
            for index, (_, files) in enumerate(bins)
            if free[index] >= split.size and (len(files) < max_files or split.uri in files)
        )
        index = len(bins) if split.size >= target else next(fits, len(bins))
        if index == len(bins):
            bins.append(([], set()))
            # A split of the target size or more fills its bin: nothing else joins it.
            free.append(target if split.size < target else -1)
        bins[index][0].append(split)
        bins[index][1].add(split.uri)
        free[index] -= max(split.size, 0)
    return [members for members, _ in bins]


NO_DEFECTS = Defects()
"""A correct engine."""
