"""The files a query reads: its table-function calls, the columns it needs from each and the
WHERE conjuncts a scan can apply on its own (projection and filter pushdown).

An unqualified column is attributed to a source when exactly one FROM item is in reach (its
own SELECT's, plus those of the enclosing SELECTs a correlated subquery can see), or, once the
Parquet footers give the sources' schemas, when the scoping rules DuckDB binds by say which
item has it. When that is not certain the source's ``columns`` is None (read them all) and no
conjunct using the column is pushed: a scan that reads too much is slower, one that names a
column the file lacks is wrong. Qualify columns (``l.l_orderkey``) in multi-source queries over
CSV or NDJSON to get the narrowest scans.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from lakeproof.engines.sql import call_arguments, function_name
from lakeproof.errors import LakeproofError
from lakeproof.refcluster.model import Format
from lakeproof.refcluster.tables import TableKind, TableRef

DIALECT = "duckdb"
FUNCTIONS: dict[str, Format] = {"read_parquet": "parquet", "read_csv": "csv", "read_json": "ndjson"}
TABLE_FUNCTIONS: dict[str, TableKind] = {"iceberg_scan": "iceberg", "delta_scan": "delta"}
"""Table scans: their data files are Parquet, planned from the table's metadata (see ``tables``)."""
_TABLE_OPTIONS: dict[str, frozenset[str]] = {
    "iceberg_scan": frozenset({"snapshot_from_id", "snapshot_from_timestamp"}),
    "delta_scan": frozenset({"version"}),
}
_HINT = (
    "read files with read_parquet('s3://...'), read_csv(...) or read_json(...), tables with "
    "iceberg_scan('s3://...') or delta_scan('s3://...')"
)
_SETTINGS = "reads the engine's settings"
_SECRETS = "reads the engine's stored credentials"
_HOST = "reveals the engine's host (environment, files, memory, platform)"
_EXTENSIONS = "lists or loads DuckDB extensions"
_FILES = "reads files on the engine's host, not s3:// data"
REFUSED_FUNCTIONS: dict[str, str] = {
    # Settings and variables: they hold the S3 secret, and an unknown setting makes DuckDB
    # look for an extension that defines it.
    "current_setting": _SETTINGS,
    "duckdb_settings": _SETTINGS,
    "getvariable": _SETTINGS,
    "duckdb_secrets": _SECRETS,
    "duckdb_secret_types": _SECRETS,
    "which_secret": _SECRETS,
    "duckdb_extensions": _EXTENSIONS,
    "getenv": _HOST,
    "pragma_platform": _HOST,
    "pragma_user_agent": _HOST,
    "pragma_database_list": _HOST,
    "pragma_database_size": _HOST,
    "duckdb_databases": _HOST,
    "duckdb_memory": _HOST,
    "duckdb_temporary_files": _HOST,
    "duckdb_external_file_cache": _HOST,
    "duckdb_logs": _HOST,
    "duckdb_log_contexts": _HOST,
    "read_text": _FILES,
    "read_blob": _FILES,
    "glob": _FILES,
    "sniff_csv": _FILES,
    "parquet_metadata": _FILES,
    "parquet_schema": _FILES,
    "parquet_file_metadata": _FILES,
    "parquet_kv_metadata": _FILES,
    "query": "runs SQL the analyser cannot see",
    "query_table": "runs SQL the analyser cannot see",
}
"""Functions a query may not call anywhere, with the reason the refusal gives.

A query reads s3:// data through read_parquet, read_csv and read_json only: other table
functions are refused as unknown tables anyway, these get a reason of their own, and the scalar
ones here (settings, secrets, environment) are refused wherever they appear.
"""
_PATH_OPTIONS = {"filename", "file_row_number"}
_VOLATILE = {"random", "rand", "uuid", "gen_random_uuid", "nextval", "currval", "setseed"}
# Joins after which a filter on one side changes which rows the other side meets.
_ORDER_SENSITIVE_JOINS = {"ASOF", "POSITIONAL"}
_OPERATORS: dict[type[exp.Expr], tuple[str, str]] = {
    # operator class -> (operator, operator with the operands swapped)
    exp.EQ: ("=", "="),
    exp.NEQ: ("<>", "<>"),
    exp.LT: ("<", ">"),
    exp.LTE: ("<=", ">="),
    exp.GT: (">", "<"),
    exp.GTE: (">=", "<="),
}

