"""Spec loading: the shipped specs are valid, and every mistake is one line naming file:line and field."""

from collections.abc import Callable
from pathlib import Path

import pytest

from lakeproof.datagen import generate_table, load_spec
from lakeproof.errors import ConfigError

from .helpers import DATASETS, SMALL_SPEC


@pytest.mark.parametrize("path", sorted(DATASETS.glob("*.yaml")), ids=lambda path: path.stem)
def test_shipped_specs_are_valid(path: Path) -> None:
    spec = load_spec(path)
    assert spec.name == path.stem


def test_defaults() -> None:
    spec = load_spec(DATASETS / "smoke.yaml")
    assert spec.formats == ("parquet", "csv", "ndjson")
    assert spec.csv.header
    assert spec.csv.delimiter == ","
    assert spec.parquet.compression == "snappy"
    assert spec.columns[0].effective_edge_ratio == 0.0


def test_type_is_stored_in_canonical_spelling(write_spec: Callable[..., Path]) -> None:
    spec = load_spec(write_spec(SMALL_SPEC.replace("type: int,", 'type: " INT ",')))
    assert spec.columns[1].type == "int"


def test_overrides_are_validated() -> None:
    spec = load_spec(DATASETS / "mixed_types.yaml")
    assert spec.with_changes(rows=1_000_000, seed=9).rows == 1_000_000
    with pytest.raises(ConfigError, match=r"^dataset 'mixed_types': rows: Input should be greater than"):
        spec.with_changes(rows=-1)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read dataset spec .*missing\.yaml"):
        load_spec(tmp_path / "missing.yaml")


