"""A node task's split fetches: side by side, stopped by a cancel, and never left running."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lakeproof.objectstore import S3Endpoint
from lakeproof.refcluster import node
from lakeproof.refcluster.deadline import Deadline
from lakeproof.refcluster.errors import QueryCancelledError
from lakeproof.refcluster.model import RetryPolicy, Split, SplitStats
from lakeproof.refcluster.node import NodeTask, ScanWork


def splits(count: int) -> list[tuple[Split, SplitStats]]:
    return [
        (Split(index, f"s3://lake/f{index}.parquet", "parquet", 0, 10, 10), SplitStats(index))
        for index in range(count)
    ]


def test_a_failed_fetch_is_raised_only_once_no_other_fetch_runs() -> None:
    failed, returned = threading.Event(), threading.Event()
    started = threading.Barrier(node._FETCHERS)
    finished_after_return: list[bool] = []
    lock = threading.Lock()

    def fetch(item: tuple[Split, SplitStats]) -> Path:
        split, _ = item
        if split.id < node._FETCHERS:
            started.wait(timeout=30)  # the first batch is in flight together
        if split.id == 0:
            failed.set()
            raise OSError("storage said no")
        failed.wait(timeout=30)
        # Had the task returned already, this fetch would still be running: record it.
        returned.wait(timeout=0.5)
        with lock:
            finished_after_return.append(returned.is_set())
        return Path(f"split-{split.id}")

    with pytest.raises(OSError, match="storage said no"):
        node._fetch_all(fetch, splits(3 * node._FETCHERS))
    returned.set()
    assert len(finished_after_return) >= node._FETCHERS - 1  # the rest of the first batch ran
    assert not any(finished_after_return)
    assert len(finished_after_return) < 3 * node._FETCHERS - 1  # the queued fetches never started


def test_fetches_keep_split_order() -> None:
    assert node._fetch_all(lambda item: Path(f"split-{item[0].id}"), splits(9)) == [
        Path(f"split-{index}") for index in range(9)
    ]


def test_a_cancelled_task_fetches_nothing(tmp_path: Path) -> None:
    (split, stats), *_ = splits(1)
    work = ScanWork(0, "parquet", "read_parquet", "", None, (), "SELECT * FROM __splits", (split,), {})
    # Nothing listens at this endpoint: a fetch that ignored the cancel would fail differently.
    task = NodeTask("node-1", S3Endpoint("http://127.0.0.1:9"), (work,), RetryPolicy(), Deadline(0.0, 1.0))
    fetch = node._Fetch(task, work, tmp_path, {}, {}, cancelled=lambda: True)
    with pytest.raises(QueryCancelledError, match="cancelled by its caller while reading splits on node-1"):
        fetch((split, stats))
    assert stats.attempts == 0
    assert not list(tmp_path.iterdir())
