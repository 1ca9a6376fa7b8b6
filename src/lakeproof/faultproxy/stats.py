"""Request, byte and fault counts, so suites can prove retries happened and pushdown saved bytes.

Counts are kept per (listener, operation, bucket, key, rule, action) cell; every breakdown and
the ``prefix`` filter are computed from the cells when asked, so one structure answers "what did
node-2 read", "how often was this key fetched" and "how many faults did rule r3 inject".
A request is counted as soon as it is decided (before its first byte is answered) and its body
bytes as they are handed to the client connection, so a client that has its answer always sees
its own request in the statistics.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from lakeproof.faultproxy.rulebook import ActiveRule
from lakeproof.faultproxy.s3request import S3Request


@dataclass
class Tally:
    """Counters of one cell; the request handler adds body bytes to it as they are sent."""

    requests: int = 0
    bytes: int = 0
    faults: int = 0


class _Cell(NamedTuple):
    listener: str
    operation: str
    bucket: str
    key: str
    rule_id: str | None
    action: str | None


@dataclass
class _Summary:
    """An aggregate of cells: one line of a breakdown."""

    requests: int = 0
    bytes: int = 0
    faults: int = 0
    faults_by_action: Counter[str] = field(default_factory=Counter)

    def add(self, tally: Tally, action: str | None) -> None:
        self.requests += tally.requests
        self.bytes += tally.bytes
        self.faults += tally.faults
        if action is not None:
            self.faults_by_action[action] += tally.faults

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "bytes": self.bytes,
            "faults": self.faults,
            "faults_by_action": dict(sorted(self.faults_by_action.items())),
        }


class ProxyStats:
    """In-memory statistics of one proxy; lives on the proxy's event loop."""

    def __init__(self) -> None:
        self._cells: dict[_Cell, Tally] = {}

    def record(self, request: S3Request, fault: ActiveRule | None) -> Tally:
        """Count ``request`` (and its fault, if any); return the tally to add body bytes to."""
        cell = _Cell(
            request.listener,
            request.operation,
            request.bucket,
            request.key,
            fault.id if fault else None,
            fault.rule.action if fault else None,
        )
        tally = self._cells.setdefault(cell, Tally())
        tally.requests += 1
        if fault is not None:
            tally.faults += 1
        return tally

    def reset(self) -> None:
        """Forget every count."""
        self._cells = {}

    def snapshot(self, prefix: str | None = None) -> dict[str, Any]:
        """Totals and breakdowns by operation, key, listener and rule.

        With ``prefix``, only requests whose key (or listing prefix) starts with it are counted.
        ``by_key`` leaves out bucket-level requests, which have no key.
        """
        totals = _Summary()
        breakdowns: dict[str, defaultdict[str, _Summary]] = {
            name: defaultdict(_Summary) for name in ("by_operation", "by_key", "by_listener", "by_rule")
        }
        for cell, tally in self._cells.items():
            if prefix is not None and not cell.key.startswith(prefix):
                continue
            totals.add(tally, cell.action)
            breakdowns["by_operation"][cell.operation].add(tally, cell.action)
            breakdowns["by_listener"][cell.listener].add(tally, cell.action)
            if cell.key:
                breakdowns["by_key"][cell.key].add(tally, cell.action)
            if cell.rule_id is not None:
                breakdowns["by_rule"][cell.rule_id].add(tally, cell.action)
        return {
            "prefix": prefix,
            "totals": totals.as_json(),
            **{
                name: {label: summary.as_json() for label, summary in sorted(lines.items())}
                for name, lines in breakdowns.items()
            },
        }