# Each case: (old text in SMALL_SPEC, new text, expected line, expected "field: message" start).
BAD_SPECS = {
    "unknown type": (
        "type: string,",
        "type: strng,",
        8,
        "columns[2].type: unknown type 'strng'; use one of int, bigint, double, decimal(p,s), string, bool,"
        " date, timestamp, list<T>, struct<name:T,...>",
    ),
    "unknown top-level field": (
        "files: 2\n",
        "files: 2\ncolums: []\n",
        5,
        "colums: unknown field 'colums' (did you mean 'columns'?); allowed fields: name,",
    ),
    "unknown column field": (
        "max: 9}",
        "max: 9, nulls_ratio: 0.1}",
        7,
        "columns[1].nulls_ratio: unknown field 'nulls_ratio' (did you mean 'nulls'?)",
    ),
    "unknown nested option": (
        "files: 2\n",
        "files: 2\nparquet:\n  row_group_row: 5\n",
        6,
        "parquet.row_group_row: unknown field 'row_group_row' (did you mean 'row_group_rows'?)",
    ),
    "wrong value type": ("rows: 1000", "rows: many", 3, "rows: Input should be a valid integer"),
    "missing field": ("seed: 3\n", "", 1, "seed: required field 'seed' is missing; add it"),
    "ratio out of range": (
        "max: 9}",
        "max: 9, nulls: 1.5}",
        7,
        "columns[1].nulls: Input should be less than or equal to 1",
    ),
    "negative rows": ("rows: 1000", "rows: -1", 3, "rows: Input should be greater than or equal to 0"),
    "no files": ("files: 2", "files: 0", 4, "files: Input should be greater than or equal to 1"),
    "unknown format": (
        "files: 2\n",
        "files: 2\nformats: [parquet, json]\n",
        5,
        "formats[1]: Input should be 'parquet', 'csv' or 'ndjson' (got 'json')",
    ),
    "repeated format": (
        "files: 2\n",
        "files: 2\nformats: [csv, csv]\n",
        5,
        "formats: formats ['csv', 'csv'] repeat a format",
    ),
    "duplicate column": (
        "name: label,",
        "name: qty,",
        8,
        "columns[2].name: duplicate column name 'qty' (also columns[1])",
    ),
    "min above max": ("min: 0, max: 9", "min: 10, max: 9", 7, "columns[1].min: min 10 is greater than max 9"),
    "bound does not fit": (
        "min: 0, max: 9",
        "min: 0, max: 3000000000",
        7,
        "columns[1].max: 3000000000 does not fit in int",
    ),
    "option for another type": (
        "choices: [a, b]",
        "min: 1",
        8,
        "columns[2].min: min does not apply to a string column; remove it",
    ),
    "choice of the wrong type": (
        "min: 0, max: 9",
        "choices: [1, x]",
        7,
        "columns[1].choices[1]: 'x' is not a int value",
    ),
    "edge ratio alone": ("max: 9}", "max: 9, edge_ratio: 0.2}", 7, "columns[1].edge_ratio: edge_ratio needs"),
    "sequence with nulls": (
        "generator: sequence",
        "generator: sequence, nulls: 0.1",
        6,
        "columns[0].generator: a sequence column holds the unique ids",
    ),
    "skewed file out of range": (
        "files: 2\n",
        "files: 2\nsize_skew: {file: 2, factor: 10}\n",
        5,
        "size_skew.file: file 2 does not exist with files: 2; use 0..1",
    ),
    "bad dataset name": ("name: small", "name: Small Data", 1, "name: String should match pattern"),
    "column name with a space at its end": (
        "name: qty,",
        'name: "qty ",',
        7,
        "columns[1].name: column name 'qty ' must be 1 to 64 printable characters without "
        "spaces at either end (inner spaces, quotes and SQL keywords are fine)",
    ),
    "column names that differ in case only": (
        "name: qty,",
        "name: ID,",
        7,
        "columns[1].name: column name 'ID' differs from 'id' (columns[0]) only in case, and SQL names "
        "ignore case; rename one",
    ),
    "repeated sequence column": (
        "generator: sequence}",
        "generator: sequence, repeat: 3}",
        5,
        "columns: column 'id' repeats a sequence: the copies would hold the same ids; "
        "remove repeat or the sequence generator",
    ),
    "length of a number column": (
        "min: 0, max: 9}",
        "min: 0, max: 9, length: 5}",
        7,
        "columns[1].length: length does not apply to a int column; remove it",
    ),
    "length too short for the distinct values": (
        "type: string, choices: [a, b]}",
        "type: string, cardinality: 1000, length: 2}",
        8,
        "columns[2].length: length 2 cannot hold 1000 distinct values (their numbers take 3 characters); "
        "raise length or lower cardinality",
    ),
    "unknown csv quote": (
        "files: 2\n",
        "files: 2\ncsv: {quote: '|'}\n",
        5,
        "csv.quote: quote '|' is not a quote character; use one of '\"', \"'\", '`'",
    ),
    "unknown csv escape": (
        "files: 2\n",
        "files: 2\ncsv: {escape: '/'}\n",
        5,
        "csv.escape: escape '/' is not an escape character; use one of '\"', \"'\", '`', "
        "'\\\\' (or leave it out: the quote doubled)",
    ),
    "csv escape that is another quote": (
        "files: 2\n",
        "files: 2\ncsv: {quote: \"'\", escape: '\"'}\n",
        5,
        "csv.escape: escape '\"' is another quote character than quote \"'\"; "
        "use \"'\" (doubled quotes) or '\\\\'",
    ),
    "csv delimiter that is a quote": (
        "files: 2\n",
        'files: 2\ncsv: {delimiter: "\'"}\n',
        5,
        'csv.delimiter: delimiter "\'" must be one character that is not a letter, digit, '
        "newline, quote or escape character",
    ),
    "byte order mark with cuts": (
        "files: 2\n",
        "files: 2\ntext:\n  bom: [true]\n  cuts: {split_size: 1024, pad_column: label}\n",
        6,
        "text.bom: cuts are planned on files without a byte order mark; remove bom or cuts",
    ),
    "byte order mark that is not a boolean": (
        "files: 2\n",
        "files: 2\ntext: {bom: [yes please]}\n",
        5,
        "text.bom[0]: Input should be a valid boolean",
    ),
    "cuts with another quote": (
        "files: 2\n",
        'files: 2\ncsv: {quote: "\'"}\ntext:\n  cuts: {split_size: 1024, pad_column: label}\n',
        7,
        'text.cuts: cuts are planned for CSV quoted with \'"\' (doubled), not quote "\'" / escape "\'"; '
        "remove cuts or the csv quote and escape",
    ),
    "cut plan below the minimum split size": (
        "files: 2\n",
        "files: 2\ntext:\n  cuts: {split_size: 512, pad_column: label}\n",
        6,
        "text.cuts.split_size: Input should be greater than or equal to 1024",
    ),
    "cut plan padding a number": (
        "files: 2\n",
        "files: 2\ntext:\n  cuts: {split_size: 1024, pad_column: qty}\n",
        6,
        "text.cuts.pad_column: pad_column 'qty' must name a string column (string columns: label)",
    ),
    "unknown cut kind": (
        "files: 2\n",
        "files: 2\ntext:\n  cuts: {split_size: 1024, pad_column: label, kinds: [record_start, mid_record]}\n",
        6,
        "text.cuts.kinds[1]: Input should be 'record_start', 'before_record_start',",
    ),
    "repeated cut kind": (
        "files: 2\n",
        "files: 2\ntext:\n  cuts: {split_size: 1024, pad_column: label,"
        " kinds: [record_start, record_start]}\n",
        6,
        "text.cuts.kinds: kinds ['record_start', 'record_start'] repeat a kind; list each once",
    ),
    "unknown line ending": (
        "files: 2\n",
        "files: 2\ntext: {line_endings: [lf, cr]}\n",
        5,
        "text.line_endings[1]: Input should be 'lf' or 'crlf' (got 'cr')",
    ),
    "text options without a text format": (
        "files: 2\n",
        "files: 2\nformats: [parquet]\ntext: {file_endings: [none]}\n",
        6,
        "text: text options shape CSV and NDJSON files; add csv or ndjson to formats",
    ),
    "zero file weights only": (
        "files: 2\n",
        "files: 2\nfile_weights: [0, 0]\n",
        5,
        "file_weights: file_weights [0.0, 0.0] must be numbers >= 0 with at least one positive, "
        "e.g. [1, 0, 5]",
    ),
    "unknown empty CSV style": (
        "files: 2\n",
        "files: 2\ncsv: {empty_files: [header_only, nothing]}\n",
        5,
        "csv.empty_files[1]: Input should be 'header_only' or 'zero_bytes' (got 'nothing')",
    ),
    "drift naming an unknown column": (
        "files: 2\n",
        "files: 2\ndrift:\n  - {}\n  - {columns: [id, lable]}\n",
        7,
        "drift[1].columns[1]: unknown column 'lable'; the columns are id, qty, label",
    ),
    "drift narrowing a column that cannot narrow": (
        "files: 2\n",
        "files: 2\ndrift:\n  - {narrow: {label: int}}\n",
        6,
        "drift[0].narrow.label: label cannot be written as int; a bigint column narrows to int and a double "
        "to float (id: int)",
    ),
    "unknown text compression": (
        "files: 2\n",
        "files: 2\ntext: {compression: [gzip, brotli]}\n",
        5,
        "text.compression[1]: Input should be 'none', 'gzip' or 'zstd' (got 'brotli')",
    ),
    "cuts in compressed text": (
        "files: 2\n",
        "files: 2\ntext:\n  compression: [gzip]\n  cuts: {split_size: 1024, pad_column: label}\n",
        6,
        "text.compression: a compressed file is read whole, so cuts in it mean nothing; "
        "remove cuts or compression",
    ),
    "bad csv delimiter": (
        "files: 2\n",
        "files: 2\ncsv: {delimiter: ';;'}\n",
        5,
        "csv.delimiter: delimiter ';;' must be one character",
    ),
}


