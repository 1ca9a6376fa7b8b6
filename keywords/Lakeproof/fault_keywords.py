"""Keywords that inject storage faults through the fault proxy and read its statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robotlibcore import keyword

from Lakeproof.context import LabContext
from lakeproof.errors import ConfigError
from lakeproof.faultproxy.names import Action
from Lakeproof.html_log import log_mapping, log_table

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
        is true, so other runs are never faulted.

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
        if key is not None and reader is not None:
            raise ConfigError("give either key or reader, not both: the statistics count them separately")
        stats = self.get_proxy_stats()
        self.log_proxy_stats()
        line, where = stats["totals"], ""
        if key is not None:
            line, where = stats["by_key"].get(key, {"faults_by_action": {}}), f" on key {key}"
        if reader is not None:
            line, where = (
                stats["by_listener"].get(reader, {"faults_by_action": {}}),
                f" through reader {reader}",
            )
        seen = int(line["faults_by_action"].get(action, 0))
        if times is None and seen == 0:
            raise AssertionError(f"fault {action} was never hit{where}: the faulted requests never happened")
        if times is not None and seen != times:
            raise AssertionError(f"fault {action} was hit {seen} times{where}, expected {times}")
        logger.info(f"fault {action} was hit {seen} times{where}, as expected")
        return seen
