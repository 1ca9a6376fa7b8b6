"""The driver contract: how the kit reaches an engine under test, and what an engine can show.

A driver runs DuckDB-dialect queries (with the lab's ``read_parquet``/``read_csv``/``read_json``
scans in them) under one of the engine's distribution variants, and answers with a typed
:class:`Answer` or raises :class:`EngineError`. What a driver cannot do it does not fake: it
leaves the capability out of :attr:`Driver.capabilities`, and the method raises
:class:`CapabilityMissing`, which the keyword layer turns into a SKIP naming the capability.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from lakeproof.compare.answer import Answer as ResultTable
from lakeproof.compare.answer import Column
from lakeproof.errors import LakeproofError


class Capability(enum.StrEnum):
    """What an engine can show; a check that needs one the engine lacks is skipped, never passed."""

    DISTRIBUTION_VARIANTS = "distribution_variants"
    """More than one way to distribute a query, all of which must agree."""
    SPLIT_PROFILE = "split_profile"
    """Per-split profile of a run: which node read which split, attempts, rows, bytes."""
    NODE_STORAGE_ENDPOINTS = "node_storage_endpoints"
    """Each node reads through its own storage endpoint, so a fault can be aimed at one node."""
    NODE_LIFECYCLE = "node_lifecycle"
    """Nodes can be listed, killed and restarted while queries run."""
    PARTIAL_RESULTS = "partial_results"
    """With ``allow_partial_results`` a lost node's splits are listed and the answer flagged."""
    ASYNC_CANCEL = "async_cancel"
    """Queries start in the background, are awaited and can be cancelled."""
    PLAN_API = "plan_api"
    """A dry-run plan (split groups and their nodes) without reading data."""
    RETRY_OPTIONS = "retry_options"
    """The storage retry policy can be set per query (attempts, backoff)."""
    TABLE_FORMATS = "table_formats"
    """Iceberg and Delta tables read with DuckDB's ``iceberg_scan`` and ``delta_scan`` syntax:
    snapshots, time travel, delete files."""


class CapabilityMissing(LakeproofError):
    """The engine cannot show what a check needs; the check is skipped with this message."""

    def __init__(self, engine: str, capability: Capability):
        super().__init__(f"engine '{engine}' lacks capability '{capability}'")
        self.engine = engine
        self.capability = capability


class EngineError(LakeproofError):
    """The engine refused or failed a query: an HTTP-like status, an error type and its reason."""

    def __init__(self, status: int, error_type: str, reason: str):
        super().__init__(f"{reason} [{error_type}, HTTP {status}]")
        self.status = status
        self.error_type = error_type
        self.reason = reason


@dataclass(frozen=True)
class SplitRead:
    """How one split of a run was read: by which node, in how many attempts, what it yielded."""

    id: int
    node: str
    attempts: int
    rows: int
    bytes: int
    uri: str = ""
    group: int | None = None


@dataclass(frozen=True)
class Answer:
    """A query's answer from any engine.

    ``table`` holds columns (DuckDB type names) and JSON-safe rows, as compared with the oracle.
    ``splits`` is None when the engine has no split profile; ``profile`` keeps the engine's own
    profile document (strategy reasons, timings) for the log.
    """

    table: ResultTable
    is_partial: bool = False
    warnings: tuple[str, ...] = ()
    splits: tuple[SplitRead, ...] | None = None
    missing_splits: tuple[int, ...] = ()
    profile: Mapping[str, Any] | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        """The result columns."""
        return self.table.columns

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]:
        """The result rows, JSON-safe values."""
        return self.table.rows


PRAGMA_CAPABILITIES: Mapping[str, Capability] = {
    "allow_partial_results": Capability.PARTIAL_RESULTS,
    "max_attempts": Capability.RETRY_OPTIONS,
    "initial_backoff_s": Capability.RETRY_OPTIONS,
    "backoff_multiplier": Capability.RETRY_OPTIONS,
    "max_backoff_s": Capability.RETRY_OPTIONS,
    "read_timeout_s": Capability.RETRY_OPTIONS,
}
"""Pragmas that exercise a capability: a check that sets one is skipped on an engine without it."""


