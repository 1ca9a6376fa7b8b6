"""An answer to a query, engine-agnostic: column names and DuckDB type names, and JSON-safe rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from lakeproof.errors import LakeproofError
from lakeproof.jsonvalue import json_value


class AnswerFormatError(LakeproofError):
    """An engine's answer does not have the ``{"columns": [...], "values": [[...]]}`` shape."""


@dataclass(frozen=True)
class Column:
    """One result column: its name and its DuckDB type name (``DECIMAL(15,2)``, ``INTEGER[]``, ...)."""

    name: str
    type: str


@dataclass(frozen=True)
class Answer:
    """A query result as the engine sends it: decimals as exact strings, non-finite doubles by name."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def answer_from_json(payload: Mapping[str, Any]) -> Answer:
    """The answer in an engine's JSON response; raises :class:`AnswerFormatError` if it is malformed."""
    columns_json = payload.get("columns")
    values_json = payload.get("values")
    if not isinstance(columns_json, list) or not isinstance(values_json, list):
        raise AnswerFormatError("the answer has no 'columns' and 'values' lists; is it a query response?")
    columns: list[Column] = []
    for position, column in enumerate(columns_json, start=1):
        if not (
            isinstance(column, Mapping)
            and isinstance(column.get("name"), str)
            and isinstance(column.get("type"), str)
        ):
            raise AnswerFormatError(f"column {position} of the answer needs a string 'name' and 'type'")
        columns.append(Column(column["name"], column["type"]))
    rows: list[tuple[Any, ...]] = []
    for number, row in enumerate(values_json, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise AnswerFormatError(f"row {number} of the answer is not a list of {len(columns)} values")
        rows.append(tuple(row))
    return Answer(tuple(columns), tuple(rows))


def answer_from_duckdb(relation: duckdb.DuckDBPyRelation) -> Answer:
    """The answer of a DuckDB relation, with values converted exactly as the engine converts its own."""
    columns = tuple(
        Column(name, str(kind)) for name, kind in zip(relation.columns, relation.types, strict=True)
    )
    rows = tuple(tuple(json_value(value) for value in row) for row in relation.fetchall())
    return Answer(columns, rows)
