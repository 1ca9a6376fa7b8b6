"""Text files shaped on purpose: line endings, how a file ends, and split cuts placed by construction.

An engine cuts a CSV (with ``split_csv``) or NDJSON file into byte ranges at every multiple of
its ``target_split_size`` and then aligns each range to whole records. Whether that alignment is
right shows only where a cut lands on a hard spot, so the writer puts one there on purpose: for
each multiple of the plan's ``split_size`` it lengthens the pad column's value of a record
before the cut (appending ``x``, which every encoding writes as one byte) until the cut lands

``record_start``
    on a record's first byte (the byte before it is the previous record's newline);
``before_record_start``
    one byte before a record's first byte: on the newline itself (between CR and LF with CRLF);
``after_record_start``
    on a record's second byte;
``in_quoted_field``
    inside a quoted string, between the escape and the quote of an escaped quote (CSV ``""``,
    JSON ``\\"``), after a delimiter and an embedded line break in the same value (CSV keeps the
    line break as is, JSON writes ``\\n``);
``in_multibyte_char``
    on the third byte of a four-byte UTF-8 character;
``in_long_record``
    inside a record longer than a split, so the next cut lands in it too (both cuts are
    recorded with this kind, and the split between them holds no record start).

Kinds repeat in order over the cuts of the whole dataset (file after file). A record that holds
a cut's anchor gets a fixed pad value; the values of other columns are left alone. Records
before a placed cut never change again, so every cut stays where it was put; each placement is
checked against the final bytes. A file starts as ``encode`` writes it, taken apart into its
header and records; a record whose pad value changes is encoded again on its own, which gives
the bytes it would have in the whole file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from lakeproof.datagen.encode import csv_records, encode
from lakeproof.datagen.manifest import Cut, TextLayout
from lakeproof.datagen.spec import CsvOptions, CutKind, CutPlan, FileEnding, Format, LineEnding, TextOptions
from lakeproof.errors import ConfigError

TEXT_FORMATS: tuple[Format, ...] = ("csv", "ndjson")

LINE_ENDINGS: dict[LineEnding, bytes] = {"lf": b"\n", "crlf": b"\r\n"}

# Pad values of the records that hold an anchor, and where in their encoding the cut goes: the
# anchor's bytes per format, and the cut's distance from the anchor's first byte.
QUOTED_VALUE = 'said "a,b"\nthen "cut" here'
MULTIBYTE_VALUE = "\u00e9\u20ac\U0001f600 ok"
_ANCHORS: dict[CutKind, tuple[str, dict[str, bytes], int]] = {
    "in_quoted_field": (QUOTED_VALUE, {"csv": b'""cut', "ndjson": b'\\"cut'}, 1),
    "in_multibyte_char": (MULTIBYTE_VALUE, dict.fromkeys(("csv", "ndjson"), "\U0001f600".encode()), 2),
}
# Where a record starts relative to the cut, for the kinds that sit on a record boundary.
_START_SHIFT: dict[CutKind, int] = {"record_start": 0, "before_record_start": 1, "after_record_start": -1}
_LONG_EXTRA_DIVISOR = 4  # a long record reaches a quarter split past the next cut


@dataclass
class _Rows:
    """One file's header and rows as bytes, each row re-encodable with another pad value."""

    table: pa.Table
    fmt: Format
    csv: CsvOptions
    eol: bytes
    pad: str
    plain: bytes  # the file as `encode` writes it
    header: bytes = b""
    rows: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        records = [self._line_end(record) for record in _records(self.plain, self.fmt, self.csv)]
        if self.fmt == "csv" and self.csv.header:
            self.header, records = records[0], records[1:]
        self.rows = records

    def _line_end(self, line: bytes) -> bytes:
        # The encoders end every record with one LF; values keep their own line breaks.
        return line[:-1] + self.eol

    def pad_value(self, index: int) -> str:
        """The pad column's current value in row ``index`` (never NULL: the spec refuses that)."""
        value: str = self.table.column(self.pad)[index].as_py()
        return value

    def set_pad(self, index: int, value: str) -> None:
        """Give row ``index`` another pad value and re-encode it."""
        position = self.table.schema.get_field_index(self.pad)
        column = self.table.column(self.pad).to_pylist()
        column[index] = value
        self.table = self.table.set_column(position, self.pad, pa.array(column, pa.string()))
        rows_only = self.csv.model_copy(update={"header": False})
        self.rows[index] = self._line_end(encode(self.table.slice(index, 1), self.fmt, csv=rows_only))

    def starts(self) -> list[int]:
        """The offset of every row's first byte, and the end of the last row."""
        return list(itertools.accumulate((len(row) for row in self.rows), initial=len(self.header)))

    def body(self, ending: FileEnding) -> bytes:
        """The file's bytes, ending as ``ending`` says."""
        body = self.header + b"".join(self.rows)
        if not self.rows or ending == "newline":
            return body
        if ending == "none":
            return body[: -len(self.eol)]
        return body + self.eol


def _records(body: bytes, fmt: Format, csv: CsvOptions) -> list[bytes]:
    """Each record of an encoded file, with its LF: the same bytes as encoding its row alone.

    An NDJSON record is one line. A CSV line break inside quotes is data: a record goes on
    while a value it has opened is not closed (the file's quote and escape characters say).
    """
    if fmt != "csv":
        return [line + b"\n" for line in body.split(b"\n")[:-1]]  # every record ends with LF
    return csv_records(body, csv.quote, csv.escape_char)


