"""Table history specs (``data/tables/*.yaml``): a table's rows from a dataset spec, and its steps.

Every problem is one ``file:line: field: what to do`` line, as for dataset specs. Checks that
need the dataset (column names, how many rows the appends take) or the formats (a step a format
cannot do) run after the model is valid and point at the step's line too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import duckdb
from pydantic import Field, field_validator

from lakeproof.datagen.loader import load_spec
from lakeproof.datagen.spec import DatasetSpec
from lakeproof.datagen.sql import sql_identifier
from lakeproof.datagen.types import duckdb_type, parse_type
from lakeproof.errors import ConfigError
from lakeproof.specfile import SpecDocument, SpecModel, load_document

TableFormat = Literal["iceberg", "delta"]
TABLE_FORMATS: tuple[TableFormat, ...] = ("iceberg", "delta")
DeleteMode = Literal["position", "equality", "copy_on_write"]

# Types a table column may have: the scalar types both formats carry (no lists or structs).
TABLE_TYPES = re.compile(r"^(int|bigint|float|double|decimal\(\d+,\s*\d+\)|string|bool|date|timestamp)$")
PARTITION_FIELD = re.compile(
    r"^(?:(?P<transform>year|month|day|bucket\[(?P<buckets>\d+)\])\((?P<inner>\w+)\)|(?P<plain>\w+))$"
)


class _Step(SpecModel):
    formats: tuple[TableFormat, ...] = Field(TABLE_FORMATS, min_length=1)
    """The formats this step runs on (default both); the other formats skip it."""


class AppendStep(_Step):
    """Append the dataset's next ``rows`` rows, in ``files`` data files (Iceberg; Delta by size)."""

    step: Literal["append"]
    rows: int = Field(ge=1)
    files: int = Field(1, ge=1)


class OverwriteStep(_Step):
    """Replace the whole table with the dataset's next ``rows`` rows."""

    step: Literal["overwrite"]
    rows: int = Field(ge=1)
    files: int = Field(1, ge=1)


class DeleteStep(_Step):
    """Delete the rows where ``where`` (DuckDB SQL over the table's current columns) is true.

    ``mode``: Iceberg ``position`` (default) or ``equality`` delete files (equality on the table's
    ``key``), or ``copy_on_write`` (data files rewritten); Delta only ``copy_on_write``.
    """

    step: Literal["delete"]
    where: str = Field(min_length=1)
    mode: DeleteMode | None = None


class AddColumnStep(_Step):
    """Add dataset column ``column``: rows already written read NULL, later appends carry it."""

    step: Literal["add_column"]
    column: str


class RenameColumnStep(_Step):
    """Rename column ``column`` to ``to`` (Iceberg only: delta-rs writes no column mapping)."""

    step: Literal["rename_column"]
    column: str
    to: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")


class DropColumnStep(_Step):
    """Drop column ``column`` (Iceberg only: delta-rs writes no column mapping)."""

    step: Literal["drop_column"]
    column: str


class WidenColumnStep(_Step):
    """Widen ``column``: int to bigint or float to double (Iceberg only: delta-rs has no type widening)."""

    step: Literal["widen_column"]
    column: str
    to: Literal["bigint", "double"]


class PartitionStep(_Step):
    """Iceberg partition spec evolution: later data files are partitioned by ``partition_by``."""

    step: Literal["partition_by"]
    partition_by: tuple[str, ...]

    @field_validator("partition_by")
    @classmethod
    def _fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_partition_field(item) for item in value)


class CompactStep(_Step):
    """Rewrite the live rows into ``files`` data files (fewer files, no delete files)."""

    step: Literal["compact"]
    files: int = Field(1, ge=1)


class ExpireStep(_Step):
    """Iceberg: expire every snapshot but the last ``keep_last``; Delta: vacuum (files no
    version since ``keep_last`` versions back needs are removed, retention 0)."""

    step: Literal["expire"]
    keep_last: int = Field(1, ge=1)


Step = Annotated[
    AppendStep
    | OverwriteStep
    | DeleteStep
    | AddColumnStep
    | RenameColumnStep
    | DropColumnStep
    | WidenColumnStep
    | PartitionStep
    | CompactStep
    | ExpireStep,
    Field(discriminator="step"),
]

# What delta-rs 1.6.6 cannot write, and why (the one-line refusal's reason).
DELTA_CANNOT: dict[str, str] = {
    "rename_column": "delta-rs 1.6.6 writes no column mapping, which a Delta rename needs",
    "drop_column": "delta-rs 1.6.6 writes no column mapping, which a Delta drop needs",
    "widen_column": "delta-rs 1.6.6 has no type widening",
    "partition_by": "a Delta table's partition columns are fixed when it is created",
}


