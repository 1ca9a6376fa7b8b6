"""Statistics: totals and breakdowns by operation, key, listener and rule, and the prefix filter."""

from __future__ import annotations

from lakeproof.faultproxy.rulebook import RuleBook
from lakeproof.faultproxy.s3request import S3Request
from lakeproof.faultproxy.stats import ProxyStats


def test_requests_bytes_and_faults_are_broken_down() -> None:
    book = RuleBook(["coordinator", "node-1"])
    rule = book.add({"action": "slowdown_503", "times": 1})
    stats = ProxyStats()
    head = S3Request("coordinator", "HEAD", "HEAD", "lake", "run-1/a.parquet", None)
    get = S3Request("node-1", "GET", "RANGE_GET", "lake", "run-1/a.parquet", "bytes=0-9")
    listing = S3Request("coordinator", "GET", "LIST", "lake", "run-1/", None)
    stats.record(get, rule).bytes += 120
    stats.record(get, None).bytes += 10
    stats.record(head, None)
    stats.record(listing, None).bytes += 500

    snapshot = stats.snapshot()
    assert snapshot["totals"] == {
        "requests": 4,
        "bytes": 630,
        "faults": 1,
        "faults_by_action": {"slowdown_503": 1},
    }
    assert snapshot["by_operation"]["RANGE_GET"]["requests"] == 2
    assert snapshot["by_operation"]["HEAD"] == {
        "requests": 1,
        "bytes": 0,
        "faults": 0,
        "faults_by_action": {},
    }
    assert snapshot["by_listener"]["node-1"]["bytes"] == 130
    assert snapshot["by_listener"]["coordinator"]["requests"] == 2
    assert snapshot["by_key"]["run-1/a.parquet"]["requests"] == 3
    assert snapshot["by_key"]["run-1/"]["bytes"] == 500
    assert snapshot["by_rule"] == {
        rule.id: {"requests": 1, "bytes": 120, "faults": 1, "faults_by_action": {"slowdown_503": 1}}
    }


def test_prefix_counts_only_keys_under_it_and_reset_forgets_everything() -> None:
    stats = ProxyStats()
    stats.record(S3Request("node-1", "GET", "GET", "lake", "run-1/a", None), None).bytes += 1
    stats.record(S3Request("node-1", "GET", "GET", "lake", "run-10/a", None), None).bytes += 2
    stats.record(S3Request("node-1", "PUT", "OTHER", "lake", "", None), None)

    only_run_1 = stats.snapshot(prefix="run-1/")
    assert only_run_1["prefix"] == "run-1/"
    assert only_run_1["totals"]["requests"] == 1
    assert list(only_run_1["by_key"]) == ["run-1/a"]
    assert stats.snapshot()["totals"]["requests"] == 3
    assert "" not in stats.snapshot()["by_key"]

    stats.reset()
    assert stats.snapshot()["totals"]["requests"] == 0