PredicateValue = bool | int | float | str | datetime.date | datetime.datetime
Predicate = tuple[str, str, PredicateValue]


class QueryError(LakeproofError):
    """A query the reference cluster cannot run as written; the message says why in one line."""


@dataclass(frozen=True)
class Source:
    """One table-function call of a query: what to read and what a scan of it must produce.

    ``options_sql`` is the call's other arguments as DuckDB SQL (``header = TRUE, ...``) so a
    node can call ``function`` on a local copy with the same options. ``columns`` is None when
    every column may be needed. ``filter_sql`` is over the source's own column names.
    ``predicates`` are the simple ``column op literal`` conjuncts of ``filter_sql`` (``op`` one
    of ``= <> < <= > >=``) for Parquet row-group pruning.
    """

    index: int
    function: str
    format: Format
    uris: list[str]
    options_sql: str
    columns: list[str] | None
    filter_sql: str | None
    predicates: list[Predicate] = field(default_factory=list)
    options: tuple[tuple[str, str], ...] = ()
    """Each option of ``options_sql`` on its own: its lower-case name and its SQL."""
    compressed: bool = False
    """The call names a ``compression`` (other than auto or none): every file is compressed."""
    table: TableRef | None = None
    """The table an ``iceberg_scan`` or ``delta_scan`` reads, and the snapshot it asks for."""


@dataclass
class _Item:
    """A FROM/JOIN item of one SELECT, as columns name it."""

    node: exp.Expr
    alias: str  # lower case
    source: int | None  # index of the source when the item is a table-function call
    pushdown_safe: bool  # a WHERE conjunct on it alone may be applied before the join


@dataclass
class _Needs:
    """Columns needed from one source, in first-use order, keyed case-insensitively like DuckDB."""

    names: dict[str, str] = field(default_factory=dict)
    all_columns: bool = False

    def add(self, name: str) -> None:
        self.names.setdefault(name.lower(), name)

    def result(self) -> list[str] | None:
        return None if self.all_columns else list(self.names.values())


@dataclass(frozen=True)
class _Resolved:
    """Where a column reference points: a source's column, nothing in a file, or unknown."""

    source: int | None = None  # set when the reference is to this source's column ``name``
    path: tuple[str, ...] = ()  # column name, then struct fields
    ambiguous: tuple[int, ...] = ()  # sources it may belong to when unknown
    alias_or_column: bool = False  # unknown because the name is also a select alias


def refuse_host_access(tree: exp.Expr) -> None:
    """QueryError for the first call of a function in REFUSED_FUNCTIONS, with its reason."""
    for function in tree.find_all(exp.Func):
        name = function_name(function)
        if (reason := REFUSED_FUNCTIONS.get(name)) is not None:
            raise QueryError(f"function '{name}' is refused: it {reason}; {_HINT}")


def source_calls(tree: exp.Expr) -> list[exp.Table]:
    """The table-function calls of `tree` in text order; raises QueryError for a refused function
    (see REFUSED_FUNCTIONS) or any other table."""
    refuse_host_access(tree)
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    calls = []
    for table in tree.find_all(exp.Table, bfs=False):
        function = table.this
        if isinstance(function, exp.Func):
            name = function_name(function)
            if name not in FUNCTIONS and name not in TABLE_FUNCTIONS:
                raise QueryError(f"unknown table function '{name}'; {_HINT}")
            calls.append(table)
        elif table.name.lower() not in cte_names or table.args.get("db"):
            raise QueryError(f"unknown table '{table.sql(DIALECT)}'; {_HINT}")
    if not calls:
        raise QueryError(f"the query reads no files; {_HINT}")
    return calls


