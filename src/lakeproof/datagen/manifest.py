"""The manifest of a written dataset: every object with its size, rows and checksum.

Tests assert against the manifest (row counts, which objects exist) and read the objects back
through it (`glob`, `duckdb_scan`), so how each format was written is recorded here once.
"""

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from lakeproof.datagen.encode import EXTENSIONS
from lakeproof.datagen.spec import CsvOptions, CutKind, FileEnding, Format, LineEnding
from lakeproof.datagen.sql import sql_string

ScanColumns = Literal["declared", "sniffed"]
"""How a scan of a dataset knows its columns: declared with their types, or sniffed from the files."""
SCAN_FUNCTIONS: dict[Format, str] = {"parquet": "read_parquet", "csv": "read_csv", "ndjson": "read_json"}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnInfo(_Record):
    """A column as one format carries it."""

    name: str
    type: str  # spec spelling: decimal(12,2), list<string>
    duckdb_type: str  # DECIMAL(12,2), VARCHAR[]: for readers that need explicit column types


class Cut(_Record):
    """A split cut placed by construction: the engine's byte range starting at ``offset``."""

    offset: int
    kind: CutKind


class TextLayout(_Record):
    """How a CSV or NDJSON object's lines and end were written, and where its planned cuts fall."""

    line_ending: LineEnding
    file_ending: FileEnding
    bom: bool = False  # starts with a UTF-8 byte order mark
    split_size: int | None = None  # the split size the cuts are planned for (None: no cut plan)
    cuts: tuple[Cut, ...] = ()


class ObjectInfo(_Record):
    """One written object (file)."""

    key: str  # relative to the sink: {dataset}/{format}/part-0000.{ext}
    uri: str  # where it lives: s3://bucket/prefix/{key} or an absolute local path
    format: Format
    size: int
    rows: int
    sha256: str
    text: TextLayout | None = None  # CSV and NDJSON objects of a spec with text options


class Manifest(_Record):
    """What `write_dataset` (or `write_tpch`, per table) wrote."""

    dataset: str
    seed: int | None  # None for data not generated from a seed (TPC-H's dbgen)
    base_uri: str
    total_rows: int  # rows per format: every format carries all of them
    csv: CsvOptions
    columns: dict[Format, tuple[ColumnInfo, ...]]
    conventions: dict[Format, str]
    objects: tuple[ObjectInfo, ...]

    @property
    def formats(self) -> tuple[Format, ...]:
        """The formats written, in spec order."""
        return tuple(self.columns)

    def objects_of(self, fmt: Format) -> tuple[ObjectInfo, ...]:
        """The objects of one format, in file order."""
        return tuple(obj for obj in self.objects if obj.format == fmt)

    def with_objects(self, added: Sequence[ObjectInfo] = (), removed: Sequence[str] = ()) -> "Manifest":
        """This manifest after objects were written (new keys, or new versions of known keys) or
        deleted (``removed`` keys); total rows follow the first format, as every change touches
        each format alike."""
        replaced = {obj.key for obj in added} | set(removed)
        kept = [obj for obj in self.objects if obj.key not in replaced]
        objects = sorted([*kept, *added], key=lambda obj: (self.formats.index(obj.format), obj.key))
        first = self.formats[0]
        total = sum(obj.rows for obj in objects if obj.format == first)
        return self.model_copy(update={"objects": tuple(objects), "total_rows": total})

    def glob(self, fmt: Format) -> str:
        """A glob matching exactly the objects of `fmt`, e.g. ``s3://lake/run1/sales/parquet/*.parquet``."""
        # Compressed files end in .gz or .zst after the format's extension; partitioned ones lie in
        # one folder per partition key.
        objects = self.objects_of(fmt)
        compressed = any(not obj.key.endswith(f".{EXTENSIONS[fmt]}") for obj in objects)
        depth = max((obj.key.count("/") - 2 for obj in objects), default=0)
        folders = "*/" * depth
        return f"{self.base_uri}/{self.dataset}/{fmt}/{folders}*.{EXTENSIONS[fmt]}{'*' if compressed else ''}"

    def duckdb_scan(
        self, fmt: Format, source: str | None = None, columns: ScanColumns = "declared", options: str = ""
    ) -> str:
        """A DuckDB table function call that reads `fmt` back exactly as it was written.

        `source` defaults to `glob(fmt)`. With `columns` ``declared``, CSV and NDJSON get explicit
        column types, so far dates, decimals and NaN strings are not left to type sniffing; with
        ``sniffed`` the call names the files only, and the reader sniffs dialect and types (as a
        user reading a lake would), so the files' own shape decides. `options` (DuckDB SQL, such
        as ``union_by_name = true``) end the call.
        """
        path = sql_string(source or self.glob(fmt))
        extra = f", {options}" if options else ""
        if fmt == "parquet" or columns == "sniffed":
            return f"{SCAN_FUNCTIONS[fmt]}({path}{extra})"
        declared = (
            "{"
            + ", ".join(f"{sql_string(c.name)}: {sql_string(c.duckdb_type)}" for c in self.columns[fmt])
            + "}"
        )
        if fmt == "ndjson":
            return f"read_json({path}, format='newline_delimited', columns={declared}{extra})"
        # Every dialect option is known, so nothing is sniffed: DuckDB 1.5.5's sniffer, run on the
        # first file of a glob, silently drops every row of a later file whose line ending differs.
        return (
            f"read_csv({path}, header={str(self.csv.header).lower()}, delim={sql_string(self.csv.delimiter)},"
            f" quote={sql_string(self.csv.quote)}, escape={sql_string(self.csv.escape_char)}, nullstr='',"
            " allow_quoted_nulls=false, auto_detect=false,"
            f" columns={declared}{extra})"
        )

    def to_json(self) -> str:
        """The manifest as indented JSON (`from_json` reads it back)."""
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        """A manifest from `to_json` output."""
        return cls.model_validate_json(text)