@pytest.mark.parametrize(("old", "new", "line", "message"), BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_bad_spec_is_one_line_with_file_line_and_field(
    write_spec: Callable[..., Path], old: str, new: str, line: int, message: str
) -> None:
    assert old in SMALL_SPEC
    path = write_spec(SMALL_SPEC.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(f"{path}:{line}: {message}"), error


def test_nested_column_in_a_csv_only_dataset_is_refused(write_spec: Callable[..., Path]) -> None:
    text = SMALL_SPEC.replace("files: 2\n", "files: 2\nformats: [csv]\n").replace(
        "type: string, choices: [a, b]", 'type: "list<string>"'
    )
    path = write_spec(text)
    expected = r"spec\.yaml:9: columns\[2\]\.type: list<string> cannot be written to CSV"
    with pytest.raises(ConfigError, match=expected):
        load_spec(path)


def test_csv_needs_a_scalar_column(write_spec: Callable[..., Path]) -> None:
    text = "name: n\nseed: 1\nrows: 1\nformats: [csv, parquet]\ncolumns:\n  - {name: t, type: list<int>}\n"
    path = write_spec(text)
    with pytest.raises(ConfigError, match=r"spec\.yaml:4: formats: CSV omits list and struct columns"):
        load_spec(path)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("name: x\nseed: 1\nrows: [1, 2\ncolumns: []\n", 4, "expected ',' or ']'"),
        ("name: x\nseed: 1\nseed: 2\n", 3, 'found duplicate key "seed"'),
        ("name: x\n  seed: 1\n", 2, "mapping values are not allowed here"),
    ],
)
def test_yaml_syntax_error_is_one_line_with_file_and_line(
    write_spec: Callable[..., Path], text: str, line: int, problem: str
) -> None:
    path = write_spec(text)
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(f"{path}:{line}: YAML error: {problem}"), error