@dataclass(frozen=True)
class QueryOptions:
    """Per-query settings beyond the variant: engine pragmas (``query_timeout_s``, split sizes,
    ``allow_partial_results``, retry policy) passed through to engines that understand them.

    A driver ignores pragmas it has no use for (the reference engine's split sizes, say); the
    keywords skip a check whose pragmas need a capability the engine lacks (PRAGMA_CAPABILITIES).
    """

    pragma: Mapping[str, Any] = field(default_factory=dict)
    profile: bool = True

    def capabilities_needed(self) -> frozenset[Capability]:
        """The capabilities these pragmas exercise."""
        return frozenset(PRAGMA_CAPABILITIES[name] for name in self.pragma if name in PRAGMA_CAPABILITIES)


class Driver(ABC):
    """One engine under test. Subclasses declare :attr:`name`, :attr:`capabilities` and variants."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    variant_aliases: ClassVar[Mapping[str, str]] = {}
    """The reference engine's strategy names that suites use (``round_robin``, ``coordinator_only``
    ...) mapped to this engine's equivalent variant; a check naming one with no equivalent is
    skipped on this engine."""

    def require(self, capability: Capability) -> None:
        """Raise :class:`CapabilityMissing` unless this engine has ``capability``."""
        if capability not in self.capabilities:
            raise CapabilityMissing(self.name, capability)

    @abstractmethod
    def variants(self) -> tuple[str, ...]:
        """The engine's distribution variants; every one must give the same answers."""

    def default_variant(self) -> str:
        """The variant a check runs under when it names none: the first of :meth:`variants`."""
        return self.variants()[0]

    @abstractmethod
    def query(self, sql: str, variant: str, options: QueryOptions) -> Answer:
        """Run ``sql`` (DuckDB dialect, lab scans) under ``variant``; EngineError on failure."""

    def start_async(self, sql: str, variant: str, options: QueryOptions) -> str:
        """Start ``sql`` in the background; returns its id."""
        raise CapabilityMissing(self.name, Capability.ASYNC_CANCEL)

    def wait(self, query_id: str, timeout: timedelta) -> Answer:
        """Wait for a background query's answer (EngineError if it failed)."""
        raise CapabilityMissing(self.name, Capability.ASYNC_CANCEL)

    def cancel(self, query_id: str) -> None:
        """Cancel a background query."""
        raise CapabilityMissing(self.name, Capability.ASYNC_CANCEL)

    def running_work(self) -> Mapping[str, int]:
        """Tasks executing now, per executor (``coordinator``, ``node-1``, ...): how a check sees
        that a cancelled query really stopped working, or that a query is mid-flight on the nodes."""
        raise CapabilityMissing(self.name, Capability.ASYNC_CANCEL)

    def plan(self, sql: str, variant: str, options: QueryOptions) -> Mapping[str, Any]:
        """A dry-run plan of ``sql`` under ``variant``."""
        raise CapabilityMissing(self.name, Capability.PLAN_API)

    def nodes(self) -> tuple[str, ...]:
        """The live data nodes, named after the lab's data-node readers (``node-1`` ...)."""
        raise CapabilityMissing(self.name, Capability.NODE_LIFECYCLE)

    def kill_node(self, node: str) -> None:
        """Kill ``node`` outright (SIGKILL), as a crash would."""
        raise CapabilityMissing(self.name, Capability.NODE_LIFECYCLE)

    def restart_node(self, node: str) -> None:
        """Start a killed ``node`` again and wait until it takes work."""
        raise CapabilityMissing(self.name, Capability.NODE_LIFECYCLE)

    @abstractmethod
    def close(self) -> None:
        """Release connections and stop what the driver started; idempotent."""
