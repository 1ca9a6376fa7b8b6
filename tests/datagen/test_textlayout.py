"""Text edge files: line and file endings as the spec says, and every split cut where its plan puts it.

The checks read the written bytes with their own small parsers (record starts of RFC 4180 CSV by
quote state, of NDJSON by line breaks), not with the layout code, and DuckDB reads every file
back with the rows the manifest promises.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lakeproof.datagen import LocalSink, Manifest, load_spec, write_dataset
from lakeproof.datagen.manifest import Cut, ObjectInfo
from lakeproof.datagen.spec import CUT_KINDS
from lakeproof.errors import ConfigError

from .helpers import DATASETS

EOL = {"lf": b"\n", "crlf": b"\r\n"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return write_dataset(load_spec(DATASETS / "text_edges.yaml"), LocalSink(tmp_path_factory.mktemp("text")))


def objects(manifest: Manifest) -> list[ObjectInfo]:
    return [obj for obj in manifest.objects if obj.rows]


def record_starts(body: bytes, fmt: str, header: bool) -> list[int]:
    """Offsets of each record's first byte: after a line break outside quotes (CSV) or any (NDJSON)."""
    starts, quoted = [0], False
    for offset, byte in enumerate(body):
        if fmt == "csv" and byte == ord('"'):
            quoted = not quoted  # a doubled quote toggles twice
        elif byte == ord("\n") and not quoted and offset + 1 < len(body):
            starts.append(offset + 1)
    starts = starts[1:] if header and fmt == "csv" else starts
    return [start for start in starts if body[start : start + 1] not in (b"\r", b"\n")]


def in_string(body: bytes, offset: int, fmt: str, record: int) -> bool:
    """Whether byte ``offset`` lies inside a quoted value of the record starting at ``record``."""
    quoted, escaped = False, False
    for byte in body[record:offset]:
        if fmt == "csv" and byte == ord('"'):
            quoted = not quoted
        elif fmt == "ndjson":
            if escaped:
                escaped = False
            elif byte == ord("\\"):
                escaped = True
            elif byte == ord('"'):
                quoted = not quoted
    return quoted or escaped


def test_every_file_is_read_back_with_its_rows(manifest: Manifest) -> None:
    with duckdb.connect() as con:
        for obj in manifest.objects:
            scan = manifest.duckdb_scan(obj.format, obj.uri)
            assert con.sql(f"SELECT count(*) FROM {scan}").fetchone() == (obj.rows,), obj.key
        for fmt in manifest.formats:
            scan = manifest.duckdb_scan(fmt)
            assert con.sql(f"SELECT count(*), count(DISTINCT id) FROM {scan}").fetchone() == (300, 300), fmt


def test_line_and_file_endings_follow_the_spec(manifest: Manifest) -> None:
    combinations = set()
    for obj in objects(manifest):
        assert obj.text is not None
        body = Path(obj.uri).read_bytes()
        eol = EOL[obj.text.line_ending]
        if obj.text.file_ending == "none":
            assert not body.endswith(b"\n")
        elif obj.text.file_ending == "blank_line":
            assert body.endswith(eol + eol)
        else:
            assert body.endswith(eol)
            assert not body.endswith(eol + eol)
        combinations.add((obj.format, obj.text.line_ending, obj.text.file_ending))
    assert len(combinations) == 12  # 2 formats x 2 line endings x 3 file endings


def test_crlf_files_end_every_record_with_crlf(manifest: Manifest) -> None:
    for obj in objects(manifest):
        assert obj.text is not None
        body = Path(obj.uri).read_bytes()
        starts = record_starts(body, obj.format, manifest.csv.header)
        for start in starts[1:]:
            ending = body[start - 2 : start]
            assert (ending == b"\r\n") == (obj.text.line_ending == "crlf"), (obj.key, start)


def test_every_cut_of_the_split_size_is_planned(manifest: Manifest) -> None:
    for obj in objects(manifest):
        assert obj.text is not None
        assert obj.text.split_size == 1024
        planned = [cut.offset for cut in obj.text.cuts]
        assert planned == list(range(1024, obj.size, 1024)), obj.key


