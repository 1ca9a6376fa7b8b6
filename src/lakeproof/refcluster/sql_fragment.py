"""Splitting a one-source SELECT into a fragment each data node runs and a merge the coordinator runs.

Plans (``plan_fragment`` returns None for anything else, which then runs in coordinator mode):

- Rows (no aggregation): the fragment projects and filters; with ORDER BY + LIMIT n OFFSET m
  it also sorts and keeps its first n+m rows (TopN), with a bare LIMIT just n+m rows. The
  merge sorts by the same keys (carried as hidden ``__lp_o*`` columns) and applies LIMIT/OFFSET.
- Partial aggregation (COUNT(*), COUNT(x), SUM, MIN, MAX, AVG, any GROUP BY keys, DISTINCT):
  the fragment groups by the keys and computes partials (AVG as SUM and COUNT); the merge
  groups again and combines them: SUM of counts cast back to BIGINT (and COALESCE to 0, so an
  ungrouped COUNT over no fragment rows is 0, not NULL), SUM of sums (DuckDB sums integers into
  HUGEINT and DECIMAL(p,s) into DECIMAL(38,s), and summing those again keeps the type), MIN of
  minimums, SUM(sums)/SUM(counts) for AVG (DOUBLE, as DuckDB's AVG of integers, decimals and
  doubles). HAVING, ORDER BY and LIMIT apply at the merge only: a node's top groups by a partial
  aggregate are not the global top groups.
- Distinct aggregation (COUNT(DISTINCT x) and other DISTINCT aggregates, alongside MIN/MAX
  only): distinct counts cannot be added up, so the fragment ships its distinct (keys, arguments)
  tuples and the merge runs the query's own aggregates over them. Mixed with COUNT/SUM/AVG of
  all rows the query runs in coordinator mode instead.

Output columns are aliased with DuckDB's own names for the query (see ``sql_duckdb.output_names``),
except bare column references, which keep their own name through fragment and merge (DuckDB names
them as the file spells the column, known only once the data is read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from lakeproof.engines.sql import function_name
from lakeproof.refcluster.model import QueryShape
from lakeproof.refcluster.sql_duckdb import aggregate_function_names
from lakeproof.refcluster.sql_sources import DIALECT, contains

_SUPPORTED = (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg)
_MODIFIERS = (exp.Filter, exp.IgnoreNulls, exp.RespectNulls, exp.WithinGroup, exp.Window)
_NOT_SPLITTABLE = (
    exp.Window,
    exp.Subquery,
    exp.Exists,
    exp.Lateral,
    exp.Unnest,
    exp.Explode,
    exp.UDTF,
    exp.Columns,
)


@dataclass(frozen=True)
class FragmentPlan:
    """A fragment query and a merge query, each without its FROM clause until rendered."""

    fragment: exp.Select
    merge: exp.Select
    shape: QueryShape

    def fragment_sql(self, table: str) -> str:
        """The fragment over relation `table` (a node's rows of the source)."""
        return _render(self.fragment, table)

    def merge_sql(self, table: str) -> str:
        """The merge over relation `table` (the union of all fragment results)."""
        return _render(self.merge, table)


def _render(select: exp.Select, table: str) -> str:
    return select.from_(exp.Table(this=exp.to_identifier(table, quoted=True))).sql(DIALECT)


def _column(name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True))


def _aliased(expression: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=expression, alias=exp.to_identifier(name, quoted=True))


def _key(expression: exp.Expr) -> str:
    """Text identifying an expression up to identifier case, which DuckDB ignores."""
    copy = expression.copy()
    for identifier in copy.find_all(exp.Identifier):
        identifier.set("this", identifier.name.lower())
        identifier.set("quoted", False)
    return copy.sql(DIALECT)


def is_aggregate(node: exp.Expr) -> bool:
    """True for a call of an aggregate function, as sqlglot or DuckDB's catalogue knows it."""
    # sqlglot does not know every DuckDB aggregate (``mean``, ``fsum`` parse as plain functions),
    # and taking one for a scalar would return a row per node: ask DuckDB's catalogue too.
    return isinstance(node, exp.AggFunc) or (
        isinstance(node, exp.Func) and function_name(node) in aggregate_function_names()
    )


def _aggregates(expressions: list[exp.Expr]) -> list[exp.Expr]:
    """Outermost aggregate calls in `expressions` (nested ones are DuckDB's error to report)."""
    found: list[exp.Expr] = []
    for expression in expressions:
        for node in expression.find_all(exp.Func, bfs=False):
            if is_aggregate(node) and not any(contains(inner, node) for inner in found):
                found.append(node)
    return found


