"""Query spec loading: shipped specs are valid, defaults apply, every mistake is one exact line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeproof.errors import ConfigError
from lakeproof.queryspec import case_named, load_catalogue, load_spec_file
from lakeproof.refcluster.pragma import Pragma as EnginePragma

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "data" / "specs"
DATASETS = ROOT / "data" / "datasets"

# A dataset without NDJSON, so a case can ask for a format its dataset lacks.
TINY_DATASET = """\
name: tiny
seed: 1
rows: 10
formats: [parquet, csv]
columns:
  - {name: id, type: bigint, generator: sequence}
"""

GOOD_SPEC = """\
description: Counts over the tiny dataset.
dataset: tiny
tags: [counting]
pragma: {target_split_size: 1024, coalesce: true}
cases:
  - name: Count of rows
    query: SELECT count(*) AS n FROM {scan}
    expected:
      columns: [n:BIGINT]
      rows:
        - [10]
  - name: Ordered ids
    description: the first three ids
    query: SELECT id FROM {scan} ORDER BY id LIMIT 3
    ordered: true
    tolerance: 0.001
    formats: [csv]
    tags: [topn]
    pragma: {coalesce: false}
"""


@pytest.fixture
def datasets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "datasets"
    directory.mkdir()
    (directory / "tiny.yaml").write_text(TINY_DATASET, encoding="utf-8")
    return directory


@pytest.fixture
def specs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "specs"
    directory.mkdir()
    return directory


def write(directory: Path, text: str, name: str = "counts.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_shipped_spec_file_loads(path: Path) -> None:
    cases = load_spec_file(path, DATASETS)
    assert cases
    assert all(case.area == path.stem for case in cases)


def test_shipped_catalogue_has_at_least_60_uniquely_named_cases() -> None:
    catalogue = load_catalogue(SPECS, DATASETS)
    names = [case.name for case in catalogue.cases]
    assert len(names) >= 60
    assert len(set(names)) == len(names)
    assert len(catalogue.areas) >= 8
    assert all(case.query_over("t") != case.query for case in catalogue.cases)


def test_a_valid_file_loads_with_defaults_and_overrides(specs_dir: Path, datasets_dir: Path) -> None:
    path = write(specs_dir, GOOD_SPEC)
    count, ordered = load_spec_file(path, datasets_dir)

    assert count.name == "Count of rows"
    assert count.area == "counts"
    assert count.dataset == "tiny"
    assert count.formats == ("parquet", "csv")  # the dataset's formats
    assert not count.ordered
    assert count.tolerance == 1e-9
    assert count.tags == ("counts", "counting")
    assert count.pragma == {"target_split_size": 1024, "coalesce": True}
    assert count.source == f"{path}:6"
    assert count.query_over("read_parquet('x')") == "SELECT count(*) AS n FROM read_parquet('x')"
    assert count.expected is not None
    assert count.expected.answer().rows == ((10,),)

    assert ordered.formats == ("csv",)
    assert ordered.ordered
    assert ordered.tolerance == 0.001
    assert ordered.tags == ("counts", "counting", "topn")
    assert ordered.pragma == {"target_split_size": 1024, "coalesce": False}
    assert ordered.description == "the first three ids"
    assert ordered.expected is None


def test_expected_table_types_are_canonical_and_dates_are_iso_text(
    specs_dir: Path, datasets_dir: Path
) -> None:
    text = GOOD_SPEC.replace(
        "columns: [n:BIGINT]", 'columns: [n:int128, "d:DECIMAL(10,2)", day:date]'
    ).replace("- [10]", '- [10, "1.50", 2024-02-29]')
    (case, _) = load_spec_file(write(specs_dir, text), datasets_dir)
    assert case.expected is not None
    answer = case.expected.answer()
    assert [(column.name, column.type) for column in answer.columns] == [
        ("n", "HUGEINT"),
        ("d", "DECIMAL(10,2)"),
        ("day", "DATE"),
    ]
    assert answer.rows == ((10, "1.50", "2024-02-29"),)


# Each: (old text in GOOD_SPEC, new text, expected line, expected "field: message" start).
BAD_SPECS = {
    "unknown dataset": (
        "dataset: tiny",
        "dataset: tinny",
        2,
        "dataset: unknown dataset 'tinny'; known datasets: tiny",
    ),
    "case format the dataset lacks": (
        "formats: [csv]",
        "formats: [csv, ndjson]",
        17,
        "cases[1].formats[1]: dataset 'tiny' has no ndjson files (only parquet, csv); remove ndjson",
    ),
    "file format the dataset lacks": (
        "tags: [counting]\n",
        "tags: [counting]\nformats: [ndjson]\n",
        4,
        "formats[0]: dataset 'tiny' has no ndjson files (only parquet, csv); remove ndjson",
    ),
    "unknown format": (
        "formats: [csv]",
        "formats: [orc]",
        17,
        "cases[1].formats[0]: Input should be 'parquet', 'csv' or 'ndjson' (got 'orc')",
    ),
    "query without the scan": (
        "SELECT count(*) AS n FROM {scan}",
        "SELECT count(*) AS n FROM lineitem",
        7,
        "cases[0].query: the query never reads the dataset; write {scan} where the table goes",
    ),
    "ordered without ORDER BY": (
        "ORDER BY id LIMIT 3",
        "LIMIT 3",
        15,
        "cases[1].ordered: ordered: true needs an ORDER BY in the query; add one or remove ordered",
    ),
    "unknown case field": (
        "    expected:\n",
        "    expect:\n",
        8,
        "cases[0].expect: unknown field 'expect' (did you mean 'expected'?); allowed fields: name,",
    ),
    "row of the wrong length": (
        "- [10]",
        "- [10, 11]",
        11,
        "cases[0].expected.rows[0]: row has 2 values but there are 1 columns; give one value per column",
    ),
    "unknown column type": (
        "columns: [n:BIGINT]",
        "columns: [n:BIGINTT]",
        9,
        "cases[0].expected.columns: column 'n:BIGINTT': 'BIGINTT' is not a DuckDB type",
    ),
    "type no answer has": (
        "columns: [n:BIGINT]",
        "columns: [n:BIGNUM]",
        9,
        "cases[0].expected.columns: column 'n:BIGNUM': no answer over the lab's datasets has type BIGNUM; "
        "use one of BOOLEAN, INTEGER, BIGINT, HUGEINT, DOUBLE, DECIMAL(p,s), VARCHAR",
    ),
    "type no answer has inside a list": (
        "columns: [n:BIGINT]",
        'columns: ["n:STRUCT(a BIT)[]"]',
        9,
        "cases[0].expected.columns: column 'n:STRUCT(a BIT)[]': "
        "no answer over the lab's datasets has type BIT",
    ),
    "negative split size in the file pragma": (
        "pragma: {target_split_size: 1024, coalesce: true}",
        "pragma: {target_split_size: -5, coalesce: true}",
        4,
        "pragma.target_split_size: Input should be greater than or equal to",
    ),
    "misspelt pragma in a case": (
        "pragma: {coalesce: false}",
        "pragma: {coalesc: false}",
        19,
        "cases[1].pragma.coalesc: unknown pragma 'coalesc' (did you mean 'coalesce'?); allowed pragmas: "
        "allow_partial_results, query_timeout_s,",
    ),
    "pragma of the wrong type": (
        "pragma: {coalesce: false}",
        "pragma: {coalesce: 'no'}",
        19,
        "cases[1].pragma.coalesce: Input should be a valid boolean (got 'no')",
    ),
    "retry pragma out of bounds": (
        "pragma: {coalesce: false}",
        "pragma: {coalesce: false, max_attempts: 0}",
        19,
        "cases[1].pragma.max_attempts: Input should be greater than or equal to 1 (got 0)",
    ),
    "column without a type": (
        "columns: [n:BIGINT]",
        "columns: [n]",
        9,
        "cases[0].expected.columns: column 'n' must be written name:TYPE, e.g. n:BIGINT",
    ),
    "column cut at a comma": (
        "columns: [n:BIGINT]",
        "columns: [n:DECIMAL(10,2)]",
        9,
        "cases[0].expected.columns: column 'n:DECIMAL(10' is cut at a comma; quote it in YAML",
    ),
    "duplicate case name": (
        "  - name: Ordered ids",
        "  - name: Count of rows",
        12,
        "cases[1].name: duplicate case name 'Count of rows' (also cases[0]); rename one",
    ),
    "strategy in a case pragma": (
        "pragma: {coalesce: false}",
        "pragma: {external_distribution: round_robin}",
        19,
        "cases[1].pragma.external_distribution: every case runs under every strategy; "
        "remove external_distribution",
    ),
    "strategy in the file pragma": (
        "pragma: {target_split_size: 1024, coalesce: true}",
        "pragma: {external_distribution: adaptive}",
        4,
        "pragma.external_distribution: every case runs under every strategy",
    ),
    "tag with capitals": (
        "tags: [topn]",
        "tags: [Top N]",
        18,
        "cases[1].tags[0]: tag 'Top N' must be lowercase letters, digits, - and _",
    ),
    "repeated tag": (
        "tags: [counting]",
        "tags: [counting, counting]",
        3,
        "tags: ['counting', 'counting'] repeats",
    ),
    "tolerance out of range": (
        "tolerance: 0.001",
        "tolerance: 2",
        16,
        "cases[1].tolerance: Input should be less than 1",
    ),
    "missing description": (
        "description: Counts over the tiny dataset.\n",
        "",
        1,
        "description: required field 'description' is missing; add it",
    ),
    "scan options that are not options": (
        "pragma: {target_split_size: 1024, coalesce: true}\n",
        "pragma: {target_split_size: 1024, coalesce: true}\n"
        "scan: {columns: sniffed, options: union_by_name}\n",
        5,
        "scan.options: options 'union_by_name' must be table-function options written name = value",
    ),
    "unknown scan columns": (
        "pragma: {coalesce: false}",
        "pragma: {coalesce: false}\n    scan: {columns: guessed}",
        20,
        "cases[1].scan.columns: Input should be 'declared' or 'sniffed' (got 'guessed')",
    ),
    "an answer and an error": (
        "      rows:\n        - [10]\n",
        "      rows:\n        - [10]\n    error: {type: verification_exception, reason: x}\n",
        8,
        "cases[0].expected: a case expects an answer or an error, not both; remove expected or error",
    ),
    "an error type that is not one": (
        "      rows:\n        - [10]\n",
        "      rows:\n        - [10]\n  - name: Refused\n    query: SELECT x FROM {scan}\n"
        "    error: {type: Binder Error, reason: x}\n",
        14,
        "cases[1].error.type: String should match pattern",
    ),
    "no cases": (
        GOOD_SPEC[GOOD_SPEC.index("cases:") :],
        "cases: []\n",
        5,
        "cases: Tuple should have at least 1 item after validation, not 0",
    ),
}


@pytest.mark.parametrize(("old", "new", "line", "message"), BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_bad_spec_is_one_line_naming_file_line_and_field(
    specs_dir: Path, datasets_dir: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD_SPEC
    path = write(specs_dir, GOOD_SPEC.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_spec_file(path, datasets_dir)
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(f"{path}:{line}: {message}"), error


def test_yaml_syntax_error_names_file_and_line(specs_dir: Path, datasets_dir: Path) -> None:
    path = write(specs_dir, GOOD_SPEC.replace("tags: [counting]", "tags: [counting"))
    with pytest.raises(ConfigError, match=rf"^{path}:4: YAML error: "):
        load_spec_file(path, datasets_dir)


def test_the_pragma_bounds_are_the_engines(specs_dir: Path, datasets_dir: Path) -> None:
    # Whatever bound the engine's Pragma model sets, a spec one below it is refused at load.
    field = EnginePragma.model_fields["target_split_size"]
    minimum = next(item.ge for item in field.metadata if getattr(item, "ge", None) is not None)
    path = write(specs_dir, GOOD_SPEC.replace("target_split_size: 1024", f"target_split_size: {minimum - 1}"))
    with pytest.raises(ConfigError, match=rf"^{path}:4: pragma\.target_split_size: .*{minimum}"):
        load_spec_file(path, datasets_dir)


def test_a_binary_file_is_one_line_saying_it_is_not_text(specs_dir: Path, datasets_dir: Path) -> None:
    path = specs_dir / "binary.yaml"
    path.write_bytes(b"PAR1\x15\x04\xff\xfe\x00")
    with pytest.raises(ConfigError) as caught:
        load_spec_file(path, datasets_dir)
    assert str(caught.value) == (
        f"{path}: not a text file (byte 0xff at offset 6 is not UTF-8); a query spec is a YAML file"
    )


def test_a_control_character_is_one_line(specs_dir: Path, datasets_dir: Path) -> None:
    path = write(specs_dir, GOOD_SPEC.replace("Counts over", "Counts\x00over"))
    with pytest.raises(ConfigError) as caught:
        load_spec_file(path, datasets_dir)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{path}: YAML error: "), caught.value


def test_a_spec_file_is_a_mapping(specs_dir: Path, datasets_dir: Path) -> None:
    path = write(specs_dir, "- a list\n")
    with pytest.raises(ConfigError, match=rf"^{path}:1: a query spec is a mapping \(description: "):
        load_spec_file(path, datasets_dir)


def test_file_name_must_be_usable_as_a_tag(specs_dir: Path, datasets_dir: Path) -> None:
    path = write(specs_dir, GOOD_SPEC, name="Top N.yaml")
    with pytest.raises(ConfigError, match=r"Top N\.yaml: name the file in lowercase letters"):
        load_spec_file(path, datasets_dir)


def test_case_names_are_unique_across_files(specs_dir: Path, datasets_dir: Path) -> None:
    first = write(specs_dir, GOOD_SPEC, name="a.yaml")
    second = write(specs_dir, GOOD_SPEC.replace("Ordered ids", "Other ids"), name="b.yaml")
    with pytest.raises(ConfigError) as caught:
        load_catalogue(specs_dir, datasets_dir)
    assert str(caught.value) == (
        f"{second}:6: cases[0].name: case name 'Count of rows' is already used at {first}:6; "
        "test names must be unique, rename one"
    )


def test_catalogue_lists_cases_in_file_order_and_datasets_once(specs_dir: Path, datasets_dir: Path) -> None:
    write(specs_dir, GOOD_SPEC, name="b.yaml")
    write(
        specs_dir, GOOD_SPEC.replace("Count of rows", "First").replace("Ordered ids", "Second"), name="a.yaml"
    )
    catalogue = load_catalogue(specs_dir, datasets_dir)
    assert [case.name for case in catalogue.cases] == ["First", "Second", "Count of rows", "Ordered ids"]
    assert catalogue.areas == ("a", "b")
    assert catalogue.datasets == ("tiny",)


def test_an_empty_directory_is_an_error(specs_dir: Path, datasets_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"no query spec files \(\*\.yaml\) in .*specs"):
        load_catalogue(specs_dir, datasets_dir)


def test_an_unknown_case_name_lists_the_cases(specs_dir: Path, datasets_dir: Path) -> None:
    path = write(specs_dir, GOOD_SPEC)
    cases = load_spec_file(path, datasets_dir)
    assert case_named(cases, "Ordered ids").ordered
    with pytest.raises(ConfigError) as caught:
        case_named(cases, "Count of row")
    assert str(caught.value) == (
        f"no case named 'Count of row' in {path}; its cases: Count of rows; Ordered ids"
    )


def test_a_broken_spec_of_another_dataset_does_not_matter(specs_dir: Path, datasets_dir: Path) -> None:
    (datasets_dir / "other.yaml").write_text("name: other\nseed: -1\n", encoding="utf-8")
    assert len(load_spec_file(write(specs_dir, GOOD_SPEC), datasets_dir)) == 2
