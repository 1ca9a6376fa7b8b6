"""The active fault rules and the decision, per request, whether one of them faults it.

Decision order for each rule, in insertion order: the fields match -> ``skip`` lets the first N
matching requests through -> ``per_request`` faults only the first N attempts of each distinct
(bucket, key, range) -> ``probability`` -> ``times`` (the rule is removed after its last fault).
The first rule that decides to fault wins; rules after it do not see the request, so their
counters are not consumed.

Probability is decided by a hash of (seed, operation, bucket, key, range, attempt number of that
(bucket, key, range) under the rule), not by a shared random stream, so the same seed and the
same set of requests give the same faults whatever order concurrent readers send them in. The
rule id and the listener are deliberately not hashed: the same rule added to a fresh or a busy
proxy, and the same read done by the coordinator or by a node, get the same decision.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from lakeproof.faultproxy.rules import FaultRule, parse_rule
from lakeproof.faultproxy.s3request import S3Request


@dataclass
class ActiveRule:
    """A rule added to the proxy, with its id and the counters its modifiers need."""

    id: str
    rule: FaultRule
    matched: int = 0
    hits: int = 0
    attempts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def matches(self, request: S3Request) -> bool:
        """True if every selection field of the rule matches ``request``."""
        rule = self.rule
        return (
            (rule.operation is None or request.operation in rule.operation)
            and (rule.bucket is None or request.bucket == rule.bucket)
            and (rule.key is None or fnmatchcase(request.key, rule.key))
            and (rule.listener is None or request.listener == rule.listener)
            and (rule.prefix is None or request.key.startswith(rule.prefix))
        )

    def decide(self, request: S3Request) -> bool:
        """Advance this rule's counters for a matching ``request``; True if it faults it."""
        rule = self.rule
        self.matched += 1
        if self.matched <= rule.skip:
            return False
        self.attempts[request.identity] += 1
        attempt = self.attempts[request.identity]
        if rule.per_request is not None and attempt > rule.per_request:
            return False
        if rule.probability < 1.0 and _uniform(rule.seed, request, attempt) >= rule.probability:
            return False
        self.hits += 1
        return True

    @property
    def exhausted(self) -> bool:
        """True once the rule has faulted ``times`` requests."""
        return self.rule.times is not None and self.hits >= self.rule.times

    def describe(self) -> dict[str, Any]:
        """The rule as the control API shows it: its fields, id and counters."""
        fields = self.rule.model_dump(mode="json", exclude_none=True)
        return {"id": self.id, **fields, "matched": self.matched, "hits": self.hits}


def _uniform(seed: int, request: S3Request, attempt: int) -> float:
    """A number in [0, 1) that depends only on the seed, the logical read and the attempt."""
    material = "\x1f".join(
        (str(seed), request.operation, request.bucket, request.key, request.range or "", str(attempt))
    )
    digest = hashlib.blake2b(material.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class RuleBook:
    """The proxy's active rules in insertion order.

    Not thread-safe: it lives on the proxy's event loop and is only touched from there.
    """

    def __init__(self, listeners: Collection[str]):
        self._listeners = tuple(listeners)
        self._rules: dict[str, ActiveRule] = {}
        self._ids = itertools.count(1)

    def add(self, fields: object) -> ActiveRule:
        """Validate ``fields`` and append the rule; raises InvalidRuleError with a reason."""
        rule = parse_rule(fields, self._listeners)
        active = ActiveRule(f"r{next(self._ids)}", rule)
        self._rules[active.id] = active
        return active

    def get(self, rule_id: str) -> ActiveRule | None:
        """The active rule ``rule_id``, or None if unknown or already used up."""
        return self._rules.get(rule_id)

    def remove(self, rule_id: str) -> ActiveRule | None:
        """Remove and return rule ``rule_id``, or None if there is no such rule."""
        return self._rules.pop(rule_id, None)

    def clear(self) -> int:
        """Remove every rule; return how many there were."""
        count = len(self._rules)
        self._rules.clear()
        return count

    def rules(self) -> list[ActiveRule]:
        """The active rules in insertion order."""
        return list(self._rules.values())

    def decide(self, request: S3Request) -> ActiveRule | None:
        """The rule that faults ``request``, or None to pass it through unharmed."""
        for active in self.rules():
            if active.matches(request) and active.decide(request):
                if active.exhausted:
                    del self._rules[active.id]
                return active
        return None
