"""Dataset specs: the validated model of a ``data/datasets/*.yaml`` file.

A spec says what to generate (columns, rows, seed) and how to lay it out (files per format,
size skew, empty files, Parquet and CSV options). Every model forbids unknown fields so a typo
is an error, not a silently ignored setting. Checks that involve several fields raise
`FieldError` naming the offending field, so the loader can point at its line.
"""

import math
from typing import Literal, TypeVar, get_args

import pyarrow as pa
from pydantic import Field, ValidationError, field_validator, model_validator

from lakeproof.datagen.domain import to_scalar
from lakeproof.datagen.types import IDENTIFIER, is_nested, leaf_type, parse_type, type_name
from lakeproof.errors import ConfigError
from lakeproof.specfile import FieldError, SpecModel, first_problem, reject_duplicate_names

Format = Literal["parquet", "csv", "ndjson"]
FORMATS: tuple[Format, ...] = get_args(Format)

# Without an explicit edge_ratio, this share of a column's rows carries edge values.
DEFAULT_EDGE_RATIO = 0.01
# Distinct random strings per column unless `cardinality` or `choices` says otherwise.
DEFAULT_CARDINALITY = 1000
# Random lists hold 0..max_items elements.
DEFAULT_MAX_ITEMS = 4

# A literal a tester may write for min, max or choices. Any YAML value is accepted here and
# converted per column type by `to_scalar`, whose message names the type the value must have.
SpecValue = object

INT32_MAX = 2**31 - 1
MAX_NAME_LENGTH = 64
MAX_REPEAT = 2000
MAX_STRING_LENGTH = 16 * 1024 * 1024
MAX_COLUMNS = 2000

_Named = TypeVar("_Named", bound=str)


def _listed_once(values: tuple[_Named, ...], field: str, item: str) -> tuple[_Named, ...]:
    """``values`` if none repeats; else a ValueError naming the list (pydantic adds the field)."""
    if len(set(values)) != len(values):
        raise ValueError(f"{field} {list(values)} repeat a {item}; list each once")
    return values


ParquetCodec = Literal["none", "snappy", "gzip", "zstd", "lz4", "brotli"]
ParquetCodecs = ParquetCodec | tuple[ParquetCodec, ...]


class ParquetOptions(SpecModel):
    """How Parquet files are written."""

    # Row groups are the unit of Parquet splits, so tests choose their size.
    row_group_rows: int = Field(100_000, ge=1)
    # One codec, or several repeated over the files in order (as real lakes mix writers).
    compression: ParquetCodec | tuple[ParquetCodec, ...] = "snappy"

    @field_validator("compression")
    @classmethod
    def _some_codec(
        cls, value: ParquetCodec | tuple[ParquetCodec, ...]
    ) -> ParquetCodec | tuple[ParquetCodec, ...]:
        if isinstance(value, tuple) and not value:
            raise ValueError("compression lists no codec; give one, e.g. snappy, or a list of them")
        return value

    def codec(self, file_index: int) -> ParquetCodec:
        """The codec file ``file_index`` is written with."""
        codecs = self.compression if isinstance(self.compression, tuple) else (self.compression,)
        return codecs[file_index % len(codecs)]


EmptyCsv = Literal["header_only", "zero_bytes"]


QUOTES = ('"', "'", "`")
"""Quote characters a CSV file may be written with: none of them occurs in an unquoted value."""
ESCAPES = ('"', "'", "`", "\\")
"""Escape characters: the quote itself (RFC 4180 doubles it) or another one (``\\'``)."""


