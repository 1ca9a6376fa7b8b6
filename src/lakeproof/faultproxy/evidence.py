"""Evidence in the proxy's statistics that injected faults were hit and retried.

A fault that is retried costs exactly one extra request of the same operation: an S3 error or a
reset is answered by a new attempt, and a body cut short is resumed by a new range request. So
comparing a faulted run's statistics with those of the same query run clean proves both that the
faults happened and that every one of them was followed by a retry, nothing more and nothing less.

>>> clean = {"by_operation": {"LIST": {"requests": 1, "faults_by_action": {}}}}
>>> faulted = {"by_operation": {"LIST": {"requests": 3, "faults_by_action": {"slowdown_503": 2}}}}
>>> retry_evidence(clean, faulted, "LIST", "slowdown_503").problems(expected_faults=2)
[]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RetryEvidence:
    """Requests of one operation in a clean and a faulted run, and the faults injected into it."""

    operation: str
    action: str
    clean_requests: int
    requests: int
    faults: int

    @property
    def extra_requests(self) -> int:
        """Requests the faulted run made beyond the clean run: the retries."""
        return self.requests - self.clean_requests

    def problems(self, expected_faults: int) -> list[str]:
        """Why this evidence does not show ``expected_faults`` faults each retried once; [] if it does."""
        found = []
        if self.faults != expected_faults:
            found.append(
                f"{self.action} was injected into {self.faults} {self.operation} requests, "
                f"expected {expected_faults}"
            )
        if self.extra_requests != self.faults:
            found.append(
                f"{self.operation} requests went from {self.clean_requests} (clean run) to {self.requests}: "
                f"{self.extra_requests} extra for {self.faults} faults, expected one retry per fault"
            )
        return found


def retry_evidence(
    clean: Mapping[str, Any], faulted: Mapping[str, Any], operation: str, action: str
) -> RetryEvidence:
    """Compare two proxy statistics snapshots (``GET /stats``) on ``operation`` and fault ``action``."""
    empty: Mapping[str, Any] = {"requests": 0, "faults_by_action": {}}
    before = clean["by_operation"].get(operation, empty)
    after = faulted["by_operation"].get(operation, empty)
    return RetryEvidence(
        operation,
        action,
        int(before["requests"]),
        int(after["requests"]),
        int(after["faults_by_action"].get(action, 0)),
    )


def faults_by_key(stats: Mapping[str, Any], action: str) -> dict[str, int]:
    """Faults of ``action`` per object key in a statistics snapshot; keys without one are left out."""
    found = {key: int(line["faults_by_action"].get(action, 0)) for key, line in stats["by_key"].items()}
    return {key: count for key, count in found.items() if count}