@dataclass(frozen=True)
class _Aggregate:
    """A supported aggregate call: function, argument (None for COUNT(*)), DISTINCT or not."""

    node: exp.Expr
    function: str
    argument: exp.Expr | None
    distinct: bool


def _classify(node: exp.Expr) -> _Aggregate | None:
    """`node` as a supported aggregate, or None (FILTER, ORDER BY inside, extra arguments...)."""
    if not isinstance(node, _SUPPORTED) or isinstance(node.parent, _MODIFIERS):
        return None
    if any(value for name, value in node.args.items() if name not in ("this", "big_int")):
        return None  # COUNT(a, b), MIN(x, n) (a top-n list in DuckDB)
    argument = node.args.get("this")
    distinct = isinstance(argument, exp.Distinct)
    if isinstance(argument, exp.Distinct):
        if len(argument.expressions) != 1 or argument.args.get("on"):
            return None
        argument = argument.expressions[0]
    if isinstance(node, exp.Count) and not distinct and (argument is None or isinstance(argument, exp.Star)):
        return _Aggregate(node, "count", None, False)
    if argument is None or isinstance(argument, exp.Order | exp.Star):
        return None
    return _Aggregate(node, node.key, argument, distinct)


def literal_int(node: exp.Expr | None) -> int | None:
    """The value of a LIMIT/OFFSET clause holding a plain integer, else None."""
    if node is None:
        return None
    value = node.args.get("expression")
    if node.args.get("limit_options") or not isinstance(value, exp.Literal) or not value.is_int:
        return None
    return int(value.name)


def _is_bare_column(item: exp.Expr) -> bool:
    """An unaliased one-part column reference, which DuckDB names as the data spells it (``G`` -> ``g``).

    Its name is unknown before the data is read, so fragment and merge pass it on under its own
    name instead of aliasing it, and DuckDB names the merge's output the same way.
    """
    return isinstance(item, exp.Column) and not item.table and not isinstance(item.this, exp.Star)


def plan_fragment(select: exp.Select, alias: str, names: list[str | None]) -> FragmentPlan | None:
    """A fragment/merge plan for `select`, reading one source aliased `alias`, or None.

    `select` must read only that source, directly in its FROM (the caller checks); `names` are
    DuckDB's output names of its select items (None for star items).
    """
    query = _unqualified(select.copy(), alias)
    if not _splittable(query):
        return None
    distinct = query.args.get("distinct")
    limit, offset = literal_int(query.args.get("limit")), literal_int(query.args.get("offset"))
    items = list(query.expressions)
    if len(names) != len(items) or sum(isinstance(item, exp.Star) for item in items) > 1:
        return None
    having = query.args.get("having")
    order = query.args.get("order")
    ordered: list[exp.Ordered] = list(order.expressions) if order else []
    aggregates = _aggregates([*items, *([having.this] if having else []), *(o.this for o in ordered)])
    group = query.args.get("group")
    aggregated = bool(aggregates) or group is not None or distinct is not None
    shape = QueryShape(
        aggregation=aggregated,
        topn=order is not None and limit is not None,
        limit=limit,
        filter=query.args.get("where") is not None,
    )
    if aggregated:
        keys = _group_keys(items, group, distinct is not None, aggregates)
        if keys is None:
            return None
        return _aggregate_plan(query, items, names, keys, aggregates, limit, offset, shape)
    return _row_plan(query, items, names, ordered, limit, offset, shape)


def _splittable(query: exp.Select) -> bool:
    """False for what only the coordinator runs: windows, subqueries, joins, QUALIFY, DISTINCT ON,
    LIMIT/OFFSET other than a plain number..."""
    if query.find(*_NOT_SPLITTABLE) is not None or any(
        node is not query for node in query.find_all(exp.Select)
    ):
        return False
    if any(isinstance(column.this, exp.Star) for column in query.find_all(exp.Column)):
        return False  # ``s.*`` left after dropping the source's alias expands a struct column
    if any(query.args.get(arg) for arg in ("joins", "with_", "qualify", "sample", "windows", "laterals")):
        return False
    distinct = query.args.get("distinct")
    if distinct is not None and distinct.args.get("on"):
        return False
    return all(
        query.args.get(clause) is None or literal_int(query.args.get(clause)) is not None
        for clause in ("limit", "offset")
    )


