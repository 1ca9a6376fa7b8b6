"""The ``reference`` driver: the kit's own engine (coordinator + Dask data nodes) over its HTTP API.

It has every capability; its variants are the coordinator's distribution strategies, sent as
the ``external_distribution`` pragma. The lab starts the engine; the driver only talks to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from lakeproof.compare import answer_from_json
from lakeproof.engines.base import Answer, Capability, Driver, QueryOptions, SplitRead
from lakeproof.engines.settings import EngineSettings
from lakeproof.errors import ConfigError
from lakeproof.lab import Lab
from lakeproof.net import wait_until
from lakeproof.refcluster.client import CoordinatorClient
from lakeproof.refcluster.model import DEFAULT_STRATEGY, STRATEGIES

STRATEGY_PRAGMA = "external_distribution"
_ASYNC_POLL_S = 0.05


def answer_of(payload: Mapping[str, Any]) -> Answer:
    """The typed answer of a coordinator JSON answer (``columns``, ``values``, ``profile`` ...)."""
    profile: Mapping[str, Any] | None = payload.get("profile")
    splits = None
    if profile is not None and "splits" in profile:
        splits = tuple(
            SplitRead(
                id=int(split["id"]),
                node=str(split["node"]),
                attempts=int(split["attempts"]),
                rows=int(split["rows"] or 0),
                bytes=int(split["bytes"] or 0),
                uri=str(split["uri"]),
                group=split.get("group"),
            )
            for split in profile["splits"]
        )
    return Answer(
        table=answer_from_json(payload),
        is_partial=bool(payload.get("is_partial", False)),
        warnings=tuple(payload.get("warnings", ())),
        splits=splits,
        missing_splits=tuple((profile or {}).get("missing_splits", ())),
        profile=profile,
    )


class ReferenceDriver(Driver):
    """The reference engine of the embedded lab."""

    name: ClassVar[str] = "reference"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)

    def __init__(self, lab: Lab, client: CoordinatorClient):
        self._lab = lab
        self._client = client

    @property
    def client(self) -> CoordinatorClient:
        """The coordinator's API client (the reference engine's own checks use its wire format)."""
        return self._client

    def variants(self) -> tuple[str, ...]:
        """The distribution strategies."""
        return STRATEGIES

    def default_variant(self) -> str:
        """The coordinator's default strategy (``adaptive``)."""
        return DEFAULT_STRATEGY

    @staticmethod
    def _pragma(variant: str, options: QueryOptions) -> dict[str, Any]:
        return {STRATEGY_PRAGMA: variant, **options.pragma}

    def query(self, sql: str, variant: str, options: QueryOptions) -> Answer:
        """Run ``sql`` with strategy ``variant``; the coordinator's errors are EngineErrors."""
        return answer_of(self._client.query(sql, self._pragma(variant, options), options.profile))

    def start_async(self, sql: str, variant: str, options: QueryOptions) -> str:
        """Start ``sql`` as an async query."""
        return self._client.start_async(sql, self._pragma(variant, options), options.profile)

    def wait(self, query_id: str, timeout: timedelta) -> Answer:
        """Poll the async query until it is done; TimeoutError after ``timeout``."""
        state: dict[str, Any] = {}

        def finished() -> bool:
            nonlocal state
            state = self._client.get_async(query_id)
            return not state["is_running"]

        wait_until(
            finished, timeout.total_seconds(), f"async query {query_id} to finish", interval=_ASYNC_POLL_S
        )
        return answer_of(state)

    def cancel(self, query_id: str) -> None:
        """Cancel the async query."""
        self._client.cancel_async(query_id)

    def running_work(self) -> Mapping[str, int]:
        """Node tasks executing now, per executor, as the engine's processes report them."""
        return self._client.running_tasks()

    def plan(self, sql: str, variant: str, options: QueryOptions) -> Mapping[str, Any]:
        """The coordinator's dry-run plan: strategy, splits, groups and their nodes."""
        return self._client.plan({"query": sql, "pragma": self._pragma(variant, options)})

    def nodes(self) -> tuple[str, ...]:
        """The data nodes the coordinator sees."""
        return tuple(self._lab.live_nodes())

    def kill_node(self, node: str) -> None:
        """SIGKILL the node's worker process and wait until the coordinator no longer sees it."""
        self._lab.kill_node(node)

    def restart_node(self, node: str) -> None:
        """Start the node again and wait until the coordinator sees it."""
        self._lab.restart_node(node)

    def close(self) -> None:
        """Nothing to release: the lab owns the engine and its client."""


def launch(lab: Lab, settings: EngineSettings) -> ReferenceDriver:
    """The driver of the lab's reference cluster; ConfigError if the lab started none."""
    if settings.endpoints or settings.credentials or settings.options:
        raise ConfigError(
            f"the reference engine takes no endpoints, credentials or options; {settings.source} sets some: "
            "remove them or choose another ENGINE"
        )
    if not lab.settings.cluster:
        raise ConfigError("the reference engine runs in the lab's cluster: start the lab with cluster=True")
    return ReferenceDriver(lab, lab.coordinator_client())