class CsvOptions(SpecModel):
    """How CSV files are written: RFC 4180 by default (``"`` quotes, doubled inside a value).

    ``delimiter`` separates fields (``,``, ``;``, a tab ``"\\t"``, ...). Every string value and
    header name is enclosed in ``quote``; inside it, ``escape`` goes before a quote (and before
    itself, when it is not the quote: ``'it\\'s'``); by default the quote itself, so quotes are
    doubled. ``empty_files`` says how each CSV file without rows is written, repeated over those
    files in order: its header line alone, or no byte at all (real lakes hold both).
    """

    header: bool = True
    delimiter: str = ","
    quote: str = '"'
    escape: str | None = None
    empty_files: tuple[EmptyCsv, ...] = Field(("header_only",), min_length=1)

    @field_validator("delimiter")
    @classmethod
    def _one_plain_character(cls, value: str) -> str:
        if len(value) != 1 or value in "\r\n" or value.isalnum() or value in QUOTES + ESCAPES:
            raise ValueError(
                f"delimiter {value!r} must be one character that is not a letter, digit, newline, "
                "quote or escape character, e.g. ',', ';', '|' or a tab (\"\\t\")"
            )
        return value

    @field_validator("quote")
    @classmethod
    def _known_quote(cls, value: str) -> str:
        if value not in QUOTES:
            raise ValueError(
                f"quote {value!r} is not a quote character; use one of {', '.join(map(repr, QUOTES))}"
            )
        return value

    @field_validator("escape")
    @classmethod
    def _known_escape(cls, value: str | None) -> str | None:
        if value is not None and value not in ESCAPES:
            raise ValueError(
                f"escape {value!r} is not an escape character; use one of {', '.join(map(repr, ESCAPES))}"
                " (or leave it out: the quote doubled)"
            )
        return value

    @property
    def escape_char(self) -> str:
        """The escape character in effect: ``escape``, or the quote itself."""
        return self.escape or self.quote

    @property
    def is_rfc4180(self) -> bool:
        """Whether values are quoted as RFC 4180 says (``"``, doubled), as pyarrow writes them."""
        return self.quote == '"' and self.escape_char == '"'

    @model_validator(mode="after")
    def _escape_fits_quote(self) -> "CsvOptions":
        if self.escape is not None and self.escape != self.quote and self.escape in QUOTES:
            raise FieldError(
                ("escape",),
                f"escape {self.escape!r} is another quote character than quote {self.quote!r}; "
                f"use {self.quote!r} (doubled quotes) or '\\\\'",
            )
        return self


LineEnding = Literal["lf", "crlf"]
FileEnding = Literal["newline", "none", "blank_line"]
CutKind = Literal[
    "record_start",
    "before_record_start",
    "after_record_start",
    "in_quoted_field",
    "in_multibyte_char",
    "in_long_record",
]
CUT_KINDS: tuple[CutKind, ...] = get_args(CutKind)

# Engines may refuse smaller split sizes; a cut plan for them would describe no real run.
MIN_SPLIT_SIZE = 1024


class CutPlan(SpecModel):
    """Where byte-range split cuts land in each text file, placed by construction.

    An engine cuts a text file at every multiple of ``split_size``; the writer lengthens the
    ``pad_column`` value of chosen records so that each cut lands at the next kind of ``kinds``
    (cycled over the cuts of the whole dataset).
    """

    split_size: int = Field(ge=MIN_SPLIT_SIZE)
    pad_column: str
    kinds: tuple[CutKind, ...] = Field(CUT_KINDS, min_length=1)

    @field_validator("kinds")
    @classmethod
    def _no_repeated_kinds(cls, value: tuple[CutKind, ...]) -> tuple[CutKind, ...]:
        return _listed_once(value, "kinds", "kind")


TextCompression = Literal["none", "gzip", "zstd"]