def _check_partition_field(text: str) -> str:
    # Identity partitions only: pyiceberg 0.12 computes year/month/day/bucket transforms with
    # pyiceberg-core, which the kit does not install.
    if not PARTITION_FIELD.match(text):
        raise ValueError(
            f"partition field {text!r} is not a column name; tables are partitioned by column values "
            "(identity), write it like region"
        )
    return text


class TableSpec(SpecModel):
    """One table history: written as each format in ``formats``, one snapshot or version per step."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    description: str = ""
    dataset: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    seed: int | None = Field(None, ge=0)
    columns: tuple[str, ...] | None = Field(None, min_length=1)
    narrow: dict[str, Literal["int", "float"]] = Field(default_factory=dict)
    key: str | None = None
    formats: tuple[TableFormat, ...] = Field(TABLE_FORMATS, min_length=1)
    partition_by: tuple[str, ...] = ()
    target_file_size: int = Field(16_384, ge=1024)
    steps: tuple[Step, ...] = Field(min_length=1)

    @field_validator("partition_by")
    @classmethod
    def _fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_partition_field(item) for item in value)

    @field_validator("steps")
    @classmethod
    def _first_appends(cls, value: tuple[Step, ...]) -> tuple[Step, ...]:
        if not isinstance(value[0], AppendStep | OverwriteStep):
            raise ValueError("the first step must write rows (append or overwrite); add an append first")
        return value


WIDENS = {"bigint": "int", "double": "float"}  # widened type -> the type it widens


def check_table(document: SpecDocument[TableSpec], dataset: DatasetSpec) -> None:
    """The checks that need the dataset: columns exist with table types, steps name live columns,
    the appends take no more rows than the dataset has, and every format can do its steps."""
    _TableCheck(document, dataset).run()


class _TableCheck:
    """Walks the steps keeping the table's live columns and their types, as the writer will."""

    def __init__(self, document: SpecDocument[TableSpec], dataset: DatasetSpec) -> None:
        self.document = document
        self.spec = document.model
        self.dataset = dataset
        self.types = {column.name: column.type for column in dataset.columns}
        first = list(self.spec.columns or self.types)
        self.live = {name: self.spec.narrow.get(name, self.types.get(name, "")) for name in first}
        self.rows_taken = 0

    def fail(self, loc: tuple[str | int, ...], message: str) -> ConfigError:
        return self.document.error(loc, message)

    def known(self, loc: tuple[str | int, ...], name: str) -> None:
        if name not in self.types:
            raise self.fail(
                loc, f"dataset {self.dataset.name!r} has no column {name!r}; columns: {', '.join(self.types)}"
            )

    def live_column(self, loc: tuple[str | int, ...], name: str, what: str) -> None:
        if name not in self.live:
            raise self.fail(
                loc, f"{what} {name!r} is not a table column now; columns: {', '.join(self.live)}"
            )

    def run(self) -> None:
        for index, name in enumerate(self.live):
            self.known(("columns", index), name)
            if not TABLE_TYPES.match(self.types[name]):
                raise self.fail(
                    ("columns", index), f"column {name!r} is {self.types[name]}; tables take scalar columns"
                )
        for name, narrow in self.spec.narrow.items():
            self.known(("narrow", name), name)
            wider = {value: key for key, value in WIDENS.items()}[narrow]
            if self.types[name] != wider:
                raise self.fail(
                    ("narrow", name), f"{narrow} narrows a {wider} column; {name!r} is {self.types[name]}"
                )
        if self.spec.key is not None:
            self.live_column(("key",), self.spec.key, "key")
        for index, field in enumerate(self.spec.partition_by):
            self.live_column(("partition_by", index), field, "partition column")
        for index, step in enumerate(self.spec.steps):
            self.step(("steps", index), step)

    def step(self, loc: tuple[str | int, ...], step: Step) -> None:
        for fmt in step.formats:
            if fmt not in self.spec.formats:
                raise self.fail(
                    (*loc, "formats"), f"{fmt!r} is not one of the table's formats {list(self.spec.formats)}"
                )
        self.formats(loc, step)
        if isinstance(step, AppendStep | OverwriteStep):
            self.rows_taken += step.rows
            if self.rows_taken > self.dataset.rows:
                raise self.fail(
                    (*loc, "rows"),
                    f"the steps take {self.rows_taken} rows so far; dataset {self.dataset.name!r} "
                    f"has {self.dataset.rows}; take fewer",
                )
        elif isinstance(step, AddColumnStep):
            self.known((*loc, "column"), step.column)
            if step.column in self.live:
                raise self.fail(
                    (*loc, "column"), f"column {step.column!r} is already in the table; add another"
                )
            self.live[step.column] = self.types[step.column]
        elif isinstance(step, RenameColumnStep | DropColumnStep | WidenColumnStep):
            self.change_column(loc, step)
        elif isinstance(step, PartitionStep):
            for position, field in enumerate(step.partition_by):
                self.live_column((*loc, "partition_by", position), field, "partition column")
        elif isinstance(step, DeleteStep):
            if step.mode == "equality" and self.spec.key is None:
                raise self.fail(
                    (*loc, "mode"), "equality deletes need the table's key column; set key: (an id column)"
                )
            self.predicate((*loc, "where"), step.where)

    def predicate(self, loc: tuple[str | int, ...], where: str) -> None:
        """DuckDB binds ``where`` over an empty table of the live columns: a typo is found here,
        with its line, not half-way through writing the history."""
        columns = ", ".join(
            f"{sql_identifier(name)} {duckdb_type(parse_type(kind))}" for name, kind in self.live.items()
        )
        with duckdb.connect() as connection:
            connection.execute(f"CREATE TABLE live ({columns})")
            try:
                connection.execute(f"SELECT count(*) FROM live WHERE ({where})")  # noqa: S608
            except duckdb.Error as error:
                reason = " ".join(str(error).split("\n")[0].split())
                raise self.fail(
                    loc, f"DuckDB cannot run this predicate on the table's columns now: {reason}"
                ) from None

    def change_column(
        self, loc: tuple[str | int, ...], step: RenameColumnStep | DropColumnStep | WidenColumnStep
    ) -> None:
        self.live_column((*loc, "column"), step.column, "column")
        if step.column == self.spec.key and not isinstance(step, WidenColumnStep):
            raise self.fail((*loc, "column"), f"column {step.column!r} is the table's key; keep it")
        if isinstance(step, RenameColumnStep):
            self.live = {(step.to if name == step.column else name): kind for name, kind in self.live.items()}
        elif isinstance(step, DropColumnStep):
            del self.live[step.column]
        else:
            if self.live[step.column] != WIDENS[step.to]:
                raise self.fail(
                    (*loc, "to"),
                    f"column {step.column!r} is {self.live[step.column]}; {step.to} widens "
                    f"{WIDENS[step.to]} (narrow: {{{step.column}: {WIDENS[step.to]}}} makes one)",
                )
            self.live[step.column] = step.to

    def formats(self, loc: tuple[str | int, ...], step: Step) -> None:
        if "delta" not in step.formats or "delta" not in self.spec.formats:
            return
        reason = DELTA_CANNOT.get(step.step)
        if isinstance(step, DeleteStep) and step.mode in ("position", "equality"):
            reason = f"delta-rs 1.6.6 writes no {step.mode} delete files (its deletes rewrite files)"
        if reason:
            raise self.fail(
                (*loc, "step"),
                f"step {loc[-1]} ({step.step}) cannot run on delta: {reason}; "
                "add formats: [iceberg] to the step",
            )


def load_table_spec(path: str | Path, datasets_dir: str | Path) -> tuple[TableSpec, DatasetSpec]:
    """Read and validate the table history spec at ``path`` and the dataset spec it names
    (``<datasets_dir>/<dataset>.yaml``). Raises ConfigError with one line naming file, line, field."""
    document = load_document(path, TableSpec, "table spec", "name: ..., dataset: ..., steps: ...")
    dataset_path = Path(datasets_dir) / f"{document.model.dataset}.yaml"
    if not dataset_path.is_file():
        available = sorted(p.stem for p in Path(datasets_dir).glob("*.yaml"))
        raise document.error(
            ("dataset",), f"no dataset spec {dataset_path}; datasets: {', '.join(available) or 'none'}"
        )
    dataset = load_spec(dataset_path)
    if document.model.seed is not None:
        dataset = dataset.model_copy(update={"seed": document.model.seed})
    check_table(document, dataset)
    return document.model, dataset


def table_rows_needed(spec: TableSpec) -> int:
    """Rows the history takes from its dataset (every append and overwrite, in order)."""
    return sum(step.rows for step in spec.steps if isinstance(step, AppendStep | OverwriteStep))
