"""The messy-data areas of the query spec catalogue fail, for the right reason, on a wrong engine.

``data/specs/messy_empty_files.yaml`` reads 40 CSV and NDJSON files per format, 28 of them empty
(header-only or zero bytes), with nothing declared: the reader sniffs the types. Before it
existed no dataset had empty files among typed ones read that way, and an engine that typed each
split on its own (``per_split_sniffing``) passed the whole catalogue.

``data/specs/messy_drift.yaml`` reads six files per format that add, drop, reorder and narrow
columns, each file its own split: a node may read only files without a column, or only files
whose integers are wider than the first file's.

``data/specs/messy_compression.yaml`` reads .gz and .zst CSV and NDJSON files beside plain
ones; a node copy that loses the ending (``compression_suffix_lost``) hands DuckDB compressed
bytes as text.

``data/specs/messy_hive.yaml`` reads objects under year=/month= keys; nodes that read their
copies as plain files (``hive_keys_ignored``) lose the partition columns.

``data/specs/messy_dialect_tab.yaml`` and ``messy_dialect_quotes.yaml`` cut tab-separated and
single-quoted CSV files into byte ranges of 1024 where quoted values hold line breaks: nodes that
start a range after the first newline past its cut (``csv_cut_at_newlines``) start inside a
value; nodes that sniff each range's dialect alone (``per_split_dialect``) read a backslash escape
as text wherever a range holds no escaped quote.

``data/specs/messy_wide.yaml`` (slow tier) reads 500-column NDJSON files whose integer columns
DuckDB sniffs as HUGEINT; nodes that gather their splits as Arrow typed them
(``split_types_lost``) answer DECIMAL(38,0).

``data/specs/messy_types.yaml`` makes TIMESTAMPTZ, TIME, INTERVAL, UUID, BLOB, HUGEINT,
DECIMAL(38,x), maps and nested values in the query; an engine that merges what Arrow carried
from the nodes without DuckDB's types (``node_types_lost``) answers with other column types.
"""

from __future__ import annotations

import re

import pytest

from .runner import SUITE_TIMEOUT_S, run_suite

# Each test runs the query spec suite, whose set-up creates every dataset of the catalogue (five
# messy ones among them): more than pytest's default 120 s on a busy machine, less than a suite's.
pytestmark = pytest.mark.timeout(SUITE_TIMEOUT_S)

SPECS = ["suites/equivalence/query_specs.robot"]
COUNT = "Rows of typed files among empty ones are all counted"
EVERY_ROW = "Every row of a glob with empty files"
MISSING = "A column no file of a glob with empty files has is named in the refusal"
RARE_ROWS = "Rare scalar types as node rows"
DRIFT_GROUPS = "Groups over columns some drifting files lack"
COMPRESSED_COUNT = "Rows of compressed files are all counted"
PARTITIONS = "Partition columns come from the keys of partitioned files"
TAB = "Rows of tab-separated files with byte order marks are all counted"
QUOTES = "Every row of CSV quoted with single quotes and escaped with a backslash"


def select(*names: str) -> dict[str, str]:
    """Robot variables that make DataDriver generate only the named tests."""
    return {"DYNAMICTESTS": "|".join(f"Query Specs.{name}" for name in names)}


def test_the_empty_file_cases_pass_on_a_correct_engine() -> None:
    run = run_suite(SPECS, [], variables=select(COUNT, EVERY_ROW, MISSING))
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted([COUNT, EVERY_ROW, MISSING]), run.describe()


def test_per_split_sniffing_fails_every_typed_read_of_the_empty_file_glob() -> None:
    run = run_suite(SPECS, ["per_split_sniffing"], variables=select(COUNT, EVERY_ROW, MISSING))
    # A refusal stays a refusal: the column is missing however the splits are typed.
    assert run.passed == [MISSING], run.describe()
    count = run.failures[COUNT]
    # Both formats under all four strategies; the oracle (one run per format) stays right.
    assert count.startswith(f"{COUNT}: 8 of 10 runs wrong"), count
    # A header-only CSV file alone in a split sniffs as one text column, not the glob's columns.
    assert 'Referenced column "grp" not found in read_csv; its columns are: column0' in count, count
    every_row = run.failures[EVERY_ROW]
    assert every_row.startswith(f"{EVERY_ROW}: 8 of 10 runs wrong"), every_row
    # Splits typed apart cannot be put together: text from the empty files, integers elsewhere.
    disagree = "the files disagree on a column's type (Unable to merge: Field id has incompatible types"
    assert disagree in every_row, every_row
    # The data's problem, not an engine failure or a lost node.
    assert "HTTP 400" in every_row, every_row
    assert "HTTP 500" not in every_row, every_row
    assert "HTTP 503" not in every_row, every_row


def test_rare_types_pass_on_a_correct_engine() -> None:
    run = run_suite(SPECS, [], variables=select(RARE_ROWS))
    assert run.passed == [RARE_ROWS], run.describe()