def _uris(name: str, path: exp.Expr | None) -> list[str]:
    literals = path.expressions if isinstance(path, exp.Array) else [path]
    if not literals or not all(isinstance(item, exp.Literal) and item.is_string for item in literals):
        raise QueryError(
            f"{name} needs its path as a string literal or a list of them, e.g. {name}('s3://bucket/*')"
        )
    uris = [item.name for item in literals if item is not None]
    for uri in uris:
        if not uri.startswith("s3://"):
            raise QueryError(f"{name} reads only s3:// paths; got '{uri}'")
    return uris


def describe_sources(tree: exp.Expr, calls: list[exp.Table], schemas: Schemas | None = None) -> list[Source]:
    """A Source for each call: paths, options, needed columns and pushable filter."""
    needs, resolver = _needed_columns(tree, calls, schemas)
    sources = []
    for index, table in enumerate(calls):
        function = table.this
        assert isinstance(function, exp.Func)
        name = function_name(function)
        path, *options = call_arguments(function)
        _refuse_path_options(name, options)
        conjuncts = _pushable_conjuncts(table, index, resolver)
        if name in TABLE_FUNCTIONS:
            sources.append(
                Source(
                    index=index,
                    function=name,
                    format="parquet",
                    uris=_uris(name, path),
                    options_sql="",
                    columns=needs[index].result(),
                    filter_sql=" AND ".join(f"({conjunct.sql(DIALECT)})" for conjunct in conjuncts) or None,
                    table=_table_ref(name, path, options),
                )
            )
            continue
        sources.append(
            Source(
                index=index,
                function=name,
                format=FUNCTIONS[name],
                uris=_uris(name, path),
                options_sql=", ".join(option.sql(DIALECT) for option in options),
                options=tuple((_option_name(option), option.sql(DIALECT)) for option in options),
                compressed=any(_names_compression(option) for option in options),
                columns=needs[index].result(),
                filter_sql=" AND ".join(f"({conjunct.sql(DIALECT)})" for conjunct in conjuncts) or None,
                predicates=[predicate for conjunct in conjuncts for predicate in _predicates(conjunct)],
            )
        )
    return sources


def _table_ref(function: str, path: exp.Expr | None, options: list[exp.Expr]) -> TableRef:
    """The table and snapshot a table scan asks for; QueryError for a path list or an unknown option."""
    if not (isinstance(path, exp.Literal) and path.is_string):
        raise QueryError(
            f"{function} reads one table: give its path as a string literal, e.g. {function}('s3://bucket/t')"
        )
    asked: dict[str, exp.Expr] = {}
    for option in options:
        name = option.this.name.lower() if isinstance(option, exp.Kwarg | exp.EQ | exp.PropertyEQ) else ""
        if name not in _TABLE_OPTIONS[function]:
            known = ", ".join(sorted(_TABLE_OPTIONS[function]))
            raise QueryError(
                f"{function} option '{option.sql(DIALECT)}' is not supported; its options are {known}"
            )
        asked[name] = option.expression
    snapshot_id = _integer_option(function, "snapshot_from_id", asked)
    version = _integer_option(function, "version", asked)
    timestamp = None
    if (value := asked.get("snapshot_from_timestamp")) is not None:
        literal = _literal_value(value)
        if isinstance(literal, str):
            try:
                literal = datetime.datetime.fromisoformat(literal)
            except ValueError:
                literal = None
        if not isinstance(literal, datetime.datetime):
            raise QueryError(
                f"{function} snapshot_from_timestamp needs a TIMESTAMP literal, "
                "e.g. TIMESTAMP '2026-01-01 12:00:00'"
            )
        timestamp = literal
    return TableRef(TABLE_FUNCTIONS[function], path.name, snapshot_id, timestamp, version)


def _integer_option(function: str, name: str, asked: Mapping[str, exp.Expr]) -> int | None:
    if (value := asked.get(name)) is None:
        return None
    number = _literal_value(value)
    if not isinstance(number, int) or isinstance(number, bool):
        raise QueryError(f"{function} {name} needs an integer, got {value.sql(DIALECT)}")
    return number