def test_every_kind_of_cut_appears_in_every_format_with_each_line_ending(manifest: Manifest) -> None:
    seen = {
        (obj.format, obj.text.line_ending, cut.kind)
        for obj in objects(manifest)
        if obj.text is not None
        for cut in obj.text.cuts
    }
    assert seen == {(fmt, eol, kind) for fmt in ("csv", "ndjson") for eol in EOL for kind in CUT_KINDS}


def check_cut(body: bytes, cut: Cut, fmt: str, starts: list[int], split_size: int) -> None:
    offset = cut.offset
    record = max(start for start in starts if start <= offset) if starts[0] <= offset else 0
    if cut.kind == "record_start":
        assert offset in starts
        assert body[offset - 1 : offset] == b"\n"
    elif cut.kind == "before_record_start":
        assert offset + 1 in starts
        assert body[offset : offset + 1] == b"\n"
    elif cut.kind == "after_record_start":
        assert offset - 1 in starts
        assert body[offset - 1 : offset] not in (b"\n", b"\r")
    elif cut.kind == "in_quoted_field":
        escape = b'"' if fmt == "csv" else b"\\"
        # Inside the value up to the escape; the cut then splits the escape from its quote.
        assert in_string(body, offset - 1, fmt, record)
        assert body[offset - 1 : offset + 1] == escape + b'"'
        if fmt == "csv":  # the same value holds a raw line break before the cut
            assert b"\n" in body[record:offset].rsplit(b',"', 1)[-1]
    elif cut.kind == "in_multibyte_char":
        assert body[offset - 2] >> 3 == 0b11110  # the lead byte of a four-byte character
        assert body[offset] >> 6 == 0b10  # the cut is on a continuation byte
    else:
        following = min((start for start in starts if start > offset), default=len(body))
        assert following - record > split_size
        assert record < offset - 1
        assert following > offset + 1


def test_each_cut_lands_where_its_kind_says(manifest: Manifest) -> None:
    for obj in objects(manifest):
        assert obj.text is not None
        assert obj.text.split_size is not None
        body = Path(obj.uri).read_bytes()
        starts = record_starts(body, obj.format, manifest.csv.header)
        for cut in obj.text.cuts:
            try:
                check_cut(body, cut, obj.format, starts, obj.text.split_size)
            except AssertionError:
                around = body[cut.offset - 20 : cut.offset + 20]
                pytest.fail(f"{obj.key}: the cut at {cut.offset} is not {cut.kind}: {around!r}")


def test_the_same_spec_writes_the_same_bytes(manifest: Manifest, tmp_path: Path) -> None:
    again = write_dataset(load_spec(DATASETS / "text_edges.yaml"), LocalSink(tmp_path))
    assert [obj.sha256 for obj in again.objects] == [obj.sha256 for obj in manifest.objects]
    assert [obj.text for obj in again.objects] == [obj.text for obj in manifest.objects]


def test_records_too_long_for_the_split_size_are_refused(tmp_path: Path) -> None:
    text = (
        "name: long\nseed: 1\nrows: 4\nformats: [ndjson]\n"
        "text: {cuts: {split_size: 1024, pad_column: note}}\n"
        f"columns:\n  - {{name: note, type: string, choices: [{'y' * 1500}]}}\n"
    )
    path = tmp_path / "long.yaml"
    path.write_text(text)
    with pytest.raises(
        ConfigError, match=r"^cannot place a cut at byte 1024: records are too long for split_size"
    ):
        write_dataset(load_spec(path), LocalSink(tmp_path / "out"))


@pytest.mark.parametrize(("rows", "seed"), [(120, 1), (420, 2), (480, 3), (540, 4)])
def test_cuts_land_right_for_other_row_counts_and_seeds(rows: int, seed: int, tmp_path: Path) -> None:
    spec = load_spec(DATASETS / "text_edges.yaml").with_changes(rows=rows, seed=seed)
    manifest = write_dataset(spec, LocalSink(tmp_path))
    for obj in objects(manifest):
        assert obj.text is not None
        assert obj.text.split_size is not None
        body = Path(obj.uri).read_bytes()
        starts = record_starts(body, obj.format, manifest.csv.header)
        assert [cut.offset for cut in obj.text.cuts] == list(range(1024, obj.size, 1024)), obj.key
        for cut in obj.text.cuts:
            check_cut(body, cut, obj.format, starts, obj.text.split_size)