class TextOptions(SpecModel):
    """How CSV and NDJSON files end their lines and themselves, how they are compressed, and
    where split cuts land.

    ``line_endings``, ``file_endings``, ``compression`` and ``bom`` (a UTF-8 byte order mark at the
    start of the file, as Windows tools write one) repeat over the data files in order, as
    ``file_weights`` do, so two line endings and three file endings over six files give every
    combination once.
    """

    line_endings: tuple[LineEnding, ...] = Field(("lf",), min_length=1)
    file_endings: tuple[FileEnding, ...] = Field(("newline",), min_length=1)
    compression: tuple[TextCompression, ...] = Field(("none",), min_length=1)
    bom: tuple[bool, ...] = Field((False,), min_length=1)
    cuts: CutPlan | None = None

    def bom_of(self, file_index: int) -> bool:
        """Whether data file ``file_index`` starts with a UTF-8 byte order mark (EF BB BF)."""
        return self.bom[file_index % len(self.bom)]

    def compression_of(self, file_index: int) -> TextCompression:
        """How data file ``file_index`` is compressed (its key then ends in .gz or .zst)."""
        return self.compression[file_index % len(self.compression)]

    def line_ending(self, file_index: int) -> LineEnding:
        """The line ending of data file ``file_index``."""
        return self.line_endings[file_index % len(self.line_endings)]

    def file_ending(self, file_index: int) -> FileEnding:
        """How data file ``file_index`` ends."""
        return self.file_endings[file_index % len(self.file_endings)]


Narrowed = Literal["int", "float"]
NARROWER: dict[str, Narrowed] = {"bigint": "int", "double": "float"}
"""The narrower type a column of each type may be written as in a drifting file."""