def _refuse_path_options(function: str, options: list[exp.Expr]) -> None:
    """QueryError for an option whose values come from the file's path or position in it.

    Nodes parse local copies of their splits, so ``filename`` would name a scratch file and row
    numbers would restart at each split. (Hive partition values come from the object's key, which
    every split carries: see ``schema``.)
    """
    for option in options:
        name = _option_name(option)
        if name in _PATH_OPTIONS:
            raise QueryError(
                f"{function} option '{name}' is not supported: data nodes read copies of splits, "
                "not the object at its path; drop the option"
            )


def _option_name(option: exp.Expr) -> str:
    """A named table-function argument's lower-case name (``header = true``: header); else ''."""
    return option.this.name.lower() if isinstance(option, exp.EQ | exp.PropertyEQ) else ""


def _names_compression(option: exp.Expr) -> bool:
    """Whether ``option`` is ``compression = '<codec>'`` with a codec, not auto or none."""
    if _option_name(option) != "compression" or not isinstance(option.expression, exp.Literal):
        return False
    return option.expression.name.lower() not in {"auto", "none", ""}


def _from_items(select: exp.Select, calls: list[exp.Table]) -> list[_Item]:
    """`select`'s FROM and JOIN items, with whether a WHERE conjunct may be pushed into each."""
    from_ = select.args.get("from_")
    if from_ is None:
        return []
    joins: list[exp.Join] = select.args.get("joins") or []
    nodes = [from_.this, *(join.this for join in joins)]
    # Which items keep all their rows through the joins (outer joins pad the other side with NULLs).
    safe = [not select.args.get("sample")] * len(nodes)
    for position, join in enumerate(joins, start=1):
        side, kind = join.side.upper(), join.kind.upper()
        if side == "FULL" or join.method.upper() in _ORDER_SENSITIVE_JOINS or kind in _ORDER_SENSITIVE_JOINS:
            safe = [False] * len(nodes)
        elif side == "LEFT":
            safe[position] = False
        elif side == "RIGHT":
            safe[:position] = [False] * position
    items = []
    for node, pushdown_safe in zip(nodes, safe, strict=True):
        index = next((i for i, call in enumerate(calls) if call is node), None)
        alias = node.alias or (function_name(node.this) if index is not None else node.name)
        items.append(_Item(node, alias.lower(), index, pushdown_safe and not node.args.get("sample")))
    return items


Schemas = Mapping[int, frozenset[str]]
"""Lower-case column names of a source, by source index, when its files were read (footers)."""


