"""Keywords that inject storage faults through the fault proxy and read its statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from Lakeproof.context import LabContext
from lakeproof.engines.base import Capability
from lakeproof.errors import ConfigError
from lakeproof.faultproxy.evidence import faults_by_key, retry_evidence
from lakeproof.faultproxy.names import Action, Operation
from Lakeproof.html_log import log_mapping, log_table
from lakeproof.net import wait_until

_STAT_COLUMNS = ["requests", "bytes", "faults", "faults by action"]


def _stat_rows(breakdown: dict[str, dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            label,
            line["requests"],
            line["bytes"],
            line["faults"],
            ", ".join(f"{action}: {count}" for action, count in line["faults_by_action"].items()),
        ]
        for label, line in breakdown.items()
    ]


class FaultKeywords:
    """Inject faults into object-store traffic and prove they were hit."""

    def __init__(self, context: LabContext):
        self.context = context

    @keyword
    def inject_fault(
        self,
        action: Action,
        key: str | None = None,
        operation: str | None = None,
        reader: str | None = None,
        bucket: str | None = None,
        times: int | None = None,
        skip: int = 0,
        per_request: int | None = None,
        probability: float = 1.0,
        seed: int = 0,
        bytes: int | None = None,
        latency: timedelta | None = None,
        rate: int | None = None,
        hang: timedelta | None = None,
        whole_bucket: bool = False,
    ) -> str:
        """Adds a fault rule to the proxy and returns its id.

        ``action`` is what happens to a matching request: ``slowdown_503``, ``internal_error_500``,
        ``not_found_404``, ``forbidden_403`` (S3 error answers), ``reset_before_response``,
        ``reset_after_bytes`` (needs ``bytes``), ``truncated_body`` (needs ``bytes``), ``latency``
        (needs ``latency``), ``slow_body`` (needs ``rate`` in bytes/s) or ``hang``.

        A request matches when every given selector matches: ``key`` is a glob on the object key
        (``*/part-0002.parquet``), ``operation`` one or more of GET, RANGE_GET, HEAD, LIST, PUT,
        DELETE (comma separated), ``reader`` a proxy listener (``coordinator``, ``node-1``, ...),
        ``bucket`` a bucket name. Only keys under this run's prefix match unless ``whole_bucket``
        is true, so other runs are never faulted. A fault aimed at a data node's ``reader`` needs
        an engine whose nodes read through their own listeners (capability
        ``node_storage_endpoints``); on another engine the test is skipped.

        When it fires: ``skip`` lets the first N matches through; ``per_request`` faults only the
        first N attempts of each distinct object and range (every logical read is faulted however
        many requests a client makes); ``probability`` with ``seed`` faults a reproducible share;
        ``times`` removes the rule after N faults.

        Examples:
        | `Inject Fault`    slowdown_503    key=*/part-0001.parquet    times=2
        | `Inject Fault`    reset_after_bytes    bytes=1000    per_request=1    reader=node-2
        | `Inject Fault`    latency    latency=200 ms    operation=HEAD,LIST
        """
        lab = self.context.require_lab()
        if self.context.driver is not None and reader in lab.settings.data_nodes:
            self.context.engine(Capability.NODE_STORAGE_ENDPOINTS)
        fields: dict[str, Any] = {
            "action": action,
            "key": key,
            "operation": [name.strip() for name in operation.split(",")] if operation else None,
            "listener": reader,
            "bucket": bucket,
            "prefix": None if whole_bucket else f"{lab.prefix}/",
            "times": times,
            "skip": skip,
            "per_request": per_request,
            "probability": probability,
            "seed": seed,
            "bytes": bytes,
            "latency_ms": round(latency.total_seconds() * 1000) if latency is not None else None,
            "rate": rate,
            "hang_seconds": hang.total_seconds() if hang is not None else None,
        }
        rule = lab.control.add_rule(**{name: value for name, value in fields.items() if value is not None})
        log_mapping(f"Fault rule {rule['id']} injected", {k: v for k, v in rule.items() if v is not None})
        return str(rule["id"])

    @keyword
    def remove_fault(self, rule_id: str) -> None:
        """Removes the fault rule ``rule_id`` (as returned by `Inject Fault`).

        Example:
        | ${rule}=    `Inject Fault`    slowdown_503
        | `Remove Fault`    ${rule}
        """
        self.context.require_lab().control.remove_rule(rule_id)

    @keyword
    def clear_faults(self) -> None:
        """Removes every fault rule; traffic passes through untouched again.

        Example:
        | Test Teardown    `Clear Faults`
        """
        self.context.require_lab().control.clear_rules()

    @keyword
    def get_proxy_stats(self, whole_bucket: bool = False) -> dict[str, Any]:
        """Returns the proxy's request, byte and fault counts for this run's keys.

        The dictionary has ``totals`` and the breakdowns ``by_operation``, ``by_key``,
        ``by_listener`` and ``by_rule``; each line has ``requests``, ``bytes`` (body bytes sent),
        ``faults`` and ``faults_by_action``. ``whole_bucket`` counts every run's keys.

        Example:
        | ${stats}=    `Get Proxy Stats`
        | Should Be True    ${stats}[totals][requests] > 0
        """
        lab = self.context.require_lab()
        stats: dict[str, Any] = lab.control.stats(prefix=None if whole_bucket else f"{lab.prefix}/")
        return stats

    @keyword
    def reset_proxy_stats(self) -> None:
        """Sets every proxy count back to zero (rules stay).

        Example:
        | `Reset Proxy Stats`
        """
        self.context.require_lab().control.reset_stats()

    @keyword
    def log_proxy_stats(self) -> None:
        """Writes the proxy statistics of this run to the log as tables by reader, operation and key.

        Example:
        | `Log Proxy Stats`
        """
        stats = self.get_proxy_stats()
        log_table("Proxy traffic by reader", ["reader", *_STAT_COLUMNS], _stat_rows(stats["by_listener"]))
        log_table(
            "Proxy traffic by operation", ["operation", *_STAT_COLUMNS], _stat_rows(stats["by_operation"])
        )
        log_table("Proxy traffic by object", ["key", *_STAT_COLUMNS], _stat_rows(stats["by_key"]))

    def _fault_count(self, action: Action, key: str | None, reader: str | None) -> tuple[int, str]:
        """Faults of ``action`` in this run (on ``key`` or through ``reader``) and how to say where."""
        if key is not None and reader is not None:
            raise ConfigError("give either key or reader, not both: the statistics count them separately")
        stats = self.get_proxy_stats()
        line, where = stats["totals"], ""
        if key is not None:
            line, where = stats["by_key"].get(key, {"faults_by_action": {}}), f" on key {key}"
        if reader is not None:
            line, where = (
                stats["by_listener"].get(reader, {"faults_by_action": {}}),
                f" through reader {reader}",
            )
        return int(line["faults_by_action"].get(action, 0)), where

    @keyword
    def get_fault_count(self, action: Action, key: str | None = None, reader: str | None = None) -> int:
        """Returns how many times the proxy injected fault ``action`` in this run (zero is a valid answer).

        Counts this run's requests, optionally only those on object ``key`` (the full key) or only
        those served by ``reader`` (not both).

        Example:
        | ${hits}=    `Get Fault Count`    internal_error_500    key=${key}
        """
        return self._fault_count(action, key, reader)[0]

    @keyword
    def fault_should_have_been_hit(
        self, action: Action, times: int | None = None, key: str | None = None, reader: str | None = None
    ) -> int:
        """Fails unless the proxy injected fault ``action`` (exactly ``times`` times, if given).

        Counts this run's requests, optionally only those on object ``key`` (the full key) or
        only those served by ``reader`` (not both). Returns the count, and logs the traffic
        tables either way, so a reviewer sees which requests were faulted.

        Examples:
        | `Fault Should Have Been Hit`    slowdown_503    times=2
        | `Fault Should Have Been Hit`    reset_after_bytes    reader=node-2
        """
        seen, where = self._fault_count(action, key, reader)
        self.log_proxy_stats()
        if times is None and seen == 0:
            raise AssertionError(f"fault {action} was never hit{where}: the faulted requests never happened")
        if times is not None and seen != times:
            raise AssertionError(f"fault {action} was hit {seen} times{where}, expected {times}")
        logger.info(f"fault {action} was hit {seen} times{where}, as expected")
        return seen

    @keyword
    def proxy_should_show_retries(
        self, clean_stats: dict[str, Any], action: Action, operation: Operation, faults: int
    ) -> None:
        """Fails unless ``faults`` faults of ``action`` hit ``operation`` requests, each retried once.

        ``clean_stats`` are the statistics (`Get Proxy Stats`) of the same query run without
        faults, after `Reset Proxy Stats`. A retried fault costs exactly one more request of the
        same operation (a new attempt, or a range request resuming a cut body), so the faulted run
        must show ``faults`` faults and ``faults`` more requests than the clean run: fewer means
        faults were not retried, more means reads were repeated needlessly. Logs both counts.

        Example:
        | `Reset Proxy Stats`
        | ${baseline}=    `Run Query`    ${QUERY}
        | ${clean}=    `Get Proxy Stats`
        | `Reset Proxy Stats`
        | `Inject Fault`    slowdown_503    operation=LIST    times=2
        | ${faulted}=    `Run Query`    ${QUERY}
        | `Proxy Should Show Retries`    ${clean}    slowdown_503    LIST    faults=2
        """
        evidence = retry_evidence(clean_stats, self.get_proxy_stats(), operation, action)
        log_table(
            f"Retries of {operation} requests",
            [
                "operation",
                "requests (clean run)",
                "requests (faulted run)",
                "extra requests",
                "faults injected",
            ],
            [
                [
                    operation,
                    evidence.clean_requests,
                    evidence.requests,
                    evidence.extra_requests,
                    f"{evidence.faults} x {action}",
                ]
            ],
        )
        self.log_proxy_stats()
        problems = evidence.problems(expected_faults=faults)
        if problems:
            raise AssertionError("; ".join(problems))
        logger.info(f"{faults} {action} faults on {operation}, each retried once")

    @keyword
    def faults_per_object_should_be_as_in(self, earlier_stats: dict[str, Any], action: Action) -> None:
        """Fails unless faults of ``action`` hit the same objects, as often, as in ``earlier_stats``.

        ``earlier_stats`` come from `Get Proxy Stats` after an earlier run of the same query with
        the same seeded rule (statistics reset before each run). Also fails if there were no
        faults at all: an empty pattern proves nothing. Logs both patterns side by side.

        Example:
        | ${first}=    `Get Proxy Stats`
        | `Faults Per Object Should Be As In`    ${first}    slowdown_503
        """
        before = faults_by_key(earlier_stats, action)
        now = faults_by_key(self.get_proxy_stats(), action)
        log_table(
            f"Faults of {action} per object",
            ["key", "earlier run", "this run"],
            [[key, before.get(key, 0), now.get(key, 0)] for key in sorted(before.keys() | now.keys())],
        )
        if not before:
            raise AssertionError(f"the earlier run had no {action} fault: there is no pattern to repeat")
        differing = sorted(key for key in before.keys() | now.keys() if before.get(key) != now.get(key))
        if differing:
            raise AssertionError(
                f"{action} faults fell differently on {len(differing)} objects, e.g. {differing[0]}: "
                f"{before.get(differing[0], 0)} then {now.get(differing[0], 0)}"
            )

    @keyword
    def requests_should_be_fewer_than_in(self, clean_stats: dict[str, Any]) -> int:
        """Fails unless this run made fewer requests than ``clean_stats`` counted; returns this run's count.

        ``clean_stats`` are the statistics (`Get Proxy Stats`) of the same query run to its end:
        a run stopped early (cancelled, timed out) must have read less.

        Example:
        | `Requests Should Be Fewer Than In`    ${complete_run}
        """
        full = int(clean_stats["totals"]["requests"])
        made = int(self.get_proxy_stats()["totals"]["requests"])
        log_table("Requests", ["complete run", "this run"], [[full, made]])
        if made >= full:
            raise AssertionError(
                f"this run made {made} requests, as many as a complete run ({full}): it was not stopped early"
            )
        return made

    @keyword
    def wait_until_reader_has_requested(
        self, reader: str, requests: int = 1, timeout: timedelta = timedelta(seconds=30)
    ) -> int:
        """Waits until ``reader`` has sent ``requests`` requests (or more) for this run's keys.

        A readiness probe on the proxy's statistics: use it to act (kill a node, cancel a query)
        while a reader is busy, instead of sleeping. Returns the count seen; fails after ``timeout``.

        Example:
        | ${id}=    `Start Async Query`    ${QUERY}    strategy=round_robin
        | `Wait Until Reader Has Requested`    node-2
        | `Kill Node`    node-2
        """
        seen = 0

        def has_requested() -> bool:
            nonlocal seen
            seen = int(self.get_proxy_stats()["by_listener"].get(reader, {}).get("requests", 0))
            return seen >= requests

        try:
            wait_until(has_requested, timeout.total_seconds(), f"{reader} to send {requests} requests", 0.02)
        except TimeoutError:
            raise AssertionError(
                f"{reader} sent {seen} requests in {timeout}, expected at least {requests}"
            ) from None
        return seen
