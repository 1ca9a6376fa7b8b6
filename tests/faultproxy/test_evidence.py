"""Retry evidence: a faulted run shows its faults, and exactly one extra request per fault."""

from __future__ import annotations

from typing import Any

from lakeproof.faultproxy.evidence import faults_by_key, retry_evidence


def _stats(
    requests: int, faults: dict[str, int] | None = None, operation: str = "RANGE_GET"
) -> dict[str, Any]:
    line = {"requests": requests, "faults_by_action": faults or {}}
    return {"by_operation": {operation: line, "LIST": {"requests": 1, "faults_by_action": {}}}}


def test_each_fault_retried_once_is_evidence() -> None:
    evidence = retry_evidence(_stats(6), _stats(9, {"slowdown_503": 3}), "RANGE_GET", "slowdown_503")
    assert (evidence.clean_requests, evidence.requests, evidence.faults, evidence.extra_requests) == (
        6,
        9,
        3,
        3,
    )
    assert evidence.problems(expected_faults=3) == []


def test_faults_that_never_happened_are_reported() -> None:
    evidence = retry_evidence(_stats(6), _stats(6), "RANGE_GET", "slowdown_503")
    assert evidence.problems(expected_faults=2) == [
        "slowdown_503 was injected into 0 RANGE_GET requests, expected 2"
    ]


def test_faults_without_retries_are_reported() -> None:
    # Two faults but only one extra request: one faulted read was given up (or its data dropped).
    evidence = retry_evidence(_stats(6), _stats(7, {"slowdown_503": 2}), "RANGE_GET", "slowdown_503")
    assert evidence.problems(expected_faults=2) == [
        "RANGE_GET requests went from 6 (clean run) to 7: 1 extra for 2 faults, expected one retry per fault"
    ]


def test_needless_repeated_reads_are_reported() -> None:
    evidence = retry_evidence(_stats(6), _stats(10, {"truncated_body": 1}), "RANGE_GET", "truncated_body")
    assert "4 extra for 1 faults" in evidence.problems(expected_faults=1)[0]


def test_other_actions_and_operations_do_not_count() -> None:
    faulted = _stats(8, {"internal_error_500": 2})
    evidence = retry_evidence(_stats(6), faulted, "RANGE_GET", "slowdown_503")
    assert evidence.faults == 0
    listing = retry_evidence(_stats(6), faulted, "LIST", "internal_error_500")
    assert (listing.requests, listing.faults) == (1, 0)
    assert retry_evidence(_stats(6), faulted, "HEAD", "internal_error_500").requests == 0


def test_faults_by_key_leaves_out_keys_without_faults() -> None:
    stats = {
        "by_key": {
            "r/a.csv": {"faults_by_action": {"slowdown_503": 2, "latency": 1}},
            "r/b.csv": {"faults_by_action": {"latency": 4}},
            "r/c.csv": {"faults_by_action": {}},
        }
    }
    assert faults_by_key(stats, "slowdown_503") == {"r/a.csv": 2}