class _Resolver:
    """Resolves column references to sources, following the scoping rules DuckDB applies.

    With ``schemas``, an unqualified column among several FROM items goes to the one item of
    the nearest SELECT whose columns have it, as DuckDB binds it; only when the columns of
    every item of that SELECT are known: a source's from its schema, a subquery's or CTE's
    from a projection that names each column (not a star).
    """

    def __init__(self, calls: list[exp.Table], schemas: Schemas | None = None) -> None:
        self._calls = calls
        self._schemas = schemas or {}
        self._items: dict[int, list[_Item]] = {}

    def items(self, select: exp.Select) -> list[_Item]:
        if id(select) not in self._items:
            self._items[id(select)] = _from_items(select, self._calls)
        return self._items[id(select)]

    def reach(self, node: exp.Expr) -> list[_Item]:
        """FROM items a reference at `node` can name, nearest SELECT first.

        An enclosing SELECT is visible from a subquery (correlation, DuckDB's implicit LATERAL),
        except the item the reference sits in; a CTE body sees nothing outside itself.
        """
        reachable: list[_Item] = []
        parent = node.parent
        while parent is not None and not isinstance(parent, exp.CTE):
            if isinstance(parent, exp.Select):
                reachable += [item for item in self.items(parent) if not contains(item.node, node)]
            parent = parent.parent
        return reachable

    def resolve(self, column: exp.Column) -> _Resolved:
        parts = tuple(part.name for part in column.parts)
        reach = self.reach(column)
        if len(parts) > 1:
            qualifier = parts[0].lower()
            item = next((item for item in reach if item.alias == qualifier), None)
            if item is not None:
                return (
                    _Resolved(source=item.source, path=parts[1:]) if item.source is not None else _Resolved()
                )
            # No such table in reach: DuckDB reads ``s.f`` as field ``f`` of column ``s``.
        name = parts[0].lower()
        alias = _alias_status(column, name)
        if alias == "alias":
            return _Resolved()
        whole_row = any(item.alias == name for item in reach)
        if len(reach) == 1 and not whole_row and alias == "column":
            return (
                _Resolved(source=reach[0].source, path=parts) if reach[0].source is not None else _Resolved()
            )
        if not whole_row:
            binding = self._by_schema(column, parts)
            if isinstance(binding, _Resolved):
                return binding
            if binding == "nowhere" and alias == "either":
                return _Resolved()  # no FROM item has such a column: the name is the select alias
        ambiguous = tuple(item.source for item in reach if item.source is not None)
        return _Resolved(ambiguous=ambiguous, alias_or_column=alias == "either")

    def _by_schema(self, column: exp.Column, parts: tuple[str, ...]) -> _Resolved | Literal["nowhere"] | None:
        """What binds the column named ``parts[0]``, scope by scope outward, as DuckDB binds it.

        None when not certain: some FROM item of a scope on the way has columns not known here.
        "nowhere" when every scope is known and none has the name.
        """
        name = parts[0].lower()
        parent = column.parent
        while parent is not None and not isinstance(parent, exp.CTE):
            if isinstance(parent, exp.Select):
                items = [item for item in self.items(parent) if not contains(item.node, column)]
                known = [(item, self._item_columns(item)) for item in items]
                if any(columns is None for _, columns in known):
                    return None
                owners = [item for item, columns in known if columns is not None and name in columns]
                if len(owners) > 1:
                    return None  # DuckDB calls it ambiguous; reading everything keeps that error
                if owners:
                    owner = owners[0].source
                    # A subquery's or CTE's column: nothing to read for it from a file.
                    return _Resolved(source=owner, path=parts) if owner is not None else _Resolved()
            parent = parent.parent
        return "nowhere"

    def _item_columns(self, item: _Item) -> frozenset[str] | None:
        """Lower-case column names `item` provides, or None when they are not known here."""
        if item.source is not None:
            return self._schemas.get(item.source)
        if isinstance(item.node, exp.Subquery):
            return _output_columns(item.node.this, item.node.alias_column_names)
        if isinstance(item.node, exp.Table) and (cte := _cte_named(item.node)) is not None:
            return _output_columns(cte.this, cte.alias_column_names)
        return None


def _cte_named(table: exp.Table) -> exp.CTE | None:
    """The CTE that `table` (a plain table name) refers to: the nearest WITH defining its name."""
    if table.args.get("db"):
        return None
    name = table.name.lower()
    parent = table.parent
    while parent is not None:
        with_ = parent.args.get("with_")
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if isinstance(cte, exp.CTE) and cte.alias_or_name.lower() == name:
                    return cte
        parent = parent.parent
    return None


def _output_columns(query: exp.Expr, renamed: list[str]) -> frozenset[str] | None:
    """Lower-case output column names of a subquery or CTE body, when its projection names them."""
    if renamed:
        return frozenset(name.lower() for name in renamed)
    while isinstance(query, exp.SetOperation | exp.Subquery | exp.Paren):
        query = query.this  # a set operation's columns are named by its first query
    if not isinstance(query, exp.Select):
        return None
    names = []
    for projection in query.expressions:
        stars = [star for star in projection.find_all(exp.Star) if not isinstance(star.parent, exp.Count)]
        if stars or projection.find(exp.Columns) is not None or not projection.alias_or_name:
            return None  # a star's or an unnamed expression's columns depend on the data
        names.append(projection.alias_or_name.lower())
    return frozenset(names)