def lay_out_text(
    table: pa.Table,
    plain: bytes,
    fmt: Format,
    csv: CsvOptions,
    text: TextOptions,
    file_index: int,
    kinds: Iterator[CutKind],
) -> tuple[bytes, TextLayout]:
    """The bytes of data file ``file_index`` (``table``, encoded ``plain``) in ``fmt`` shaped by
    ``text``, and what was done.

    ``kinds`` yields the kind of each next cut; it is shared by the files of one dataset, so
    kinds keep cycling from one file to the next.
    """
    pad = text.cuts.pad_column if text.cuts else ""
    rows = _Rows(table, fmt, csv, LINE_ENDINGS[text.line_ending(file_index)], pad, plain)
    ending = text.file_ending(file_index)
    cuts: list[Cut] = []
    if text.cuts is not None and table.num_rows:
        cuts = _place_cuts(rows, ending, text.cuts, kinds)
    layout = TextLayout(
        line_ending=text.line_ending(file_index),
        file_ending=ending,
        split_size=text.cuts.split_size if text.cuts else None,
        cuts=tuple(cuts),
    )
    return rows.body(ending), layout


def _place_cuts(rows: _Rows, ending: FileEnding, plan: CutPlan, kinds: Iterator[CutKind]) -> list[Cut]:
    cuts: list[Cut] = []
    frozen = 0  # rows before this one hold placed cuts and never change again
    offset = plan.split_size
    while offset < len(rows.body(ending)):
        kind = next(kinds)
        if kind in _START_SHIFT:
            host = _place_at_record_start(rows, offset, offset + _START_SHIFT[kind], frozen, plan)
        elif kind in _ANCHORS:
            host = _place_in_anchor(rows, offset, kind, frozen, plan)
        else:
            host = _place_in_long_record(rows, offset, frozen, plan)
        placed = [offset, offset + plan.split_size] if kind == "in_long_record" else [offset]
        cuts.extend(Cut(offset=at, kind=kind) for at in placed)
        offset = placed[-1] + plan.split_size
        frozen = host + 1
    _check_cuts(rows, cuts)
    return cuts


def _too_small(plan: CutPlan, offset: int) -> ConfigError:
    return ConfigError(
        f"cannot place a cut at byte {offset}: records are too long for split_size {plan.split_size}; "
        "raise text.cuts.split_size or shorten the records"
    )


def _lengthen(rows: _Rows, index: int, extra: int) -> None:
    if extra:
        rows.set_pad(index, rows.pad_value(index) + "x" * extra)


def _place_at_record_start(rows: _Rows, offset: int, start: int, frozen: int, plan: CutPlan) -> int:
    """Make a record start at byte ``start``; returns the row that holds byte ``offset``."""
    starts = rows.starts()[:-1]
    movable = [index for index in range(frozen + 1, len(starts)) if starts[index] <= start]
    if not movable:
        raise _too_small(plan, offset)
    record = movable[-1]
    _lengthen(rows, record - 1, start - starts[record])
    return record if offset >= start else record - 1


def _place_in_anchor(rows: _Rows, offset: int, kind: CutKind, frozen: int, plan: CutPlan) -> int:
    """Give a record the kind's anchor value and move it so that the cut lands in the anchor."""
    value, anchors, into = _ANCHORS[kind]
    starts = rows.starts()
    for record in range(len(rows.rows) - 1, frozen, -1):
        if starts[record] > offset:
            continue
        saved = rows.pad_value(record)
        rows.set_pad(record, value)
        at = rows.rows[record].find(anchors[rows.fmt])
        if at >= 0 and starts[record] + at + into <= offset:
            _lengthen(rows, record - 1, offset - starts[record] - at - into)
            return record
        rows.set_pad(record, saved)
    raise _too_small(plan, offset)


def _place_in_long_record(rows: _Rows, offset: int, frozen: int, plan: CutPlan) -> int:
    """Lengthen the record holding byte ``offset`` past the next cut; returns that record."""
    starts = rows.starts()
    last = len(rows.rows) - 1
    record = next((index for index in range(last) if starts[index + 1] > offset), last)
    if starts[record] == offset:
        record -= 1  # a record starting on the cut would put a record start there
    if record < frozen:
        raise _too_small(plan, offset)
    reach = offset + plan.split_size + plan.split_size // _LONG_EXTRA_DIVISOR
    _lengthen(rows, record, max(0, reach - starts[record + 1]))
    return record


def _check_cuts(rows: _Rows, cuts: list[Cut]) -> None:
    """Every placed cut is where its kind says, in the final bytes (a slip here would be silent)."""
    starts = set(rows.starts()[:-1])
    body = rows.header + b"".join(rows.rows)
    for cut in cuts:
        if cut.kind in _START_SHIFT:
            right = cut.offset + _START_SHIFT[cut.kind] in starts
        elif cut.kind in _ANCHORS:
            _, anchors, into = _ANCHORS[cut.kind]
            right = body[cut.offset - into :].startswith(anchors[rows.fmt])
        else:
            right = not any(cut.offset - 1 <= start <= cut.offset + 1 for start in starts)
        if not right:
            raise AssertionError(f"the cut at byte {cut.offset} is not {cut.kind}: the text layout is wrong")
