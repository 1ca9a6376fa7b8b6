"""Two writers commit to one table at once: one wins, the other retries or fails cleanly, and no
row is lost or doubled (the final contents are checked against both writers' rows)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from lakeproof.objectstore import S3Endpoint
from lakeproof.oracle import Oracle
from lakeproof.tables import TableManifest
from lakeproof.tables.concurrent import AppendRun, CommitOutcome, append_concurrently, new_batches


def _ids(oracle: Oracle, scan: str) -> list[int]:
    return sorted(row["id"] for row in oracle.query(f"SELECT id FROM {scan}").to_pylist())


@pytest.mark.parametrize("fmt", ["iceberg", "delta"])
def test_both_commits_land_once(
    fmt: str,
    write_table: Callable[..., TableManifest],
    oracle: Oracle,
    moto_endpoint: S3Endpoint,
    tmp_path: Path,
) -> None:
    manifest = write_table("readings", f"both-{fmt}")
    table = manifest.table(fmt)  # type: ignore[arg-type]
    before = _ids(oracle, table.scan())
    batches = new_batches(oracle.connection, table, 20)

    def count() -> int:
        # DuckDB checks that an object keeps its ETag during a read; the version hint may be
        # rewritten between its HEAD and its GET, and reading again is what a reader does then.
        # Each read is a fresh database of the reader's own that caches nothing: a database that
        # met the change once can keep meeting the stale ETag.
        for _ in range(3):
            with Oracle(moto_endpoint, file_cache=False) as reader:
                try:
                    return int(reader.connection.sql(f"SELECT count(*) FROM {table.scan()}").fetchall()[0][0])
                except duckdb.HTTPException as changed:
                    if "ETag" not in str(changed):
                        raise
        raise AssertionError("the version hint changed during three reads in a row")

    catalog = tmp_path / "unused.db" if fmt == "delta" else _catalog_of(write_table)
    run = append_concurrently(table, batches, moto_endpoint, catalog, retries=3, read_count=count)
    outcomes = run.outcomes
    assert [o.committed for o in outcomes] == [True, True]
    if fmt == "iceberg":
        # Both loaded the same base before the barrier: exactly one commit was refused once.
        assert sorted(o.conflicts for o in outcomes) == [0, 1]
        refused = next(o for o in outcomes if o.conflicts)
        # The catalog refuses the stale base either when it checks the commit's requirements or
        # when its compare-and-swap of the metadata pointer finds another one: both are refusals.
        assert refused.error.startswith(
            (
                "Table has been updated by another process: lab.readings",
                "Requirement failed: branch main has changed",
            )
        ), refused.error
    added = sorted(batch.column("id").to_pylist() for batch in batches)
    expected = sorted(before + added[0] + added[1])
    assert _ids(oracle, table.scan()) == expected
    # Every read while the writers committed saw one snapshot: before, one append, or both.
    assert run.reads
    assert set(run.reads) <= run.consistent_counts(len(before))
    assert run.reads[-1] == len(expected)


def test_a_writer_without_retries_fails_cleanly(
    write_table: Callable[..., TableManifest], oracle: Oracle, moto_endpoint: S3Endpoint
) -> None:
    table = write_table("readings", "no-retry").table("iceberg")
    before = _ids(oracle, table.scan())
    batches = new_batches(oracle.connection, table, 20)
    outcomes = append_concurrently(
        table, batches, moto_endpoint, _catalog_of(write_table), retries=0
    ).outcomes
    assert sorted(o.committed for o in outcomes) == [False, True]
    winner = next(o for o in outcomes if o.committed)
    loser = next(o for o in outcomes if not o.committed)
    assert (winner.conflicts, loser.conflicts) == (0, 1)
    assert loser.error
    assert _ids(oracle, table.scan()) == sorted(before + batches[winner.writer].column("id").to_pylist())


def _catalog_of(write_table: Callable[..., TableManifest]) -> Path:
    return write_table.catalog  # type: ignore[attr-defined,no-any-return]


def test_consistent_counts_are_those_of_snapshots() -> None:
    both = AppendRun((CommitOutcome(0, 20, True, 0, ""), CommitOutcome(1, 30, True, 1, "refused")))
    assert both.consistent_counts(100) == {100, 120, 130, 150}
    one = AppendRun((CommitOutcome(0, 20, True, 0, ""), CommitOutcome(1, 30, False, 1, "refused")))
    assert one.consistent_counts(100) == {100, 120}