def _alias_status(column: exp.Column, name: str) -> Literal["column", "alias", "either"]:
    """Whether unqualified `name` is a column, a select alias of the column's SELECT, or either.

    A bare ORDER BY item is the alias (DuckDB's rule); anywhere else DuckDB prefers a column of
    that name if the file has one, which only the data can tell.
    """
    select = column.find_ancestor(exp.Select)
    if select is None:
        return "column"
    aliased = {
        item.alias.lower(): item.this
        for item in select.expressions
        if isinstance(item, exp.Alias) and not contains(item, column)
    }
    target = aliased.get(name)
    if target is None or (
        isinstance(target, exp.Column) and target.name.lower() == name and not target.table
    ):
        return "column"  # not an alias, or ``a AS a``: the same column either way
    ordered = column.parent
    if isinstance(ordered, exp.Ordered) and ordered.parent is select.args.get("order"):
        return "alias"
    return "either"


def contains(ancestor: exp.Expr, node: exp.Expr) -> bool:
    """True if `node` is `ancestor` or lies inside it."""
    current: exp.Expr | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def _query_columns(tree: exp.Expr, calls: list[exp.Table]) -> Iterator[exp.Column]:
    """Column references of the query, leaving out the table functions' named arguments."""
    for column in tree.find_all(exp.Column, bfs=False):
        if not isinstance(column.this, exp.Star) and not any(contains(call, column) for call in calls):
            yield column


def has_ambiguous_alias(tree: exp.Expr, calls: list[exp.Table]) -> bool:
    """True if some name may be a select alias or a file column (only the data would tell)."""
    resolver = _Resolver(calls)
    return any(resolver.resolve(column).alias_or_column for column in _query_columns(tree, calls))


def _needed_columns(
    tree: exp.Expr, calls: list[exp.Table], schemas: Schemas | None = None
) -> tuple[list[_Needs], _Resolver]:
    resolver = _Resolver(calls, schemas)
    needs = [_Needs() for _ in calls]
    for column in _query_columns(tree, calls):
        resolved = resolver.resolve(column)
        if resolved.source is not None:
            needs[resolved.source].add(resolved.path[0])
        for index in resolved.ambiguous:
            needs[index].all_columns = True
    for select in tree.find_all(exp.Select):
        _star_needs(select, resolver, needs)
    return needs, resolver


def _star_needs(select: exp.Select, resolver: _Resolver, needs: list[_Needs]) -> None:
    """Marks sources whose every column a star, COLUMNS(...), NATURAL JOIN or USING needs."""
    items = resolver.items(select)

    def everything(item_list: list[_Item]) -> None:
        for item in item_list:
            if item.source is not None:
                needs[item.source].all_columns = True

    for node in select.find_all(exp.Star, exp.Columns):
        if node.find_ancestor(exp.Select) is not select or isinstance(node.parent, exp.Count):
            continue
        if node.parent is select and _tests_existence_only(select):
            continue
        if isinstance(node, exp.Star) and isinstance(node.parent, exp.Column) and node.parent.table:
            qualifier = node.parent.table.lower()
            everything([item for item in items if item.alias == qualifier])
        else:
            everything(items)
    for position, join in enumerate(select.args.get("joins") or [], start=1):
        if join.method.upper() == "NATURAL":
            everything(items)
        for identifier in join.args.get("using") or []:
            right, left = items[position], items[:position]
            for item in [right, *left] if len(left) == 1 else [right]:
                if item.source is not None:
                    needs[item.source].add(identifier.name)
            if len(left) > 1:
                everything(left)


def _tests_existence_only(select: exp.Select) -> bool:
    """True for an ``EXISTS (SELECT ...)`` body whose projection is never evaluated (TPC-H's
    ``EXISTS (SELECT * ...)``); grouping could make a star projection an error, so it counts."""
    return isinstance(select.parent, exp.Exists) and not any(
        select.args.get(clause) for clause in ("group", "having", "qualify")
    )


def _conjuncts(condition: exp.Expr) -> Iterator[exp.Expr]:
    if isinstance(condition, exp.Paren):
        yield from _conjuncts(condition.this)
    elif isinstance(condition, exp.And):
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    else:
        yield condition