def test_node_types_lost_fails_the_rare_type_rows() -> None:
    run = run_suite(SPECS, ["node_types_lost"], variables=select(RARE_ROWS))
    message = run.failures[RARE_ROWS]
    # Parquet and NDJSON under the four strategies; the oracle stays right.
    assert message.startswith(f"{RARE_ROWS}: 8 of 10 runs wrong"), message
    # Arrow has no 128-bit integer and no UUID: the column types show what was lost.
    assert (
        "column 'key' is VARCHAR, expected UUID; column 'huge' is DECIMAL(38,0), expected HUGEINT" in message
    )


def test_per_split_sniffing_fails_the_drifting_columns() -> None:
    run = run_suite(SPECS, ["per_split_sniffing"], variables=select(DRIFT_GROUPS))
    groups = run.failures[DRIFT_GROUPS]
    # A CSV split of a file written before note existed does not know the column.
    unknown = 'Referenced column "note" not found in read_csv; its columns are: id, grp, qty, val, flag'
    assert unknown in groups, groups


def test_compression_suffix_lost_fails_the_compressed_text_files() -> None:
    run = run_suite(SPECS, ["compression_suffix_lost"], variables=select(COMPRESSED_COUNT))
    message = run.failures[COMPRESSED_COUNT]
    # CSV and NDJSON under the four strategies; Parquet (its codecs are inside the file) stays right.
    assert message.startswith(
        f"{COMPRESSED_COUNT}: 8 of 15 runs wrong: csv/coordinator_only: engine error:"
    ), message
    assert "parquet/" not in message, message
    # Compressed bytes parsed as text: DuckDB's CSV reader refuses them, a 400 about the data.
    assert "[verification_exception, HTTP 400]" in message, message


def test_the_compressed_and_partitioned_cases_pass_on_a_correct_engine() -> None:
    run = run_suite(SPECS, [], variables=select(COMPRESSED_COUNT, PARTITIONS))
    assert sorted(run.passed) == sorted([COMPRESSED_COUNT, PARTITIONS]), run.describe()


def test_hive_keys_ignored_fails_the_partition_columns() -> None:
    run = run_suite(SPECS, ["hive_keys_ignored"], variables=select(PARTITIONS))
    message = run.failures[PARTITIONS]
    # Every format under the four strategies: the oracle's year and month come from the keys.
    assert message.startswith(f"{PARTITIONS}: 12 of 15 runs wrong"), message
    assert (
        'parquet/coordinator_only: engine error: Binder Error: Referenced column "year" not found' in message
    )


def test_the_dialect_cases_pass_on_a_correct_engine() -> None:
    run = run_suite(SPECS, [], variables=select(TAB, QUOTES))
    assert sorted(run.passed) == sorted([TAB, QUOTES]), run.describe()


def test_csv_cut_at_newlines_starts_ranges_inside_quoted_values() -> None:
    run = run_suite(SPECS, ["csv_cut_at_newlines"], variables=select(TAB, QUOTES))
    # CSV under the four strategies; NDJSON (a newline in a JSON value is written \\n) and the
    # oracle stay right.
    tab = run.failures[TAB]
    assert tab.startswith(f"{TAB}: 4 of 10 runs wrong: csv/coordinator_only: engine error: "), tab
    assert "ndjson/" not in tab, tab
    # A range that starts inside a value cannot be parsed: the data's problem as DuckDB sees it.
    assert '/messy_dialect_tab/csv/part-0000.csv". [verification_exception, HTTP 400]' in tab, tab
    quotes = run.failures[QUOTES]
    assert quotes.startswith(f"{QUOTES}: 4 of 5 runs wrong: csv/coordinator_only: engine error: "), quotes


def test_per_split_dialect_reads_backslash_escapes_as_text() -> None:
    run = run_suite(SPECS, ["per_split_dialect"], variables=select(TAB, QUOTES))
    # Tabs and doubled quotes are sniffed alike in every range: only the escape is lost.
    assert run.passed == [TAB], run.describe()
    message = run.failures[QUOTES]
    assert re.match(
        rf"{QUOTES}: 4 of 5 runs wrong: csv/coordinator_only: differs from the oracle: results differ: "
        r"(\d+) rows missing, \1 extra rows",
        message,
    ), message


SLOW_SPECS = ["suites/equivalence/query_specs_slow.robot"]
WIDE = "Every row of a 500-column table read with sniffed types"


def test_the_wide_sniffed_case_passes_on_a_correct_engine() -> None:
    run = run_suite(SLOW_SPECS, [], variables={"DYNAMICTESTS": f"Query Specs Slow.{WIDE}"})
    assert run.passed == [WIDE], run.describe()


def test_split_types_lost_fails_the_wide_sniffed_ndjson_rows() -> None:
    # DuckDB types the 300 integer columns of the 500-column NDJSON files HUGEINT when it sniffs
    # them; nodes that gather their splits as Arrow typed them answer DECIMAL(38,0). CSV (sniffed
    # BIGINT) stays right.
    run = run_suite(SLOW_SPECS, ["split_types_lost"], variables={"DYNAMICTESTS": f"Query Specs Slow.{WIDE}"})
    message = run.failures[WIDE]
    assert message.startswith(
        f"{WIDE}: 4 of 10 runs wrong: ndjson/coordinator_only: differs from the oracle: results differ: "
        "column 'n_001' is DECIMAL(38,0), expected HUGEINT"
    ), message
    assert "csv/" not in message, message