def test_a_spec_must_be_a_mapping(write_spec: Callable[..., Path]) -> None:
    path = write_spec("- just\n- a list\n")
    with pytest.raises(ConfigError, match=r":1: a dataset spec is a mapping"):
        load_spec(path)


def test_further_problems_are_counted_not_listed(write_spec: Callable[..., Path]) -> None:
    path = write_spec(SMALL_SPEC.replace("rows: 1000", "rows: -1").replace("files: 2", "files: 0"))
    with pytest.raises(ConfigError, match=r"\(\+1 more problems\)$"):
        load_spec(path)


def test_a_failed_column_is_one_problem_not_two(write_spec: Callable[..., Path]) -> None:
    # pydantic also reports the columns tuple as too short when an item fails: not a second problem.
    path = write_spec(SMALL_SPEC.replace("min: 0, max: 9", "min: 9, max: 0"))
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert str(caught.value) == f"{path}:7: columns[1].min: min 9 is greater than max 0; swap them"


def test_a_misspelt_required_field_is_named_as_the_typo(write_spec: Callable[..., Path]) -> None:
    path = write_spec(SMALL_SPEC.replace("columns:", "colums:"))
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(
        f"{path}:5: colums: unknown field 'colums' (did you mean 'columns'?); allowed fields: name,"
    )


def test_a_cut_plan_cannot_pad_a_column_with_nulls(write_spec: Callable[..., Path]) -> None:
    text = SMALL_SPEC.replace("choices: [a, b]", "choices: [a, b], nulls: 0.1").replace(
        "files: 2\n", "files: 2\ntext:\n  cuts:\n    split_size: 1024\n    pad_column: label\n"
    )
    path = write_spec(text)
    with pytest.raises(
        ConfigError, match=r"spec\.yaml:8: text\.cuts\.pad_column: pad_column 'label' must hold no NULLs"
    ):
        load_spec(path)


def test_repeat_makes_numbered_columns_and_length_exact_strings(write_spec: Callable[..., Path]) -> None:
    text = SMALL_SPEC.replace("min: 0, max: 9}", "min: 0, max: 9, repeat: 12}").replace(
        "type: string, choices: [a, b]}", "type: string, cardinality: 3, length: 5000}"
    )
    spec = load_spec(write_spec(text))
    repeated = [f"qty_{i:03d}" for i in range(1, 13)]
    assert [column.name for column in spec.columns] == ["id", *repeated, "label"]
    table = generate_table(spec)
    assert table.column("qty_001").to_pylist() != table.column("qty_002").to_pylist()  # each its own values
    labels = set(table.column("label").to_pylist())
    assert len(labels) == 3
    assert {len(label) for label in labels} == {5000}
