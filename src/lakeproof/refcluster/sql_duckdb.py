"""What only DuckDB itself can say about a query: whether it parses, its statement type, the names
of its output columns and which functions are aggregates.

sqlglot analyses and rewrites queries, but its parser is more lenient than DuckDB's and its
rendering of an expression is not the name DuckDB gives an unaliased output column (DuckDB
names ``count(*)`` ``count_star()`` and ``if(a, b, c)`` ``CASE  WHEN ((a)) THEN (b) ELSE c END``).
These helpers ask DuckDB's parser, which needs neither data nor a schema.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import duckdb

from lakeproof.duckdb_ext import duckdb_session

_EMPTY_FROM = {"type": "EMPTY", "alias": "", "sample": None, "query_location": 18446744073709551615}
_STAR_CLASSES = {"STAR", "COLUMNS"}


class StatementProblem(Exception):
    """DuckDB rejects the text, or it is not exactly one SELECT statement (message says which)."""


def check_single_select(sql: str) -> None:
    """Raises StatementProblem unless `sql` is one statement DuckDB parses as a SELECT."""
    with duckdb_session() as con:
        try:
            statements = con.extract_statements(sql)
        except duckdb.ParserException as error:
            first_line = str(error).splitlines()[0]
            raise StatementProblem(f"invalid SQL: {first_line.removeprefix('Parser Error: ')}") from None
    if len(statements) != 1:
        raise StatementProblem(f"expected exactly one SQL statement; got {len(statements)}")
    kind = statements[0].type.name
    if kind != "SELECT":
        raise StatementProblem(f"only SELECT queries are allowed; got a {kind} statement")


def output_names(sql: str) -> list[str | None] | None:
    """DuckDB's name for each select-list item of the top-level SELECT of `sql`.

    None for a star item (``*``, ``t.*``, ``COLUMNS(...)``), whose names come from the data;
    None overall when the top level is not a plain SELECT node (a set operation, say). DuckDB
    names an item by its alias, else a column reference by its last name part, else by the
    parsed expression's text, which ``json_deserialize_sql`` reproduces for a one-item SELECT.
    """
    with duckdb_session() as con:
        serialized = json.loads(con.execute("SELECT json_serialize_sql($1)", [sql]).fetchone()[0])  # type: ignore[index]
        if serialized.get("error"):
            return None
        node = serialized["statements"][0]["node"]
        if node.get("type") != "SELECT_NODE":
            return None
        return [_item_name(con, node, item) for item in node["select_list"]]


def _item_name(con: duckdb.DuckDBPyConnection, node: dict[str, Any], item: dict[str, Any]) -> str | None:
    if item["class"] in _STAR_CLASSES:
        return None
    if item["alias"]:
        return str(item["alias"])
    if item["class"] == "COLUMN_REF":
        return str(item["column_names"][-1])
    alone = {
        **node,
        "select_list": [item],
        "from_table": _EMPTY_FROM,
        "where_clause": None,
        "group_expressions": [],
        "group_sets": [],
        "having": None,
        "qualify": None,
        "sample": None,
        "aggregate_handling": "STANDARD_HANDLING",  # else GROUP BY ALL is printed too
        "modifiers": [],
        "cte_map": {"map": []},
    }
    statement = json.dumps({"error": False, "statements": [{"node": alone, "named_param_map": []}]})
    text = con.execute("SELECT json_deserialize_sql($1::JSON)", [statement]).fetchone()[0]  # type: ignore[index]
    return str(text).removeprefix("SELECT ")


@functools.cache
def aggregate_function_names() -> frozenset[str]:
    """Lower-case names of every aggregate function DuckDB knows (including aliases like ``mean``)."""
    with duckdb_session() as con:
        rows = con.sql(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'"
        ).fetchall()
    return frozenset(str(row[0]) for row in rows)