class FileSchema(SpecModel):
    """How one data file's schema drifts from the spec's: which columns, in which order, narrower.

    ``columns`` lists the file's columns in their order (default: all, in spec order): a column
    left out is missing from the file, a different order is a reordered file. ``narrow`` writes a
    bigint column as int (32-bit) or a double column as float (32-bit) in this file, as an older
    writer did: readers widen them.
    """

    columns: tuple[str, ...] | None = Field(None, min_length=1)
    narrow: dict[str, Narrowed] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _no_repeated_columns(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _listed_once(value, "columns", "column")

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` with this file's columns, order and narrower types."""
        chosen = table.select(list(self.columns)) if self.columns is not None else table
        narrow_types = {"int": pa.int32(), "float": pa.float32()}
        for name, narrowed in self.narrow.items():
            position = chosen.schema.get_field_index(name)
            if position >= 0:
                chosen = chosen.set_column(position, name, chosen.column(name).cast(narrow_types[narrowed]))
        return chosen


class SizeSkew(SpecModel):
    """One data file gets `factor` times the rows of each other data file."""

    file: int = Field(ge=0)
    factor: float = Field(gt=0)


class ColumnSpec(SpecModel):
    """One column: its type, how values are drawn, and how many are NULL or edge values."""

    # Any text a header may hold: spaces, quotes, reserved words ("first name", 'say "hi"', select).
    name: str
    type: str
    generator: Literal["random", "sequence"] = "random"
    nulls: float = Field(0.0, ge=0.0, le=1.0)
    edge_values: bool = False
    edge_ratio: float | None = Field(None, gt=0.0, le=1.0)
    min: SpecValue | None = None
    max: SpecValue | None = None
    choices: tuple[SpecValue, ...] | None = Field(None, min_length=1)
    cardinality: int | None = Field(None, ge=1)
    max_items: int | None = Field(None, ge=0)
    # Long values: every string of the vocabulary is exactly this many characters (1 MiB: 1048576).
    length: int | None = Field(None, ge=1, le=MAX_STRING_LENGTH)
    # Wide tables: this column N times, as name_001 .. name_N (each its own values).
    repeat: int | None = Field(None, ge=2, le=MAX_REPEAT)

    def repeated(self) -> tuple["ColumnSpec", ...]:
        """This column, or its ``repeat`` copies named ``name_001``, ``name_002``, ..."""
        if self.repeat is None:
            return (self,)
        width = max(3, len(str(self.repeat)))
        return tuple(
            self.model_copy(update={"name": f"{self.name}_{index:0{width}d}", "repeat": None})
            for index in range(1, self.repeat + 1)
        )

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        if not value or len(value) > MAX_NAME_LENGTH or value != value.strip() or not value.isprintable():
            raise ValueError(
                f"column name {value!r} must be 1 to {MAX_NAME_LENGTH} printable characters without "
                "spaces at either end (inner spaces, quotes and SQL keywords are fine)"
            )
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        # Stored in canonical spelling so manifests and error messages read the same everywhere.
        return type_name(parse_type(value))

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type values are generated as."""
        return parse_type(self.type)

    @property
    def effective_edge_ratio(self) -> float:
        """Share of rows that carry edge values (0 when edge values are off)."""
        if not self.edge_values:
            return 0.0
        return DEFAULT_EDGE_RATIO if self.edge_ratio is None else self.edge_ratio

    @model_validator(mode="after")
    def _consistent(self) -> "ColumnSpec":
        self._check_applicable_options()
        self._check_sequence()
        if self.edge_ratio is not None and not self.edge_values:
            raise FieldError(
                ("edge_ratio",), "edge_ratio needs edge_values: true; add it or remove edge_ratio"
            )
        self._check_values()
        return self

    def _check_applicable_options(self) -> None:
        dtype, leaf = self.arrow_type, leaf_type(self.arrow_type)
        ordered = not (is_nested(leaf) or pa.types.is_string(leaf) or pa.types.is_boolean(leaf))
        applies = {
            "min": ordered,
            "max": ordered,
            "choices": not is_nested(leaf),
            "cardinality": pa.types.is_string(leaf),
            "length": pa.types.is_string(dtype),
            "max_items": pa.types.is_list(dtype),
        }
        for option, allowed in applies.items():
            if getattr(self, option) is not None and not allowed:
                raise FieldError((option,), f"{option} does not apply to a {self.type} column; remove it")
        if self.length is not None:
            digits = len(str((self.cardinality or DEFAULT_CARDINALITY) - 1))
            if self.length < digits:
                raise FieldError(
                    ("length",),
                    f"length {self.length} cannot hold {self.cardinality or DEFAULT_CARDINALITY} distinct "
                    f"values (their numbers take {digits} characters); raise length or lower cardinality",
                )
        if self.choices is not None:
            for option in ("min", "max", "cardinality", "length"):
                if getattr(self, option) is not None:
                    raise FieldError((option,), f"{option} and choices exclude each other; keep one")

    def _check_sequence(self) -> None:
        if self.generator != "sequence":
            return
        if self.type not in {"int", "bigint"}:
            raise FieldError(
                ("generator",), f"sequence makes int or bigint ids, not {self.type}; change the type"
            )
        extras = [o for o in ("min", "max", "choices", "edge_ratio") if getattr(self, o) is not None]
        if self.nulls or self.edge_values or extras:
            raise FieldError(
                ("generator",),
                "a sequence column holds the unique ids 0..rows-1; "
                "remove nulls, edge_values and value options from it",
            )

    def _check_values(self) -> None:
        leaf = leaf_type(self.arrow_type)
        bounds = {}
        for option in ("min", "max"):
            value = getattr(self, option)
            if value is not None:
                bounds[option] = self._scalar((option,), value, leaf)
        if len(bounds) == 2 and bounds["min"].as_py() > bounds["max"].as_py():
            raise FieldError(("min",), f"min {self.min!r} is greater than max {self.max!r}; swap them")
        for index, choice in enumerate(self.choices or ()):
            self._scalar(("choices", index), choice, leaf)

    @staticmethod
    def _scalar(loc: tuple[str | int, ...], value: object, dtype: pa.DataType) -> pa.Scalar:
        try:
            return to_scalar(value, dtype)
        except ValueError as error:
            raise FieldError(loc, str(error)) from None


class DatasetSpec(SpecModel):
    """A whole dataset: what to generate and how to lay it out in files of each format."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    seed: int = Field(ge=0)
    rows: int = Field(ge=0)
    files: int = Field(1, ge=1)
    formats: tuple[Format, ...] = Field(FORMATS, min_length=1)
    parquet: ParquetOptions = ParquetOptions()
    csv: CsvOptions = CsvOptions()
    size_skew: SizeSkew | None = None
    file_weights: tuple[float, ...] | None = Field(None, min_length=1)
    empty_files: int = Field(0, ge=0)
    text: TextOptions = TextOptions()
    drift: tuple[FileSchema, ...] | None = Field(None, min_length=1)
    partitions: tuple[dict[str, str | int], ...] | None = Field(None, min_length=1)
    columns: tuple[ColumnSpec, ...] = Field(min_length=1)

    def partition_folders(self, file_index: int) -> str:
        """The Hive-style folders of file ``file_index``'s key (``year=2024/month=01/``), or ''.

        ``partitions`` repeat over the files in order, as ``file_weights`` do.
        """
        if not self.partitions:
            return ""
        values = self.partitions[file_index % len(self.partitions)]
        return "".join(f"{key}={value}/" for key, value in values.items())

    def file_schema(self, file_index: int) -> FileSchema:
        """How file ``file_index`` drifts (``drift`` repeats over the files, as ``file_weights`` do)."""
        return self.drift[file_index % len(self.drift)] if self.drift else FileSchema()

    @field_validator("columns")
    @classmethod
    def _expand_repeats(cls, value: tuple[ColumnSpec, ...]) -> tuple[ColumnSpec, ...]:
        for column in value:
            if column.repeat is not None and column.generator == "sequence":
                raise ValueError(
                    f"column {column.name!r} repeats a sequence: the copies would hold the same ids; "
                    "remove repeat or the sequence generator"
                )
        expanded = tuple(copy for column in value for copy in column.repeated())
        if len(expanded) > MAX_COLUMNS:
            raise ValueError(f"{len(expanded)} columns after repeat; at most {MAX_COLUMNS}")
        return expanded

    @field_validator("file_weights")
    @classmethod
    def _positive_weights(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        # A weight of 0 is an empty data file in that place: empty files among typed ones.
        if value is not None and not (
            all(math.isfinite(weight) and weight >= 0 for weight in value) and any(value)
        ):
            raise ValueError(
                f"file_weights {list(value)} must be numbers >= 0 with at least one positive, e.g. [1, 0, 5]"
            )
        return value

    @field_validator("formats")
    @classmethod
    def _no_repeats(cls, value: tuple[Format, ...]) -> tuple[Format, ...]:
        return _listed_once(value, "formats", "format")

    @model_validator(mode="after")
    def _consistent(self) -> "DatasetSpec":
        self._check_column_names()
        if self.size_skew is not None and self.size_skew.file >= self.files:
            raise FieldError(
                ("size_skew", "file"),
                f"file {self.size_skew.file} does not exist with files: {self.files}; "
                f"use 0..{self.files - 1}",
            )
        self._check_csv_columns()
        self._check_text()
        self._check_drift()
        self._check_partitions()
        for index, column in enumerate(self.columns):
            if column.generator == "sequence" and column.type == "int" and self.rows - 1 > INT32_MAX:
                raise FieldError(
                    ("columns", index, "type"),
                    f"ids up to {self.rows - 1} do not fit in int; use bigint",
                )
        return self

    def _check_column_names(self) -> None:
        reject_duplicate_names([column.name for column in self.columns], "columns", "column")
        seen: dict[str, int] = {}
        for index, column in enumerate(self.columns):
            other = seen.setdefault(column.name.lower(), index)
            if other != index:
                raise FieldError(
                    ("columns", index, "name"),
                    f"column name {column.name!r} differs from {self.columns[other].name!r} "
                    f"(columns[{other}]) only in case, and SQL names ignore case; rename one",
                )

    def _check_csv_columns(self) -> None:
        if "csv" not in self.formats:
            return
        nested = [i for i, column in enumerate(self.columns) if is_nested(column.arrow_type)]
        if nested and self.formats == ("csv",):
            raise FieldError(
                ("columns", nested[0], "type"),
                f"{self.columns[nested[0]].type} cannot be written to CSV and csv is the only format; "
                "add parquet or ndjson to formats, or remove the column",
            )
        if len(nested) == len(self.columns):
            raise FieldError(
                ("formats",),
                "CSV omits list and struct columns and every column is nested; "
                "add a scalar column or remove csv from formats",
            )

    def _check_text(self) -> None:
        if self.text != TextOptions() and not {"csv", "ndjson"} & set(self.formats):
            raise FieldError(
                ("text",), "text options shape CSV and NDJSON files; add csv or ndjson to formats"
            )
        cuts = self.text.cuts
        if cuts is not None and any(self.text.bom):
            raise FieldError(
                ("text", "bom"),
                "cuts are planned on files without a byte order mark; remove bom or cuts",
            )
        if cuts is not None and not self.csv.is_rfc4180 and "csv" in self.formats:
            raise FieldError(
                ("text", "cuts"),
                f"cuts are planned for CSV quoted with '\"' (doubled), not quote {self.csv.quote!r} / "
                f"escape {self.csv.escape_char!r}; remove cuts or the csv quote and escape",
            )
        if cuts is not None and self.text.compression != ("none",):
            raise FieldError(
                ("text", "compression"),
                "a compressed file is read whole, so cuts in it mean nothing; remove cuts or compression",
            )
        if cuts is None:
            return
        pads = {column.name: column for column in self.columns}
        pad = pads.get(cuts.pad_column)
        if pad is None or pad.type != "string":
            strings = ", ".join(name for name, column in pads.items() if column.type == "string") or "none"
            raise FieldError(
                ("text", "cuts", "pad_column"),
                f"pad_column {cuts.pad_column!r} must name a string column (string columns: {strings})",
            )
        if pad.nulls:
            raise FieldError(
                ("text", "cuts", "pad_column"),
                f"pad_column {cuts.pad_column!r} must hold no NULLs: a NULL made a string grows by more"
                " bytes than the characters added; remove nulls from it or pad another column",
            )

    def _check_drift(self) -> None:
        types = {column.name: column.type for column in self.columns}
        for index, file in enumerate(self.drift or ()):
            for position, name in enumerate(file.columns or ()):
                if name not in types:
                    raise FieldError(
                        ("drift", index, "columns", position),
                        f"unknown column {name!r}; the columns are {', '.join(types)}",
                    )
            for name, narrowed in file.narrow.items():
                if NARROWER.get(types.get(name, "")) != narrowed:
                    allowed = ", ".join(
                        f"{column}: {NARROWER[kind]}" for column, kind in types.items() if kind in NARROWER
                    )
                    raise FieldError(
                        ("drift", index, "narrow", name),
                        f"{name} cannot be written as {narrowed}; a bigint column narrows to int and a "
                        f"double to float ({allowed or 'no such column here'})",
                    )

    def _check_partitions(self) -> None:
        for index, values in enumerate(self.partitions or ()):
            keys = list(values)
            first = list((self.partitions or ({},))[0])
            if keys != first:
                raise FieldError(
                    ("partitions", index),
                    f"partition keys {keys} differ from the first entry's {first}; "
                    "give every file the same keys",
                )
            for key, value in values.items():
                if not IDENTIFIER.match(key) or key in {column.name for column in self.columns}:
                    raise FieldError(
                        ("partitions", index, key),
                        f"partition key {key!r} must be an identifier that is not a column "
                        "(the key holds its value)",
                    )
                if "/" in str(value) or not str(value):
                    raise FieldError(
                        ("partitions", index, key), f"partition value {value!r} must be text without '/'"
                    )

    def with_changes(self, *, rows: int | None = None, seed: int | None = None) -> "DatasetSpec":
        """A copy with another row count or seed (e.g. the 1M-row benchmark), re-validated.

        Raises ConfigError when the changed spec is invalid.
        """
        changes = {key: value for key, value in (("rows", rows), ("seed", seed)) if value is not None}
        try:
            return DatasetSpec.model_validate(self.model_dump() | changes)
        except ValidationError as error:
            raise ConfigError(f"dataset {self.name!r}: {first_problem(error, DatasetSpec)}") from None
