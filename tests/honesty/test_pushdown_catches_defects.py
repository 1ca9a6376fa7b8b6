"""The pushdown suite fails, showing bytes not saved, when the engine ignores projection and filter."""

from __future__ import annotations

import re

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

SUITE = ["suites/pushdown/bytes_read.robot"]
UNCOALESCED = "Pushdown saves as much without coalescing"


def test_the_test_used_here_passes_on_a_correct_engine() -> None:
    run = run_suite(SUITE, [], tests=[UNCOALESCED])
    assert run.rc == 0, run.describe()
    assert run.passed == [UNCOALESCED], run.describe()


def test_no_pushdown_reads_as_many_bytes_as_a_full_scan() -> None:
    run = run_suite(SUITE, ["no_pushdown"], tests=[UNCOALESCED])
    # Every column of every row group is read: exactly the full scan's bytes, under the first strategy.
    assert re.fullmatch(
        r"'one column filtered \(\w+\)' read ([\d,]+) bytes, not fewer than the full scan's \1: "
        r"nothing was pushed down",
        run.failures.get(UNCOALESCED, ""),
    ), run.describe()


PARTITIONS = "A filter on a partition column skips whole files under every strategy"


def test_the_partition_pruning_test_passes_on_a_correct_engine() -> None:
    run = run_suite(SUITE, [], tests=[PARTITIONS])
    assert run.passed == [PARTITIONS], run.describe()


def test_partitions_not_pruned_reads_the_objects_the_filter_rules_out() -> None:
    run = run_suite(SUITE, ["partitions_not_pruned"], tests=[PARTITIONS])
    message = run.failures.get(PARTITIONS, "")
    # The first object the filter rules out (year=2023) is read as much as by the full scan.
    assert re.match(
        r"'year = 2024 \(parquet, \w+\)' read ([\d,]+) bytes of \S+/messy_hive/parquet/year=2023/month=11/"
        r"part-0000\.parquet \(([\d,]+) bytes\), which its filter rules out, against the full scan's ",
        message,
    ), run.describe()
    assert message.endswith("the object was not skipped"), message
