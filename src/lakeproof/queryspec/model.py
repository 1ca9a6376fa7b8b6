"""Query spec files: the validated model of a ``data/specs/*.yaml`` file (format: see the package).

Checks that need more than the file (does the dataset exist, does it have that format?) read the
formats of every known dataset from the validation context, under ``DATASETS_CONTEXT``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any

import duckdb
import sqlglot
from duckdb.sqltypes import DuckDBPyType
from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator, model_validator
from sqlglot import exp

from lakeproof.compare import Answer, CompareOptions, answer_from_json
from lakeproof.datagen import Format
from lakeproof.datagen.manifest import ScanColumns
from lakeproof.engines.sql import call_arguments
from lakeproof.refcluster.pragma import Pragma as EnginePragma
from lakeproof.specfile import FieldError, SpecModel, first_problem, reject_duplicate_names, unknown_name

SCAN = "{scan}"
"""Where a query reads the dataset; replaced by the scan of the format under test."""

DATASETS_CONTEXT = "dataset_formats"
"""Validation context key: a mapping from each known dataset name to its formats."""

TAG = r"^[a-z0-9][a-z0-9_-]*$"
DEFAULT_TOLERANCE = CompareOptions.float_tolerance

# The strategy is what the equivalence matrix varies, so a spec never sets it.
MATRIX_PRAGMA = "external_distribution"


_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def _unique(value: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(value)) != len(value):
        raise ValueError(f"{list(value)} repeats an entry; list each once")
    return value


def _tag(value: str) -> str:
    if not re.match(TAG, value):
        raise ValueError(f"tag {value!r} must be lowercase letters, digits, - and _")
    return value


def _engine_pragma(value: dict[str, PragmaValue]) -> dict[str, PragmaValue]:
    # Names, types and bounds are the engine's own (its one Pragma model): a spec can never
    # accept a pragma the engine refuses, nor lag behind a bound the engine tightens.
    allowed = [name for name in EnginePragma.model_fields if name != MATRIX_PRAGMA]
    for name in value:
        if name not in EnginePragma.model_fields:
            raise FieldError((name,), unknown_name(name, allowed, "pragma"))
    try:
        EnginePragma.model_validate(value)
    except ValidationError as error:
        problem = first_problem(error, EnginePragma)
        raise FieldError(problem.loc, problem.message) from None
    return value


# DuckDB type ids an answer over the lab's datasets can have, and that compare by value: what the
# datasets hold, what SQL over them computes (counts, sums, averages, casts), nested in lists,
# arrays, structs and maps. Types no such answer has (BIGNUM, BIT, UNION, ENUM, JSON, ...) are
# refused at load: an expected table naming one could never match.
ANSWER_TYPE_IDS = frozenset(
    {
        *("boolean", "tinyint", "smallint", "integer", "bigint", "hugeint"),
        *("utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"),
        *("float", "double", "decimal", "varchar", "blob", "uuid", "interval"),
        *("date", "time", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"),
        "timestamp with time zone",
        *("list", "array", "struct", "map"),
    }
)
_ANSWER_TYPE_HINT = (
    "BOOLEAN, INTEGER, BIGINT, HUGEINT, DOUBLE, DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP, "
    "T[] or STRUCT(...) of those (DuckDB's names: what the oracle reports)"
)


def _unsupported_type_id(kind: DuckDBPyType) -> str | None:
    """The first type id inside ``kind`` that no answer has, or None if all are fine."""
    if kind.id not in ANSWER_TYPE_IDS:
        return str(kind.id)
    if kind.id in {"list", "array", "struct", "map"}:
        # Element, field, key and value types; an array's size is a number, not a type.
        for _, child in kind.children:
            found = _unsupported_type_id(child) if isinstance(child, DuckDBPyType) else None
            if found is not None:
                return found
    return None


Tags = Annotated[tuple[Annotated[str, AfterValidator(_tag)], ...], AfterValidator(_unique)]
Formats = Annotated[tuple[Format, ...], Field(min_length=1), AfterValidator(_unique)]
PragmaValue = bool | int | float | str
Pragma = Annotated[dict[str, PragmaValue], AfterValidator(_engine_pragma)]


class ExpectedTable(SpecModel):
    """A hand-computed answer: ``name:TYPE`` columns (DuckDB type names) and rows of values."""

    columns: tuple[str, ...] = Field(min_length=1)
    rows: tuple[tuple[Any, ...], ...]

    @field_validator("columns")
    @classmethod
    def _name_and_type(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        canonical = []
        for column in value:
            if column.count("(") != column.count(")"):
                raise ValueError(
                    f"column {column!r} is cut at a comma; quote it in YAML: "
                    '"name:DECIMAL(10,2)" (a comma separates the items of a [list])'
                )
            name, colon, kind = column.rpartition(":")
            if not colon or not name.strip() or not kind.strip():
                raise ValueError(f"column {column!r} must be written name:TYPE, e.g. n:BIGINT")
            try:
                parsed = duckdb.sqltype(kind.strip())
            except duckdb.Error:
                raise ValueError(
                    f"column {column!r}: {kind.strip()!r} is not a DuckDB type; "
                    f"use one of {_ANSWER_TYPE_HINT}"
                ) from None
            unsupported = _unsupported_type_id(parsed)
            if unsupported is not None:
                raise ValueError(
                    f"column {column!r}: no answer over the lab's datasets has type {unsupported.upper()}; "
                    f"use one of {_ANSWER_TYPE_HINT}"
                )
            # DuckDB's own spelling (INT128 -> HUGEINT), as engines report types.
            canonical.append(f"{name.strip()}:{parsed}")
        return tuple(canonical)

    @model_validator(mode="after")
    def _rows_fit_columns(self) -> ExpectedTable:
        for index, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise FieldError(
                    ("rows", index),
                    f"row has {len(row)} values but there are {len(self.columns)} columns; "
                    "give one value per column (null for NULL)",
                )
        return self

    def answer(self) -> Answer:
        """The table as an answer to compare, its values as an engine sends them in JSON."""
        split = (column.rpartition(":") for column in self.columns)
        columns = [{"name": name, "type": kind} for name, _, kind in split]
        return answer_from_json({"columns": columns, "values": [_json_safe(list(row)) for row in self.rows]})


def _json_safe(value: Any) -> Any:
    # YAML reads 2024-01-01 as a date; engines send it as text.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


class ScanSpec(SpecModel):
    """How ``{scan}`` reads the dataset: its columns declared or sniffed, and options the call ends with."""

    columns: ScanColumns = "declared"
    options: str = ""

    @field_validator("options")
    @classmethod
    def _named_options(cls, value: str) -> str:
        if not value.strip():
            return value.strip()
        try:
            # Parsed only, never run: the options are checked as arguments of a table function.
            call = sqlglot.parse_one(f"SELECT * FROM read_csv('x', {value})", dialect="duckdb")  # noqa: S608
        except sqlglot.errors.ParseError:
            call = None
        table = call.find(exp.Table) if call is not None else None
        function = table.this if table is not None else None
        arguments = call_arguments(function)[1:] if isinstance(function, exp.Func) else []
        if not arguments or not all(isinstance(item, exp.EQ | exp.PropertyEQ) for item in arguments):
            raise ValueError(
                f"options {value!r} must be table-function options written name = value and separated "
                "by commas, e.g. union_by_name = true"
            )
        return value.strip()


class ExpectedError(SpecModel):
    """The refusal a query must get: the oracle fails too, and the engine answers 4xx with ``type``
    and a one-line reason containing ``reason`` (naming the object or column at fault)."""

    type: str = Field(pattern=r"^[a-z][a-z_]*_exception$")
    reason: str = Field(min_length=1)


class QueryCase(SpecModel):
    """One query and how its answer is judged."""

    name: str = Field(pattern=r"^\S(.*\S)?$", max_length=120)
    description: str = ""
    query: str
    expected: ExpectedTable | None = None
    error: ExpectedError | None = None
    ordered: bool = False
    tolerance: float = Field(DEFAULT_TOLERANCE, ge=0, lt=1)
    formats: Formats | None = None
    tags: Tags = ()
    pragma: Pragma = Field(default_factory=dict)
    scan: ScanSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> QueryCase:
        if self.error is not None:
            for answer_field in ("expected", "ordered"):
                if getattr(self, answer_field):
                    raise FieldError(
                        (answer_field,),
                        f"a case expects an answer or an error, not both; remove {answer_field} or error",
                    )
        if SCAN not in self.query:
            raise FieldError(
                ("query",),
                # Plain text, not an f-string: the placeholder is literally {scan}.
                "the query never reads the dataset; write {scan} where the table goes, "
                "e.g. SELECT count(*) FROM {scan}",
            )
        if self.ordered and not _ORDER_BY.search(self.query):
            raise FieldError(
                ("ordered",), "ordered: true needs an ORDER BY in the query; add one or remove ordered"
            )
        if MATRIX_PRAGMA in self.pragma:
            raise FieldError(("pragma", MATRIX_PRAGMA), _MATRIX_PRAGMA_MESSAGE)
        return self


_MATRIX_PRAGMA_MESSAGE = f"every case runs under every strategy; remove {MATRIX_PRAGMA}"


class QuerySpecFile(SpecModel):
    """One area of the catalogue: a dataset, defaults for its cases, and the cases."""

    description: str
    dataset: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    formats: Formats | None = None
    tags: Tags = ()
    pragma: Pragma = Field(default_factory=dict)
    scan: ScanSpec = ScanSpec()
    cases: tuple[QueryCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> QuerySpecFile:
        if MATRIX_PRAGMA in self.pragma:
            raise FieldError(("pragma", MATRIX_PRAGMA), _MATRIX_PRAGMA_MESSAGE)
        reject_duplicate_names([case.name for case in self.cases], "cases", "case")
        datasets: Mapping[str, tuple[Format, ...]] | None = (info.context or {}).get(DATASETS_CONTEXT)
        if datasets is not None:
            self._check_dataset(datasets)
        return self

    def _check_dataset(self, datasets: Mapping[str, tuple[Format, ...]]) -> None:
        available = datasets.get(self.dataset)
        if available is None:
            known = ", ".join(sorted(datasets)) or "none"
            raise FieldError(("dataset",), f"unknown dataset {self.dataset!r}; known datasets: {known}")
        for loc, formats in [
            (("formats",), self.formats),
            *((("cases", index, "formats"), case.formats) for index, case in enumerate(self.cases)),
        ]:
            for index, fmt in enumerate(formats or ()):
                if fmt not in available:
                    raise FieldError(
                        (*loc, index),
                        f"dataset {self.dataset!r} has no {fmt} files (only {', '.join(available)}); "
                        f"remove {fmt}",
                    )
