"""The text edge cases and the freshness suite fail, for the right reason, when the engine is wrong.

Text edge cases (``data/specs/text_edges.yaml`` over ``data/datasets/text_edges.yaml``: 300
records, ids 0..299, in six files per format, two of them without a final newline and three with
CRLF line ends) run in the query spec suite, selected by name. The freshness suite
(``suites/equivalence/freshness.robot``) changes the objects under a glob between two queries.

The stress suite's CSV and NDJSON files end their lines and themselves in the same ways, so its
formulas catch a lost last record too.

Before these checks existed, no dataset had a file without a final newline or with CRLF, no split
cut was placed on a record start, and no suite changed an object under a glob it had queried:
``drop_unterminated_last_record`` passed the whole query spec catalogue, and ``stale_listing``
was caught only because a fault test found no LIST request to fault.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from lakeproof.datagen import LocalSink, Manifest, load_spec, write_dataset

from .runner import REPO, run_suite

SPECS = ["suites/equivalence/query_specs.robot"]
FRESHNESS = ["suites/equivalence/freshness.robot"]
COUNT_CUT = "Every text edge record is read once, CSV cut into splits"
WHOLE = "Every text edge value reads back from whole CSV files"
ROWS = 300  # rows: 300 in data/datasets/text_edges.yaml
ADDED = "An object added under a queried glob is read"
DELETED = "A deleted object is no longer read"
OVERWRITTEN = "An overwritten object is read with its new contents and footer"


def select(*names: str) -> dict[str, str]:
    """Robot variables that make DataDriver generate only the named tests."""
    return {"DYNAMICTESTS": "|".join(f"Query Specs.{name}" for name in names)}


@pytest.fixture(scope="module")
def text_edges(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    spec = load_spec(REPO / "data" / "datasets" / "text_edges.yaml")
    return write_dataset(spec, LocalSink(Path(tmp_path_factory.mktemp("text_edges"))))


def counted(message: str, fmt: str) -> set[int]:
    """The row counts the engine gave for ``fmt`` in a spec failure, over the runs it lists.

    A count case shows the wrong row, ``expected (300, ...), got (298, ...)``; a case comparing
    whole rows shows ``expected 300 rows, got 298``.
    """
    found = re.findall(
        rf"{fmt}/\w+: differs from the oracle: results differ: (?:1 row missing, 1 extra row: "
        rf"expected \({ROWS}, [^)]*\), got \((\d+),|expected {ROWS} rows, got (\d+);)",
        message,
    )
    return {int(count or rows) for count, rows in found}


def test_the_text_edge_counts_pass_on_a_correct_engine() -> None:
    run = run_suite(SPECS, [], variables=select(COUNT_CUT, WHOLE))
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted([COUNT_CUT, WHOLE]), run.describe()


def test_a_dropped_unterminated_last_record_fails_the_counts(text_edges: Manifest) -> None:
    unterminated = {
        fmt: sum(1 for obj in text_edges.objects_of(fmt) if obj.text and obj.text.file_ending == "none")
        for fmt in text_edges.formats
    }
    assert unterminated == {"csv": 2, "ndjson": 2}
    run = run_suite(SPECS, ["drop_unterminated_last_record"], variables=select(COUNT_CUT, WHOLE))
    assert not run.passed, run.describe()
    # Every format under the four strategies; the oracle (a run per format) stays right.
    for case, wrong in ((COUNT_CUT, "8 of 10"), (WHOLE, "4 of 5")):
        message = run.failures[case]
        assert message.startswith(f"{case}: {wrong} runs wrong"), message
        # Shown for the first three wrong runs: CSV under three strategies, whole files or cut.
        assert counted(message, "csv") == {ROWS - unterminated["csv"]}, message


def test_a_record_skipped_at_a_cut_fails_the_split_reads_only(text_edges: Manifest) -> None:
    on_record_start = {
        fmt: sum(
            1
            for obj in text_edges.objects_of(fmt)
            if obj.text
            for cut in obj.text.cuts
            if cut.kind == "record_start"
        )
        for fmt in text_edges.formats
    }
    assert min(on_record_start.values()) > 0
    run = run_suite(SPECS, ["skip_record_at_cut"], variables=select(COUNT_CUT, WHOLE))
    assert run.passed == [WHOLE], run.describe()  # whole CSV files have no cut to misread
    message = run.failures[COUNT_CUT]
    assert message.startswith(f"{COUNT_CUT}: 8 of 10 runs wrong"), message  # both formats, every strategy
    assert counted(message, "csv") == {ROWS - on_record_start["csv"]}, message


def test_lf_only_csv_parsing_loses_the_crlf_files() -> None:
    run = run_suite(SPECS, ["csv_lf_line_ends_only"], variables=select(COUNT_CUT))
    message = run.failures[COUNT_CUT]
    assert message.startswith(f"{COUNT_CUT}: 4 of 10 runs wrong"), message  # CSV under each strategy
    assert counted(message, "csv") == {ROWS // 2}, message  # three of six files end lines with CRLF
    assert "ndjson/" not in message, message


def test_the_freshness_suite_passes_on_a_correct_engine() -> None:
    run = run_suite(FRESHNESS, [])
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted([ADDED, DELETED, OVERWRITTEN]), run.describe()


STALE_LISTING_FAILURES = {
    # The first strategy's second query, after the change, still works from the first listing:
    ADDED: r"coordinator_only: results differ: 1 row missing, 1 extra row",
    DELETED: (
        r"the engine refused the query: failed to read s3://lake/[^ ]+/fresh_objects/parquet/"
        r"part-0000\.parquet after 1 attempt: 404 NoSuchKey \(not retried\)"
    ),
    OVERWRITTEN: (
        r"the engine refused the query: s3://lake/[^ ]+/fresh_objects/parquet/part-0000\.parquet "
        r"is not a Parquet file: no valid footer at its end"  # read where the old size says it ends
    ),
}


@pytest.mark.parametrize("test", list(STALE_LISTING_FAILURES))
def test_a_stale_listing_misses_every_change(test: str) -> None:
    run = run_suite(FRESHNESS, ["stale_listing"], tests=[test])
    assert not run.passed, run.describe()
    assert re.match(STALE_LISTING_FAILURES[test], run.failures[test]), run.describe()


def test_a_stale_parquet_footer_fails_the_overwrite_only() -> None:
    run = run_suite(FRESHNESS, ["stale_parquet_footer"])
    assert sorted(run.passed) == sorted([ADDED, DELETED]), run.describe()
    message = run.failures[OVERWRITTEN]
    # The old footer points at column chunks the new object does not have where it says.
    assert message.startswith("the engine refused the query: "), message
    assert message.endswith("[internal_exception, HTTP 500]"), message


def test_the_stress_formulas_catch_a_dropped_unterminated_last_record() -> None:
    spec = load_spec(REPO / "data" / "datasets" / "stress.yaml")
    with tempfile.TemporaryDirectory() as directory:
        manifest = write_dataset(spec, LocalSink(directory))
    unterminated = sum(
        1 for obj in manifest.objects_of("csv") if obj.rows and obj.text and obj.text.file_ending == "none"
    )
    assert unterminated > 0
    test = "168 CSV files add up under every strategy"
    run = run_suite(["suites/stress/tiny_files.robot"], ["drop_unterminated_last_record"], tests=[test])
    expected = f"under coordinator_only: COUNT(*) is {spec.rows - unterminated:,}, expected T = {spec.rows:,}"
    assert run.failures[test].startswith(expected), run.describe()
