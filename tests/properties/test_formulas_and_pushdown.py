"""Formula answers over a 0..T-1 sequence, and bytes saved by pushdown from proxy statistics."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from lakeproof.properties.formulas import aggregate_sql, aggregate_verdicts, top_sql, top_verdict
from lakeproof.properties.pushdown import BytesRead, PartitionPruning, Saving, bytes_read, split_by_partition


@pytest.mark.parametrize("rows", [0, 1, 7, 30_000])
def test_formulas_match_duckdb_over_a_real_sequence(rows: int) -> None:
    # The formulas are checked against DuckDB computing the same values from the rows themselves.
    scan = f"range({rows}) AS t(id)"
    with duckdb.connect() as con:
        aggregate = [list(con.sql(aggregate_sql(scan, "id")).fetchone() or [])]
        top = [list(row) for row in con.sql(top_sql(scan, "id", 10)).fetchall()]
    assert all(verdict.holds for verdict in aggregate_verdicts(aggregate, rows))
    assert top_verdict(top, rows, 10).holds


def test_a_lost_file_breaks_count_and_sum_with_a_readable_message() -> None:
    answer = [[95, "4465", 0, 99]]  # rows 0..99 without 5 of them; SUM as exact text
    wrong = [verdict.describe(100) for verdict in aggregate_verdicts(answer, 100) if not verdict.holds]
    assert wrong == [
        "COUNT(*) is 95, expected T = 100 (T = 100 rows)",
        "SUM is 4,465, expected T(T-1)/2 = 4,950 (T = 100 rows)",
    ]


def test_a_wrong_top_n_is_caught() -> None:
    verdict = top_verdict([[99], [97], [96]], 100, 3)
    assert not verdict.holds
    assert verdict.describe(100) == "top 3 is [99, 97, 96], expected T-1 .. T-3 = [99, 98, 97] (T = 100 rows)"


def stats(by_operation: dict[str, tuple[int, int]], by_listener: dict[str, int]) -> dict[str, Any]:
    return {
        "by_operation": {op: {"requests": r, "bytes": b} for op, (r, b) in by_operation.items()},
        "by_listener": {name: {"bytes": b} for name, b in by_listener.items()},
    }


def test_bytes_read_is_the_difference_of_data_operations() -> None:
    before = stats({"GET": (2, 1000), "LIST": (1, 300)}, {"coordinator": 1300})
    after = stats(
        {"GET": (3, 1500), "RANGE_GET": (4, 4000), "LIST": (2, 600)},
        {"coordinator": 2100, "node-1": 4000, "node-2": 0},
    )
    measured = bytes_read("q", before, after)
    assert measured == BytesRead("q", 4500, 5, {"coordinator": 800, "node-1": 4000})


def test_bytes_read_counts_each_object_key() -> None:
    before = {**stats({"GET": (1, 100)}, {}), "by_key": {"p/a.csv": {"bytes": 100}}}
    after = {
        **stats({"GET": (3, 700)}, {}),
        "by_key": {"p/a.csv": {"bytes": 300}, "p/b.csv": {"bytes": 400}, "p/c.csv": {"bytes": 0}},
    }
    assert bytes_read("q", before, after).by_key == {"p/a.csv": 200, "p/b.csv": 400}


SIZES = {
    "r/d/parquet/year=2023/part-0.parquet": 1000,
    "r/d/parquet/year=2024/part-1.parquet": 1100,
    "r/d/parquet/year=2024/part-2.parquet": 1200,
}


def test_partition_values_choose_the_objects_a_filter_keeps() -> None:
    kept, pruned = split_by_partition(SIZES, {"year": "2024"})
    assert sorted(kept) == sorted(SIZES)[1:]
    assert pruned == {"r/d/parquet/year=2023/part-0.parquet": 1000}
    with pytest.raises(ValueError, match="no object has a partition 'month'; the partitions are year"):
        split_by_partition(SIZES, {"month": "01"})
    with pytest.raises(ValueError, match="select no object; choose values that keep some"):
        split_by_partition(SIZES, {"year": "2030"})


def _measured(label: str, by_key: dict[str, int]) -> BytesRead:
    return BytesRead(label, sum(by_key.values()), len(by_key), {}, by_key)


def test_partition_pruning_needs_every_ruled_out_object_skipped() -> None:
    kept, pruned = split_by_partition(SIZES, {"year": "2024"})
    first, *rest = SIZES
    full = _measured("full", {first: 2500, **dict.fromkeys(rest, 1500)})
    # The first object's schema read (900 bytes) is paid by both queries.
    skipped = _measured("2024", {first: 900, **dict.fromkeys(rest, 1500)})
    assert PartitionPruning(full, skipped, kept, pruned).problems() == []
    read_anyway = _measured("2024", {first: 2500, **dict.fromkeys(rest, 1500)})
    assert PartitionPruning(full, read_anyway, kept, pruned).problems() == [
        f"'2024' read 2,500 bytes of {first} (1,000 bytes), which its filter rules out, against the full "
        "scan's 2,500: the object was not skipped",
        "'2024' read 5,500 of the full scan's 5,500 bytes: saved 0, expected at least the 1,000 bytes "
        "of the 1 objects its filter rules out",
    ]


def test_saving_passes_or_says_how_much_was_saved() -> None:
    full = BytesRead("full scan", 10_000, 10, {})
    assert Saving(full, BytesRead("one column", 2_000, 10, {})).problems(at_least=0.75) == []
    assert Saving(full, BytesRead("one column", 4_000, 10, {})).problems(at_least=0.75) == [
        "'one column' read 4,000 of the full scan's 10,000 bytes: 60% fewer, expected at least 75% fewer"
    ]
    assert Saving(full, BytesRead("no pushdown", 10_000, 10, {})).problems(at_least=0.0) == [
        "'no pushdown' read 10,000 bytes, not fewer than the full scan's 10,000: nothing was pushed down"
    ]
    assert Saving(BytesRead("full scan", 0, 0, {}), full).problems(0.5) == [
        "the full scan 'full scan' read no bytes, so there is nothing to compare with"
    ]