def _unqualified(select: exp.Select, alias: str) -> exp.Select:
    """`select` with the source's alias dropped from column references (``t.a`` -> ``a``)."""
    if not alias:
        return select

    def drop(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and len(node.parts) >= 2 and node.parts[0].name.lower() == alias:
            rest = node.parts[1:]
            if isinstance(node.this, exp.Star) and len(rest) == 1:
                return exp.Star()
            return exp.Column(this=rest[-1], table=rest[-2] if len(rest) > 1 else None)
        return node

    transformed = select.transform(drop)
    assert isinstance(transformed, exp.Select)
    return transformed


def _group_keys(
    items: list[exp.Expr], group: exp.Group | None, distinct: bool, aggregates: list[exp.Expr]
) -> list[exp.Expr] | None:
    """The grouping expressions, with ordinals and GROUP BY ALL resolved; None when unsupported."""

    def plain(item: exp.Expr) -> bool:
        return not isinstance(item, exp.Star) and not any(contains(item, agg) for agg in aggregates)

    if distinct:
        if group is not None or aggregates or not all(plain(item) for item in items):
            return None
        return [item.unalias() for item in items]
    if group is None:
        return []
    if any(group.args.get(arg) for arg in ("rollup", "cube", "grouping_sets", "totals")):
        return None
    if group.args.get("all"):
        return (
            [item.unalias() for item in items if plain(item)]
            if not any(isinstance(item, exp.Star) for item in items)
            else None
        )
    keys = [_explicit_key(expression, items, plain) for expression in group.expressions]
    return None if any(key is None for key in keys) else [key for key in keys if key is not None]


def _explicit_key(
    expression: exp.Expr, items: list[exp.Expr], plain: Callable[[exp.Expr], bool]
) -> exp.Expr | None:
    """A GROUP BY item as an expression (an ordinal names a select item), None if unsupported."""
    if isinstance(expression, exp.Literal) and expression.is_int:
        position = int(expression.name)
        return (
            items[position - 1].unalias()
            if 1 <= position <= len(items) and plain(items[position - 1])
            else None
        )
    if _aggregates([expression]) or isinstance(expression, exp.Rollup | exp.Cube | exp.GroupingSets):
        return None
    return expression


def _aggregate_plan(
    query: exp.Select,
    items: list[exp.Expr],
    names: list[str | None],
    keys: list[exp.Expr],
    aggregates: list[exp.Expr],
    limit: int | None,
    offset: int | None,
    shape: QueryShape,
) -> FragmentPlan | None:
    classified = [_classify(node) for node in aggregates]
    supported = [agg for agg in classified if agg is not None]
    if len(supported) != len(classified) or any(
        _aggregates([agg.argument]) for agg in supported if agg.argument
    ):
        return None
    planned = _aggregate_fragment(query, keys, supported)
    if planned is None:
        return None
    fragment, key_columns, merged = planned

    def substitute(expression: exp.Expr) -> exp.Expr:
        def visit(node: exp.Expr) -> exp.Expr:
            if id(node) in merged:
                return merged[id(node)].copy()
            column = key_columns.get(_key(node)) if not isinstance(node, exp.Literal) else None
            return _column(column) if column else node

        return expression.transform(visit, copy=False)

    output = {name.lower() for name in names if name}
    merge_items = []
    for item, name in zip(items, names, strict=True):
        assert name is not None  # star items were refused with the group keys
        merged_item = substitute(item.unalias())
        merge_items.append(merged_item if _is_bare_column(item) else _aliased(merged_item, name))
    merge = exp.Select(expressions=merge_items)
    if key_columns:
        merge.set("group", exp.Group(expressions=[_column(column) for column in key_columns.values()]))
    having = query.args.get("having")
    if having is not None:
        merge.set("having", exp.Having(this=substitute(having.this)))
    order = query.args.get("order")
    if order is not None:
        merge.set("order", exp.Order(expressions=[substitute(ordered) for ordered in order.expressions]))
    if not _only_shipped_columns(merge, {column.lower() for column in key_columns.values()}, output):
        return None  # a column neither grouped nor aggregated: DuckDB reports it on the original query
    _set_limits(merge, limit, offset)
    return FragmentPlan(fragment, merge, shape)


def _aggregate_fragment(
    query: exp.Select, keys: list[exp.Expr], supported: list[_Aggregate]
) -> tuple[exp.Select, dict[str, str], dict[int, exp.Expr]] | None:
    """The fragment, its key columns by key text and each aggregate's merge expression by node id."""
    key_columns: dict[str, str] = {}
    fragment_items: list[exp.Expr] = []
    for key in keys:
        if _key(key) not in key_columns:
            if _is_bare_column(key):
                key_columns[_key(key)] = key.name
                fragment_items.append(key.copy())
            else:
                key_columns[_key(key)] = f"__lp_k{len(key_columns)}"
                fragment_items.append(_aliased(key.copy(), key_columns[_key(key)]))
    if any(agg.distinct for agg in supported):
        if not all(agg.distinct or agg.function in ("min", "max") for agg in supported):
            return None
        merged = _distinct_partials(supported, fragment_items)
        fragment = exp.Select(expressions=fragment_items, distinct=exp.Distinct())
    else:
        merged = _partials(supported, fragment_items)
        fragment = exp.Select(expressions=fragment_items)
        if key_columns:
            fragment.set("group", exp.Group(all=True))
    where = query.args.get("where")
    if where is not None:
        fragment.set("where", where.copy())
    return fragment, key_columns, merged


def _partials(supported: list[_Aggregate], fragment_items: list[exp.Expr]) -> dict[int, exp.Expr]:
    """Adds each aggregate's partials to the fragment; returns its merge expression by node id."""
    columns: dict[str, str] = {}

    def partial(function: Callable[..., exp.Expr], argument: exp.Expr | None) -> exp.Column:
        expression = function(this=argument.copy() if argument else exp.Star())
        if _key(expression) not in columns:
            columns[_key(expression)] = f"__lp_p{len(columns)}"
            fragment_items.append(_aliased(expression, columns[_key(expression)]))
        return _column(columns[_key(expression)])

    def total_count(argument: exp.Expr | None) -> exp.Expr:
        total = exp.Cast(this=exp.Sum(this=partial(exp.Count, argument)), to=exp.DataType.build("BIGINT"))
        return exp.Coalesce(this=total, expressions=[exp.Literal.number(0)])

    merged: dict[int, exp.Expr] = {}
    for agg in supported:
        if agg.function == "count":
            merged[id(agg.node)] = total_count(agg.argument)
        elif agg.function == "sum":
            merged[id(agg.node)] = exp.Sum(this=partial(exp.Sum, agg.argument))
        elif agg.function in ("min", "max"):
            function = exp.Min if agg.function == "min" else exp.Max
            merged[id(agg.node)] = function(this=partial(function, agg.argument))
        else:  # avg
            sums = exp.Sum(this=partial(exp.Sum, agg.argument))
            counts = exp.Sum(this=partial(exp.Count, agg.argument))
            merged[id(agg.node)] = exp.Div(this=sums, expression=counts)
    return merged


def _distinct_partials(supported: list[_Aggregate], fragment_items: list[exp.Expr]) -> dict[int, exp.Expr]:
    """Adds each aggregate's argument to the fragment; the merge aggregates the shipped values."""
    columns: dict[str, str] = {}
    merged: dict[int, exp.Expr] = {}
    for agg in supported:
        assert agg.argument is not None  # COUNT(*) is never DISTINCT, nor MIN/MAX argument-less
        if _key(agg.argument) not in columns:
            columns[_key(agg.argument)] = f"__lp_d{len(columns)}"
            fragment_items.append(_aliased(agg.argument.copy(), columns[_key(agg.argument)]))
        shipped = _column(columns[_key(agg.argument)])
        argument = exp.Distinct(expressions=[shipped]) if agg.distinct else shipped
        call = agg.node.copy()
        call.set("this", argument)
        merged[id(agg.node)] = call
    return merged


def _only_shipped_columns(merge: exp.Select, shipped: set[str], output: set[str]) -> bool:
    """True if the merge names only shipped columns, plus output names as bare ORDER BY items."""
    for column in merge.find_all(exp.Column):
        if not column.table and (column.name.startswith("__lp_") or column.name.lower() in shipped):
            continue
        order_item = isinstance(column.parent, exp.Ordered) and column.parent.parent is merge.args.get(
            "order"
        )
        if not (order_item and not column.table and column.name.lower() in output):
            return False
    return True


@dataclass
class _RowColumns:
    """A row plan's select lists: what the fragment ships and how the merge names it."""

    fragment: list[exp.Expr]
    merge: list[exp.Expr]
    hidden: list[str]  # internal columns the merge's star must leave out
    star_position: int | None


def _row_columns(items: list[exp.Expr], names: list[str | None]) -> _RowColumns | None:
    """Ships each item under an internal name, bare columns under their own (once), a star as is."""
    columns = _RowColumns([], [], [], None)
    # With a star, the star ships every column; a bare column item is read from it in the merge.
    star = next((item for item in items if isinstance(item, exp.Star)), None)
    shipped_bare: set[str] = set()
    for position, (item, name) in enumerate(zip(items, names, strict=True)):
        if isinstance(item, exp.Star):
            columns.fragment.append(item.copy())
            columns.star_position = position
        elif _is_bare_column(item):
            if star is not None and any(star.args.get(arg) for arg in ("except_", "replace", "rename")):
                return None  # the star may not ship the column as the file holds it
            if star is None and item.name.lower() not in shipped_bare:
                shipped_bare.add(item.name.lower())
                columns.fragment.append(item.copy())
            columns.merge.append(_column(item.name))
        else:
            assert name is not None  # only star items have no name
            columns.hidden.append(f"__lp_c{position}")
            columns.fragment.append(_aliased(item.unalias().copy(), columns.hidden[-1]))
            columns.merge.append(_aliased(_column(columns.hidden[-1]), name))
    return columns


def _row_plan(
    query: exp.Select,
    items: list[exp.Expr],
    names: list[str | None],
    ordered: list[exp.Ordered],
    limit: int | None,
    offset: int | None,
    shape: QueryShape,
) -> FragmentPlan | None:
    columns = _row_columns(items, names)
    if columns is None:
        return None
    aliases = {item.alias.lower(): item.unalias() for item in items if isinstance(item, exp.Alias)}
    merge_order = []
    if [_is_order_all(order_item) for order_item in ordered] == [True]:
        # ORDER BY ALL sorts by the select list, which fragment and merge keep in the same order,
        # unless the star ships a bare column item in its own place.
        if columns.star_position is not None and len(columns.fragment) < len(items):
            return None
        merge_order = [ordered[0].copy()]
        ordered = []
    for position, order_item in enumerate(ordered):
        key = _order_key(order_item.this, items, aliases)
        if key is None:
            return None
        columns.hidden.append(f"__lp_o{position}")
        columns.fragment.append(_aliased(key.copy(), columns.hidden[-1]))
        merge_order.append(order_item.copy())
        merge_order[-1].set("this", _column(columns.hidden[-1]))
    fragment = exp.Select(expressions=columns.fragment)
    where = query.args.get("where")
    if where is not None:
        fragment.set("where", where.copy())
    if limit is not None:
        # A node cannot know which of its rows the OFFSET skips globally: it keeps n + m.
        if merge_order:
            fragment.set("order", exp.Order(expressions=merge_order))
        fragment.set("limit", exp.Limit(expression=exp.Literal.number(limit + (offset or 0))))
    if columns.star_position is not None:
        hidden = [_column(name) for name in columns.hidden]
        columns.merge.insert(columns.star_position, exp.Star(except_=hidden) if hidden else exp.Star())
    merge = exp.Select(expressions=columns.merge)
    if merge_order:
        merge.set("order", exp.Order(expressions=[item.copy() for item in merge_order]))
    _set_limits(merge, limit, offset)
    return FragmentPlan(fragment, merge, shape)


def _order_key(expression: exp.Expr, items: list[exp.Expr], aliases: dict[str, exp.Expr]) -> exp.Expr | None:
    """What an ORDER BY item sorts by: an ordinal's or alias's select expression, else itself."""
    if isinstance(expression, exp.Literal) and expression.is_int:
        position = int(expression.name)
        if not 1 <= position <= len(items) or isinstance(items[position - 1], exp.Star):
            return None
        return items[position - 1].unalias()
    if isinstance(expression, exp.Column) and not expression.table and expression.name.lower() in aliases:
        return aliases[expression.name.lower()]
    return None if isinstance(expression, exp.Var) else expression


def _is_order_all(ordered: exp.Ordered) -> bool:
    return isinstance(ordered.this, exp.Var) and ordered.this.name.upper() == "ALL"


def _set_limits(select: exp.Select, limit: int | None, offset: int | None) -> None:
    if limit is not None:
        select.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    if offset is not None:
        select.set("offset", exp.Offset(expression=exp.Literal.number(offset)))
