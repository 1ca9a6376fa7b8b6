"""How the reference cluster splits a query between data nodes and the coordinator.

``analyse(sql)`` checks a DuckDB SELECT that reads files with ``read_parquet('s3://...')``,
``read_csv(...)`` or ``read_json(...)`` and returns an Analysis:

- ``sources``: one Source per table-function call, in text order, with the columns the query
  needs from it and the WHERE conjuncts a scan of it can apply (see ``sql_sources``).
- ``mode == "fragment"``: one source, one SELECT of a shape that splits (see ``sql_fragment``):
  each node runs ``fragment_sql(table)`` over its rows, the coordinator runs ``merge_sql(table)``
  over the union of the fragments' results.
- ``mode == "coordinator"``: anything else (joins, several sources, windows, subqueries, CTEs,
  set operations, mixed DISTINCT and plain aggregates...): nodes run ``scan_sql(source, table)``
  and the coordinator runs ``final_sql`` (the query itself over the scans' results). Both are
  available in fragment mode too.

The merge names its output columns as DuckDB names the original query's (``count_star()``,
``sum(x)``, aliases), read from DuckDB's own parser, and keeps DuckDB's result types.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakeproof.refcluster.model import QueryShape
from lakeproof.refcluster.sql_duckdb import StatementProblem, check_single_select, output_names
from lakeproof.refcluster.sql_fragment import FragmentPlan, is_aggregate, literal_int, plan_fragment
from lakeproof.refcluster.sql_sources import (
    DIALECT,
    Predicate,
    PredicateValue,
    QueryError,
    Schemas,
    Source,
    describe_sources,
    has_ambiguous_alias,
    source_calls,
)

__all__ = ["Analysis", "Mode", "Predicate", "PredicateValue", "QueryError", "Source", "analyse"]

Mode = Literal["fragment", "coordinator"]
_QUERY_TYPES = (exp.Select, exp.SetOperation, exp.Subquery)


@dataclass(frozen=True)
class Analysis:
    """A checked query, its sources, its shape and how to run it (see the module docstring)."""

    sql: str
    sources: list[Source]
    shape: QueryShape
    mode: Mode
    _tree: exp.Expr
    _plan: FragmentPlan | None

    def with_schemas(self, schemas: Schemas) -> Analysis:
        """The same analysis with column attribution helped by the sources' known schemas.

        Unqualified columns of multi-source queries (TPC-H's) then narrow the scans and push
        filters, instead of reading every column of every source. Mode and shape are unchanged.
        """
        sources = describe_sources(self._tree, source_calls(self._tree), schemas)
        return dataclasses.replace(self, sources=sources)

    def fragment_sql(self, table: str) -> str:
        """What a node runs over relation `table`, its splits' rows with the needed columns."""
        return self._fragment_plan().fragment_sql(table)

    def merge_sql(self, table: str) -> str:
        """What the coordinator runs over `table`, the union of all fragment results: the answer."""
        return self._fragment_plan().merge_sql(table)

    def _fragment_plan(self) -> FragmentPlan:
        if self._plan is None:
            raise ValueError("a coordinator-mode query has no fragment; use scan_sql and final_sql")
        return self._plan

    def scan_sql(self, source: Source, table: str) -> str:
        """A distributed scan of `source`'s rows in relation `table`: needed columns, pushed filter."""
        projection: list[exp.Expr]
        if source.columns is None:
            projection = [exp.Star()]
        elif source.columns:
            projection = [exp.column(column, quoted=True) for column in source.columns]
        else:
            # Only the row count matters (COUNT(*)), but a relation needs a column.
            projection = [exp.alias_(exp.Literal.number(1), "__lp_row", quoted=True)]
        scan = exp.select(*projection).from_(exp.Table(this=exp.to_identifier(table, quoted=True)))
        if source.filter_sql:
            scan = scan.where(source.filter_sql, dialect=DIALECT)
        return scan.sql(DIALECT)

    def final_sql(self, tables: Mapping[int, str]) -> str:
        """The query with each source call replaced by the table holding that source's scan results."""
        missing = [source.index for source in self.sources if source.index not in tables]
        if missing:
            raise ValueError(f"no table given for sources {missing}")
        tree = self._tree.copy()
        calls = [table for table in tree.find_all(exp.Table, bfs=False) if isinstance(table.this, exp.Func)]
        for index, call in enumerate(calls):
            alias = call.args.get("alias")
            call.replace(exp.Table(this=exp.to_identifier(tables[index], quoted=True), alias=alias))
        return tree.sql(DIALECT)


def analyse(sql: str) -> Analysis:
    """Checks `sql` and works out how to run it; raises QueryError with a one-line reason."""
    try:
        check_single_select(sql)
    except StatementProblem as problem:
        raise QueryError(str(problem)) from None
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except SqlglotError as error:
        raise QueryError(
            f"unsupported SQL: the analyser cannot parse it ({str(error).splitlines()[0]})"
        ) from None
    if not isinstance(tree, _QUERY_TYPES):
        raise QueryError(f"only SELECT queries are allowed; got {tree.key.upper()}")
    calls = source_calls(tree)
    sources = describe_sources(tree, calls)
    plan = _fragment_plan(sql, tree, calls)
    shape = plan.shape if plan is not None else _shape(tree)
    return Analysis(sql, sources, shape, "fragment" if plan else "coordinator", tree, plan)


def _fragment_plan(sql: str, tree: exp.Expr, calls: list[exp.Table]) -> FragmentPlan | None:
    if not isinstance(tree, exp.Select) or len(calls) != 1 or has_ambiguous_alias(tree, calls):
        return None
    from_ = tree.args.get("from_")
    if from_ is None or from_.this is not calls[0]:
        return None
    names = output_names(sql)
    return plan_fragment(tree, calls[0].alias.lower(), names) if names is not None else None


def _shape(tree: exp.Expr) -> QueryShape:
    """The shape of a coordinator-mode query: aggregation or filter anywhere, its outer ORDER/LIMIT."""
    limit = literal_int(tree.args.get("limit"))
    return QueryShape(
        aggregation=tree.find(exp.Group) is not None
        or any(is_aggregate(node) for node in tree.find_all(exp.Func)),
        topn=tree.args.get("order") is not None and limit is not None,
        limit=limit,
        filter=tree.find(exp.Where) is not None,
    )
