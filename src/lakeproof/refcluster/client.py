"""A small synchronous client of the coordinator's HTTP API (for the lab, keywords and tests)."""

from __future__ import annotations

from typing import Any

import requests

from lakeproof.engines.base import EngineError
from lakeproof.errors import LakeproofError


class CoordinatorRequestError(EngineError):
    """The coordinator answered with an error; carries its status, type and reason."""


class CoordinatorClient:
    """Calls ``/query``, ``/query/async``, ``/plan``, ``/nodes`` and ``/health``."""

    def __init__(self, url: str, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._session.request(method, f"{self.url}{path}", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise LakeproofError(
                f"the coordinator at {self.url} did not answer {method} {path}: {exc}"
            ) from None
        try:
            payload: dict[str, Any] = response.json()
        except ValueError:
            raise CoordinatorRequestError(
                response.status_code, "invalid_response", response.text[:500]
            ) from None
        if response.status_code >= 400:
            error = payload.get("error", {})
            raise CoordinatorRequestError(
                response.status_code, error.get("type", "unknown"), error.get("reason", response.text)
            )
        return payload

    def query(self, sql: str, pragma: dict[str, Any] | None = None, profile: bool = True) -> dict[str, Any]:
        """Run ``sql``; returns columns, values, is_partial and the profile."""
        return self._call("POST", "/query", {"query": sql, "pragma": pragma or {}, "profile": profile})

    def start_async(self, sql: str, pragma: dict[str, Any] | None = None, profile: bool = True) -> str:
        """Start ``sql`` in the background; returns the async query id."""
        answer = self._call(
            "POST", "/query/async", {"query": sql, "pragma": pragma or {}, "profile": profile}
        )
        return str(answer["id"])

    def get_async(self, query_id: str) -> dict[str, Any]:
        """The state of an async query (``is_running``, or its answer)."""
        return self._call("GET", f"/query/async/{query_id}")

    def cancel_async(self, query_id: str) -> dict[str, Any]:
        """Cancel an async query."""
        return self._call("DELETE", f"/query/async/{query_id}")

    def plan(self, body: dict[str, Any]) -> dict[str, Any]:
        """A dry-run plan for a query or a synthetic split list."""
        return self._call("POST", "/plan", body)

    def nodes(self) -> list[dict[str, Any]]:
        """The live data nodes."""
        nodes: list[dict[str, Any]] = self._call("GET", "/nodes")["nodes"]
        return nodes

    def running_tasks(self) -> dict[str, int]:
        """Node tasks executing now, per executor (``coordinator``, ``node-1``, ...)."""
        running: dict[str, int] = self._call("GET", "/tasks")["running"]
        return running

    def health(self) -> dict[str, Any]:
        """Coordinator status and node count."""
        return self._call("GET", "/health")

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()