def _pushable_conjuncts(table: exp.Table, index: int, resolver: _Resolver) -> list[exp.Expr]:
    """WHERE conjuncts of the SELECT reading `table` that a scan of it can apply, over its columns."""
    select = table.parent.parent if isinstance(table.parent, exp.From | exp.Join) else None
    if not isinstance(select, exp.Select) or select.args.get("where") is None:
        return []
    item = next(item for item in resolver.items(select) if item.source == index)
    if not item.pushdown_safe:
        return []
    pushed = []
    for conjunct in _conjuncts(select.args["where"].this):
        rewritten = _over_source_columns(conjunct, index, resolver)
        if rewritten is not None:
            pushed.append(rewritten)
    return pushed


def _over_source_columns(conjunct: exp.Expr, index: int, resolver: _Resolver) -> exp.Expr | None:
    """`conjunct` with its columns unqualified, or None if it is not a filter on this source alone."""
    blocked = (exp.Subquery, exp.Select, exp.Exists, exp.AggFunc, exp.Window, exp.Star, exp.Columns)
    if conjunct.find(*blocked) is not None:
        return None
    if any(function_name(function) in _VOLATILE for function in conjunct.find_all(exp.Func)):
        return None
    columns = list(conjunct.find_all(exp.Column, bfs=False))
    if not columns:
        return None
    replacements: list[exp.Column] = []
    for column in columns:
        resolved = resolver.resolve(column)
        if resolved.source != index or len(resolved.path) > 2:
            return None
        name, *fields = resolved.path
        replacements.append(
            exp.Column(
                this=exp.to_identifier(fields[0] if fields else name, quoted=True),
                table=exp.to_identifier(name, quoted=True) if fields else None,
            )
        )
    # A copy has no parents, so columns are resolved on the original and swapped in the copy.
    rewritten = conjunct.copy()
    for copied, replacement in zip(
        list(rewritten.find_all(exp.Column, bfs=False)), replacements, strict=True
    ):
        if copied is rewritten:
            return replacement
        copied.replace(replacement)
    return rewritten


def _literal_value(node: exp.Expr) -> PredicateValue | None:
    """The Python value of a literal: string, number (also negated), boolean, DATE or TIMESTAMP."""
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    negated = isinstance(node, exp.Neg)
    if negated:
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        number = int(node.name) if node.is_int else float(node.name)
        return -number if negated else number
    if negated or not isinstance(node, exp.Literal | exp.Cast):
        return None
    return node.name if isinstance(node, exp.Literal) else _typed_literal(node)


def _typed_literal(cast: exp.Cast) -> datetime.date | datetime.datetime | None:
    """``DATE '...'`` and ``TIMESTAMP '...'`` literals (sqlglot reads them as casts)."""
    if not (isinstance(cast.this, exp.Literal) and cast.this.is_string):
        return None
    try:
        if cast.to.this == exp.DataType.Type.DATE:
            return datetime.date.fromisoformat(cast.this.name)
        if cast.to.this in {exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ}:
            return datetime.datetime.fromisoformat(cast.this.name)
    except ValueError:
        pass  # not ISO text: DuckDB parses more formats than Python; no predicate then
    return None


def _predicates(conjunct: exp.Expr) -> list[Predicate]:
    """`conjunct` as ``(column, op, value)`` triples when it is a plain comparison with a literal."""
    if isinstance(conjunct, exp.Between):
        low = _predicates(exp.GTE(this=conjunct.this.copy(), expression=conjunct.args["low"].copy()))
        high = _predicates(exp.LTE(this=conjunct.this.copy(), expression=conjunct.args["high"].copy()))
        return low + high if low and high else []
    operators = _OPERATORS.get(type(conjunct))
    if operators is None:
        return []
    for column, literal, operator in (
        (conjunct.this, conjunct.expression, operators[0]),
        (conjunct.expression, conjunct.this, operators[1]),
    ):
        value = _literal_value(literal)
        if isinstance(column, exp.Column) and not column.table and value is not None:
            return [(column.name, operator, value)]
    return []
