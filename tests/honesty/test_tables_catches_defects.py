"""The table tier fails, for the right test and the right reason, when the engine reads tables wrong.

``suites/tables/distributed_reads.robot`` reads a small Iceberg table (a position and an equality
delete file; the equality one deletes the city ``pune``) under every strategy, now and at each
snapshot by id. With delete files ignored on the data nodes, the rows of ``pune`` come back from
remote splits: three cities instead of two. With nodes re-resolving the table, a snapshot from
before the deletes loses them on the nodes: two cities instead of three. ``coordinator_only``
reads everything on the coordinator and stays right in both cases, so the first wrong strategy
is round robin.
"""

from __future__ import annotations

import pytest

from .runner import run_suite

pytestmark = pytest.mark.component

SUITE = ["suites/tables/distributed_reads.robot"]
DELETES = "Deletes are applied by whichever node reads a split"
SNAPSHOTS = "Every node reads the snapshot the query asked for"


def test_the_suite_passes_on_a_correct_engine() -> None:
    run = run_suite(SUITE, [])
    assert run.rc == 0, run.describe()
    assert sorted(run.passed) == sorted([DELETES, SNAPSHOTS]), run.describe()


def test_deletes_ignored_on_data_nodes_bring_deleted_rows_back() -> None:
    run = run_suite(SUITE, ["table_deletes_local_only"], tests=[DELETES])
    assert run.failures.get(DELETES) == (
        "round_robin: results differ: expected 2 rows, got 3; 1 row missing, 2 extra rows"
    ), run.describe()


def test_nodes_reading_a_newer_snapshot_fail_the_time_travel_test_only() -> None:
    run = run_suite(SUITE, ["table_split_newer_snapshot"])
    # The current snapshot is the newest: reading it again changes nothing.
    assert run.passed == [DELETES], run.describe()
    # Which rows differ depends on the newer snapshot's files; the row counts do not.
    assert run.failures.get(SNAPSHOTS, "").startswith(
        "round_robin: results differ: expected 3 rows, got 2;"
    ), run.describe()
